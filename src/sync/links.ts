/**
 * Link records: what the app knows about its own doing in Atlassian. The reconciler reads
 * the desired state from the directory and the actual state from Atlassian; links say which
 * Atlassian object a SCIM resource is, and which objects and memberships the app created
 * (only those it may delete or remove).
 *
 * An intent is written before a write whose result could be lost (creating a group, adding a
 * member), so a crash between the call and the link does not turn "created by the app" into
 * "found there" on the retry.
 */
import { randomUUID } from 'node:crypto';
import { EntityStore, FORGE_LIMITS, QueryPage, WriteOperation } from '../storage/port';
import { SYNC_LINK } from './entities';
import type { ProfileLink } from './profile';

export interface UserLink {
  accountId?: string;
  /** The e-mail the account was found or invited by. */
  email?: string;
  /** The app invited the account (rather than finding it). */
  invited?: boolean;
  /** What the app last applied: 'active', 'suspended', or 'deleted' (the SCIM user is gone). */
  applied?: 'active' | 'suspended' | 'deleted';
  /** Why the user cannot be provisioned now, and the SCIM version that was tried. */
  blocked?: { reason: string; kind: string; version: number; at: number };
  /** Whether the account is an org/site/product admin (protected), as last asked, per account. */
  admin?: { accountId: string; value: boolean };
  /** A protected account: the one the e-mail found, never linked nor touched by the app. */
  protectedAccount?: string;
  /** The SCIM version whose "protected account" skip was logged (logged once per change). */
  protectedNoted?: number;
  /** How the last deactivation was applied (so reactivation undoes that, whatever the policy now). */
  deactivation?: 'suspend' | 'remove-product-access' | 'none';
  /** Product-access groups (Atlassian ids) the app removed on deactivation: put back on return. */
  removedAccess?: string[];
  /**
   * The new-user grants (default groups, product access): `groups` are the Atlassian group ids
   * the app added (removed on deletion only these); `done` once added, never re-added after.
   */
  welcome?: { groups: string[]; done: boolean };
  /** The user holds one of the seat cap's seats (counted in the `seats` state). */
  seat?: boolean;
  /** The user waits for a seat (a `seat-wait` record exists, counted in the `seats` state). */
  waiting?: boolean;
  /** The drift last reported (drift.action report), so each is logged once. */
  driftNoted?: string;
  /** The profile values the app last settled on the account (src/sync/profile.ts). */
  profile?: ProfileLink;
  /**
   * Invited, but Atlassian did not add the account to the directory (status `not_invited`
   * after the invite), so no membership can be added: the account, and the groups that
   * invite named. Invited again when there is a group it did not name (a SCIM group linked
   * since, a new default group) or an admin asks (Retry).
   */
  unplaced?: { accountId: string; groups: string[] };
  /**
   * Invited, and whether the invite put the account in the directory not read back yet: it
   * is read with the batch's other accounts in one search by the user's next reconcile,
   * queued right after the invite (src/sync/user-reconciler.ts). The account, the groups the
   * invite named and those it placed the account in. No membership is added meanwhile (the
   * link names no account yet).
   */
  placing?: { accountId: string; groups: string[]; placed: string[] };
}

export interface GroupLink {
  groupId?: string;
  /** The Atlassian name last seen or applied. */
  name?: string;
  /** The app created the group (only then may it delete it). */
  created: boolean;
  /** A createGroup call under way with this name: if found later, the app created it. */
  creating?: string;
  /** Atlassian protects the group (not modifiable): never touched. */
  protected?: boolean;
  /** The name the identity provider wants but the adapter could not apply. */
  renameNeeded?: string;
  /**
   * The problem last reported for the group (a name Atlassian refuses, a name conflict, a
   * group missing in Atlassian, a drift), so each is logged once, not on every reconcile.
   */
  reported?: string;
  /**
   * How many member slices the last large member walk handed out (src/sync/member-slices.ts):
   * the group's own job waits while any of them is queued.
   */
  sliced?: number;
}

export interface MemberLink {
  /** The app added the membership (only then may it remove it). */
  created: boolean;
  /** An addMember call under way: if the membership is found later, the app added it. */
  adding?: boolean;
}

interface LinkRecord<T> {
  kind: 'user' | 'group' | 'member' | 'state' | 'seat-wait' | 'account';
  user?: string;
  group?: string;
  /** A shared counter's version (versionedState). */
  n?: string;
  doc: T;
}

/** App-wide state with the version a conditional write of it names (Links.versionedState). */
export interface Versioned<T> {
  doc: T;
  version: string;
}

export class Links {
  constructor(private readonly store: EntityStore) {}

  /**
   * The same links for a dry run: reads as usual, every write a no-op. A plan applies
   * nothing, so it must record nothing (a link written by a plan would be trusted later).
   */
  planOnly(): Links {
    return new PlanOnlyLinks(this.store);
  }

  async user(id: string): Promise<UserLink | undefined> {
    return (await this.store.get<LinkRecord<UserLink>>(SYNC_LINK, `user:${id}`))?.doc;
  }

  userOperation(id: string, doc: UserLink): WriteOperation {
    return this.set(`user:${id}`, { kind: 'user', user: id, doc });
  }

  async group(id: string): Promise<GroupLink | undefined> {
    return (await this.store.get<LinkRecord<GroupLink>>(SYNC_LINK, `group:${id}`))?.doc;
  }

  groupOperation(id: string, doc: GroupLink): WriteOperation {
    return this.set(`group:${id}`, { kind: 'group', group: id, doc });
  }

  async member(groupId: string, userId: string): Promise<MemberLink | undefined> {
    return (await this.store.get<LinkRecord<MemberLink>>(SYNC_LINK, memberKey(groupId, userId)))?.doc;
  }

  memberOperation(groupId: string, userId: string, doc: MemberLink): WriteOperation {
    return this.set(memberKey(groupId, userId), { kind: 'member', user: userId, group: groupId, doc });
  }

  deleteOperation(key: 'user' | 'group', id: string): WriteOperation {
    return { type: 'delete', entity: SYNC_LINK, key: `${key}:${id}` };
  }

  deleteMemberOperation(groupId: string, userId: string): WriteOperation {
    return { type: 'delete', entity: SYNC_LINK, key: memberKey(groupId, userId) };
  }

  /** One page of the membership links of a group (by: 'group') or of a user (by: 'user'). */
  async members(
    by: 'group' | 'user',
    id: string,
    cursor?: string,
  ): Promise<QueryPage<{ group: string; user: string; doc: MemberLink }>> {
    const page = await this.store.query<LinkRecord<MemberLink>>({
      entity: SYNC_LINK,
      index: by === 'group' ? 'by-group' : 'by-user',
      where: { op: 'equalTo', value: id },
      limit: FORGE_LIMITS.maxQueryLimit,
      cursor,
    });
    return {
      results: page.results
        .filter((r) => r.value.kind === 'member')
        .map(({ key, value }) => ({
          key,
          value: { group: value.group as string, user: value.user as string, doc: value.doc },
        })),
      nextCursor: page.nextCursor,
    };
  }

  /** App-wide state (the connection status the log reported last). */
  async state<T>(name: string): Promise<T | undefined> {
    return (await this.store.get<LinkRecord<T>>(SYNC_LINK, `state:${name}`))?.doc;
  }

  async setState<T extends object>(name: string, doc: T): Promise<void> {
    await this.store.transact([this.stateOperation(name, doc)]);
  }

  /**
   * App-wide state as an operation, to commit with the links it counts (the seats). With
   * `version` (from versionedState), the transaction fails with ConditionFailedError if the
   * state was written since it was read: several consumer runs update the seats at once, and
   * a plain read-modify-write would lose one of two updates.
   */
  stateOperation<T extends object>(name: string, doc: T, version?: string): WriteOperation {
    const operation = this.set(`state:${name}`, { kind: 'state', n: randomUUID(), doc });
    return version === undefined
      ? operation
      : { ...operation, condition: { attribute: 'n', equals: version } };
  }

  /** Deletes app-wide state no longer needed (the full reconcile's walk chunks). */
  deleteStateOperation(name: string): WriteOperation {
    return { type: 'delete', entity: SYNC_LINK, key: `state:${name}` };
  }

  /**
   * App-wide state and its version, for a conditional write (stateOperation). A state not
   * written yet is created with `initial`, and one written before versions existed gets one,
   * so there is always a version to name.
   */
  async versionedState<T extends object>(name: string, initial: T): Promise<Versioned<T>> {
    const key = `state:${name}`;
    for (;;) {
      const record = await this.store.get<LinkRecord<T>>(SYNC_LINK, key);
      if (record?.n !== undefined) return { doc: record.doc, version: record.n };
      if (record) {
        // Written by a version without `n`: versioned once, as it reads now.
        const version = randomUUID();
        await this.store.transact([this.set(key, { ...record, n: version })]);
        return { doc: record.doc, version };
      }
      const version = randomUUID();
      if (await this.store.createIfAbsent(SYNC_LINK, key, { kind: 'state', n: version, doc: initial })) {
        return { doc: initial, version };
      }
    }
  }

  /**
   * A user waiting for a seat (seat cap): kept in a FIFO read through the by-group index
   * (`group` = SEAT_WAIT + since + id), so the first waiting are found without a scan.
   */
  waitOperation(userId: string, since: number): WriteOperation {
    const group = `${SEAT_WAIT}${String(since).padStart(15, '0')}:${userId}`;
    return this.set(`seat-wait:${userId}`, { kind: 'seat-wait', user: userId, group, doc: { since } });
  }

  unwaitOperation(userId: string): WriteOperation {
    return { type: 'delete', entity: SYNC_LINK, key: `seat-wait:${userId}` };
  }

  /** The users waiting longest for a seat, oldest first. */
  async waiting(limit: number): Promise<string[]> {
    const page = await this.store.query<LinkRecord<{ since: number }>>({
      entity: SYNC_LINK,
      index: 'by-group',
      where: { op: 'beginsWith', value: SEAT_WAIT },
      sort: 'ASC',
      limit: Math.min(limit, FORGE_LIMITS.maxQueryLimit),
    });
    return page.results.filter((r) => r.value.kind === 'seat-wait').map((r) => r.value.user as string);
  }

  /**
   * The SCIM user an Atlassian account is linked to, as last written (the full reconcile asks
   * it of every member it finds in a group; check the user's link still names the account).
   */
  async accountUser(accountId: string): Promise<string | undefined> {
    return (await this.store.get<LinkRecord<{ user: string }>>(SYNC_LINK, `account:${accountId}`))?.doc.user;
  }

  /**
   * The SCIM user that owns the account: one Atlassian account is linked to at most one SCIM
   * user (issue 13, case 4: two users whose e-mails differ only in case found the same
   * account, and each reconcile undid the other's state). The account record is claimed with
   * createIfAbsent, so of two first links at once only one wins; a record left by a user
   * whose link no longer names the account (deleted, protected, relinked) is stale and the
   * caller may take it over (its link write rewrites the record).
   */
  async accountOwner(accountId: string, userId: string): Promise<string> {
    if (await this.claim(accountId, userId)) return userId;
    const owner = await this.accountUser(accountId);
    if (owner === undefined || owner === userId) return userId;
    const link = await this.user(owner);
    const live = link?.accountId === accountId && link.applied !== 'deleted';
    return live ? owner : userId;
  }

  /** Creates the account record naming the user, unless one exists (false then). */
  protected claim(accountId: string, userId: string): Promise<boolean> {
    const value: LinkRecord<{ user: string }> = { kind: 'account', doc: { user: userId } };
    return this.store.createIfAbsent(SYNC_LINK, `account:${accountId}`, value);
  }

  /** Writes in transactions of at most Forge's size; a user link also writes its account's. */
  async write(...operations: WriteOperation[]): Promise<void> {
    const indexed = new Set<string>();
    operations = operations.flatMap((operation) => {
      // A transaction holds each key at most once: one account record per account.
      const index = accountIndex(operation).filter((op) => !indexed.has(op.key));
      index.forEach((op) => indexed.add(op.key));
      return [operation, ...index];
    });
    for (let i = 0; i < operations.length; i += FORGE_LIMITS.maxTransactionOperations) {
      await this.store.transact(operations.slice(i, i + FORGE_LIMITS.maxTransactionOperations));
    }
  }

  private set<T>(key: string, record: LinkRecord<T>): WriteOperation {
    return { type: 'set', entity: SYNC_LINK, key, value: record };
  }
}

class PlanOnlyLinks extends Links {
  override async setState(): Promise<void> {}

  /** A plan reads the state as it is and creates nothing; its writes are no-ops anyway. */
  override async versionedState<T extends object>(name: string, initial: T): Promise<Versioned<T>> {
    return { doc: (await this.state<T>(name)) ?? initial, version: '' };
  }

  /** A plan claims nothing: it answers whether the account is free, as it reads now. */
  protected override async claim(): Promise<boolean> {
    return false;
  }

  override async write(): Promise<void> {}
}

/** Starts the index value of seat-wait records; no group id starts with `~`. */
const SEAT_WAIT = '~seat-wait:';

/** A user link naming an account: the account → user record beside it (Links.accountUser). */
function accountIndex(operation: WriteOperation): WriteOperation[] {
  if (operation.type !== 'set' || !operation.key.startsWith('user:')) return [];
  const record = operation.value as LinkRecord<UserLink>;
  const accountId = record.doc.accountId;
  if (record.kind !== 'user' || !record.user || !accountId) return [];
  const value: LinkRecord<{ user: string }> = { kind: 'account', doc: { user: record.user } };
  return [{ type: 'set', entity: SYNC_LINK, key: `account:${accountId}`, value }];
}

const memberKey = (groupId: string, userId: string) => `member:${groupId}:${userId}`;
