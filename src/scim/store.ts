/**
 * What the SCIM layer needs of the place users and groups live: the one seam between the
 * protocol and storage, as elimity-com/scim's `ResourceHandler` is for its stores. The SCIM
 * layer parses, validates, filters, patches and renders; a store keeps documents, answers
 * lookups by attribute in its own index terms, and keeps memberships beside the groups.
 *
 * The composition (src/app.ts, with src/directory-store.ts) implements it over the directory;
 * src/scim imports nothing from the layers below but this file (test/scim/layers.test.ts).
 */
import type { ScimObject } from './schema/normalize';

/** A resource as the store keeps it: its document and the metadata SCIM renders. */
export interface StoredResource {
  id: string;
  /** Moves with every write of the resource: its ETag (RFC 7644 §3.14). */
  version: number;
  /** The resource's place in list order: the store's own, handed back to it, never read here. */
  seq: number;
  created: string;
  modified: string;
  doc: ScimObject;
}

/**
 * One attribute condition a store answers from an index, in its own terms: the SCIM layer says
 * which attribute, how it compares and the value the client sent; the store knows how its
 * index keeps that attribute (folded, truncated) and may answer loosely. Every candidate is
 * checked against the whole filter afterwards, so a loose answer is never a wrong one.
 */
export interface AttributeLookup {
  /** A canonical attribute path the store listed in `lookups`. */
  attribute: string;
  /** RFC 7644 §3.4.2.2 `eq` or `sw`. */
  operator: 'eq' | 'sw';
  /** As the client sent it. */
  value: string;
  /** Whether the attribute compares case-exactly (RFC 7643 §2.2 `caseExact`). */
  caseExact: boolean;
}

/** An attribute a store can look resources up by. */
export interface LookupSupport {
  /** Canonical attribute path (`userName`, `emails.value`). */
  attribute: string;
  /** Whether an `sw` (starts with) condition can use it too. */
  prefix: boolean;
}

/** One page of candidates; `nextCursor` continues the same lookup or scan. */
export interface Batch {
  items: StoredResource[];
  nextCursor?: string;
}

/** A window of the collection in list order, with the size of the whole collection. */
export interface Page {
  total: number;
  items: StoredResource[];
}

/** A new version of a resource's document. */
export interface Revision {
  doc: ScimObject;
}

/**
 * Membership writes for one group, decided by the SCIM layer (src/scim/resources/members.ts):
 * members to set, each with the version of the user record its existence was checked against
 * (a user deleted or changed since is never made a member), and user ids to remove.
 */
export interface MemberWrites {
  set: { userId: string; userVersion: number; display?: string }[];
  remove: string[];
}

export interface GroupRevision extends Revision {
  /** Membership writes that belong to this change of the group. */
  members?: MemberWrites;
}

/** A group member as stored beside the group. */
export interface Member {
  user: string;
  display?: string;
}

/** What both collections answer. Writes raise the errors below for the store's refusals. */
export interface ResourceStore<Change extends Revision> {
  /** The attributes `find` answers, best (most selective) first. */
  readonly lookups: readonly LookupSupport[];
  /** The resource, or undefined for an unknown id (any string: it came from a client). */
  get(id: string): Promise<StoredResource | undefined>;
  /** The resource; ResourceMissingError for an unknown id. */
  require(id: string): Promise<StoredResource>;
  /** Resources at 1-based positions [startIndex, startIndex + count) in list order. */
  page(startIndex: number, count: number): Promise<Page>;
  /** One page of candidates for an attribute condition. */
  find(lookup: AttributeLookup, cursor?: string): Promise<Batch>;
  /** One page of every resource, in list order: for filters no lookup serves. */
  scan(cursor?: string): Promise<Batch>;
  /**
   * Read-modify-write under optimistic concurrency: `mutate` sees the current resource and may
   * be called again with a fresher one if another writer won. What it throws is rethrown.
   */
  update(id: string, mutate: (current: StoredResource) => Promise<Change> | Change): Promise<StoredResource>;
  /**
   * Deletes the resource and what hangs on it (memberships), now or by background work the
   * store schedules. `check` sees the resource first and may refuse by throwing (If-Match).
   */
  delete(id: string, check: (current: StoredResource) => void): Promise<void>;
}

export interface UserStore extends ResourceStore<Revision> {
  create(doc: ScimObject): Promise<StoredResource>;
  /** The ids of the groups the user is a direct member of. */
  groupsOf(userId: string): AsyncIterable<string>;
}

export interface GroupStore extends ResourceStore<GroupRevision> {
  create(doc: ScimObject, members: MemberWrites): Promise<StoredResource>;
  /** Every member of a group, one storage page at a time. */
  members(group: StoredResource): AsyncIterable<Member>;
  /** The members of several groups (a page of a list), keyed by group id. */
  membersOf(groups: StoredResource[]): Promise<Map<string, Member[]>>;
}

export interface ScimStore {
  users: UserStore;
  groups: GroupStore;
}

/** The store has no resource of that id (it never existed, or it was deleted). */
export class ResourceMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceMissingError';
  }
}

/** A value that must be unique (a userName, a group's displayName) belongs to another resource. */
export class ValueTakenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueTakenError';
  }
}
