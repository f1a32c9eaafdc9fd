/**
 * The reconcile worker for groups: links a SCIM group to an Atlassian group (found by name or
 * created), renames it in place, and walks its members. Naming, creation and adoption follow
 * the policies (src/policies/policies.ts); so does what happens to a change made by hand in
 * Atlassian (`drift.action`: repair it, or report it and leave it).
 *
 * A full reconcile (context.force: "reconcile now" and the daily schedule) also checks what a
 * change-driven reconcile trusts its links for: every membership, and, in a group the app
 * created, the members Atlassian has that the identity provider does not.
 *
 * The privilege boundary (src/sync/privilege.ts) holds before every grant: an existing group
 * with admin power is never adopted for a SCIM group, and nobody is added to a linked group
 * that holds admin power (given an admin role since it was linked); both are `attention`.
 */
import { AtlassianError, AtlassianGroup, CreateGroupOptions, isKind } from '../atlassian/port';
import type { StoredResource } from '../directory/collection';
import type { Membership } from '../directory/memberships';
import type { QueryPage } from '../storage/port';
import { atlassianGroupName } from '../policies/group-names';
import { GroupLink, MemberLink } from './links';
import { resourceName } from './log';
import { FIXES, PrivilegeBoundary } from './privilege';
import type { ReconcilerDeps } from './reconciler';
import { ignoreNotFound, OperationFailed, ReconcileContext, AtlassianCalls } from './atlassian-calls';
import { MemberSlices, SLICE_WAIT_MS, sliceGroup } from './member-slices';
import { NotYet, WalkProgress } from './result';

/** The `reported` problem of a group refused for its admin power (see privilege.ts). */
const ADMIN_PROBLEM = 'admin:';

export class GroupReconciler {
  /** The privilege boundary, shared by both halves for this run (the user half asks it too). */
  readonly privilege: PrivilegeBoundary;
  private readonly slices: MemberSlices;

  constructor(private readonly deps: ReconcilerDeps) {
    this.privilege = new PrivilegeBoundary(deps.port, deps.groupRoles);
    this.slices = new MemberSlices(deps.directory, deps.links, deps.queue);
  }

  /**
   * Reconciles a group; answers where its member walk stopped if it ran out of time, and
   * keeps in `progress` where it got, for a run whose budget ends mid-walk.
   */
  async group(
    id: string,
    context: ReconcileContext,
    progress: WalkProgress = {},
  ): Promise<string | undefined> {
    const calls = new AtlassianCalls(this.deps.port, this.deps.log, context, {
      resource: id,
      resourceType: 'group',
    });
    const [desired, lastLink] = await Promise.all([
      this.deps.directory.groups.get(id),
      this.deps.links.group(id),
    ]);
    // A deleted group is named by its Atlassian name as the app last saw or applied it.
    calls.named(desired ? resourceName('group', desired.doc) : lastLink?.name);
    const stored = await this.afterSlices(id, lastLink, context);
    if (!desired) {
      await this.groupGone(id, stored, calls);
      return undefined;
    }
    let link: GroupLink = stored ?? { created: false };
    const naming = atlassianGroupName(String(desired.doc.displayName), this.deps.policies.groups);
    if (!naming.ok) {
      // Atlassian would refuse it: reported, not sent; the members wait for a name it takes.
      await this.report(id, link, calls, context, `name:${naming.reason}`, {
        operation: 'createGroup',
        why: 'group name policies',
        result: `not sent: ${naming.reason}. Fix: change the group's name at the identity provider, or the group-name map, rewrite or prefix`,
      });
      return undefined;
    }
    const name = naming.name;

    let group: AtlassianGroup | undefined;
    let regrown = false;
    if (link.groupId && trusted(link, name, context)) {
      group = { id: link.groupId, name };
    } else if (link.groupId) {
      const groupId = link.groupId;
      group = await calls.read('getGroup', () => this.deps.port.getGroup(groupId));
      if (!group) {
        if (this.reportsDrift) {
          await this.report(id, link, calls, context, `deleted:${groupId}`, {
            operation: 'getGroup',
            why: `drift: the linked group "${link.name ?? name}" was deleted in Atlassian by hand`,
            result:
              'reported, not repaired (drift policy: report). Fix: set the drift policy to repair and reconcile ' +
              'now to create it again, or delete the group at the identity provider',
          });
          return undefined;
        }
        // Deleted in Atlassian by someone else: provision it again as if new.
        await calls.note(
          'getGroup',
          'attention',
          'linked group is gone in Atlassian',
          'provisioning it again',
        );
        link = { created: false };
        // Its member links name memberships that went with it: each is checked, not trusted.
        regrown = true;
      }
    }
    if (!group) {
      const linked = await this.linkGroup(id, name, link, calls, context);
      if (!linked) return undefined;
      ({ group, link } = linked);
    }
    if (group.modifiable === false) {
      if (!link.protected) {
        await calls.note('update', 'skipped', 'group is protected in Atlassian', `left alone: ${group.name}`);
      }
      await this.deps.links.write(this.deps.links.groupOperation(id, { ...link, protected: true }));
      return undefined;
    }
    if (group.name !== name) {
      // The name the app applied last is still wanted, yet Atlassian has another: a hand edit.
      const byHand = link.name === name;
      if (byHand && this.reportsDrift) {
        link = await this.report(id, link, calls, context, `renamed:${group.name}`, {
          operation: 'renameGroup',
          why: `drift: renamed by hand in Atlassian from "${name}" to "${group.name}"`,
          result: `reported, not repaired (drift policy: report). Fix: rename it back to "${name}" in Atlassian, or set the drift policy to repair`,
        });
      } else {
        link = await this.rename(id, group, name, link, calls, byHand);
      }
    } else if (link.reported && !link.reported.startsWith(ADMIN_PROBLEM)) {
      // Whatever was reported is resolved (admin power is settled by the first add below).
      link = { ...link };
      delete link.reported;
    }
    await this.deps.links.write(this.deps.links.groupOperation(id, link));
    const mayAdd = this.grantCheck(id, link, group, calls, context);
    const walk = { verify: context.force === true || regrown, created: link.created };
    return this.reconcileMembers(id, desired, link, group.id, walk, calls, context, progress, mayAdd);
  }

  /**
   * The group's link once the member slices its last walk handed out are done (see
   * member-slices.ts): while one is queued the group is theirs, and this job comes back later.
   */
  private async afterSlices(
    id: string,
    link: GroupLink | undefined,
    context: ReconcileContext,
  ): Promise<GroupLink | undefined> {
    if (!link?.sliced || context.dryRun) return link;
    if (await this.slices.outstanding(id, link.sliced)) {
      throw new NotYet(SLICE_WAIT_MS, 'its member slices are still queued');
    }
    const next = { ...link };
    delete next.sliced;
    await this.deps.links.write(this.deps.links.groupOperation(id, next));
    return next;
  }

  /**
   * A slice of a large group's member adds (`members` job `<group id>:<k>`, member-slices.ts):
   * the memberships after `context.resumeAfter` up to `until`, added as the group's walk adds
   * them. Nothing to do once the group is gone or no longer linked (its own job, which waited
   * for this slice, handles that). Answers the slot to continue after when out of time.
   */
  async slice(
    sliceJobId: string,
    until: string,
    context: ReconcileContext,
    progress: WalkProgress = {},
  ): Promise<string | undefined> {
    const id = sliceGroup(sliceJobId);
    const calls = new AtlassianCalls(this.deps.port, this.deps.log, context, {
      resource: id,
      resourceType: 'group',
    });
    const [desired, link] = await Promise.all([
      this.deps.directory.groups.get(id),
      this.deps.links.group(id),
    ]);
    if (!desired || !link?.groupId || !link.sliced || link.protected) return undefined;
    calls.named(resourceName('group', desired.doc));
    const group: AtlassianGroup = { id: link.groupId, name: link.name ?? String(desired.doc.displayName) };
    const start = context.resumeAfter;
    const stopped = await this.addPaged(
      id,
      group.id,
      (cursor) => this.deps.directory.memberships.ofGroupBetween(desired, start, until, cursor),
      start,
      { verify: context.force === true, created: link.created },
      calls,
      context,
      this.grantCheck(id, link, group, calls, context),
      (slot) => (progress.reached = slot),
    );
    if (stopped !== undefined) return stopped;
    if (!context.dryRun) await this.slices.sliceDone(id, sliceJobId, link.sliced);
    return undefined;
  }

  /**
   * The privilege check of one walk (or slice) of the group: asked once, and only when a member
   * is about to be added, so a group whose members are all in place costs no role read.
   */
  private grantCheck(
    id: string,
    link: GroupLink,
    group: AtlassianGroup,
    calls: AtlassianCalls,
    context: ReconcileContext,
  ): () => Promise<boolean> {
    let verdict: Promise<boolean> | undefined;
    return () => (verdict ??= this.mayGrant(id, link, group, calls, context));
  }

  /**
   * Whether members may be added to the linked group: not when it holds admin power (an admin
   * gave it an admin role after it was linked, or it was adopted before the boundary existed).
   * The removal pass still runs: taking out members the identity provider removed only lowers
   * power.
   */
  private async mayGrant(
    id: string,
    link: GroupLink,
    group: AtlassianGroup,
    calls: AtlassianCalls,
    context: ReconcileContext,
  ): Promise<boolean> {
    const power = await this.privilege.adminPower(group, calls);
    if (!power) {
      if (link.reported?.startsWith(ADMIN_PROBLEM)) {
        const next = { ...link };
        delete next.reported;
        await this.deps.links.write(this.deps.links.groupOperation(id, next));
      }
      return true;
    }
    await this.report(id, link, calls, context, `${ADMIN_PROBLEM}${group.id}`, {
      operation: 'addMember',
      why: `${power}: adding members would give them admin power`,
      result: `members not added (the app never grants admin power). Fix: ${FIXES.linkedGroup}`,
    });
    return false;
  }

  private get reportsDrift(): boolean {
    return this.deps.policies.drift.action === 'report';
  }

  /**
   * Logs a problem as `attention` the first time it is seen (and on every full reconcile, so
   * the daily check keeps it visible), remembering it on the group's link.
   */
  private async report(
    id: string,
    link: GroupLink,
    calls: AtlassianCalls,
    context: ReconcileContext,
    problem: string,
    entry: { operation: string; why: string; result: string },
  ): Promise<GroupLink> {
    if (link.reported !== problem || context.force) {
      await calls.note(entry.operation, 'attention', entry.why, entry.result);
    }
    const next = { ...link, reported: problem };
    if (link.reported !== problem) await this.deps.links.write(this.deps.links.groupOperation(id, next));
    return next;
  }

  /**
   * Finds the group by name, or creates it (recording an intent first, see links.ts), as the
   * policies allow: undefined when the group is reported instead (a name that exists and is
   * not to be adopted, or a group not to be created).
   */
  private async linkGroup(
    id: string,
    name: string,
    link: GroupLink,
    calls: AtlassianCalls,
    context: ReconcileContext,
  ): Promise<{ group: AtlassianGroup; link: GroupLink } | undefined> {
    const { onExistingName, createUnknown } = this.deps.policies.groups;
    let group: AtlassianGroup | undefined;
    let created = false;
    const pending = link.creating;
    if (pending) {
      group = await calls.read('findGroupByName', () => this.deps.port.findGroupByName(pending));
      created = group !== undefined;
    }
    if (!group && createUnknown && !link.reported) {
      // Nothing says the name is taken: create first. Names are unique in a directory (a taken
      // one answers 409, then looked up and adopted or reported below), so a new group costs
      // one look-up, the read-back of its id, not a second one before the create. After an
      // intent for this very name (a crash mid-create), a 409 is the app's own group.
      group = await this.create(id, name, calls, { takenIsConflict: pending !== name });
      created = group !== undefined;
      // Taken by someone else: the intent goes, or a later reconcile would take it for ours.
      if (!group) await this.deps.links.write(this.deps.links.groupOperation(id, withoutIntent(link)));
    }
    if (!group) group = await calls.read('findGroupByName', () => this.deps.port.findGroupByName(name));
    if (group && !created) {
      // Never adopted when it holds admin power: the SCIM group stays, unlinked, and its
      // members wait for a name that maps to a group without admin roles. A group Atlassian
      // protects (site-admins...) is linked as before only to be left alone: no member is
      // ever added to it (see group()).
      const power = group.modifiable === false ? undefined : await this.privilege.adminPower(group, calls);
      if (power) {
        await this.report(id, link, calls, context, `${ADMIN_PROBLEM}${group.id}`, {
          operation: 'link',
          why: `${power}: linking it would give the SCIM group's members admin power`,
          result: `not linked, no member added (the app never adopts a group with admin power). Fix: ${FIXES.scimGroup}`,
        });
        return undefined;
      }
      // Reported missing earlier (createUnknown off): it was created for the app, so linked.
      const awaited = link.reported === `missing:${name}`;
      if (onExistingName === 'report' && !awaited) {
        await this.report(id, link, calls, context, `conflict:${name}`, {
          operation: 'link',
          why: `a group named "${name}" exists in Atlassian and the app did not create it`,
          result:
            'left alone (policy: report existing names). Fix: rename one of them, map this group to another ' +
            'name, or set the policy to adopt existing groups',
        });
        return undefined;
      }
      await calls.note('link', 'ok', 'a group with this name exists', `linked to ${group.id}`);
    }
    if (!group) {
      if (!createUnknown) {
        await this.report(id, link, calls, context, `missing:${name}`, {
          operation: 'createGroup',
          why: `no group named "${name}" in Atlassian`,
          result:
            `not created (policy: do not create unknown groups); its members wait. Fix: create "${name}" in ` +
            'Atlassian (it is linked on the next reconcile), or let the app create unknown groups',
        });
        return undefined;
      }
      // Searched by name just now (above): one look-up per new group.
      group = await this.create(id, name, calls, { lookedUp: true });
      created = group !== undefined;
      if (!group) {
        // Created by someone else since we looked: link to it, not ours to delete.
        group = await calls.read('findGroupByName', () => this.deps.port.findGroupByName(name));
        if (!group) {
          throw new OperationFailed(
            'createGroup',
            new AtlassianError('conflict', `Group ${name} was refused as taken, yet cannot be found.`),
          );
        }
      }
    }
    const next: GroupLink = { groupId: group.id, name: group.name, created };
    await this.deps.links.write(this.deps.links.groupOperation(id, next));
    return { group, link: next };
  }

  /**
   * Creates the group, with the intent recorded first (links.ts): a crash after the call
   * still knows the app made it. Undefined when Atlassian answers the name is taken.
   */
  private async create(
    id: string,
    name: string,
    calls: AtlassianCalls,
    options: CreateGroupOptions,
  ): Promise<AtlassianGroup | undefined> {
    await this.deps.links.write(this.deps.links.groupOperation(id, { created: false, creating: name }));
    try {
      return await calls.write(
        'createGroup',
        'group provisioned',
        () => this.deps.port.createGroup(name, undefined, options),
        ['conflict'],
      );
    } catch (error) {
      if (error instanceof AtlassianError && error.kind === 'conflict') return undefined;
      throw error;
    }
  }

  private async rename(
    id: string,
    group: AtlassianGroup,
    name: string,
    link: GroupLink,
    calls: AtlassianCalls,
    byHand: boolean,
  ): Promise<GroupLink> {
    const why = byHand
      ? `drift: renamed by hand in Atlassian to "${group.name}"; renamed back`
      : `renamed at the identity provider or by the group-name policies, from "${group.name}"`;
    try {
      await calls.apply(`renameGroup`, why, () => this.deps.port.renameGroup(group.id, name), [
        'unsupported',
      ]);
      const next = { ...link, name };
      delete next.renameNeeded;
      delete next.reported;
      return next;
    } catch (error) {
      if (!(error instanceof AtlassianError && error.kind === 'unsupported')) throw error;
      // Never delete and recreate: the group's permissions and product access would go.
      if (link.renameNeeded !== name) {
        await calls.entry({
          operation: 'renameGroup',
          status: 'attention',
          why,
          result: `rename needed: rename "${group.name}" to "${name}" in Atlassian by hand`,
          errorKind: error.kind,
          error: error.message,
        });
      }
      // byHand: the applied name stays, so the difference is still seen as a hand edit.
      return { ...link, name: byHand ? link.name : group.name, renameNeeded: name };
    }
  }

  /**
   * Adds the directory's members that have accounts, then removes what the app added and the
   * directory no longer has, a storage page at a time; in a full reconcile of a group the app
   * created, then removes the members Atlassian has and the directory does not (added by
   * hand), a page of Atlassian's members at a time. A group of 35,000 cannot be walked in one
   * run: past the deadline the walk returns where it stopped (see ResumePoint) and the job
   * continues from there in a later invocation. Where it got is also kept in
   * `progress.reached`, after each member, so a run whose budget ends mid-walk continues from
   * there rather than from the start (src/sync/result.ts, settle).
   *
   * The resume point is a key, never a storage query cursor: Forge's `entities-api-query`
   * page says not to persist cursors ("they may not always be stable"), and a cursor may be
   * refused by an invocation other than the one that got it. Cursors only page a query
   * within this invocation's loop.
   */
  private async reconcileMembers(
    id: string,
    desired: StoredResource,
    link: GroupLink,
    groupId: string,
    /** Check every membership (a full reconcile, a group provisioned again); the app created it. */
    { verify, created }: { verify: boolean; created: boolean },
    calls: AtlassianCalls,
    context: ReconcileContext,
    progress: WalkProgress,
    mayAdd: () => Promise<boolean>,
  ): Promise<string | undefined> {
    const resume = parseResumePoint(context.resumeAfter);
    const past = () => pastDeadline(context);
    // Many members to add: handed out in slices that run in other partitions (member-slices.ts).
    const slices =
      resume.phase === 'add' && resume.after === undefined && !context.dryRun
        ? await this.slices.plan(desired)
        : undefined;
    if (slices) {
      await this.slices.queueSlices(id, link, slices, verify);
      progress.reached = REMOVE;
    } else if (resume.phase === 'add') {
      const start = resume.after;
      const stopped = await this.addPaged(
        id,
        groupId,
        (cursor) => this.deps.directory.memberships.ofGroupAfter(desired, start, cursor),
        start,
        { verify, created },
        calls,
        context,
        mayAdd,
        (slot) => (progress.reached = `${ADD}${slot}`),
      );
      if (stopped !== undefined) return `${ADD}${stopped}`;
      progress.reached = REMOVE;
    }
    if (resume.phase !== 'extra') {
      const stopped = await this.removeGone(
        id,
        resume.phase === 'remove' ? resume.after : undefined,
        calls,
        progress,
        past,
      );
      if (stopped) return stopped;
    }
    // Memberships the app did not create in a group it did not create are not its business.
    if (!verify || !created) return undefined;
    progress.reached = EXTRA;
    // Atlassian's own paging cursor (the org API's `links.next`), not a Forge storage cursor:
    // Forge's advice on storage cursors does not apply, so it is kept as it is.
    let cursor = resume.phase === 'extra' ? resume.after : undefined;
    do {
      const from = cursor;
      const page = await calls.read('listMembers', () => this.deps.port.listMembers(groupId, from));
      for (const accountId of page.accountIds) await this.extraMember(id, groupId, accountId, calls);
      cursor = page.cursor;
      progress.reached = `${EXTRA}${cursor ?? ''}`;
      if (cursor && past()) return `${EXTRA}${cursor}`;
    } while (cursor);
    return undefined;
  }

  /**
   * Adds the members a membership query pages through, in slot order: the add pass of the
   * group's walk, or one slice of it. By slot (`<group seq>:<user id>`): unique per
   * membership, so "after the last slot done" neither skips nor repeats a member. `reached`
   * is told each slot done; past the deadline, once this run got further than `start`, it
   * stops at a page boundary and answers the last slot done (else undefined: all added).
   */
  private async addPaged(
    id: string,
    groupId: string,
    read: (cursor?: string) => Promise<QueryPage<Membership>>,
    start: string | undefined,
    walk: { verify: boolean; created: boolean },
    calls: AtlassianCalls,
    context: ReconcileContext,
    mayAdd: () => Promise<boolean>,
    reached: (slot: string) => void,
  ): Promise<string | undefined> {
    let after = start;
    let cursor: string | undefined;
    do {
      const page = await read(cursor);
      for (const { value } of page.results) {
        await this.addMember(id, value.user, groupId, calls, walk, mayAdd);
        after = value.slot;
        reached(after);
      }
      cursor = page.nextCursor;
      // Only once this run got further than the last: else it would stop where it began.
      if (cursor && after !== start && pastDeadline(context)) return after;
    } while (cursor);
    return undefined;
  }

  /**
   * The removal pass: each membership link of the group whose membership is gone from the
   * directory is removed. Answers where it stopped when past the deadline, else undefined.
   *
   * The links are read through the `by-group` index, whose range value (the group id) is the
   * same for every link of the group: a range query cannot resume "after" one of them. So the
   * walk resumes after the last link *key* done, re-reading the group's links from the start
   * and skipping (without any other read) the keys up to it. That relies on the store giving
   * equal range values in key order, which the local store does; should a page ever come in
   * another order, skipping by key could miss a link, so the pass then checks every link
   * again from the start (each check is idempotent: a removed link is gone, a kept one stays).
   * Skipping costs one query per 100 links done and no other read; a range value unique per
   * link would spare even that, but needs a new sync-link index (a manifest change).
   */
  private async removeGone(
    id: string,
    resumeAfter: string | undefined,
    calls: AtlassianCalls,
    progress: WalkProgress,
    past: () => boolean,
  ): Promise<string | undefined> {
    // `skip`: the keys done by an earlier invocation; `after`: the last key done so far.
    let skip = resumeAfter;
    let after = resumeAfter;
    let cursor: string | undefined;
    let last: string | undefined;
    for (;;) {
      const page = await this.deps.links.members('group', id, cursor);
      if (skip !== undefined && !ascending(last, page.results)) {
        skip = undefined;
        cursor = undefined;
        last = undefined;
        continue;
      }
      for (const { key, value } of page.results) {
        last = key;
        if (skip !== undefined && key <= skip) continue;
        if (!(await this.deps.directory.memberships.get(id, value.user))) {
          const user = await this.deps.links.user(value.user);
          await this.removeMembership(
            id,
            value.user,
            user?.accountId,
            value.doc,
            calls,
            'member removed at the identity provider',
          );
        }
        after = key;
        progress.reached = `${REMOVE}${key}`;
      }
      cursor = page.nextCursor;
      if (!cursor) return undefined;
      // Not while still skipping what an earlier run did: each run must get further.
      if (after !== resumeAfter && past()) return `${REMOVE}${after ?? ''}`;
    }
  }

  /**
   * A member Atlassian has in a group the app created: one the identity provider does not
   * have there was added by hand (drift), and is removed or reported. Admins and protected
   * accounts are never touched.
   */
  private async extraMember(
    id: string,
    groupId: string,
    accountId: string,
    calls: AtlassianCalls,
  ): Promise<void> {
    const userId = await this.deps.links.accountUser(accountId);
    const user = userId ? await this.deps.links.user(userId) : undefined;
    if (userId && user?.accountId === accountId) {
      if (await this.deps.links.member(id, userId)) return;
      // Wanted but not linked yet (the user's link is newer than this walk's add pass).
      if (await this.deps.directory.memberships.get(id, userId)) return;
      // The app put it there itself: a new user's default group or product access.
      if (user.welcome?.groups.includes(groupId)) return;
    }
    const protectedAccounts = this.deps.policies.protectedAccounts;
    if (protectedAccounts.accountIds.includes(accountId)) return;
    if (protectedAccounts.emails.length > 0) {
      // Protected by e-mail: one account read, only when such a list exists.
      const account = await calls.read('getAccount', () => this.deps.port.getAccount(accountId));
      const email = account?.email.toLowerCase();
      if (email && protectedAccounts.emails.some((e) => e.toLowerCase() === email)) return;
    }
    if (await calls.read('isAdmin', () => this.deps.port.isAdmin(accountId))) return;
    const why = `drift: member added by hand in Atlassian to a group the app created (${accountId})`;
    if (this.reportsDrift) {
      await calls.note(
        'removeMember',
        'attention',
        why,
        'reported, not repaired (drift policy: report). Fix: add the user to the group at the identity provider, remove it in Atlassian, or set the drift policy to repair',
      );
      return;
    }
    await calls.apply('removeMember', why, () =>
      this.deps.port.removeMember(groupId, accountId).catch(ignoreNotFound),
    );
  }

  /**
   * A membership with a link is trusted to be there (one call per member and reconcile would
   * spend the batch on large groups), except in a full reconcile: then each is checked, and
   * one removed in Atlassian by hand is added again (now the app's), or reported.
   *
   * A new membership of a group the app created is added without asking `isMember` first:
   * the read could only tell "already there", and an add of a member already there answers
   * as a new one does (Organizations REST API, Groups: add user to group: 204, or 409, which the adapter takes as success),
   * so its answer already says the member is there. The read stays where its answer decides
   * something: in a group the app found (a member already there is not the app's to remove
   * later) and in a full reconcile (drift).
   */
  private async addMember(
    id: string,
    userId: string,
    groupId: string,
    calls: AtlassianCalls,
    group: { verify: boolean; created: boolean },
    mayAdd: () => Promise<boolean>,
  ): Promise<void> {
    const { verify } = group;
    const user = await this.deps.links.user(userId);
    // Not invited yet (or blocked): the user's own reconcile marks this group once linked.
    if (!user?.accountId || user.applied === 'deleted') {
      // Invited but not in the directory: an invite naming this group places it (user-reconciler.ts).
      if (user?.unplaced && user.applied !== 'deleted') await this.deps.queue.mark('user', [userId]);
      return;
    }
    // Taken out on deactivation (remove product access): the user half gives it back.
    if (user.removedAccess?.includes(groupId)) return;
    const accountId = user.accountId;
    const member = await this.deps.links.member(id, userId);
    if (member && !member.adding && !verify) return;
    const mustAsk = verify || !group.created;
    if (!member?.adding && mustAsk) {
      if (await calls.read('isMember', () => this.deps.port.isMember(groupId, accountId))) {
        if (!member)
          await this.deps.links.write(this.deps.links.memberOperation(id, userId, { created: false }));
        return;
      }
      if (member && this.reportsDrift) {
        await calls.note(
          'addMember',
          'attention',
          `drift: membership removed by hand in Atlassian (${accountId})`,
          'reported, not repaired (drift policy: report). Fix: add it again in Atlassian, remove the user from the group at the identity provider, or set the drift policy to repair',
        );
        return;
      }
    }
    // The privilege boundary, right before the write: never a member of an admin group.
    if (!(await mayAdd())) return;
    if (!member?.adding) {
      await this.deps.links.write(
        this.deps.links.memberOperation(id, userId, { created: true, adding: true }),
      );
    }
    const why =
      member && !member.adding ? 'membership missing in Atlassian' : 'member added at the identity provider';
    await calls.apply('addMember', `${why} (${accountId})`, () =>
      this.deps.port.addMember(groupId, accountId),
    );
    await this.deps.links.write(this.deps.links.memberOperation(id, userId, { created: true }));
  }

  /** Removes a membership the app added (others are only forgotten), then its link. */
  async removeMembership(
    groupId: string,
    userId: string,
    accountId: string | undefined,
    member: MemberLink,
    calls: AtlassianCalls,
    why: string,
  ): Promise<void> {
    const group = await this.deps.links.group(groupId);
    if (member.created && accountId && group?.groupId && !group.protected) {
      const atlassianGroup = group.groupId;
      await calls.apply('removeMember', `${why} (${accountId})`, () =>
        this.deps.port.removeMember(atlassianGroup, accountId).catch(ignoreNotFound),
      );
    }
    await this.deps.links.write(this.deps.links.deleteMemberOperation(groupId, userId));
  }

  private async groupGone(id: string, link: GroupLink | undefined, calls: AtlassianCalls): Promise<void> {
    if (!link) return;
    let groupId = link.groupId;
    if (!groupId && link.creating) {
      const pending = link.creating;
      groupId = (await calls.read('findGroupByName', () => this.deps.port.findGroupByName(pending)))?.id;
    }
    const created = link.created || (!link.groupId && groupId !== undefined);
    if (groupId && !link.protected && created) {
      const target = groupId;
      const group = await calls.read('getGroup', () => this.deps.port.getGroup(target));
      if (group && group.deletable !== false && group.modifiable !== false) {
        await this.deleteCreatedGroup(id, target, calls);
      } else if (group) {
        await calls.note(
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
        await calls.note(
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
          calls,
          'group deleted at the identity provider',
        );
      });
    }
    await this.deps.links.write(this.deps.links.deleteOperation('group', id));
  }

  /**
   * Deletes a group the app created. The Organizations API deletes only empty groups (409
   * `ADMIN-409-5` "Group not empty"; any 409 is taken as that): the app then takes out the
   * members it added itself and deletes again, or, when members it did not add remain (added
   * by hand in Atlassian), keeps the group and says so with the fix. An empty group costs one
   * write, as before.
   */
  private async deleteCreatedGroup(id: string, groupId: string, calls: AtlassianCalls): Promise<void> {
    const why = 'group deleted at the identity provider';
    const remove = () => this.deps.port.deleteGroup(groupId).catch(ignoreNotFound);
    try {
      await calls.apply('deleteGroup', why, remove, ['conflict']);
      return;
    } catch (error) {
      if (!isKind(error, 'conflict')) throw error;
    }
    await this.forEachMemberLink('group', id, async (_g, member, userId) => {
      const accountId = member.created ? (await this.deps.links.user(userId))?.accountId : undefined;
      if (!accountId) return;
      await calls.apply('removeMember', `${why} (${accountId})`, () =>
        this.deps.port.removeMember(groupId, accountId).catch(ignoreNotFound),
      );
    });
    const left = await calls.read('listMembers', () => this.deps.port.listMembers(groupId));
    if (left.accountIds.length === 0 && !left.cursor) {
      await calls.apply('deleteGroup', why, remove);
      return;
    }
    const shown = left.accountIds.slice(0, 5).join(', ');
    const more = left.cursor || left.accountIds.length > 5 ? ' and more' : '';
    await calls.note(
      'deleteGroup',
      'attention',
      why,
      `kept: Atlassian deletes only empty groups (ADMIN-409-5 Group not empty), and members the app did not add remain (${shown}${more}). ` +
        'Fix: remove them from the group in Atlassian administration (Directory > Groups) and delete the group there, or keep it',
    );
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

/**
 * Where a group's member walk continues in a later invocation (the sync job keeps it): a
 * phase and the key of the last item it finished there, never a storage query cursor (see
 * reconcileMembers).
 *
 * - `a>` + slot: adding, after the membership with that `by-slot` value (`a>`: from the start);
 * - `r>` + link key: removing, after the membership link with that key (`r>`: from the start);
 * - `x:` + Atlassian's paging cursor: the members Atlassian has that the directory does not.
 *
 * Anything else, such as a resume string an older version wrote with a storage cursor in it
 * (`a:<cursor>`, `A:<n>:<cursor>`, `r:<cursor>`), starts the walk over: every step of it is
 * idempotent, so walking again costs time, never correctness.
 */
const ADD = 'a>';
const REMOVE = 'r>';
const EXTRA = 'x:';

type ResumePoint = { phase: 'add' | 'remove' | 'extra'; after?: string };

function parseResumePoint(resume: string | undefined): ResumePoint {
  for (const [prefix, phase] of [
    [ADD, 'add'],
    [REMOVE, 'remove'],
    [EXTRA, 'extra'],
  ] as const) {
    if (resume?.startsWith(prefix)) return { phase, after: resume.slice(prefix.length) || undefined };
  }
  return { phase: 'add' };
}

/** Whether the page's keys continue `last` in ascending order (see removeGone). */
function ascending(last: string | undefined, results: { key: string }[]): boolean {
  let previous = last;
  for (const { key } of results) {
    if (previous !== undefined && key <= previous) return false;
    previous = key;
  }
  return true;
}

/** The link without a creation intent (the name turned out to be someone else's group). */
function withoutIntent(link: GroupLink): GroupLink {
  const next = { ...link };
  delete next.creating;
  return next;
}

/**
 * Whether a change-driven reconcile may take the linked group as the link says it is,
 * without reading it (`getGroup`): the first attempt of a reconcile nobody forced, of a group
 * linked under the name wanted, with nothing reported or pending on it. Its member writes
 * then say whether it still exists: an add to a group deleted in Atlassian answers 404, the
 * attempt fails, and the retry (attempt 2) reads the group and provisions it again. A rename
 * by hand in Atlassian is drift, found by the full reconcile (forced: it reads every group).
 */
function trusted(link: GroupLink, name: string, context: ReconcileContext): boolean {
  if (context.force || context.attempt !== 1) return false;
  return link.name === name && !link.protected && !link.reported && !link.renameNeeded && !link.creating;
}

/** The run's deadline has passed: a walk stops at its next page boundary. */
function pastDeadline(context: ReconcileContext): boolean {
  return Date.now() > (context.deadline ?? Number.POSITIVE_INFINITY);
}
