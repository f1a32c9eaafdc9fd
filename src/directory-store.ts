/**
 * Composition: the directory as the SCIM layer's store (src/scim/store.ts). The SCIM layer
 * says what it wants in protocol terms (an attribute, an operator, the value as sent, a
 * membership change); this adapter says it in the directory's: which index, folded and
 * truncated how (directory/keys.ts), which membership and job records ride in the write's
 * transaction. The directory's refusals become the store's here, and scim/errors.ts maps those
 * to SCIM's in one place.
 */
import type { ResourceCollection } from './directory/collection';
import { isResourceId } from './directory/collection';
import type { Directory } from './directory/directory';
import { ResourceNotFoundError, UniquenessConflictError } from './directory/errors';
import { fold, indexValue } from './directory/keys';
import type { GroupRef } from './directory/memberships';
import {
  AttributeLookup,
  Batch,
  GroupStore,
  LookupSupport,
  Member,
  MemberWrites,
  ResourceMissingError,
  ResourceStore,
  Revision,
  ScimStore,
  StoredResource,
  UserStore,
  ValueTakenError,
} from './scim/store';
import type { WriteOperation } from './storage/port';

/** How the directory answers a lookup of one attribute. */
type IndexSpec = { index: string; folded: boolean; prefix: boolean } | { emails: true; prefix: false };

/** The directory's user indexes (directory.ts, indexedAttributes), best first. */
const USER_INDEXES: Record<string, IndexSpec> = {
  userName: { index: 'by-user-name', folded: true, prefix: true },
  externalId: { index: 'by-external-id', folded: false, prefix: true },
  displayName: { index: 'by-display-name', folded: true, prefix: true },
  'emails.value': { emails: true, prefix: false },
};

const GROUP_INDEXES: Record<string, IndexSpec> = {
  displayName: { index: 'by-display-name', folded: true, prefix: true },
  externalId: { index: 'by-external-id', folded: false, prefix: true },
};

export function directoryStore(directory: Directory): ScimStore {
  return { users: userStore(directory), groups: groupStore(directory) };
}

function userStore(directory: Directory): UserStore {
  const { users, memberships, jobs } = directory;
  return {
    ...collectionStore<Revision>(directory, users, USER_INDEXES),
    create: (doc) => refusals(() => users.create(doc)),
    /**
     * The user goes with as many of its memberships as fit in the same transaction (all of
     * them for a user in a handful of groups), and a durable job for the rest: the new versions
     * of those groups, and any further memberships. The request costs the same few round trips
     * whether the user was in one group or in a thousand.
     */
    delete: async (id, check) => {
      await refusals(() =>
        users.delete(id, async (current, room) => {
          check(current);
          // One operation is the job's.
          const page = await memberships.ofUser(id, undefined, room - 1);
          const left = page.results.map((r) => r.value.group);
          return [
            ...left.map((groupId) => memberships.deleteOperation(groupId, id)),
            jobs.leaveGroupsOperation(id, left),
          ];
        }),
      );
      directory.jobsPending();
    },
    groupsOf: async function* (userId) {
      for await (const membership of memberships.allOfUser(userId)) yield membership.group;
    },
  };
}

function groupStore(directory: Directory): GroupStore {
  const { groups, memberships, jobs } = directory;
  const base = collectionStore(directory, groups, GROUP_INDEXES);
  return {
    ...base,
    create: (doc, members) =>
      refusals(() => groups.create(doc, (created) => membershipOperations(directory, created, members))),
    update: (id, mutate) =>
      refusals(() =>
        groups.update(id, async (current) => {
          const { doc, members } = await mutate(current);
          return { doc, operations: members ? membershipOperations(directory, current, members) : [] };
        }),
      ),
    delete: async (id, check) => {
      await refusals(() =>
        groups.delete(id, (current) => {
          check(current);
          // The memberships are purged by a durable job: a group of 35,000 members cannot be
          // emptied within one web trigger invocation, and nobody can see them once it is gone.
          return [jobs.purgeGroupOperation(current)];
        }),
      );
      directory.jobsPending();
    },
    members: async function* (group) {
      for await (const m of memberships.allOfGroup(group)) yield { user: m.user, display: m.display };
    },
    membersOf: (list) => membersOf(directory, list),
  };
}

/** Reads, lookups and the plain document update, the same for users and groups. */
function collectionStore<Change extends Revision>(
  directory: Directory,
  collection: ResourceCollection,
  indexes: Record<string, IndexSpec>,
): ResourceStore<Change> {
  const lookups: LookupSupport[] = Object.entries(indexes).map(([attribute, spec]) => ({
    attribute,
    prefix: spec.prefix,
  }));
  return {
    lookups,
    get: (id) => collection.get(id),
    require: (id) => refusals(() => collection.require(id)),
    page: (startIndex, count) => collection.page(startIndex, count),
    find: (lookup, cursor) => find(directory, collection, indexes, lookup, cursor),
    scan: (cursor) => collection.scan(cursor),
    update: (id, mutate) => refusals(() => collection.update(id, async (current) => mutate(current))),
    delete: async (id, check) => {
      await refusals(() =>
        collection.delete(id, (current) => {
          check(current);
          return [];
        }),
      );
    },
  };
}

async function find(
  directory: Directory,
  collection: ResourceCollection,
  indexes: Record<string, IndexSpec>,
  lookup: AttributeLookup,
  cursor?: string,
): Promise<Batch> {
  const spec = indexes[lookup.attribute];
  if (!spec || (lookup.operator === 'sw' && !spec.prefix)) {
    throw new Error(`No ${lookup.operator} lookup of ${lookup.attribute} here; see the store's lookups.`);
  }
  if ('emails' in spec) {
    // The e-mail index is folded (directory.ts, emailRecords): it answers either comparison.
    const page = await directory.userIdsByEmail(lookup.value, cursor);
    const found = await Promise.all(page.ids.map((id) => collection.get(id)));
    return { items: found.filter((u): u is StoredResource => u !== undefined), nextCursor: page.nextCursor };
  }
  if (!spec.folded && !lookup.caseExact) {
    // An index of values as sent cannot find "Ab" for "ab". The schema makes every such
    // attribute case-exact (externalId, RFC 7643 §3.1), so asking is a bug, not a client's error.
    throw new Error(`The ${spec.index} index compares case-exactly; it cannot answer ${lookup.attribute}.`);
  }
  // Index values are folded and truncated as the directory wrote them (keys.ts): a longer or
  // differently cased match is confirmed by the SCIM layer's filter on the document.
  const value = indexValue(spec.folded ? fold(lookup.value) : lookup.value);
  const op = lookup.operator === 'eq' ? 'equalTo' : 'beginsWith';
  return collection.findByIndex(spec.index, { op, value }, cursor);
}

function membershipOperations(directory: Directory, group: GroupRef, writes: MemberWrites): WriteOperation[] {
  return [
    // The check makes the membership fail to commit if its user was deleted (or changed)
    // since the SCIM layer looked: a member is never added to a user who is gone.
    ...writes.set.flatMap((m) => [
      directory.users.checkOperation(m.userId, m.userVersion),
      directory.memberships.setOperation(group, m.userId, m.display),
    ]),
    // Only ids the directory issued can be members; others were never stored (and may not
    // even be valid storage keys), so there is nothing to remove.
    ...writes.remove
      .filter(isResourceId)
      .map((userId) => directory.memberships.deleteOperation(group.id, userId)),
  ];
}

/** Members of a page of groups, in as few membership queries as their order allows. */
async function membersOf(directory: Directory, groups: GroupRef[]): Promise<Map<string, Member[]>> {
  const result = new Map<string, Member[]>(groups.map((g) => [g.id, []]));
  const push = (groupId: string, member: Member) => result.get(groupId)?.push(member);
  if (groups.length === 0) return result;
  const seqs = groups.map((g) => g.seq);
  const from = Math.min(...seqs);
  const to = Math.max(...seqs);
  if (groups.length > 1 && to - from < 2 * groups.length) {
    // A page of groups is a run of consecutive sequence numbers: one range query serves all.
    let cursor: string | undefined;
    do {
      const page = await directory.memberships.ofGroupRange(from, to, cursor);
      for (const { value } of page.results) push(value.group, { user: value.user, display: value.display });
      cursor = page.nextCursor;
    } while (cursor);
    return result;
  }
  for (const group of groups) {
    for await (const m of directory.memberships.allOfGroup(group)) {
      push(group.id, { user: m.user, display: m.display });
    }
  }
  return result;
}

/** Runs a directory call, its refusals raised as the store's (src/scim/store.ts). */
async function refusals<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ResourceNotFoundError) throw new ResourceMissingError(error.message);
    if (error instanceof UniquenessConflictError) throw new ValueTakenError(error.message);
    throw error;
  }
}
