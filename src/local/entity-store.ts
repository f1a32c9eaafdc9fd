/**
 * A local implementation of the storage port with Forge's semantics and limits: declared
 * entities and typed attributes only (with Forge's value rules: 32-bit integers, floats in
 * Forge's range, no blank strings), index values of at most 900 (range) and 1700 (partition)
 * bytes, key rules, 240 KiB values, at most 100 results per
 * query page (10 by default), at most 25 operations per transaction, conditions that fail
 * the whole transaction. Keeping it this strict makes a test fail here before Forge would.
 *
 * State lives in memory. With a directory, every committed write is first appended to a
 * journal and flushed to disk before the caller is answered, and no read is answered before
 * the writes it may have seen are flushed too; transactions that arrive while a flush runs
 * share the next one (a group commit, off the event loop: see `answered`). On start
 * the last snapshot plus the journal are replayed (a torn last line is a write that never
 * completed and is dropped), and the journal is folded into a new snapshot, written to a
 * temporary file and renamed into place.
 *
 * The files hold what the app stores, secrets included (the org API key, the SCIM token
 * hashes), so they are the owner's alone: the directory 0700, every file 0600. A record of a
 * `secret` entity that is deleted or replaced must not live on in the journal until the next
 * compaction (Disconnect promises the key is forgotten): such a write compacts at once, so the
 * old value is in no file once the caller is answered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SortedList } from './sorted-list';
import {
  attributeValueProblem,
  ConditionFailedError,
  EntityDefinition,
  EntityIndexDefinition,
  EntityStore,
  FORGE_LIMITS,
  IndexQuery,
  QueryPage,
  RangeCondition,
  Scalar,
  StorageLimitError,
  WriteOperation,
} from '../storage/port';

type Stored = Record<string, unknown>;

interface IndexEntry {
  partition: string;
  range: Scalar;
  key: string;
}

/** A write whose condition is a predicate on the stored record (see transactChecked). */
export type CheckedWriteOperation =
  | { type: 'set'; entity: string; key: string; value: object; condition?: CheckedCondition }
  | { type: 'delete'; entity: string; key: string; condition?: CheckedCondition }
  | { type: 'check'; entity: string; key: string; condition: CheckedCondition };

export interface CheckedCondition {
  attributes: string[];
  holds(current: Record<string, unknown> | undefined): boolean;
}

interface JournalOp {
  e: string;
  k: string;
  v?: Stored;
}

/**
 * An entity definition as this store takes it: `secret` marks an entity whose deleted or
 * replaced records must leave the disk at once (the offline runtime's kvs secrets).
 */
export interface LocalEntityDefinition extends EntityDefinition {
  secret?: boolean;
}

/** Owner-only: the store holds secrets. */
const DIRECTORY_MODE = 0o700;
const FILE_MODE = 0o600;

const SNAPSHOT = 'snapshot.json';
const JOURNAL = 'journal.jsonl';
const COMPACT_AFTER_LINES = 10_000;

export class LocalEntityStore implements EntityStore {
  private readonly definitions = new Map<string, EntityDefinition>();
  private readonly records = new Map<string, Map<string, Stored>>();
  /**
   * The JSON text of records read since they were last written: a read hands out a fresh copy
   * (as Forge's API does), and parsing kept text costs half of copying the object again.
   */
  private readonly texts = new WeakMap<Stored, string>();
  private readonly indexes = new Map<string, SortedList<IndexEntry>>();
  private readonly internal = new Set<string>();
  private readonly secrets = new Set<string>();
  private journal?: number;
  private journalLines = 0;
  /** Transactions appended to the journal, and how many of them are flushed to disk. */
  private written = 0;
  private durable = 0;
  /** Answers waiting for the journal to be durable up to `upTo` (in increasing order). */
  private waiters: { upTo: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  /** The journal file a flush is running on, if one is. */
  private flushing?: number;
  /** A journal replaced by a compaction while a flush ran on it: closed when the flush ends. */
  private retired?: number;
  private syncCount = 0;
  /** Set when a flush failed: memory then holds writes the disk may not, so nothing is answered. */
  private failure?: Error;
  /** Set by close() on a persistent store: the refusal every later call gets. */
  private closedAt?: Error;

  /**
   * `internal` entities are stored, indexed and journalled like the others but skip Forge's
   * value size and depth limits: the offline Forge runtime keeps its plain keys, secrets and
   * queued events in them, checking their own limits first.
   */
  constructor(
    entities: EntityDefinition[],
    private readonly directory?: string,
    internal: LocalEntityDefinition[] = [],
  ) {
    for (const entity of internal) this.internal.add(entity.name);
    for (const entity of [...entities, ...internal] as LocalEntityDefinition[]) {
      if (entity.secret) this.secrets.add(entity.name);
    }
    for (const entity of [...entities, ...internal]) {
      this.definitions.set(entity.name, entity);
      this.records.set(entity.name, new Map());
      for (const index of entity.indexes) {
        this.indexes.set(indexId(entity.name, index.name), new SortedList(compareEntries));
      }
    }
    if (directory) this.load(directory);
  }

  async get<T>(entity: string, key: string): Promise<T | undefined> {
    return this.answered(() => this.getNow<T>(entity, key));
  }

  async createIfAbsent(entity: string, key: string, value: object): Promise<boolean> {
    return this.answered(() => this.createIfAbsentNow(entity, key, value));
  }

  async query<T>(query: IndexQuery): Promise<QueryPage<T>> {
    return this.answered(() => this.queryNow<T>(query));
  }

  async transact(operations: WriteOperation[]): Promise<void> {
    return this.transactChecked(
      operations.map((op): CheckedWriteOperation => {
        if (!op.condition) return op as CheckedWriteOperation;
        const { attribute, equals } = op.condition;
        return {
          ...op,
          condition: {
            attributes: [attribute],
            holds: (current) => current !== undefined && current[attribute] === equals,
          },
        };
      }),
    );
  }

  /**
   * A transaction whose conditions are predicates on the stored record (undefined when there
   * is none), checked atomically with the writes. The offline Forge runtime evaluates Forge's
   * filter conditions with it; `attributes` are those the condition reads, which must be
   * declared.
   */
  async transactChecked(operations: CheckedWriteOperation[]): Promise<void> {
    return this.answered(() => this.transactNow(operations));
  }

  /** How many times the journal was flushed to disk (for tests and the benchmark). */
  get syncs(): number {
    return this.syncCount;
  }

  private getNow<T>(entity: string, key: string): T | undefined {
    this.definition(entity);
    checkKey(key);
    const value = this.records.get(entity)?.get(key);
    return value === undefined ? undefined : (this.copy(value) as T);
  }

  private createIfAbsentNow(entity: string, key: string, value: object): boolean {
    const checked = this.validate(entity, key, value);
    if (this.records.get(entity)?.has(key)) return false;
    this.persist([{ e: entity, k: key, v: checked }]);
    this.apply(entity, key, checked);
    return true;
  }

  private queryNow<T>(query: IndexQuery): QueryPage<T> {
    const entity = this.definition(query.entity);
    const index = entity.indexes.find((i) => i.name === query.index);
    if (!index) {
      throw new StorageLimitError(
        `Entity ${query.entity} has no index "${query.index}".`,
        'INVALID_ENTITY_INDEX',
      );
    }
    const limit = query.limit ?? FORGE_LIMITS.defaultQueryLimit;
    if (!Number.isInteger(limit) || limit < 1 || limit > FORGE_LIMITS.maxQueryLimit) {
      throw new StorageLimitError(
        `Query limit ${limit} is outside 1..${FORGE_LIMITS.maxQueryLimit}.`,
        'COMPLEX_QUERY_PAGE_LIMIT_NOT_IN_RANGE',
      );
    }
    const partitionSize = index.partition?.length ?? 0;
    if ((query.partition?.length ?? 0) !== partitionSize) {
      throw new StorageLimitError(
        `Index ${index.name} needs ${partitionSize} partition values.`,
        'INVALID_PARTITION',
      );
    }
    const partition = JSON.stringify(query.partition ?? []);
    const entries = this.indexes.get(indexId(entity.name, index.name)) as SortedList<IndexEntry>;
    const descending = query.sort === 'DESC';
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;

    const matches: IndexEntry[] = [];
    const inRange = rangeTest(query.where);
    const candidates = descending
      ? entries.descending(entries.firstWhere((e) => e.partition > partition))
      : entries.ascending(entries.firstWhere(startOf(partition, query.where, after)));
    const beyond = descending ? () => false : pastEnd(query.where);
    for (const entry of candidates) {
      if (entry.partition !== partition || beyond(entry.range)) break;
      if (after && !isAfter(entry, after, descending)) continue;
      if (!inRange(entry.range)) continue;
      matches.push(entry);
      if (matches.length > limit) break;
    }
    const page = matches.slice(0, limit);
    const records = this.records.get(entity.name) as Map<string, Stored>;
    const results = page.map((e) => ({ key: e.key, value: this.copy(records.get(e.key) as Stored) as T }));
    const last = page[page.length - 1];
    return matches.length > limit && last ? { results, nextCursor: encodeCursor(last) } : { results };
  }

  private transactNow(operations: CheckedWriteOperation[]): void {
    if (operations.length === 0) {
      throw new StorageLimitError('A transaction needs at least one operation.', 'EMPTY_TRANSACTION');
    }
    if (operations.length > FORGE_LIMITS.maxTransactionOperations) {
      throw new StorageLimitError(
        `A transaction has ${operations.length} operations; Forge allows ${FORGE_LIMITS.maxTransactionOperations}.`,
        'TRANSACTION_TOO_MANY_OPERATIONS',
      );
    }
    const seen = new Set<string>();
    let bytes = 0;
    const journal: JournalOp[] = [];
    for (const op of operations) {
      const id = `${op.entity}\u0000${op.key}`;
      if (seen.has(id)) {
        throw new StorageLimitError(
          `Key ${op.key} appears twice in one transaction.`,
          'TRANSACTION_DUPLICATE_KEY',
        );
      }
      seen.add(id);
      if (op.type === 'set') {
        const { value, json } = this.checked(op.entity, op.key, op.value);
        bytes += Buffer.byteLength(json, 'utf8');
        journal.push({ e: op.entity, k: op.key, v: value });
      } else {
        this.definition(op.entity);
        checkKey(op.key);
        if (op.type === 'delete') journal.push({ e: op.entity, k: op.key });
      }
      if (op.condition) {
        const entity = this.definition(op.entity);
        for (const attribute of op.condition.attributes) {
          if (!(attribute in entity.attributes)) {
            throw new StorageLimitError(
              `Condition on undeclared attribute ${attribute}.`,
              'INVALID_FILTER_ATTRIBUTE',
            );
          }
        }
        if (!op.condition.holds(this.records.get(op.entity)?.get(op.key))) {
          throw new ConditionFailedError(`Condition on ${op.entity}/${op.key} did not hold.`);
        }
      }
    }
    if (bytes > FORGE_LIMITS.maxTransactionBytes) {
      throw new StorageLimitError(
        `A transaction carries ${bytes} bytes; Forge allows 4 MB.`,
        'TRANSACTION_PAYLOAD_TOO_LARGE',
      );
    }
    // A secret's old value, deleted or replaced, must not stay in the journal (see above).
    const forgets = journal.some((op) => this.secrets.has(op.e) && this.records.get(op.e)?.has(op.k));
    this.persist(journal);
    for (const op of journal) this.apply(op.e, op.k, op.v);
    if (forgets && this.directory && this.journal !== undefined) this.compact(this.directory);
  }

  /** Number of stored records of an entity (for tests and the benchmark, not the port). */
  size(entity: string): number {
    return this.records.get(entity)?.size ?? 0;
  }

  /**
   * Folds the journal into a snapshot and closes the journal file. A persistent store refuses
   * every call after it: a write it can no longer make durable must not be answered.
   */
  close(): void {
    if (!this.directory || this.journal === undefined) return;
    this.closedAt = new Error('The local store is closed: the server is stopping.');
    this.compact(this.directory);
    this.closeJournal();
    this.journal = undefined;
  }

  /**
   * Runs `work` on the in-memory state, then answers once every write it may have observed is
   * durable. Writes are applied to memory when they are appended to the journal, before their
   * flush, so that the next transaction's conditions see them (the journal's order is the
   * order of commits). A read that ran meanwhile may have seen such a write, so it waits for
   * the same flush: nothing is answered, read or write, success or refusal, that a crash could
   * still take back. A flush covers every transaction appended before it began, so the
   * transactions that arrive while one runs share the next one (a group commit), and the event
   * loop serves other requests while the disk works.
   */
  private async answered<T>(work: () => T): Promise<T> {
    await turn();
    if (this.closedAt) throw this.closedAt;
    if (this.failure) throw this.failure;
    let result: T;
    try {
      result = work();
    } catch (error) {
      await this.settled();
      throw error;
    }
    await this.settled();
    return result;
  }

  /** Resolves when everything appended to the journal so far is on disk. */
  private settled(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.durable >= this.written) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ upTo: this.written, resolve, reject });
      this.flush();
    });
  }

  /**
   * One fdatasync, on libuv's thread pool, covering every line written before it starts; when
   * it ends, the next one starts if answers wait for lines written meanwhile.
   */
  private flush(): void {
    if (this.flushing !== undefined || this.journal === undefined) return;
    const fd = this.journal;
    const upTo = this.written;
    this.flushing = fd;
    this.syncCount++;
    fs.fdatasync(fd, (error) => {
      this.flushing = undefined;
      if (this.retired === fd) {
        fs.closeSync(fd);
        this.retired = undefined;
      }
      if (error) return this.fail(error);
      this.markDurable(upTo);
      if (this.waiters.length > 0) this.flush();
    });
  }

  private markDurable(upTo: number): void {
    this.durable = Math.max(this.durable, upTo);
    while (this.waiters.length > 0 && this.waiters[0].upTo <= this.durable) {
      this.waiters.shift()?.resolve();
    }
  }

  private fail(error: Error): void {
    this.failure = new Error(
      `The local store's journal could not be flushed to disk (${error.message}); writes since ` +
        'the last flush may be lost, so this store answers nothing more. Restart the server.',
    );
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
  }

  /** Closes the journal file now, or when the flush running on it ends. */
  private closeJournal(): void {
    if (this.journal === undefined) return;
    if (this.flushing === this.journal) this.retired = this.journal;
    else fs.closeSync(this.journal);
  }

  private definition(entity: string): EntityDefinition {
    const definition = this.definitions.get(entity);
    if (!definition) {
      throw new StorageLimitError(`Entity ${entity} is not declared in the manifest.`, 'ENTITY_NOT_DECLARED');
    }
    return definition;
  }

  private validate(entity: string, key: string, value: object): Stored {
    return this.checked(entity, key, value).value;
  }

  /** The value as it will be stored (a copy), and its JSON text, once Forge's rules allow it. */
  private checked(entity: string, key: string, value: object): { value: Stored; json: string } {
    const definition = this.definition(entity);
    checkKey(key);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new StorageLimitError(
        `Entity values must be objects (${entity}/${key}).`,
        'INVALID_ENTITY_VALUE',
      );
    }
    for (const [attribute, attributeValue] of Object.entries(value)) {
      const kind = definition.attributes[attribute];
      if (!kind) {
        throw new StorageLimitError(
          `Attribute ${attribute} is not declared on ${entity}.`,
          'INVALID_ENTITY_VALUE',
        );
      }
      if (attributeValue === undefined) {
        throw new StorageLimitError(
          `Attribute ${attribute} of ${entity}/${key} is undefined.`,
          'INVALID_ENTITY_VALUE',
        );
      }
      // Forge's value rules (storage-reference/entities-manifest, "Values"), refused with
      // INVALID_ENTITY_VALUE (handling-errors-customentities). The runtime's own entities keep
      // epoch milliseconds in `integer` attributes and only need the type to match.
      const problem = this.internal.has(entity)
        ? matchesKind(kind, attributeValue)
          ? undefined
          : `must be ${kind}`
        : attributeValueProblem(kind, attributeValue);
      if (problem) {
        throw new StorageLimitError(
          `Attribute ${attribute} of ${entity} (${kind}) ${problem}: ${shown(attributeValue)}.`,
          'INVALID_ENTITY_VALUE',
        );
      }
    }
    const json = JSON.stringify(value);
    if (this.internal.has(entity)) return { value: JSON.parse(json) as Stored, json };
    checkIndexSizes(definition, key, value as Stored);
    if (Buffer.byteLength(json, 'utf8') > FORGE_LIMITS.maxValueBytes) {
      throw new StorageLimitError(`Value of ${entity}/${key} is larger than 240 KiB.`, 'MAX_SIZE');
    }
    if (depth(value) > FORGE_LIMITS.maxValueDepth) {
      throw new StorageLimitError(`Value of ${entity}/${key} is nested deeper than 31 levels.`, 'MAX_DEPTH');
    }
    return { value: JSON.parse(json) as Stored, json };
  }

  private apply(entity: string, key: string, value: Stored | undefined): void {
    const records = this.records.get(entity);
    const definition = this.definitions.get(entity);
    if (!records || !definition) return;
    const previous = records.get(key);
    if (previous) this.texts.delete(previous);
    for (const index of definition.indexes) {
      const entries = this.indexes.get(indexId(entity, index.name)) as SortedList<IndexEntry>;
      const before = previous ? entryOf(index, key, previous) : undefined;
      const after = value ? entryOf(index, key, value) : undefined;
      // Most writes leave indexed values alone (a PATCH of active): nothing to move then.
      if (before && after && compareEntries(before, after) === 0) continue;
      if (before) entries.remove(before);
      if (after) entries.insert(after);
    }
    if (value) records.set(key, value);
    else records.delete(key);
  }

  private copy(value: Stored): Stored {
    let text = this.texts.get(value);
    if (text === undefined) {
      text = JSON.stringify(value);
      this.texts.set(value, text);
    }
    return JSON.parse(text) as Stored;
  }

  /** Appends a transaction to the journal; `answered` waits for its flush. */
  private persist(ops: JournalOp[]): void {
    if (this.journal === undefined) return;
    fs.writeSync(this.journal, JSON.stringify(ops) + '\n');
    this.written++;
    this.journalLines++;
  }

  private load(directory: string): void {
    fs.mkdirSync(directory, { recursive: true, mode: DIRECTORY_MODE });
    // A store made before the files were owner-only is tightened (compact rewrites the files).
    fs.chmodSync(directory, DIRECTORY_MODE);
    const snapshotPath = path.join(directory, SNAPSHOT);
    if (fs.existsSync(snapshotPath)) {
      const snapshot = JSON.parse(fs.readFileSync(snapshotPath, 'utf8')) as Record<
        string,
        [string, Stored][]
      >;
      for (const [entity, rows] of Object.entries(snapshot)) {
        for (const [key, value] of rows) this.apply(entity, key, value);
      }
    }
    const journalPath = path.join(directory, JOURNAL);
    if (fs.existsSync(journalPath)) {
      const lines = fs.readFileSync(journalPath, 'utf8').split('\n');
      for (const line of lines) {
        if (!line) continue;
        let ops: JournalOp[];
        try {
          ops = JSON.parse(line) as JournalOp[];
        } catch {
          break; // a torn write at the end: that transaction never committed
        }
        for (const op of ops) this.apply(op.e, op.k, op.v);
      }
    }
    this.compact(directory);
  }

  private compact(directory: string): void {
    const snapshot: Record<string, [string, Stored][]> = {};
    for (const [entity, records] of this.records) snapshot[entity] = [...records];
    const temporary = path.join(directory, `${SNAPSHOT}.tmp`);
    // Created afresh, so it is 0600 from its first byte (a mode applies only to a new file).
    fs.rmSync(temporary, { force: true });
    fs.writeFileSync(temporary, JSON.stringify(snapshot), { mode: FILE_MODE });
    const fd = fs.openSync(temporary, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(temporary, path.join(directory, SNAPSHOT));
    // Make the rename itself durable before the journal it replaces is emptied.
    const directoryHandle = fs.openSync(directory, 'r');
    fs.fsyncSync(directoryHandle);
    fs.closeSync(directoryHandle);
    // The snapshot holds every write applied so far, and it is on disk.
    this.markDurable(this.written);
    this.closeJournal();
    this.journal = fs.openSync(path.join(directory, JOURNAL), 'w', FILE_MODE);
    // An existing journal keeps its mode when truncated: one from before 0600 is tightened.
    fs.fchmodSync(this.journal, FILE_MODE);
    this.journalLines = 0;
  }

  /** Compacts when the journal has grown long; called by the local server when idle. */
  maintain(): void {
    if (this.directory && this.journal !== undefined && this.journalLines > COMPACT_AFTER_LINES) {
      this.compact(this.directory);
    }
  }
}

/** Yield to the event loop, as a network round trip would, so concurrent requests interleave. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

const indexId = (entity: string, index: string) => `${entity}#${index}`;

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0)
    throw new StorageLimitError('Key cannot be empty.', 'EMPTY_KEY');
  if (key.length > FORGE_LIMITS.maxKeyLength) {
    throw new StorageLimitError(
      `Key length must be 1..${FORGE_LIMITS.maxKeyLength}: "${key}".`,
      'KEY_TOO_LONG',
    );
  }
  if (!FORGE_LIMITS.keyPattern.test(key)) {
    throw new StorageLimitError(`Key "${key}" has characters Forge does not allow.`, 'INVALID_KEY');
  }
}

/** The size Forge counts for an index value: UTF-8 bytes of a string, digits of a number. */
function indexBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return String(value).length;
  if (typeof value === 'boolean') return 1;
  return 0;
}

/**
 * `limits-kvs-ce`, "Custom Entity Store limits", Index: the combined values of an index's
 * range attributes may not exceed 900 bytes, those of its partition attributes 1700 bytes.
 * The docs name no error code for it: INDEX_VALUE_TOO_LARGE (400) is ours.
 */
function checkIndexSizes(definition: EntityDefinition, key: string, value: Stored): void {
  for (const index of definition.indexes) {
    const range = index.range.reduce((sum, attribute) => sum + indexBytes(value[attribute]), 0);
    const partition = (index.partition ?? []).reduce(
      (sum, attribute) => sum + indexBytes(value[attribute]),
      0,
    );
    if (range > FORGE_LIMITS.maxIndexRangeBytes || partition > FORGE_LIMITS.maxIndexPartitionBytes) {
      throw new StorageLimitError(
        `Index ${index.name} of ${definition.name}/${key} would hold ${range} bytes of range value ` +
          `(at most ${FORGE_LIMITS.maxIndexRangeBytes}) and ${partition} of partition values ` +
          `(at most ${FORGE_LIMITS.maxIndexPartitionBytes}).`,
        'INDEX_VALUE_TOO_LARGE',
      );
    }
  }
}

function shown(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

function matchesKind(kind: string, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'float':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

function depth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 0;
  // Only objects nest: long arrays of ids cost a type check each, not a call.
  for (const child of Object.values(value)) {
    if (typeof child === 'object' && child !== null) deepest = Math.max(deepest, depth(child));
  }
  return deepest + 1;
}

function entryOf(index: EntityIndexDefinition, key: string, value: Stored): IndexEntry | undefined {
  const range = value[index.range[0]];
  if (
    range === undefined ||
    (typeof range !== 'string' && typeof range !== 'number' && typeof range !== 'boolean')
  ) {
    return undefined;
  }
  const partition = JSON.stringify((index.partition ?? []).map((p) => value[p]));
  return { partition, range, key };
}

function compareScalars(a: Scalar, b: Scalar): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  // Every index lookup compares several times: strings (most range values) without copies.
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareEntries(a: IndexEntry, b: IndexEntry): number {
  if (a.partition !== b.partition) return a.partition < b.partition ? -1 : 1;
  const byRange = compareScalars(a.range, b.range);
  if (byRange !== 0) return byRange;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Where an ascending query starts: binary search to its lower bound, never a scan. */
function startOf(
  partition: string,
  where: RangeCondition | undefined,
  after: { range: Scalar; key: string } | undefined,
): (entry: IndexEntry) => boolean {
  const lower = where ? lowerValue(where) : undefined;
  const probes: IndexEntry[] = [];
  if (lower !== undefined) probes.push({ partition, range: lower, key: '' });
  if (after) probes.push({ partition, range: after.range, key: after.key });
  return (entry) =>
    entry.partition > partition ||
    (entry.partition === partition && probes.every((probe) => compareEntries(entry, probe) >= 0));
}

function lowerValue(where: RangeCondition): Scalar | undefined {
  switch (where.op) {
    case 'equalTo':
    case 'beginsWith':
    case 'greaterThan':
    case 'greaterThanEqualTo':
      return where.value;
    case 'between':
      return where.from;
    default:
      return undefined;
  }
}

/** For an ascending walk: true once no later entry can match. */
function pastEnd(where: RangeCondition | undefined): (value: Scalar) => boolean {
  if (!where) return () => false;
  switch (where.op) {
    case 'equalTo':
      return (v) => compareScalars(v, where.value) > 0;
    case 'beginsWith': {
      const prefix = String(where.value);
      return (v) => compareScalars(v, prefix) > 0 && !String(v).startsWith(prefix);
    }
    case 'lessThan':
    case 'lessThanEqualTo':
      return (v) => compareScalars(v, where.value) > 0;
    case 'between':
      return (v) => compareScalars(v, where.to) > 0;
    default:
      return () => false;
  }
}

function rangeTest(where: RangeCondition | undefined): (value: Scalar) => boolean {
  if (!where) return () => true;
  switch (where.op) {
    case 'equalTo':
      return (v) => compareScalars(v, where.value) === 0;
    case 'beginsWith':
      return (v) => typeof v === 'string' && v.startsWith(String(where.value));
    case 'greaterThan':
      return (v) => compareScalars(v, where.value) > 0;
    case 'greaterThanEqualTo':
      return (v) => compareScalars(v, where.value) >= 0;
    case 'lessThan':
      return (v) => compareScalars(v, where.value) < 0;
    case 'lessThanEqualTo':
      return (v) => compareScalars(v, where.value) <= 0;
    case 'between':
      return (v) => compareScalars(v, where.from) >= 0 && compareScalars(v, where.to) <= 0;
  }
}

function isAfter(entry: IndexEntry, cursor: { range: Scalar; key: string }, descending: boolean): boolean {
  const byRange = compareScalars(entry.range, cursor.range);
  const order = byRange !== 0 ? byRange : entry.key < cursor.key ? -1 : entry.key > cursor.key ? 1 : 0;
  return descending ? order < 0 : order > 0;
}

function encodeCursor(entry: IndexEntry): string {
  return Buffer.from(JSON.stringify({ range: entry.range, key: entry.key })).toString('base64url');
}

function decodeCursor(cursor: string): { range: Scalar; key: string } {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { range: Scalar; key: string };
  } catch {
    throw new StorageLimitError('Invalid query cursor.', 'INVALID_CURSOR');
  }
}
