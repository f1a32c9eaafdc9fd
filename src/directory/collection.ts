/**
 * One collection of SCIM resources (users or groups) in the entity store: the resource
 * records, their uniqueness claims, their side records (e-mail index entries) and the order
 * summary that serves paging and totalResults.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ScimObject } from './document';
import {
  EntityStore,
  FORGE_LIMITS,
  IndexQuery,
  QueryPage,
  RangeCondition,
  WriteOperation,
} from '../storage/port';
import { ClaimKind, Claims } from './claims';
import { ResourceNotFoundError } from './errors';
import { allocate, locate, totalOf } from './order';
import { optimistically } from './retry';
import { OrderStripes } from './stripes';

export interface StoredResource {
  id: string;
  version: number;
  seq: number;
  created: string;
  modified: string;
  doc: ScimObject;
}

interface ResourceRecord {
  v: number;
  seq: number;
  created: string;
  modified: string;
  doc: ScimObject;
  [indexed: string]: unknown;
}

export interface SideRecord {
  entity: string;
  key: string;
  value: object;
}

export interface CollectionConfig {
  entity: string;
  counterKey: string;
  claimKind: ClaimKind;
  /** The folded unique value of a document (userName, group displayName). */
  uniqueValue(doc: ScimObject): string;
  describeUnique(value: string): string;
  /** Attributes copied out of the document so the entity indexes can see them. */
  indexedAttributes(doc: ScimObject): Record<string, string>;
  /** Records kept beside the resource, written and removed with it. */
  sideRecords?(id: string, doc: ScimObject): SideRecord[];
  /**
   * Writes committed atomically with every create, update and delete of a resource (the
   * sync's "reconcile this resource" mark): they ride in the change's first transaction, and
   * again in its last when the change needed several, so no part of it goes unnoticed.
   * `doc` is the resource as the change leaves it (as it was, for a delete): the sync log
   * names the resource from it.
   */
  trackedOperations?(id: string, doc: ScimObject): WriteOperation[];
  /** Called after such a change committed (asks for it to be processed soon). */
  changed?(id: string): void;
}

export interface Change {
  doc: ScimObject;
  /** Further writes that belong to this change (memberships). */
  operations?: WriteOperation[];
  /** Write a new version even if nothing else changed (a member left the group). */
  touch?: boolean;
}

export interface Page {
  total: number;
  items: StoredResource[];
}

const MAX_TX = FORGE_LIMITS.maxTransactionOperations;

export class ResourceCollection {
  private readonly stripes: OrderStripes;

  constructor(
    private readonly store: EntityStore,
    private readonly claims: Claims,
    private readonly config: CollectionConfig,
    private readonly clock: () => Date,
  ) {
    this.stripes = new OrderStripes(store, config.counterKey);
  }

  async get(id: string): Promise<StoredResource | undefined> {
    // Ids are UUIDs we assigned; anything else (an e-mail sent as a member value, a DN)
    // names no resource, and may not even be a valid storage key.
    if (!isResourceId(id)) return undefined;
    const record = await this.store.get<ResourceRecord>(this.config.entity, id);
    return record ? toStored(id, record) : undefined;
  }

  async require(id: string): Promise<StoredResource> {
    const found = await this.get(id);
    if (!found) throw new ResourceNotFoundError(id);
    return found;
  }

  /** A transaction operation that fails unless resource `id` is still at `version`. */
  checkOperation(id: string, version: number): WriteOperation {
    return {
      type: 'check',
      entity: this.config.entity,
      key: id,
      condition: { attribute: 'v', equals: version },
    };
  }

  /** Whether resource `id` exists and still holds unique value `value`. */
  readonly holds = async (id: string, value: string): Promise<boolean> => {
    const found = await this.get(id);
    return !!found && this.config.uniqueValue(found.doc) === value;
  };

  async create(
    doc: ScimObject,
    operations: (created: StoredResource) => WriteOperation[] = () => [],
  ): Promise<StoredResource> {
    const id = randomUUID();
    const unique = this.config.uniqueValue(doc);
    await this.claims.acquire(
      this.config.claimKind,
      unique,
      id,
      this.config.describeUnique(unique),
      this.holds,
    );
    try {
      return await optimistically(() =>
        // The stripe is held from here until the transaction answered: no other request of
        // this process writes it in between, so its remembered version is current.
        this.stripes.withFreeStripe(async (stripe) => {
          const { summary, seq } = allocate(stripe.stripe, stripe.summary, this.stripes.frontier);
          const now = this.clock().toISOString();
          const record: ResourceRecord = {
            v: 1,
            seq,
            created: now,
            modified: now,
            doc,
            ...this.config.indexedAttributes(doc),
          };
          const created = toStored(id, record);
          const side = this.sideRecords(id, doc).map(setSide);
          const extra = operations(created);
          const first = [
            { type: 'set' as const, entity: this.config.entity, key: id, value: record },
            this.stripes.writeOperation(stripe, summary),
            ...side,
            ...this.tracked(id, doc),
          ];
          await this.commit(first, extra, () => this.tracked(id, doc));
          this.stripes.committed(stripe, summary);
          this.config.changed?.(id);
          return created;
        }),
      );
    } catch (error) {
      // The answer may have been lost after the write committed: look before letting go of
      // the claim, or a retry could create a second resource with the same unique value.
      const outcome = await this.get(id).then(
        (found) => found,
        () => 'unknown' as const,
      );
      if (outcome === undefined) await this.claims.release(this.config.claimKind, unique, id);
      else if (outcome !== 'unknown') return outcome;
      throw error;
    }
  }

  /**
   * Read-modify-write of one resource under optimistic concurrency: `mutate` sees the
   * current state and may be called again with a fresher one if another writer won.
   */
  async update(
    id: string,
    mutate: (current: StoredResource) => Promise<Change> | Change,
  ): Promise<StoredResource> {
    let acquired: string | undefined;
    try {
      return await optimistically(async () => {
        const current = await this.require(id);
        const change = await mutate(current);
        const extra = change.operations ?? [];
        if (isDeepStrictEqual(change.doc, current.doc) && extra.length === 0 && !change.touch) return current;

        const before = this.config.uniqueValue(current.doc);
        const after = this.config.uniqueValue(change.doc);
        const claimOps: WriteOperation[] = [];
        if (acquired !== undefined && acquired !== after) {
          // An earlier round claimed a value this round no longer wants.
          await this.claims.release(this.config.claimKind, acquired, id);
          acquired = undefined;
        }
        if (after !== before) {
          await this.claims.acquire(
            this.config.claimKind,
            after,
            id,
            this.config.describeUnique(after),
            this.holds,
          );
          acquired = after;
          claimOps.push(this.claims.releaseOperation(this.config.claimKind, before));
        }
        const record: ResourceRecord = {
          v: current.version + 1,
          seq: current.seq,
          created: current.created,
          modified: this.clock().toISOString(),
          doc: change.doc,
          ...this.config.indexedAttributes(change.doc),
        };
        const first: WriteOperation[] = [
          {
            type: 'set',
            entity: this.config.entity,
            key: id,
            value: record,
            condition: { attribute: 'v', equals: current.version },
          },
          ...claimOps,
          ...this.sideDiff(id, current.doc, change.doc),
          ...this.tracked(id, change.doc),
        ];
        await this.commit(first, extra, () => this.tracked(id, change.doc));
        acquired = undefined;
        this.config.changed?.(id);
        return toStored(id, record);
      });
    } finally {
      // Release a claim this update took but did not use, unless the write committed and
      // only its answer was lost (then the resource holds the value and keeps the claim).
      if (acquired !== undefined && !(await this.holds(id, acquired).catch(() => true))) {
        await this.claims.release(this.config.claimKind, acquired, id);
      }
    }
  }

  /**
   * Deletes a resource. `prepare` runs first (it may throw, e.g. a failed If-Match) and
   * returns writes to commit together with the deletion: at most `room` of them, what one
   * transaction has left beside the deletion's own writes.
   */
  async delete(
    id: string,
    prepare: (
      current: StoredResource,
      room: number,
    ) => Promise<WriteOperation[]> | WriteOperation[] = () => [],
  ): Promise<StoredResource> {
    return optimistically(async () => {
      const current = await this.require(id);
      const unique = this.config.uniqueValue(current.doc);
      const own: WriteOperation[] = [
        {
          type: 'delete',
          entity: this.config.entity,
          key: id,
          condition: { attribute: 'v', equals: current.version },
        },
        this.claims.releaseOperation(this.config.claimKind, unique),
        ...this.sideRecords(id, current.doc).map(deleteSide),
        ...this.tracked(id, current.doc),
      ];
      // One more operation is the release record's.
      const extra = await prepare(current, MAX_TX - own.length - 1);
      // The stripe that counts the resource is left alone: the release record is folded into
      // it later (stripes.ts), so deletes never wait for each other or for creates.
      await this.store.transact([...own, this.stripes.releaseOperation(id, current.seq), ...extra]);
      this.config.changed?.(id);
      return current;
    });
  }

  /** Folds deleted resources into the order stripes; background work (see Jobs). */
  foldReleases(deadline?: number): Promise<boolean> {
    return this.stripes.fold(deadline);
  }

  async total(): Promise<number> {
    return totalOf(await this.stripes.readAll());
  }

  /** Resources at 1-based positions [startIndex, startIndex + count) in list order. */
  async page(startIndex: number, count: number): Promise<Page> {
    const view = await this.stripes.readAll();
    const total = totalOf(view);
    const position = locate(view, startIndex);
    if (count <= 0 || !position) return { total, items: [] };
    const items: StoredResource[] = [];
    let skip = position.skip;
    let cursor: string | undefined;
    do {
      const page = await this.query({
        index: 'by-seq',
        where: { op: 'greaterThanEqualTo', value: position.fromSeq },
        limit: Math.min(FORGE_LIMITS.maxQueryLimit, skip + count - items.length),
        cursor,
      });
      for (const result of page.results) {
        if (skip > 0) skip--;
        else if (items.length < count) items.push(toStored(result.key, result.value));
      }
      cursor = page.nextCursor;
    } while (cursor && items.length < count);
    return { total, items };
  }

  /** One page of an index query. */
  async query(query: Omit<IndexQuery, 'entity'>): Promise<QueryPage<ResourceRecord>> {
    return this.store.query<ResourceRecord>({ entity: this.config.entity, ...query });
  }

  /** One storage page of resources matching an index condition. */
  async findByIndex(
    index: string,
    where: RangeCondition,
    cursor?: string,
  ): Promise<{ items: StoredResource[]; nextCursor?: string }> {
    const page = await this.query({ index, where, limit: FORGE_LIMITS.maxQueryLimit, cursor });
    return { items: page.results.map((r) => toStored(r.key, r.value)), nextCursor: page.nextCursor };
  }

  /** One storage page of all resources, in creation order. */
  async scan(cursor?: string): Promise<{ items: StoredResource[]; nextCursor?: string }> {
    return this.findByIndex('by-seq', { op: 'greaterThanEqualTo', value: 0 }, cursor);
  }

  private tracked(id: string, doc: ScimObject): WriteOperation[] {
    return this.config.trackedOperations?.(id, doc) ?? [];
  }

  private sideRecords(id: string, doc: ScimObject): SideRecord[] {
    return this.config.sideRecords?.(id, doc) ?? [];
  }

  private sideDiff(id: string, before: ScimObject, after: ScimObject): WriteOperation[] {
    const old = new Map(this.sideRecords(id, before).map((r) => [`${r.entity}/${r.key}`, r]));
    const next = new Map(this.sideRecords(id, after).map((r) => [`${r.entity}/${r.key}`, r]));
    return [
      ...[...old].filter(([k]) => !next.has(k)).map(([, r]) => deleteSide(r)),
      ...[...next].filter(([k]) => !old.has(k)).map(([, r]) => setSide(r)),
    ];
  }

  /**
   * Commits `first` atomically with as many of `extra` as fit in one transaction; the rest
   * follows in further transactions. Extra operations are idempotent (membership sets and
   * deletes, each add guarded by a check that its user is unchanged), so a crash in between
   * leaves a state the identity provider's retry repairs.
   */
  private async commit(
    first: WriteOperation[],
    extra: WriteOperation[],
    last: () => WriteOperation[] = () => [],
  ): Promise<void> {
    let transaction = [...first];
    let committed = 0;
    for (let i = 0; i < extra.length; i++) {
      // A check guards the operation after it: the two always share a transaction.
      const unit = extra[i].type === 'check' && i + 1 < extra.length ? [extra[i], extra[++i]] : [extra[i]];
      if (transaction.length + unit.length > MAX_TX) {
        await this.store.transact(transaction);
        committed++;
        transaction = [];
      }
      transaction.push(...unit);
    }
    if (committed > 0) {
      // The change spanned transactions: mark it again with the last one, so a reconcile that
      // ran between them (and cleared the first mark) does not miss what followed.
      const again = last();
      if (transaction.length + again.length > MAX_TX) {
        await this.store.transact(transaction);
        transaction = [];
      }
      transaction.push(...again);
    }
    if (transaction.length > 0) await this.store.transact(transaction);
  }
}

const RESOURCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isResourceId(id: string): boolean {
  return RESOURCE_ID.test(id);
}

function toStored(id: string, record: ResourceRecord): StoredResource {
  return {
    id,
    version: record.v,
    seq: record.seq,
    created: record.created,
    modified: record.modified,
    doc: record.doc,
  };
}

const setSide = (r: SideRecord): WriteOperation => ({
  type: 'set',
  entity: r.entity,
  key: r.key,
  value: r.value,
});
const deleteSide = (r: SideRecord): WriteOperation => ({ type: 'delete', entity: r.entity, key: r.key });
