/**
 * The sync log: what the identity provider asked (SCIM requests) and what the app did in
 * Atlassian because of it (each operation, why, its result, attempts, error kind), stored as
 * `sync-log` records queryable by time, by resource and by status, newest first, with cursor
 * paging. Entries older than the retention window are pruned by the hourly sweep.
 *
 * Never logged: bearer tokens, passwords or request bodies. SCIM entries hold the method,
 * the path (ids only), the identity provider guessed from User-Agent, the status and duration.
 */
import { randomUUID } from 'node:crypto';
import { EntityStore, FORGE_LIMITS, IndexQuery, WriteOperation } from '../storage/port';
import { SYNC_LOG } from './entities';

export type LogStatus =
  /** Done as asked. */
  | 'ok'
  /** Failed; retried with backoff unless the entry says it gave up. */
  | 'failed'
  /** Cannot proceed until something changes (402: no paid subscription, no e-mail...). */
  | 'blocked'
  /** Deliberately left alone (a protected group, a membership the app did not create). */
  | 'skipped'
  /** An admin should look (a rename the API cannot do, not connected). */
  | 'attention'
  /** A dry run: what the app would do in Atlassian; nothing was done. */
  | 'planned';

export const LOG_STATUSES: readonly LogStatus[] = [
  'ok',
  'failed',
  'blocked',
  'skipped',
  'attention',
  'planned',
];

export interface LogEntryInput {
  source: 'scim' | 'atlassian' | 'sync';
  /** SCIM: "PATCH /Users/<id>"; Atlassian: the port operation ("invite", "addMember"...). */
  operation: string;
  status: LogStatus;
  /** The SCIM resource id it concerns ("-" for none). */
  resource?: string;
  resourceType?: 'user' | 'group';
  /**
   * What a person calls the resource, as it was when the entry was written: a user's
   * userName (else its e-mail), a group's displayName. Known where the entry is built (no
   * extra read), bounded to MAX_NAME characters. Absent on entries written before names were
   * logged and on failed requests (their body is never read into the log).
   */
  name?: string;
  /** Why the app did it ("user created", "member removed at the identity provider"...). */
  why?: string;
  /** What came of it, in a few words. */
  result?: string;
  httpStatus?: number;
  idp?: string;
  ms?: number;
  attempts?: number;
  errorKind?: string;
  error?: string;
}

export interface LogEntry extends LogEntryInput {
  id: string;
  /** Epoch milliseconds. */
  at: number;
  resource: string;
}

interface LogRecord {
  at: number;
  resource: string;
  status: LogStatus;
  doc: Omit<LogEntryInput, 'status' | 'resource'>;
}

export interface LogQuery {
  resource?: string;
  status?: LogStatus;
  /** Epoch ms, inclusive. */
  since?: number;
  until?: number;
  limit?: number;
  cursor?: string;
}

export interface LogPage {
  entries: LogEntry[];
  cursor?: string;
}

/** Default retention of the log. */
export const LOG_RETENTION_MS = 30 * 24 * 3600 * 1000;
const MAX_TEXT = 500;
/** Names are for recognising a resource in a list; a 4 KB userName would crowd the row. */
export const MAX_NAME = 120;

export class SyncLog {
  constructor(
    /** Also where RequestLog counts refused requests (src/sync/requests.ts). */
    readonly store: EntityStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new entry's key. */
  key(at = this.now()): string {
    return logKey(at);
  }

  /** The write of one entry, for a transaction of its own or of the change it describes. */
  entryOperation(entry: LogEntryInput, at = this.now(), key = this.key(at)): WriteOperation {
    const { status, resource, ...doc } = entry;
    if (doc.name !== undefined) {
      const name = doc.name.trim();
      if (name === '') delete doc.name;
      else doc.name = name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name;
    }
    for (const field of ['error', 'result', 'why', 'operation'] as const) {
      const value = doc[field];
      if (typeof value === 'string' && value.length > MAX_TEXT) doc[field] = `${value.slice(0, MAX_TEXT)}…`;
    }
    const record: LogRecord = { at, resource: resource || '-', status, doc };
    return { type: 'set', entity: SYNC_LOG, key, value: record };
  }

  async write(entry: LogEntryInput): Promise<void> {
    await this.put(this.entryOperation(entry));
  }

  /** Commits one entry operation made by entryOperation. */
  async put(operation: WriteOperation): Promise<void> {
    await this.store.transact([operation]);
  }

  /**
   * Newest first; `cursor` continues where the previous page ended. The cursor is a position of
   * our own (the last entry's time, and how many entries of that millisecond were shown), not
   * the store's: the admin page sends it back in a later invocation, and Forge's query cursors
   * must not outlive the invocation that got them (`entities-api-query`: "do not persist
   * cursors"). Entries of one millisecond come back in the same order each time (by key).
   */
  async query(query: LogQuery = {}): Promise<LogPage> {
    const limit = Math.max(1, Math.min(FORGE_LIMITS.maxQueryLimit, query.limit ?? 50));
    const position = parsePosition(query.cursor);
    const since = query.since ?? 0;
    const until = Math.min(query.until ?? Number.MAX_SAFE_INTEGER, position?.at ?? Number.MAX_SAFE_INTEGER);
    const where = { op: 'between' as const, from: since, to: until };
    let index: IndexQuery;
    if (query.resource !== undefined) {
      index = { entity: SYNC_LOG, index: 'by-resource', partition: [query.resource], where };
    } else if (query.status !== undefined) {
      index = { entity: SYNC_LOG, index: 'by-status', partition: [query.status], where };
    } else {
      index = { entity: SYNC_LOG, index: 'by-at', where };
    }
    // Where the previous page stopped: `skip` entries of millisecond `at` were shown already.
    let skip = position?.skip ?? 0;
    let last = position ? { at: position.at, count: position.skip } : undefined;
    const entries: LogEntry[] = [];
    let read = 0;
    let more = false;
    let cursor: string | undefined;
    do {
      const page = await this.store.query<LogRecord>({ ...index, sort: 'DESC', limit, cursor });
      cursor = page.nextCursor;
      for (const { key, value } of page.results) {
        if (read === limit) {
          more = true;
          break;
        }
        if (position && value.at === position.at && skip > 0) {
          skip--;
          continue;
        }
        read++;
        last =
          last && last.at === value.at ? { at: value.at, count: last.count + 1 } : { at: value.at, count: 1 };
        // By resource and status: the resource's index narrows, the status is checked here (a
        // page may then hold fewer than `limit` entries; the cursor still continues it).
        if (query.status === undefined || value.status === query.status) entries.push(toEntry(key, value));
      }
    } while (!more && read < limit && cursor);
    more ||= read === limit && cursor !== undefined;
    return { entries, ...(more && last ? { cursor: `${last.at}.${last.count}` } : {}) };
  }

  /**
   * Deletes entries older than `retentionMs`, oldest first, until none are left or the
   * deadline passes. Returns how many it deleted.
   */
  async prune(retentionMs = LOG_RETENTION_MS, deadline = Number.POSITIVE_INFINITY): Promise<number> {
    const cutoff = this.now() - retentionMs;
    let deleted = 0;
    while (Date.now() < deadline) {
      const page = await this.store.query<LogRecord>({
        entity: SYNC_LOG,
        index: 'by-at',
        where: { op: 'lessThan', value: cutoff },
        limit: FORGE_LIMITS.maxQueryLimit,
      });
      if (page.results.length === 0) break;
      const deletes = page.results.map((r) => ({ type: 'delete' as const, entity: SYNC_LOG, key: r.key }));
      for (let i = 0; i < deletes.length; i += FORGE_LIMITS.maxTransactionOperations) {
        await this.store.transact(deletes.slice(i, i + FORGE_LIMITS.maxTransactionOperations));
      }
      deleted += deletes.length;
    }
    return deleted;
  }
}

/**
 * Keys sort by time, then (within one process) by order of writing, so entries of the same
 * millisecond list in the order they happened; the random tail keeps processes apart. The
 * tie-break is the process's monotonic clock in nanoseconds (wrapping every 11 days), not a
 * counter: a counter kept by the module would be shared by every customer the process serves
 * and show each the pace of the others' writes, and one kept by a log object would start
 * again with each new one.
 */
export function logKey(at: number, tieBreak: bigint = process.hrtime.bigint()): string {
  const tick = String(tieBreak % 1_000_000_000_000_000n).padStart(15, '0');
  return `${String(at).padStart(15, '0')}:${tick}:${randomUUID().slice(0, 6)}`;
}

/** A log cursor: `<at>.<entries of that millisecond already shown>`; anything else starts over. */
function parsePosition(cursor: string | undefined): { at: number; skip: number } | undefined {
  const match = /^(\d{1,16})\.(\d{1,6})$/.exec(cursor ?? '');
  return match ? { at: Number(match[1]), skip: Number(match[2]) } : undefined;
}

function toEntry(id: string, record: LogRecord): LogEntry {
  return { id, at: record.at, resource: record.resource, status: record.status, ...record.doc };
}

/**
 * What a person calls a SCIM resource: a user's userName (always present, RFC 7643 §4.1.1),
 * else its primary e-mail; a group's displayName (RFC 7643 §4.2). Undefined for a document
 * that has neither.
 */
export function resourceName(
  resourceType: 'user' | 'group',
  doc: Record<string, unknown>,
): string | undefined {
  const pick = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
  if (resourceType === 'group') return pick(doc.displayName);
  const emails = Array.isArray(doc.emails) ? (doc.emails as { value?: unknown; primary?: unknown }[]) : [];
  return pick(doc.userName) ?? pick(emails.find((e) => e?.primary === true)?.value) ?? pick(emails[0]?.value);
}

/** The identity provider behind a request, from its User-Agent (best effort). */
export function guessIdp(userAgent: string | undefined): string {
  const agent = (userAgent ?? '').toLowerCase();
  const known: [RegExp, string][] = [
    [/okta/, 'okta'],
    [/microsoft|azure|entra|aad/, 'entra'],
    [/onelogin/, 'onelogin'],
    [/jumpcloud/, 'jumpcloud'],
    [/keycloak/, 'keycloak'],
    [/miniorange/, 'miniorange'],
    [/google/, 'google'],
    [/oracle|idcs/, 'oracle'],
    [/postman|newman/, 'postman'],
    [/curl/, 'curl'],
  ];
  for (const [pattern, name] of known) if (pattern.test(agent)) return name;
  return agent === '' ? 'unknown' : 'other';
}

/** "Error: 402 ..." from anything thrown. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
