/**
 * The reconcile worker for groups: links a SCIM group to an Atlassian group (found by name or
 * created), renames it in place, and walks its members. Naming, creation and adoption follow
 * the policies (src/sync/policies.ts).
 */
import { AtlassianError, AtlassianGroup } from '../atlassian/port';
import type { StoredResource } from '../directory/collection';
import { GroupLink, MemberLink } from './links';
import type { ReconcilerDeps } from './reconciler';
import { ignoreNotFound, OperationFailed, ReconcileContext, Run } from './run';

export class GroupReconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  /** Reconciles a group; answers where its member walk stopped if it ran out of time. */
  async group(id: string, context: ReconcileContext): Promise<string | undefined> {
    const run = new Run(this.deps.port, this.deps.log, context, { resource: id, resourceType: 'group' });
    const [desired, stored] = await Promise.all([
      this.deps.directory.groups.get(id),
      this.deps.links.group(id),
    ]);
    if (!desired) {
      await this.groupGone(id, stored, run);
      return undefined;
    }
    const name = String(desired.doc.displayName);
    let link: GroupLink = stored ?? { created: false };

    let group: AtlassianGroup | undefined;
    if (link.groupId) {
      const groupId = link.groupId;
      group = await run.read('getGroup', () => this.deps.port.getGroup(groupId));
      if (!group) {
        // Deleted in Atlassian by someone else: provision it again as if new.
        await run.note('getGroup', 'attention', 'linked group is gone in Atlassian', 'provisioning it again');
        link = { created: false };
      }
    }
    if (!group) {
      ({ group, link } = await this.linkGroup(id, name, link, run));
    }
    if (group.modifiable === false) {
      if (!link.protected) {
        await run.note('update', 'skipped', 'group is protected in Atlassian', `left alone: ${group.name}`);
      }
      await this.deps.links.write(this.deps.links.groupOperation(id, { ...link, protected: true }));
      return undefined;
    }
    if (group.name !== name) link = await this.rename(id, group, name, link, run);
    await this.deps.links.write(this.deps.links.groupOperation(id, link));
    return this.reconcileMembers(id, desired, group.id, run, context);
  }

  /** Finds the group by name, or creates it, recording an intent first (see links.ts). */
  private async linkGroup(
    id: string,
    name: string,
    link: GroupLink,
    run: Run,
  ): Promise<{ group: AtlassianGroup; link: GroupLink }> {
    let group: AtlassianGroup | undefined;
    let created = false;
    const pending = link.creating;
    if (pending) {
      group = await run.read('findGroupByName', () => this.deps.port.findGroupByName(pending));
      created = group !== undefined;
    }
    if (!group) group = await run.read('findGroupByName', () => this.deps.port.findGroupByName(name));
    if (group && !created) {
      await run.note('link', 'ok', 'a group with this name exists', `linked to ${group.id}`);
    }
    if (!group) {
      await this.deps.links.write(this.deps.links.groupOperation(id, { created: false, creating: name }));
      try {
        group = await run.write('createGroup', 'group provisioned', () => this.deps.port.createGroup(name), [
          'conflict',
        ]);
        created = true;
      } catch (error) {
        // Created by someone else since we looked: link to it, not ours to delete.
        if (!(error instanceof AtlassianError && error.kind === 'conflict')) throw error;
        group = await run.read('findGroupByName', () => this.deps.port.findGroupByName(name));
        if (!group) throw new OperationFailed('createGroup', error);
      }
    }
    const next: GroupLink = { groupId: group.id, name: group.name, created };
    await this.deps.links.write(this.deps.links.groupOperation(id, next));
    return { group, link: next };
  }

  private async rename(
    id: string,
    group: AtlassianGroup,
    name: string,
    link: GroupLink,
    run: Run,
  ): Promise<GroupLink> {
    try {
      await run.apply(
        `renameGroup`,
        `renamed at the identity provider from "${group.name}"`,
        () => this.deps.port.renameGroup(group.id, name),
        ['unsupported'],
      );
      const next = { ...link, name };
      delete next.renameNeeded;
      return next;
    } catch (error) {
      if (!(error instanceof AtlassianError && error.kind === 'unsupported')) throw error;
      // Never delete and recreate: the group's permissions and product access would go.
      if (link.renameNeeded !== name) {
        await run.entry({
          operation: 'renameGroup',
          status: 'attention',
          why: `renamed at the identity provider from "${group.name}"`,
          result: `rename needed: rename "${group.name}" to "${name}" in Atlassian by hand`,
          errorKind: error.kind,
          error: error.message,
        });
      }
      return { ...link, name: group.name, renameNeeded: name };
    }
  }

  /**
   * Adds the directory's members that have accounts, then removes what the app added and the
   * directory no longer has, a storage page at a time. A group of 35,000 cannot be walked in
   * one run: past the deadline the walk returns where it stopped ("a:" adding, "r:" removing,
   * then the storage cursor) and the job continues from there.
   */
  private async reconcileMembers(
    id: string,
    desired: StoredResource,
    groupId: string,
    run: Run,
    context: ReconcileContext,
  ): Promise<string | undefined> {
    const resume = context.cursor;
    const past = () => Date.now() > (context.deadline ?? Number.POSITIVE_INFINITY);
    let cursor = resume ? resume.slice(2) || undefined : undefined;
    if (!resume?.startsWith('r:')) {
      do {
        const page = await this.deps.directory.memberships.ofGroup(desired, cursor);
        for (const { value } of page.results) {
          await this.addMember(id, value.user, groupId, run, context.force === true);
        }
        cursor = page.nextCursor;
        if (cursor && past()) return `a:${cursor}`;
      } while (cursor);
    }
    do {
      const page = await this.deps.links.members('group', id, cursor);
      for (const { value } of page.results) {
        if (await this.deps.directory.memberships.get(id, value.user)) continue;
        const user = await this.deps.links.user(value.user);
        await this.removeMembership(
          id,
          value.user,
          user?.accountId,
          value.doc,
          run,
          'member removed at the identity provider',
        );
      }
      cursor = page.nextCursor;
      if (cursor && past()) return `r:${cursor}`;
    } while (cursor);
    return undefined;
  }

  /**
   * A membership with a link is trusted to be there (one call per member and reconcile would
   * spend the batch on large groups), except when an admin forces "reconcile all": then each
   * is checked, and one removed in Atlassian by hand is added again (now the app's).
   */
  private async addMember(
    id: string,
    userId: string,
    groupId: string,
    run: Run,
    verify: boolean,
  ): Promise<void> {
    const user = await this.deps.links.user(userId);
    // Not invited yet (or blocked): the user's own reconcile marks this group once linked.
    if (!user?.accountId || user.applied === 'deleted') return;
    const accountId = user.accountId;
    const member = await this.deps.links.member(id, userId);
    if (member && !member.adding && !verify) return;
    if (!member?.adding) {
      if (await run.read('isMember', () => this.deps.port.isMember(groupId, accountId))) {
        if (!member)
          await this.deps.links.write(this.deps.links.memberOperation(id, userId, { created: false }));
        return;
      }
      await this.deps.links.write(
        this.deps.links.memberOperation(id, userId, { created: true, adding: true }),
      );
    }
    const why =
      member && !member.adding ? 'membership missing in Atlassian' : 'member added at the identity provider';
    await run.apply('addMember', `${why} (${accountId})`, () => this.deps.port.addMember(groupId, accountId));
    await this.deps.links.write(this.deps.links.memberOperation(id, userId, { created: true }));
  }

  /** Removes a membership the app added (others are only forgotten), then its link. */
  async removeMembership(
    groupId: string,
    userId: string,
    accountId: string | undefined,
    member: MemberLink,
    run: Run,
    why: string,
  ): Promise<void> {
    const group = await this.deps.links.group(groupId);
    if (member.created && accountId && group?.groupId && !group.protected) {
      const atlassianGroup = group.groupId;
      await run.apply('removeMember', `${why} (${accountId})`, () =>
        this.deps.port.removeMember(atlassianGroup, accountId).catch(ignoreNotFound),
      );
    }
    await this.deps.links.write(this.deps.links.deleteMemberOperation(groupId, userId));
  }

  private async groupGone(id: string, link: GroupLink | undefined, run: Run): Promise<void> {
    if (!link) return;
    let groupId = link.groupId;
    if (!groupId && link.creating) {
      const pending = link.creating;
      groupId = (await run.read('findGroupByName', () => this.deps.port.findGroupByName(pending)))?.id;
    }
    const created = link.created || (!link.groupId && groupId !== undefined);
    if (groupId && !link.protected && created) {
      const target = groupId;
      const group = await run.read('getGroup', () => this.deps.port.getGroup(target));
      if (group && group.deletable !== false && group.modifiable !== false) {
        await run.apply('deleteGroup', 'group deleted at the identity provider', () =>
          this.deps.port.deleteGroup(target).catch(ignoreNotFound),
        );
      } else if (group) {
        await run.note(
          'deleteGroup',
          'skipped',
          'group deleted at the identity provider',
          'Atlassian protects it',
        );
      }
      await this.forEachMemberLink('group', id, async (_g, _m, userId) => {
        await this.deps.links.write(this.deps.links.deleteMemberOperation(id, userId));
      });
    } else {
      if (groupId && !link.protected) {
        await run.note(
          'deleteGroup',
          'skipped',
          'group deleted at the identity provider',
          'kept: the app did not create it',
        );
      }
      await this.forEachMemberLink('group', id, async (_g, member, userId) => {
        const user = await this.deps.links.user(userId);
        await this.removeMembership(
          id,
          userId,
          user?.accountId,
          member,
          run,
          'group deleted at the identity provider',
        );
      });
    }
    await this.deps.links.write(this.deps.links.deleteOperation('group', id));
  }

  /** Every membership link of a group or user; `visit` may delete the link it is given. */
  async forEachMemberLink(
    by: 'group' | 'user',
    id: string,
    visit: (groupId: string, member: MemberLink, userId: string) => Promise<void>,
  ): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.deps.links.members(by, id, cursor);
      for (const { value } of page.results) await visit(value.group, value.doc, value.user);
      cursor = page.nextCursor;
    } while (cursor);
  }
}
