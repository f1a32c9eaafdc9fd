/**
 * The Key-Value Store, Custom Entity Store and secrets, answering the HTTP API `@forge/kvs`
 * sends through `global.__forge_fetch__` (POST /api/v1/..., JSON in and out), backed by
 * LocalEntityStore so the journal in DATA_DIR makes every answered write durable.
 *
 * Errors have the shape @forge/kvs parses into ForgeKvsAPIError: `{ code, message }` with an
 * HTTP status. Codes Atlassian documents (handling-errors-kvs, handling-errors-customentities)
 * are used as documented; the others are our choice. Where the docs give neither status nor
 * code for an outcome an app might branch on (a failed condition, an existing key), the answer
 * varies at random per answer among plausible ones, so the app must decide by reading back:
 *
 *   status code                                   when                                      source
 *   400    EMPTY_KEY / KEY_TOO_SHORT              empty key (entities / plain keys)         handling-errors-*
 *   400    KEY_TOO_LONG, INVALID_KEY              key over 500 chars / not matching regex   handling-errors-*, limits-kvs-ce
 *   400    MAX_SIZE                               value > 240 KiB (secret > 128 KiB)        handling-errors-*, limits-kvs-ce, kvs-api-secret
 *   400    MAX_DEPTH                              value nested deeper than 31               handling-errors-*, limits-kvs-ce
 *   400    INVALID_ENTITY_VALUE                   undeclared attribute, wrong type, and the handling-errors-customentities,
 *                                                 value rules: integer 32-bit signed; float entities-manifest "Values"
 *                                                 0 or |x| in 1E-130..9.99E+125; string
 *                                                 non-blank; boolean true/false
 *   400    INVALID_ENTITY_INDEX                   undeclared index                          handling-errors-customentities
 *   400    COMPLEX_QUERY_PAGE_LIMIT_NOT_IN_RANGE  entity query limit outside 1..100         handling-errors-customentities
 *   400    LIST_QUERY_LIMIT_EXCEEDED              key query limit outside 1..100            handling-errors-kvs
 *   400    QUERY_WHERE_INVALID, QUERY_WHERE_FIELD_INVALID   malformed key query             handling-errors-kvs
 *   400    EMPTY_FILTER_OPERATOR, INVALID_FILTER_OPERATORS_COMBINATION,
 *          INSUFFICIENT_FILTER_VALUES, INVALID_FILTER_CONDITION   malformed filters        handling-errors-*
 *   404    KEY_NOT_FOUND                          get/delete of a missing key               what @forge/kvs expects
 *   429    RATE_LIMIT_EXCEEDED                    only when a test injects it               handling-errors-*
 *   400    INDEX_VALUE_TOO_LARGE                  range values > 900 bytes or partition     limit: limits-kvs-ce (Index);
 *                                                 values > 1700 bytes on an index           code chosen
 *   400    INVALID_TTL                            TTL not positive or over 1 year           limit: kvs-api (TTL); code chosen
 *   400    INVALID_CURSOR                         a cursor this store did not issue, or one limit: entities-api-query
 *                                                 issued in another invocation (cursors     ("do not persist cursors, they
 *                                                 "may not always be stable")               may not be stable"); code chosen
 *   400    ENTITY_NOT_DECLARED                    entity not in manifest.yml                chosen
 *   400    INVALID_PARTITION                      wrong number of partition values          chosen
 *   400    INVALID_FILTER_ATTRIBUTE               condition on an undeclared attribute      chosen
 *   400    TOO_MANY_CONDITIONS                    more than 100 conditions                  limit: limits-kvs-ce; code chosen
 *   400    EMPTY_TRANSACTION                      transaction without operations            chosen
 *   400    TRANSACTION_TOO_MANY_OPERATIONS        more than 25 operations                   limit: limits-kvs-ce; code chosen
 *   400    TRANSACTION_DUPLICATE_KEY              a key twice in one transaction            limit: limits-kvs-ce; code chosen
 *   400    TRANSACTION_PAYLOAD_TOO_LARGE          more than 4 MB in one transaction         limit: limits-kvs-ce; code chosen
 *   400    INVALID_REQUEST                        body is not what @forge/kvs sends         chosen
 *   400    UNSUPPORTED_OFFLINE                    TTL on a custom entity (not emulated)     chosen
 *   403    SCOPE_NOT_GRANTED                      manifest lacks storage:app                chosen
 *   404    UNKNOWN_OPERATION                      a path this API does not have             chosen
 *   varies KEY_EXISTS_ANSWERS below               set with keyPolicy FAIL_IF_EXISTS on an   undocumented: varies
 *                                                 existing key (expired-but-not-yet-deleted
 *                                                 keys still exist)
 *   varies CONDITION_FAILED_ANSWERS below         a transaction condition did not hold      undocumented: varies
 *   500    INTERNAL_SERVER_ERROR                  a bug here                                chosen
 *
 * TTL (storage-reference/kvs-api): "Deletion may take up to 48 hours. During this window, read
 * operations may still return expired results." An expired plain key keeps being returned by
 * get and query (and keeps FAIL_IF_EXISTS failing) for a while after its expiry that varies
 * per key (0..`ttlGraceMs`, 10 minutes unless set), so no code can rely on expiry freeing a key.
 *
 * Cursors (storage-reference/entities-api-query: "do not persist cursors, as they may not
 * always be stable"): a cursor answered to an invocation works only in that invocation; calls
 * made outside any invocation (no invocation id) accept any cursor this store issued.
 */
import { createHash } from 'node:crypto';
import {
  CheckedCondition,
  CheckedWriteOperation,
  LocalEntityDefinition,
  LocalEntityStore,
} from '../entity-store';
import { ConditionFailedError, FORGE_LIMITS, RangeCondition, StorageLimitError } from '../../storage/port';
import { seededRandom } from '../seeded-random';

export interface KvsAnswer {
  status: number;
  body?: unknown;
}

/** Runtime-internal entities (see LocalEntityStore's `internal`). */
export const PLAIN = '$kvs';
export const SECRET = '$secret';
// Epoch milliseconds do not fit Forge's 32-bit `integer`; `float` holds them exactly.
const recordAttributes = {
  key: 'string',
  value: 'any',
  createdAt: 'float',
  updatedAt: 'float',
  expireAt: 'float',
} as const;
/**
 * Secrets are `secret` to the local store: deleteSecret (Disconnect) and a replaced secret
 * leave no copy of the old value in DATA_DIR's files (src/local/entity-store.ts).
 */
export const KVS_INTERNAL_ENTITIES: LocalEntityDefinition[] = [
  { name: PLAIN, attributes: recordAttributes, indexes: [{ name: 'by-key', range: ['key'] }] },
  { name: SECRET, attributes: recordAttributes, indexes: [], secret: true },
];

const MAX_SECRET_BYTES = FORGE_LIMITS.maxSecretBytes;

export interface KvsAnswerChoice {
  status: number;
  code: string;
}

/** Plausible answers to FAIL_IF_EXISTS on an existing key: the docs name none. */
export const KEY_EXISTS_ANSWERS: readonly KvsAnswerChoice[] = [
  { status: 409, code: 'KEY_ALREADY_EXISTS' },
  { status: 400, code: 'KEY_ALREADY_EXISTS' },
  { status: 400, code: 'CONDITION_CHECK_FAILED' },
  { status: 409, code: 'CONDITION_FAILED' },
  { status: 412, code: 'PRECONDITION_FAILED' },
];

/** Plausible answers to a transaction whose condition did not hold: the docs name none. */
export const CONDITION_FAILED_ANSWERS: readonly KvsAnswerChoice[] = [
  { status: 409, code: 'CONDITION_FAILED' },
  { status: 400, code: 'CONDITION_CHECK_FAILED' },
  { status: 412, code: 'PRECONDITION_FAILED' },
  { status: 409, code: 'TRANSACTION_CONFLICT' },
];

export interface KvsOptions {
  /** Seeds the choice among undocumented answers and the TTL grace of each key. */
  seed?: number;
  /** Pins the answer to FAIL_IF_EXISTS on an existing key (else one of KEY_EXISTS_ANSWERS). */
  keyExists?: KvsAnswerChoice;
  /** Pins the answer to a failed condition (else one of CONDITION_FAILED_ANSWERS). */
  conditionFailed?: KvsAnswerChoice;
  /** Expired plain keys stay readable for 0..ttlGraceMs after expiry (per key); 10 minutes. */
  ttlGraceMs?: number;
}

/** The invocation a storage call comes from; none for calls outside any invocation. */
export interface KvsCallContext {
  invocationId?: string;
}

const DEFAULT_TTL_GRACE_MS = 10 * 60_000;

interface PlainRecord {
  key: string;
  value: unknown;
  createdAt: number;
  updatedAt: number;
  expireAt?: number;
}

interface FilterItem {
  property: string;
  condition: string;
  values: unknown[];
}
type Filters = { and?: FilterItem[]; or?: FilterItem[] };

interface SetOptions {
  ttl?: { value: number; unit: 'SECONDS' | 'MINUTES' | 'HOURS' | 'DAYS' };
  keyPolicy?: 'OVERRIDE' | 'FAIL_IF_EXISTS';
  returnValue?: 'PREVIOUS' | 'LATEST';
  returnMetadataFields?: string[];
}

interface Body {
  key?: unknown;
  value?: unknown;
  entityName?: string;
  options?: SetOptions & { metadataFields?: string[] };
  [field: string]: unknown;
}

/** An error answer; thrown inside the service and turned into the HTTP answer at the edge. */
export class KvsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const fail = (status: number, code: string, message: string): never => {
  throw new KvsError(status, code, message);
};

export class KvsService {
  private faults: { status: number; code: string; remaining: number }[] = [];
  private options: KvsOptions = {};
  private random: () => number = Math.random;
  private seed = 0;

  constructor(
    private readonly store: LocalEntityStore,
    private readonly scopes: string[],
    private readonly now: () => number = Date.now,
    options: KvsOptions = {},
  ) {
    this.configure(options);
  }

  /** Sets (replaces) the options: a seed, pinned answers, the TTL grace window. */
  configure(options: KvsOptions): void {
    this.options = { ...options };
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.random = seededRandom(this.seed);
  }

  /** The next `times` requests answer `status`/`code` (e.g. 429 RATE_LIMIT_EXCEEDED, 503). */
  injectFault(status: number, code: string, times = 1): void {
    this.faults.push({ status, code, remaining: times });
  }

  async handle(path: string, body: unknown, context: KvsCallContext = {}): Promise<KvsAnswer> {
    try {
      if (!this.scopes.includes('storage:app')) {
        fail(403, 'SCOPE_NOT_GRANTED', 'The manifest does not declare the storage:app scope.');
      }
      const fault = this.faults[0];
      if (fault) {
        if (--fault.remaining <= 0) this.faults.shift();
        fail(fault.status, fault.code, 'Injected by the offline Forge runtime.');
      }
      return await this.route(path.replace(/^\/+/, '/'), body, context);
    } catch (error) {
      if (error instanceof KvsError) {
        return { status: error.status, body: { code: error.code, message: error.message } };
      }
      if (error instanceof StorageLimitError) {
        return { status: 400, body: { code: error.code, message: error.message } };
      }
      if (error instanceof ConditionFailedError) {
        const { status, code } = this.options.conditionFailed ?? this.pick(CONDITION_FAILED_ANSWERS);
        return { status, body: { code, message: error.message } };
      }
      return { status: 500, body: { code: 'INTERNAL_SERVER_ERROR', message: String(error) } };
    }
  }

  /** One of the plausible answers, at random. */
  private pick(answers: readonly KvsAnswerChoice[]): KvsAnswerChoice {
    return answers[Math.floor(this.random() * answers.length)] ?? answers[0];
  }

  private keyExists(message: string): never {
    const { status, code } = this.options.keyExists ?? this.pick(KEY_EXISTS_ANSWERS);
    return fail(status, code, message);
  }

  /**
   * When an expired key is really gone: its expiry plus a grace that varies per key
   * (storage-reference/kvs-api: deletion "may take up to 48 hours").
   */
  private purgedAt(record: PlainRecord): number {
    const expireAt = record.expireAt as number;
    const window = this.options.ttlGraceMs ?? DEFAULT_TTL_GRACE_MS;
    if (window <= 0) return expireAt;
    const digest = createHash('sha256').update(`${this.seed}:${record.key}:${expireAt}`).digest();
    return expireAt + Math.floor((digest.readUInt32BE(0) / 2 ** 32) * window);
  }

  private present(record: PlainRecord | undefined): record is PlainRecord {
    return !!record && (record.expireAt === undefined || this.now() < this.purgedAt(record));
  }

  /** The cursor handed to the app: bound to the invocation that asked, if any. */
  private issueCursor(cursor: string | undefined, context: KvsCallContext): string | undefined {
    if (cursor === undefined || context.invocationId === undefined) return cursor;
    return Buffer.from(JSON.stringify({ i: context.invocationId, c: cursor })).toString('base64url');
  }

  /** The store's cursor in one the app presents; refused if another invocation got it. */
  private acceptCursor(cursor: string, context: KvsCallContext): string {
    let bound: { i?: unknown; c?: unknown } | undefined;
    try {
      const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
      if (typeof parsed === 'object' && parsed !== null) bound = parsed as { i?: unknown; c?: unknown };
    } catch {
      bound = undefined;
    }
    const issuedTo =
      bound && typeof bound.i === 'string' && typeof bound.c === 'string' ? bound.i : undefined;
    if (context.invocationId !== undefined && issuedTo !== context.invocationId) {
      fail(
        400,
        'INVALID_CURSOR',
        'This cursor was not issued to this invocation: cursors may not be persisted ' +
          '(storage-reference/entities-api-query).',
      );
    }
    return issuedTo !== undefined ? String(bound?.c) : cursor;
  }

  private async route(path: string, raw: unknown, context: KvsCallContext): Promise<KvsAnswer> {
    const isArrayBody = path.startsWith('/api/v1/batch/');
    if (isArrayBody ? !Array.isArray(raw) : typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      fail(400, 'INVALID_REQUEST', `Unexpected request body for ${path}.`);
    }
    const body = raw as Body;
    switch (path) {
      case '/api/v1/get':
        return this.getPlain(PLAIN, body);
      case '/api/v1/secret/get':
        return this.getPlain(SECRET, body);
      case '/api/v1/set':
        return this.setPlain(PLAIN, body);
      case '/api/v1/secret/set':
        return this.setPlain(SECRET, body);
      case '/api/v1/delete':
        return this.deletePlain(PLAIN, body);
      case '/api/v1/secret/delete':
        return this.deletePlain(SECRET, body);
      case '/api/v1/query':
        return this.queryPlain(body, context);
      case '/api/v1/entity/get':
        return this.getEntity(body);
      case '/api/v1/entity/set':
        return this.setEntity(body);
      case '/api/v1/entity/delete':
        return this.deleteEntity(body);
      case '/api/v1/entity/query':
        return this.queryEntity(body, context);
      case '/api/v1/transaction':
        return this.transaction(body);
      case '/api/v1/batch/set':
      case '/api/v1/batch/get':
      case '/api/v1/batch/delete':
        return this.batch(path.slice('/api/v1/batch/'.length), raw as Body[], context);
      default:
        return fail(404, 'UNKNOWN_OPERATION', `The offline Forge storage has no ${path}.`);
    }
  }

  // ---- plain keys and secrets -------------------------------------------------------------

  private async readPlain(area: string, key: unknown): Promise<PlainRecord | undefined> {
    const record = await this.store.get<PlainRecord>(area, plainKey(key));
    return this.present(record) ? record : undefined;
  }

  private async getPlain(area: string, body: Body): Promise<KvsAnswer> {
    const record = await this.readPlain(area, body.key);
    if (!record) return fail(404, 'KEY_NOT_FOUND', `No value under "${String(body.key)}".`);
    return { status: 200, body: withMetadata(record) };
  }

  private plainRecord(area: string, body: Body, previous?: PlainRecord): PlainRecord {
    const key = plainKey(body.key);
    if (body.value === undefined) fail(400, 'INVALID_REQUEST', 'A value is required.');
    checkValue(body.value, area === SECRET ? MAX_SECRET_BYTES : FORGE_LIMITS.maxValueBytes);
    const now = this.now();
    const ttl = body.options?.ttl;
    if (ttl !== undefined) checkTtl(ttl);
    return {
      key,
      value: body.value,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
      ...(ttl ? { expireAt: now + ttlMs(ttl) } : {}),
    };
  }

  private async setPlain(area: string, body: Body): Promise<KvsAnswer> {
    const previous = await this.readPlain(area, body.key);
    const record = this.plainRecord(area, body, previous);
    if (body.options?.keyPolicy === 'FAIL_IF_EXISTS') {
      // An expired record that is no longer returned is gone: drop it so the create can
      // succeed. One that is still returned (expired, not yet deleted) still exists.
      const stored = await this.store.get<PlainRecord>(area, record.key);
      if (stored && !previous) await this.store.transact([{ type: 'delete', entity: area, key: record.key }]);
      if (!(await this.store.createIfAbsent(area, record.key, record))) {
        this.keyExists(`A value is already stored under "${record.key}".`);
      }
      return { status: 204 };
    }
    await this.store.transact([{ type: 'set', entity: area, key: record.key, value: record }]);
    return returnValue(body.options, previous, record);
  }

  private async deletePlain(area: string, body: Body): Promise<KvsAnswer> {
    const key = plainKey(body.key);
    await this.store.transact([{ type: 'delete', entity: area, key }]);
    return { status: 204 };
  }

  private async queryPlain(body: Body, context: KvsCallContext): Promise<KvsAnswer> {
    const limit = body.limit ?? FORGE_LIMITS.defaultQueryLimit;
    if (
      typeof limit !== 'number' ||
      !Number.isInteger(limit) ||
      limit < 1 ||
      limit > FORGE_LIMITS.maxQueryLimit
    ) {
      fail(400, 'LIST_QUERY_LIMIT_EXCEEDED', 'The limit of a key query must be 1..100.');
    }
    const where = (body.where ?? []) as FilterItem[];
    if (!Array.isArray(where) || where.length > 1) {
      fail(400, 'QUERY_WHERE_INVALID', 'A key query has at most one where clause.');
    }
    const clause = where[0];
    if (clause && clause.property !== 'key') {
      fail(400, 'QUERY_WHERE_FIELD_INVALID', 'Key queries filter on "key" only.');
    }
    if (clause && clause.condition !== 'BEGINS_WITH') {
      fail(400, 'INVALID_FILTER_CONDITION', 'Key queries support BEGINS_WITH only.');
    }
    const page = await this.store.query<PlainRecord>({
      entity: PLAIN,
      index: 'by-key',
      limit: limit as number,
      ...(clause ? { where: { op: 'beginsWith', value: String(clause.values[0]) } } : {}),
      ...(typeof body.after === 'string' ? { cursor: this.acceptCursor(body.after, context) } : {}),
    });
    const data = page.results
      .filter((r) => this.present(r.value))
      .map((r) => withMetadata(r.value, body.options?.metadataFields ?? []));
    const cursor = this.issueCursor(page.nextCursor, context);
    return { status: 200, body: { data, ...(cursor ? { cursor } : {}) } };
  }

  // ---- custom entities --------------------------------------------------------------------

  private async getEntity(body: Body): Promise<KvsAnswer> {
    const { entity, key } = entityKey(body);
    const value = await this.store.get<unknown>(entity, key);
    if (value === undefined) return fail(404, 'KEY_NOT_FOUND', `No ${entity} under "${key}".`);
    return { status: 200, body: { key, value } };
  }

  private async setEntity(body: Body): Promise<KvsAnswer> {
    const { entity, key } = entityKey(body);
    if (body.options?.ttl)
      fail(400, 'UNSUPPORTED_OFFLINE', 'TTL on custom entities is not emulated offline.');
    const value = body.value as object;
    if (body.options?.keyPolicy === 'FAIL_IF_EXISTS') {
      if (!(await this.store.createIfAbsent(entity, key, value))) {
        this.keyExists(`A ${entity} is already stored under "${key}".`);
      }
      return { status: 204 };
    }
    const previous = body.options?.returnValue ? await this.store.get<unknown>(entity, key) : undefined;
    await this.store.transact([{ type: 'set', entity, key, value }]);
    const now = this.now();
    return returnValue(
      body.options,
      previous === undefined ? undefined : { key, value: previous, createdAt: now, updatedAt: now },
      { key, value, createdAt: now, updatedAt: now },
    );
  }

  private async deleteEntity(body: Body): Promise<KvsAnswer> {
    const { entity, key } = entityKey(body);
    await this.store.transact([{ type: 'delete', entity, key }]);
    return { status: 204 };
  }

  private async queryEntity(body: Body, context: KvsCallContext): Promise<KvsAnswer> {
    const entity = String(body.entityName ?? '');
    const limit = body.limit ?? FORGE_LIMITS.defaultQueryLimit;
    const filters = body.filters === undefined ? undefined : condition(body.filters as Filters);
    const page = await this.store.query<Record<string, unknown>>({
      entity,
      index: String(body.indexName ?? ''),
      limit: limit as number,
      ...(Array.isArray(body.partition)
        ? { partition: body.partition as (string | number | boolean)[] }
        : {}),
      ...(body.range ? { where: rangeCondition(body.range as FilterItem) } : {}),
      ...(body.sort === 'DESC' ? { sort: 'DESC' as const } : {}),
      ...(typeof body.cursor === 'string' ? { cursor: this.acceptCursor(body.cursor, context) } : {}),
    });
    // Like Forge (and DynamoDB below it), filters apply to the page the limit selected.
    const data = page.results.filter((r) => !filters || filters.holds(r.value));
    const cursor = this.issueCursor(page.nextCursor, context);
    return { status: 200, body: { data, ...(cursor ? { cursor } : {}) } };
  }

  // ---- transactions and batches -----------------------------------------------------------

  private async transaction(body: Body): Promise<KvsAnswer> {
    const operations: CheckedWriteOperation[] = [];
    const sets = (body.set ?? []) as Body[];
    const deletes = (body.delete ?? []) as Body[];
    const checks = (body.check ?? []) as Body[];
    for (const op of sets) {
      if (op.entityName) {
        if (op.options?.ttl)
          fail(400, 'UNSUPPORTED_OFFLINE', 'TTL on custom entities is not emulated offline.');
        operations.push({
          type: 'set',
          entity: op.entityName,
          key: String(op.key),
          value: op.value as object,
          ...conditionOf(op),
        });
      } else {
        const record = this.plainRecord(PLAIN, op, await this.readPlain(PLAIN, op.key));
        operations.push({ type: 'set', entity: PLAIN, key: record.key, value: record });
      }
    }
    for (const op of deletes) {
      operations.push({
        type: 'delete',
        entity: op.entityName ?? PLAIN,
        key: op.entityName ? String(op.key) : plainKey(op.key),
        ...conditionOf(op),
      });
    }
    for (const op of checks) {
      if (!op.entityName || !op.conditions)
        fail(400, 'INVALID_REQUEST', 'A check needs an entity and conditions.');
      operations.push({
        type: 'check',
        entity: String(op.entityName),
        key: String(op.key),
        condition: condition(op.conditions as Filters),
      });
    }
    await this.store.transactChecked(operations);
    return { status: 204 };
  }

  private async batch(kind: string, items: Body[], context: KvsCallContext): Promise<KvsAnswer> {
    const successfulKeys: Record<string, unknown>[] = [];
    const failedKeys: Record<string, unknown>[] = [];
    for (const item of items) {
      const id = { key: item.key, ...(item.entityName ? { entityName: item.entityName } : {}) };
      const answer =
        kind === 'set'
          ? await this.handle(item.entityName ? '/api/v1/entity/set' : '/api/v1/set', item, context)
          : kind === 'get'
            ? await this.handle(item.entityName ? '/api/v1/entity/get' : '/api/v1/get', item, context)
            : await this.handle(item.entityName ? '/api/v1/entity/delete' : '/api/v1/delete', item, context);
      if (answer.status < 300) {
        successfulKeys.push(kind === 'get' ? { ...id, ...(answer.body as object) } : id);
      } else {
        failedKeys.push({ ...id, error: answer.body });
      }
    }
    return { status: 200, body: { successfulKeys, failedKeys } };
  }
}

function plainKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) return fail(400, 'KEY_TOO_SHORT', 'Key cannot be empty.');
  if (key.length > FORGE_LIMITS.maxKeyLength) return fail(400, 'KEY_TOO_LONG', 'Key is longer than 500.');
  if (!FORGE_LIMITS.keyPattern.test(key))
    return fail(400, 'INVALID_KEY', `Key "${key}" has invalid characters.`);
  return key;
}

function entityKey(body: Body): { entity: string; key: string } {
  return { entity: String(body.entityName ?? ''), key: typeof body.key === 'string' ? body.key : '' };
}

function checkValue(value: unknown, maxBytes: number): void {
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > maxBytes) {
    fail(400, 'MAX_SIZE', `The value is larger than ${maxBytes / 1024} KiB.`);
  }
  if (depth(value) > FORGE_LIMITS.maxValueDepth) fail(400, 'MAX_DEPTH', 'The value is nested too deeply.');
}

function depth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depth(child));
  return deepest + 1;
}

const TTL_UNIT_MS = { SECONDS: 1000, MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000 } as const;
const ttlMs = (ttl: NonNullable<SetOptions['ttl']>) => ttl.value * (TTL_UNIT_MS[ttl.unit] ?? 1000);

/** storage-reference/kvs-api, TTL: a relative expiry of at most 1 year. */
function checkTtl(ttl: NonNullable<SetOptions['ttl']>): void {
  if (
    typeof ttl !== 'object' ||
    ttl === null ||
    typeof ttl.value !== 'number' ||
    !(ttl.value > 0) ||
    !(ttl.unit in TTL_UNIT_MS)
  ) {
    fail(400, 'INVALID_TTL', 'A TTL needs a positive value and a unit of SECONDS, MINUTES, HOURS or DAYS.');
  }
  if (ttlMs(ttl) > FORGE_LIMITS.maxTtlMs) fail(400, 'INVALID_TTL', 'The maximum TTL is 1 year.');
}

function withMetadata(record: PlainRecord, fields?: string[]): Record<string, unknown> {
  const wanted = (field: string) => !fields || fields.includes(field);
  return {
    key: record.key,
    value: record.value,
    ...(wanted('CREATED_AT') ? { createdAt: record.createdAt } : {}),
    ...(wanted('UPDATED_AT') ? { updatedAt: record.updatedAt } : {}),
    ...(record.expireAt !== undefined && wanted('EXPIRE_TIME')
      ? { expireTime: new Date(record.expireAt).toISOString() }
      : {}),
  };
}

function returnValue(
  options: SetOptions | undefined,
  previous: PlainRecord | undefined,
  latest: PlainRecord,
) {
  if (options?.keyPolicy !== 'OVERRIDE' || !options.returnValue) return { status: 204 };
  const chosen = options.returnValue === 'PREVIOUS' ? previous : latest;
  return chosen ? { status: 200, body: withMetadata(chosen) } : { status: 204 };
}

function conditionOf(op: Body): { condition?: CheckedCondition } {
  return op.conditions ? { condition: condition(op.conditions as Filters) } : {};
}

const RANGE_OPS: Record<string, RangeCondition['op']> = {
  BEGINS_WITH: 'beginsWith',
  EQUAL_TO: 'equalTo',
  GREATER_THAN: 'greaterThan',
  GREATER_THAN_EQUAL_TO: 'greaterThanEqualTo',
  LESS_THAN: 'lessThan',
  LESS_THAN_EQUAL_TO: 'lessThanEqualTo',
};

function rangeCondition(range: FilterItem): RangeCondition {
  const values = (range.values ?? []) as (string | number)[];
  if (range.condition === 'BETWEEN') {
    if (values.length < 2) fail(400, 'INSUFFICIENT_FILTER_VALUES', 'BETWEEN needs two values.');
    return { op: 'between', from: values[0], to: values[1] };
  }
  const op = RANGE_OPS[range.condition];
  if (!op) return fail(400, 'INVALID_FILTER_CONDITION', `${range.condition} is not a range condition.`);
  if (values.length < 1) fail(400, 'INVALID_FILTER_VALUES', `${range.condition} needs a value.`);
  return { op, value: values[0] } as RangeCondition;
}

/** Forge's filter conditions (FilterConditions of @forge/kvs) as a predicate on a record. */
export function condition(filters: Filters): CheckedCondition {
  if (filters.and && filters.or) {
    fail(400, 'INVALID_FILTER_OPERATORS_COMBINATION', '"and" and "or" cannot be combined at one level.');
  }
  const operator = filters.and ? 'and' : 'or';
  const items = filters.and ?? filters.or ?? [];
  if (!Array.isArray(items) || items.length === 0) {
    fail(400, 'EMPTY_FILTER_OPERATOR', 'Filter operators "and" and "or" cannot be empty.');
  }
  if (items.length > 100) fail(400, 'TOO_MANY_CONDITIONS', 'A query allows at most 100 conditions.');
  const tests = items.map(filterTest);
  return {
    attributes: items.map((item) => item.property),
    holds: (current) => (operator === 'and' ? tests.every((t) => t(current)) : tests.some((t) => t(current))),
  };
}

function filterTest(item: FilterItem): (current: Record<string, unknown> | undefined) => boolean {
  const [a, b] = item.values ?? [];
  const compare = (x: unknown, y: unknown) =>
    typeof x === 'number' && typeof y === 'number'
      ? x - y
      : String(x) < String(y)
        ? -1
        : String(x) > String(y)
          ? 1
          : 0;
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  const on = (test: (value: unknown) => boolean) => (current: Record<string, unknown> | undefined) => {
    const value = current?.[item.property];
    return test(value);
  };
  switch (item.condition) {
    case 'EXISTS':
      return on((v) => v !== undefined);
    case 'NOT_EXISTS':
      return on((v) => v === undefined);
    case 'EQUAL_TO':
      return on((v) => v === a);
    case 'NOT_EQUAL_TO':
      return on((v) => v !== undefined && v !== a);
    case 'BEGINS_WITH':
      return on((v) => typeof v === 'string' && v.startsWith(String(a)));
    case 'CONTAINS':
      return on((v) => (typeof v === 'string' || Array.isArray(v)) && v.includes(a as string));
    case 'NOT_CONTAINS':
      return on((v) => (typeof v === 'string' || Array.isArray(v)) && !v.includes(a as string));
    case 'GREATER_THAN':
      return on((v) => scalar(v) && compare(v, a) > 0);
    case 'GREATER_THAN_EQUAL_TO':
      return on((v) => scalar(v) && compare(v, a) >= 0);
    case 'LESS_THAN':
      return on((v) => scalar(v) && compare(v, a) < 0);
    case 'LESS_THAN_EQUAL_TO':
      return on((v) => scalar(v) && compare(v, a) <= 0);
    case 'BETWEEN':
      if ((item.values ?? []).length < 2)
        fail(400, 'INSUFFICIENT_FILTER_VALUES', 'BETWEEN needs two values.');
      return on((v) => scalar(v) && compare(v, a) >= 0 && compare(v, b) <= 0);
    default:
      return fail(400, 'INVALID_FILTER_CONDITION', `Unknown condition ${item.condition}.`);
  }
}
