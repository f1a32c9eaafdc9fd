/**
 * The reconcile worker: for one SCIM resource, reads the desired state (the directory) and
 * the actual state (Atlassian, through the port), and makes only the calls that close the
 * difference. Every step is idempotent and re-reads what it needs, so running a resource
 * twice, out of order, or after a crash at any point converges on the same organization.
 *
 * Defaults (policies to become configurable): an account with the user's e-mail is linked,
 * not invited again; active=false suspends and active=true restores; a deleted user is
 * suspended and loses the memberships the app added; accounts are never deleted; a group is
 * deleted only if the app created it; memberships the app did not add are left alone;
 * renames go through renameGroup (never delete-and-recreate); protected groups are never
 * touched.
 */
import {
  AtlassianAccount,
  AtlassianError,
  AtlassianErrorKind,
  AtlassianGroup,
  AtlassianPort,
} from '../atlassian/port';
import type { StoredResource } from '../directory/collection';
import type { Directory } from '../directory/directory';
import { ScimObject } from '../scim/schema/normalize';
import { GroupLink, Links, MemberLink, UserLink } from './links';
import { LogEntryInput, SyncLog } from './log';
import type { SyncQueue } from './queue';

/** Port calls one run may make: Forge allows 100 egress requests per invocation-minute. */
export class Budget {
  constructor(private remaining: number) {}

  take(): void {
    if (this.remaining <= 0) throw new BudgetExhausted();
    this.remaining--;
  }

  get left(): number {
    return this.remaining;
  }
}

/** The run's budget of Atlassian calls is spent: the job stays, unharmed, for the next run. */
export class BudgetExhausted extends Error {
  constructor() {
    super('The batch’s budget of Atlassian calls is spent.');
    this.name = 'BudgetExhausted';
  }
}

/** An Atlassian call failed and was logged; the job's runner decides when to retry. */
export class OperationFailed extends Error {
  constructor(
    readonly operation: string,
    override readonly cause: AtlassianError,
  ) {
    super(`${operation}: ${cause.message}`);
    this.name = 'OperationFailed';
  }
}

export interface ReconcileContext {
  budget: Budget;
  /** The attempt this run is (1 for the first), as recorded in the log. */
  attempt: number;
  /** Retry a user even if it is blocked at this version (an admin asked). */
  force?: boolean;
  /** Epoch ms: a group's member walk stops at a page boundary after it. */
  deadline?: number;
  /** Where an earlier run's member walk stopped. */
  cursor?: string;
}

type Target = { resource: string; resourceType: 'user' | 'group' };

export class Reconciler {
  constructor(
    private readonly directory: Directory,
    private readonly port: AtlassianPort,
    private readonly links: Links,
    private readonly log: SyncLog,
    private readonly queue: SyncQueue,
    private readonly now: () => number,
  ) {}

  // ---- users ---------------------------------------------------------------------------

  async user(id: string, context: ReconcileContext): Promise<void> {
    const run = new Run(this.port, this.log, context, { resource: id, resourceType: 'user' });
    const [desired, link] = await Promise.all([this.directory.users.get(id), this.links.user(id)]);
    if (!desired) return this.userGone(id, link, run);

    const email = primaryEmail(desired.doc);
    if (!email) {
      await this.block(id, link, desired, run, 'invalid', 'The user has no e-mail address to invite.');
      return;
    }
    if (link?.blocked && link.blocked.version === desired.version && !context.force) {
      // Blocked at this version (402, no e-mail): only a change or an admin's retry helps.
      return;
    }
    const wantActive = desired.doc.active !== false;
    let account: AtlassianAccount | undefined;
    if (link?.accountId) account = await run.read('getAccount', () => this.port.getAccount(link.accountId!));
    account ??= await run.read('findAccountByEmail', () => this.port.findAccountByEmail(email));

    const next: UserLink = { ...link, email };
    delete next.blocked;
    if (!account || account.status === 'not_invited') {
      if (!wantActive) {
        // Never invite someone the identity provider says is inactive.
        await this.links.write(this.links.userOperation(id, { ...next, applied: 'suspended' }));
        if (link?.applied !== 'suspended') {
          await run.note('invite', 'skipped', 'user is inactive', 'not invited while inactive');
        }
        return;
      }
      try {
        account = await run.write(
          'invite',
          link?.applied === 'deleted' ? 'user created again' : 'user provisioned',
          () => this.port.invite(email, { name: displayName(desired.doc) }),
          ['payment-required'],
        );
      } catch (error) {
        if (error instanceof AtlassianError && error.kind === 'payment-required') {
          await this.block(id, link, desired, run, error.kind, error.message, 'invite');
          return;
        }
        throw error;
      }
      next.invited = true;
    }
    const newlyLinked = next.accountId !== account.accountId || link?.applied === 'deleted';
    next.accountId = account.accountId;
    if (newlyLinked && !next.invited) {
      await run.note('link', 'ok', 'an account with this e-mail exists', `linked to ${account.accountId}`);
    }
    const inactive = account.status === 'suspended' || account.status === 'deactivated';
    if (wantActive && inactive) {
      await run.write('restore', 'user active at the identity provider', () =>
        this.port.restore(account.accountId),
      );
    } else if (!wantActive && account.status === 'active') {
      await run.write('suspend', 'user deactivated at the identity provider', () =>
        this.port.suspend(account.accountId),
      );
    }
    next.applied = wantActive ? 'active' : 'suspended';
    await this.links.write(this.links.userOperation(id, next));
    if (newlyLinked) await this.markGroupsOf(id);
  }

  /** A deleted SCIM user loses access: suspended, and out of the groups the app put it in. */
  private async userGone(id: string, link: UserLink | undefined, run: Run): Promise<void> {
    if (!link?.accountId) {
      if (link) await this.links.write(this.links.deleteOperation('user', id));
      return;
    }
    const accountId = link.accountId;
    await this.forEachMemberLink('user', id, async (groupId, member) => {
      await this.removeMembership(
        groupId,
        id,
        accountId,
        member,
        run,
        'user deleted at the identity provider',
      );
    });
    if (link.applied !== 'deleted') {
      const account = await run.read('getAccount', () => this.port.getAccount(accountId));
      if (account?.status === 'active') {
        await run.write('suspend', 'user deleted at the identity provider', () =>
          this.port.suspend(accountId),
        );
      }
      await this.links.write(this.links.userOperation(id, { ...link, applied: 'deleted' }));
    }
  }

  private async block(
    id: string,
    link: UserLink | undefined,
    desired: StoredResource,
    run: Run,
    kind: string,
    reason: string,
    operation = 'provision',
  ): Promise<void> {
    const already = link?.blocked?.version === desired.version && link.blocked.kind === kind;
    const blocked = { reason, kind, version: desired.version, at: this.now() };
    await this.links.write(this.links.userOperation(id, { ...link, blocked }));
    if (!already) {
      await run.entry({
        operation,
        status: 'blocked',
        why: 'user provisioned',
        result:
          kind === 'payment-required'
            ? 'blocked: inviting users needs a paid Atlassian subscription; retried when the user changes or an admin asks'
            : `blocked: ${reason}`,
        errorKind: kind,
        error: reason,
      });
    }
  }

  /** A user just got its account: the groups it is in can now add it. */
  private async markGroupsOf(userId: string): Promise<void> {
    const groups: string[] = [];
    for await (const membership of this.directory.memberships.allOfUser(userId))
      groups.push(membership.group);
    if (groups.length > 0) await this.queue.mark('group', groups);
  }

  // ---- groups --------------------------------------------------------------------------

  /** Reconciles a group; answers where its member walk stopped if it ran out of time. */
  async group(id: string, context: ReconcileContext): Promise<string | undefined> {
    const run = new Run(this.port, this.log, context, { resource: id, resourceType: 'group' });
    const [desired, stored] = await Promise.all([this.directory.groups.get(id), this.links.group(id)]);
    if (!desired) {
      await this.groupGone(id, stored, run);
      return undefined;
    }
    const name = String(desired.doc.displayName);
    let link: GroupLink = stored ?? { created: false };

    let group: AtlassianGroup | undefined;
    if (link.groupId) {
      const groupId = link.groupId;
      group = await run.read('getGroup', () => this.port.getGroup(groupId));
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
      await this.links.write(this.links.groupOperation(id, { ...link, protected: true }));
      return undefined;
    }
    if (group.name !== name) link = await this.rename(id, group, name, link, run);
    await this.links.write(this.links.groupOperation(id, link));
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
      group = await run.read('findGroupByName', () => this.port.findGroupByName(pending));
      created = group !== undefined;
    }
    if (!group) group = await run.read('findGroupByName', () => this.port.findGroupByName(name));
    if (group && !created) {
      await run.note('link', 'ok', 'a group with this name exists', `linked to ${group.id}`);
    }
    if (!group) {
      await this.links.write(this.links.groupOperation(id, { created: false, creating: name }));
      try {
        group = await run.write('createGroup', 'group provisioned', () => this.port.createGroup(name), [
          'conflict',
        ]);
        created = true;
      } catch (error) {
        // Created by someone else since we looked: link to it, not ours to delete.
        if (!(error instanceof AtlassianError && error.kind === 'conflict')) throw error;
        group = await run.read('findGroupByName', () => this.port.findGroupByName(name));
        if (!group) throw new OperationFailed('createGroup', error);
      }
    }
    const next: GroupLink = { groupId: group.id, name: group.name, created };
    await this.links.write(this.links.groupOperation(id, next));
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
      await run.write(
        `renameGroup`,
        `renamed at the identity provider from "${group.name}"`,
        () => this.port.renameGroup(group.id, name),
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
        const page = await this.directory.memberships.ofGroup(desired, cursor);
        for (const { value } of page.results) {
          await this.addMember(id, value.user, groupId, run, context.force === true);
        }
        cursor = page.nextCursor;
        if (cursor && past()) return `a:${cursor}`;
      } while (cursor);
    }
    do {
      const page = await this.links.members('group', id, cursor);
      for (const { value } of page.results) {
        if (await this.directory.memberships.get(id, value.user)) continue;
        const user = await this.links.user(value.user);
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
    const user = await this.links.user(userId);
    // Not invited yet (or blocked): the user's own reconcile marks this group once linked.
    if (!user?.accountId || user.applied === 'deleted') return;
    const accountId = user.accountId;
    const member = await this.links.member(id, userId);
    if (member && !member.adding && !verify) return;
    if (!member?.adding) {
      if (await run.read('isMember', () => this.port.isMember(groupId, accountId))) {
        if (!member) await this.links.write(this.links.memberOperation(id, userId, { created: false }));
        return;
      }
      await this.links.write(this.links.memberOperation(id, userId, { created: true, adding: true }));
    }
    const why =
      member && !member.adding ? 'membership missing in Atlassian' : 'member added at the identity provider';
    await run.write('addMember', `${why} (${accountId})`, () => this.port.addMember(groupId, accountId));
    await this.links.write(this.links.memberOperation(id, userId, { created: true }));
  }

  /** Removes a membership the app added (others are only forgotten), then its link. */
  private async removeMembership(
    groupId: string,
    userId: string,
    accountId: string | undefined,
    member: MemberLink,
    run: Run,
    why: string,
  ): Promise<void> {
    const group = await this.links.group(groupId);
    if (member.created && accountId && group?.groupId && !group.protected) {
      const atlassianGroup = group.groupId;
      await run.write('removeMember', `${why} (${accountId})`, () =>
        this.port.removeMember(atlassianGroup, accountId).catch(ignoreNotFound),
      );
    }
    await this.links.write(this.links.deleteMemberOperation(groupId, userId));
  }

  private async groupGone(id: string, link: GroupLink | undefined, run: Run): Promise<void> {
    if (!link) return;
    let groupId = link.groupId;
    if (!groupId && link.creating) {
      const pending = link.creating;
      groupId = (await run.read('findGroupByName', () => this.port.findGroupByName(pending)))?.id;
    }
    const created = link.created || (!link.groupId && groupId !== undefined);
    if (groupId && !link.protected && created) {
      const target = groupId;
      const group = await run.read('getGroup', () => this.port.getGroup(target));
      if (group && group.deletable !== false && group.modifiable !== false) {
        await run.write('deleteGroup', 'group deleted at the identity provider', () =>
          this.port.deleteGroup(target).catch(ignoreNotFound),
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
        await this.links.write(this.links.deleteMemberOperation(id, userId));
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
        const user = await this.links.user(userId);
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
    await this.links.write(this.links.deleteOperation('group', id));
  }

  /** Every membership link of a group or user; `visit` may delete the link it is given. */
  private async forEachMemberLink(
    by: 'group' | 'user',
    id: string,
    visit: (groupId: string, member: MemberLink, userId: string) => Promise<void>,
  ): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.links.members(by, id, cursor);
      for (const { value } of page.results) await visit(value.group, value.doc, value.user);
      cursor = page.nextCursor;
    } while (cursor);
  }
}

/**
 * One resource's run: every Atlassian call goes through it, so each spends the budget, each
 * write is logged with why and what came of it, and each failure is logged once.
 */
class Run {
  constructor(
    private readonly port: AtlassianPort,
    private readonly log: SyncLog,
    private readonly context: ReconcileContext,
    private readonly target: Target,
  ) {}

  read<T>(operation: string, call: () => Promise<T>): Promise<T> {
    return this.call(operation, undefined, call, []);
  }

  /** A write; failures of the `expected` kinds are the caller's to handle and log. */
  async write<T>(
    operation: string,
    why: string,
    call: () => Promise<T>,
    expected: AtlassianErrorKind[] = [],
  ): Promise<T> {
    const result = await this.call(operation, why, call, expected);
    await this.entry({ operation, status: 'ok', why, result: describeResult(result) });
    return result;
  }

  note(operation: string, status: LogEntryInput['status'], why: string, result: string): Promise<void> {
    return this.entry({ operation, status, why, result });
  }

  entry(entry: Omit<LogEntryInput, 'source'>): Promise<void> {
    return this.log.write({ source: 'atlassian', attempts: this.context.attempt, ...this.target, ...entry });
  }

  private async call<T>(
    operation: string,
    why: string | undefined,
    call: () => Promise<T>,
    expected: AtlassianErrorKind[],
  ): Promise<T> {
    this.context.budget.take();
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof AtlassianError)) throw error;
      // The HTTP client's own egress budget: like ours, the job simply waits for the next run.
      if (error.code === 'EGRESS_BUDGET') throw new BudgetExhausted();
      if (expected.includes(error.kind)) throw error;
      await this.entry({
        operation,
        status: 'failed',
        why,
        result: error.kind === 'transient' ? 'will retry' : 'failed',
        errorKind: error.kind,
        error: error.message,
      });
      throw new OperationFailed(operation, error);
    }
  }
}

function ignoreNotFound(error: unknown): void {
  if (error instanceof AtlassianError && error.kind === 'not-found') return;
  throw error;
}

function describeResult(result: unknown): string {
  if (result && typeof result === 'object') {
    const value = result as { accountId?: string; id?: string; status?: string };
    if (value.accountId) return `account ${value.accountId}${value.status ? ` (${value.status})` : ''}`;
    if (value.id) return `group ${value.id}`;
  }
  return 'done';
}

/** The address to invite: the primary e-mail, else the first, else a userName that is one. */
export function primaryEmail(doc: ScimObject): string | undefined {
  const emails = Array.isArray(doc.emails) ? (doc.emails as ScimObject[]) : [];
  const values = emails.filter((e) => typeof e?.value === 'string' && e.value !== '');
  const chosen = values.find((e) => e.primary === true) ?? values.find((e) => e.type === 'work') ?? values[0];
  if (chosen) return String(chosen.value).trim();
  const userName = typeof doc.userName === 'string' ? doc.userName.trim() : '';
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(userName) ? userName : undefined;
}

function displayName(doc: ScimObject): string | undefined {
  if (typeof doc.displayName === 'string' && doc.displayName !== '') return doc.displayName;
  const name = doc.name as ScimObject | undefined;
  if (typeof name?.formatted === 'string' && name.formatted !== '') return name.formatted;
  const parts = [name?.givenName, name?.familyName].filter((p) => typeof p === 'string' && p !== '');
  return parts.length > 0 ? parts.join(' ') : undefined;
}
