/**
 * Group memberships, one record per (group, user). A membership is never part of the group
 * record, so adding a member costs the same for a group of one and a group of 35,000, and
 * two concurrent PATCHes of one group can never overwrite each other's members.
 *
 * Each membership carries a "slot": the group's sequence number and the user id. Listing
 * a group's members is a prefix query on the slot index; listing the members of a page of
 * groups (which are consecutive in sequence order) is one range query.
 */
import { EntityStore, FORGE_LIMITS, QueryPage, WriteOperation } from '../storage/port';
import { MEMBER } from './entities';
import { isBlankAttribute, padSeq } from './keys';

export interface Membership {
  group: string;
  user: string;
  slot: string;
  display?: string;
}

export interface GroupRef {
  id: string;
  seq: number;
}

export class Memberships {
  constructor(private readonly store: EntityStore) {}

  key(groupId: string, userId: string): string {
    return `${groupId}:${userId}`;
  }

  setOperation(group: GroupRef, userId: string, display?: string): WriteOperation {
    const value: Membership = { group: group.id, user: userId, slot: `${padSeq(group.seq)}:${userId}` };
    // Forge refuses a blank string attribute (entities-manifest, "Values"): leave it out.
    if (display && !isBlankAttribute(display)) value.display = display;
    return { type: 'set', entity: MEMBER, key: this.key(group.id, userId), value };
  }

  deleteOperation(groupId: string, userId: string): WriteOperation {
    return { type: 'delete', entity: MEMBER, key: this.key(groupId, userId) };
  }

  get(groupId: string, userId: string): Promise<Membership | undefined> {
    return this.store.get<Membership>(MEMBER, this.key(groupId, userId));
  }

  /** One page of a group's memberships, ordered by user id. */
  ofGroup(group: GroupRef, cursor?: string): Promise<QueryPage<Membership>> {
    return this.store.query<Membership>({
      entity: MEMBER,
      index: 'by-slot',
      where: { op: 'beginsWith', value: `${padSeq(group.seq)}:` },
      limit: FORGE_LIMITS.maxQueryLimit,
      cursor,
    });
  }

  /**
   * One page of a group's memberships whose slot sorts after `afterSlot` (all of them when it
   * is undefined): how a walk resumes in a later invocation. Forge's `entities-api-query` page
   * says not to persist query cursors ("they may not always be stable"), so a walk keeps the
   * slot of the last membership it finished instead, and starts again from there with a range
   * query. A slot (`<group seq>:<user id>`) is unique per membership, so nothing is skipped or
   * repeated. `cursor` only continues a query this same invocation began.
   */
  async ofGroupAfter(
    group: GroupRef,
    afterSlot: string | undefined,
    cursor?: string,
  ): Promise<QueryPage<Membership>> {
    const prefix = `${padSeq(group.seq)}:`;
    if (afterSlot === undefined || !afterSlot.startsWith(prefix)) return this.ofGroup(group, cursor);
    // '~' sorts after every character of a user id, so this covers the rest of the group.
    return this.ofGroupBetween(group, afterSlot, `${prefix}~`, cursor);
  }

  /**
   * One page of a group's memberships after `afterSlot` (from the first when absent) up to
   * and including `untilSlot`: a slice of a large group's member adds (src/sync/member-slices.ts).
   */
  async ofGroupBetween(
    group: GroupRef,
    afterSlot: string | undefined,
    untilSlot: string,
    cursor?: string,
  ): Promise<QueryPage<Membership>> {
    const from = afterSlot ?? `${padSeq(group.seq)}:`;
    const page = await this.store.query<Membership>({
      entity: MEMBER,
      index: 'by-slot',
      // `between` is inclusive at both ends: the membership at `afterSlot` (done already) is
      // dropped below.
      where: { op: 'between', from, to: untilSlot },
      limit: FORGE_LIMITS.maxQueryLimit,
      cursor,
    });
    return {
      ...page,
      results: page.results.filter((r) => afterSlot === undefined || r.value.slot > afterSlot),
    };
  }

  /** One page of the memberships of every group with a sequence number in [from, to]. */
  ofGroupRange(fromSeq: number, toSeq: number, cursor?: string): Promise<QueryPage<Membership>> {
    return this.store.query<Membership>({
      entity: MEMBER,
      index: 'by-slot',
      // '~' sorts after every character of a user id, so this covers all of group `toSeq`.
      where: { op: 'between', from: `${padSeq(fromSeq)}:`, to: `${padSeq(toSeq)}:~` },
      limit: FORGE_LIMITS.maxQueryLimit,
      cursor,
    });
  }

  /** One page of a user's memberships. */
  ofUser(
    userId: string,
    cursor?: string,
    limit: number = FORGE_LIMITS.maxQueryLimit,
  ): Promise<QueryPage<Membership>> {
    return this.store.query<Membership>({
      entity: MEMBER,
      index: 'by-user',
      where: { op: 'equalTo', value: userId },
      limit,
      cursor,
    });
  }

  /** Every membership of a group, one storage page at a time. */
  async *allOfGroup(group: GroupRef): AsyncGenerator<Membership> {
    let cursor: string | undefined;
    do {
      const page = await this.ofGroup(group, cursor);
      for (const result of page.results) yield result.value;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** Every membership of a user, one storage page at a time. */
  async *allOfUser(userId: string): AsyncGenerator<Membership> {
    let cursor: string | undefined;
    do {
      const page = await this.ofUser(userId, cursor);
      for (const result of page.results) yield result.value;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /**
   * Deletes memberships returned by `next` until it returns none. Always re-queries from the
   * start: the records just deleted are gone, so there is no cursor to keep.
   */
  async drain(
    next: () => Promise<QueryPage<Membership>>,
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<boolean> {
    for (;;) {
      if (Date.now() > deadline) return false;
      const page = await next();
      if (page.results.length === 0) return true;
      const deletes = page.results.map((r) => ({ type: 'delete' as const, entity: MEMBER, key: r.key }));
      for (let i = 0; i < deletes.length; i += FORGE_LIMITS.maxTransactionOperations) {
        await this.store.transact(deletes.slice(i, i + FORGE_LIMITS.maxTransactionOperations));
      }
    }
  }
}
