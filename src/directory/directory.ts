/**
 * The SCIM state in storage: users, groups and memberships, with the indexes that answer
 * identity-provider lookups without scans. Knows nothing of HTTP or of Forge.
 */
import type { ScimObject } from './document';
import { EntityStore, WriteOperation } from '../storage/port';
import { Claims } from './claims';
import { ResourceCollection, SideRecord, StoredResource } from './collection';
import { GROUP, USER, USER_EMAIL } from './entities';
import { ResourceNotFoundError } from './errors';
import { fold, hashKey, indexValue, isBlankAttribute } from './keys';
import { Jobs } from './jobs';
import { Memberships } from './memberships';

/** E-mail addresses indexed per user; more are stored but found only by a scan. */
export const MAX_INDEXED_EMAILS = 10;

export interface DirectoryOptions {
  clock?: () => Date;
  /** Asks a runner to process pending background jobs soon (fire and forget). */
  onJobsPending?: () => void;
  /** Follows every write of a user or group (the sync to Atlassian). */
  tracker?: ChangeTracker;
}

/** What a write of a resource commits with it, and whom it tells afterwards. */
export interface ChangeTracker {
  /**
   * Operations for the write's own transaction (its "reconcile this resource" mark); `doc` is
   * the resource as the write leaves it (as it was, for a delete).
   */
  operations(type: 'user' | 'group', id: string, doc: ScimObject): WriteOperation[];
  /** The write committed (fire and forget). */
  changed(type: 'user' | 'group', id: string): void;
}

export class Directory {
  readonly users: ResourceCollection;
  readonly groups: ResourceCollection;
  readonly memberships: Memberships;
  readonly jobs: Jobs;
  private readonly onJobsPending: () => void;

  constructor(
    readonly store: EntityStore,
    options: DirectoryOptions = {},
  ) {
    const clock = options.clock ?? (() => new Date());
    const now = () => clock().getTime();
    const claims = new Claims(store, now);
    this.memberships = new Memberships(store);
    this.jobs = new Jobs(
      store,
      {
        // Each deletion's job also folds the collection's pending releases (order.ts): the
        // first job to run does the work, later ones find little or nothing left.
        'purge-group': async (group, deadline) =>
          (await this.groups.foldReleases(deadline)) &&
          this.memberships.drain(() => this.memberships.ofGroup(group), deadline),
        'leave-groups': async (job, deadline) =>
          (await this.users.foldReleases(deadline)) && this.finishLeaving(job.user, job.left, deadline),
      },
      now,
    );
    this.onJobsPending = options.onJobsPending ?? (() => undefined);
    const tracker = options.tracker;
    const tracking = (type: 'user' | 'group') =>
      tracker
        ? {
            trackedOperations: (id: string, doc: ScimObject) => tracker.operations(type, id, doc),
            changed: (id: string) => tracker.changed(type, id),
          }
        : {};
    this.users = new ResourceCollection(
      store,
      claims,
      {
        entity: USER,
        counterKey: 'users',
        claimKind: 'user-name',
        uniqueValue: (doc) => fold(String(doc.userName)),
        describeUnique: (value) => `userName "${value}"`,
        indexedAttributes: (doc) =>
          compact({
            userName: indexValue(fold(String(doc.userName))),
            externalId: optional(doc.externalId, indexValue),
            displayName: optional(doc.displayName, (v) => indexValue(fold(v))),
          }),
        sideRecords: emailRecords,
        ...tracking('user'),
      },
      clock,
    );
    this.groups = new ResourceCollection(
      store,
      claims,
      {
        entity: GROUP,
        counterKey: 'groups',
        claimKind: 'group-name',
        uniqueValue: (doc) => fold(String(doc.displayName)),
        describeUnique: (value) => `Group displayName "${value}"`,
        indexedAttributes: (doc) =>
          compact({
            displayName: indexValue(fold(String(doc.displayName))),
            externalId: optional(doc.externalId, indexValue),
          }),
        ...tracking('group'),
      },
      clock,
    );
  }

  /** Users with an e-mail address equal (case-insensitively) to `email`. */
  async userIdsByEmail(email: string, cursor?: string): Promise<{ ids: string[]; nextCursor?: string }> {
    const page = await this.store.query<{ user: string }>({
      entity: USER_EMAIL,
      index: 'by-email',
      where: { op: 'equalTo', value: indexValue(fold(email)) },
      limit: 100,
      cursor,
    });
    return { ids: [...new Set(page.results.map((r) => r.value.user))], nextCursor: page.nextCursor };
  }

  /**
   * The users and groups a person may mean by `name`: users whose userName or an e-mail
   * equals it, then groups whose displayName does (each case-insensitively, by index: three
   * queries, no scan). At most `limit`, users first.
   */
  async resourcesNamed(name: string, limit = 10): Promise<{ type: 'user' | 'group'; id: string }[]> {
    const folded = fold(name.trim());
    const value = indexValue(folded);
    if (isBlankAttribute(value)) return [];
    // Index values are truncated (keys.ts): a longer name is confirmed on the document.
    const named = (attribute: string) => (r: StoredResource) => fold(String(r.doc[attribute])) === folded;
    const where = { op: 'equalTo' as const, value };
    const [byUserName, byEmail, byGroupName] = await Promise.all([
      this.users.findByIndex('by-user-name', where),
      this.userIdsByEmail(value),
      this.groups.findByIndex('by-display-name', where),
    ]);
    const users = new Set([...byUserName.items.filter(named('userName')).map((u) => u.id), ...byEmail.ids]);
    return [
      ...[...users].map((id) => ({ type: 'user' as const, id })),
      ...byGroupName.items.filter(named('displayName')).map((g) => ({ type: 'group' as const, id: g.id })),
    ].slice(0, limit);
  }

  jobsPending(): void {
    this.onJobsPending();
  }

  /**
   * The rest of a user's DELETE: new versions of the groups it left (their ETags must move,
   * RFC 7644 §3.14), then any memberships the deletion could not take with it.
   */
  private async finishLeaving(userId: string, left: string[], deadline: number): Promise<boolean> {
    for (const groupId of left) {
      if (Date.now() > deadline) return false;
      await this.updateGroupIfPresent(groupId, (group) => ({ doc: group.doc, touch: true }));
    }
    for (;;) {
      if (Date.now() > deadline) return false;
      const page = await this.memberships.ofUser(userId);
      if (page.results.length === 0) return true;
      for (const { value } of page.results) {
        const removal = this.memberships.deleteOperation(value.group, userId);
        const present = await this.updateGroupIfPresent(value.group, (group) => ({
          doc: group.doc,
          operations: [removal],
        }));
        // The group is gone and its purge job has not reached this membership yet.
        if (!present) await this.store.transact([removal]);
      }
    }
  }

  private async updateGroupIfPresent(groupId: string, change: Parameters<ResourceCollection['update']>[1]) {
    try {
      await this.groups.update(groupId, change);
      return true;
    } catch (error) {
      if (error instanceof ResourceNotFoundError) return false;
      throw error;
    }
  }
}

function emailRecords(id: string, doc: ScimObject): SideRecord[] {
  const emails = Array.isArray(doc.emails) ? doc.emails : [];
  const distinct = new Set<string>();
  for (const email of emails) {
    const value = (email as ScimObject | undefined)?.value;
    if (typeof value === 'string' && !isBlankAttribute(indexValue(fold(value)))) distinct.add(fold(value));
    if (distinct.size >= MAX_INDEXED_EMAILS) break;
  }
  return [...distinct].map((email) => ({
    entity: USER_EMAIL,
    key: `${id}:${hashKey(email).slice(0, 22)}`,
    value: { email: indexValue(email), user: id },
  }));
}

function optional(value: unknown, map: (v: string) => string): string | undefined {
  return typeof value === 'string' && value !== '' ? map(value) : undefined;
}

/**
 * The index attributes to write: those with a value, leaving out blank ones (Forge refuses a
 * string attribute without a non-whitespace character). A resource without one is simply not
 * in that index.
 */
function compact(values: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && !isBlankAttribute(value)) result[key] = value;
  }
  return result;
}
