/**
 * SCIM requests in the sync log, at (almost) no cost. A request that writes the directory
 * gets its entry inside the transaction of the change (one more operation, no more round
 * trips): the entry and the change commit together or not at all. A request that fails gets
 * an entry of its own, at most one per status every few seconds per function instance (a
 * misconfigured identity provider retrying 401s must not turn into a storage write each).
 * Successful reads are not logged: they are most of an identity provider's traffic (an Okta
 * import reads every page), an entry each would double the storage cost of the commonest
 * call, and they change nothing in Atlassian.
 *
 * A request that did not prove itself with a live token is not logged at all: the web
 * trigger is a public URL, so its path, headers and User-Agent are whatever anyone on the
 * internet chose to write into the admin's Activity tab ("URGENT - token compromised, see
 * https://evil.example", attributed to Okta). Nor is it a failure of the identity provider
 * (it would turn the health line red). It is counted (RefusedRequests): how many, since when,
 * the last one; nothing of what it sent.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { COUNTER } from '../directory/entities';
import { optimistically } from '../directory/retry';
import { isAuthenticated } from '../scim/auth';
import type { ScimRequest, ScimResponse } from '../scim/http';
import { ConditionFailedError, EntityStore, FORGE_LIMITS, WriteOperation } from '../storage/port';
import { guessIdp, SyncLog } from './log';

interface RequestRecord {
  key: string;
  at: number;
  method: string;
  path: string;
  idp: string;
  /** A write asked for the request's entry to ride in its transaction. */
  inTransaction: boolean;
  representation: boolean;
}

/** Failed requests logged per status per function instance, at most once per this window. */
const FAILURE_WINDOW_MS = 10_000;

export class RequestLog {
  private readonly current = new AsyncLocalStorage<RequestRecord>();
  private readonly lastFailure = new Map<number, number>();
  /** Requests refused for want of a live token (401), counted, never logged. */
  readonly refused: RefusedRequests;

  constructor(
    private readonly log: SyncLog,
    private readonly now: () => number = Date.now,
  ) {
    this.refused = new RefusedRequests(log.store, now);
  }

  /** Runs the request with its record in scope, then logs what the transaction could not. */
  async around(request: ScimRequest, handle: () => Promise<ScimResponse>): Promise<ScimResponse> {
    const at = this.now();
    const record: RequestRecord = {
      key: this.log.key(at),
      at,
      method: request.method,
      path: request.path,
      idp: guessIdp(request.headers['user-agent']),
      inTransaction: false,
      representation:
        request.query.attributes !== undefined || request.query.excludedAttributes !== undefined,
    };
    const response = await this.current.run(record, handle);
    if (!isAuthenticated(request)) {
      // Best effort, like the failure entry below: the answer is already decided.
      if (response.status === 401) await this.refused.add().catch(() => undefined);
      return response;
    }
    await this.refused.flush().catch(() => undefined);
    if (response.status >= 400 && this.shouldLogFailure(response.status)) {
      // Same key as an entry a transaction may have written: the failure is what was answered.
      // Best effort: the identity provider's answer is already decided.
      await this.log
        .put(this.entry(record, response.status, this.now() - at, resourceOf(request.path)))
        .catch(() => undefined);
    }
    return response;
  }

  /**
   * The request's entry, for the transaction of the resource write happening now (if any),
   * with the resource's name as the write leaves it.
   */
  operations(resource: string, resourceType: 'user' | 'group', name?: string): WriteOperation[] {
    const record = this.current.getStore();
    if (!record) return [];
    record.inTransaction = true;
    return [this.entry(record, expectedStatus(record), this.now() - record.at, resource, resourceType, name)];
  }

  private entry(
    record: RequestRecord,
    status: number,
    ms: number,
    resource?: string,
    resourceType?: 'user' | 'group',
    name?: string,
  ): WriteOperation {
    return this.log.entryOperation(
      {
        source: 'scim',
        operation: `${record.method} ${record.path || '/'}`,
        status: status < 400 ? 'ok' : 'failed',
        resource,
        resourceType: resourceType ?? typeOf(record.path),
        ...(name !== undefined ? { name } : {}),
        httpStatus: status,
        idp: record.idp,
        ms,
      },
      record.at,
      record.key,
    );
  }

  private shouldLogFailure(status: number): boolean {
    const now = this.now();
    const last = this.lastFailure.get(status);
    if (last !== undefined && now - last < FAILURE_WINDOW_MS) return false;
    this.lastFailure.set(status, now);
    return true;
  }
}

/** What the overview shows of refused requests: no path, no header, no user agent. */
export interface RefusedCount {
  count: number;
  /** Epoch ms of the first refusal counted. */
  since: number;
  /** Epoch ms of the latest refusal counted. */
  lastAt: number;
}

interface RefusedRecord {
  /** Version, for the conditional write; Forge's `integer` is 32-bit, so it wraps. */
  v: number;
  collection: string;
  doc: RefusedCount;
}

/** In the counters entity, under a collection no resource collection's order reads. */
const REFUSED_KEY = 'refused-requests';
const REFUSED_COLLECTION = 'refused-requests';
/** Refusals are written at most once per this window per function instance. */
const REFUSED_WINDOW_MS = 10_000;
const REFUSED_ATTEMPTS = 3;

/**
 * The per-installation count of requests refused with 401. Someone hammering the public URL
 * must not cost a storage write each: a function instance adds what it refused at most once
 * per REFUSED_WINDOW_MS (the first refusal at once), and what waits is added with the next
 * refusal or authenticated request after the window. So the count may be behind by what an
 * instance refused in its last few seconds. Writers in several instances add under a
 * condition on the record's version, so none loses another's count.
 */
export class RefusedRequests {
  /** Refusals not written yet, with the times of the first and the last of them. */
  private pending = 0;
  private pendingFirst = 0;
  private pendingLast = 0;
  private lastWrite?: number;

  constructor(
    private readonly store: EntityStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** One more refusal; written now unless this instance wrote within the window. */
  async add(): Promise<void> {
    const at = this.now();
    if (this.pending === 0) this.pendingFirst = at;
    this.pending++;
    this.pendingLast = at;
    await this.flush();
  }

  /** Writes what waits, if the window since the last write has passed. */
  async flush(): Promise<void> {
    const at = this.now();
    if (this.pending === 0 || (this.lastWrite !== undefined && at - this.lastWrite < REFUSED_WINDOW_MS))
      return;
    this.lastWrite = at;
    const [count, first, last] = [this.pending, this.pendingFirst, this.pendingLast];
    this.pending = 0;
    try {
      await this.write(count, first, last);
    } catch (error) {
      // Kept for the next write (refusals counted meanwhile are later, so `last` still holds).
      if (this.pending === 0) this.pendingLast = last;
      this.pending += count;
      this.pendingFirst = first;
      throw error;
    }
  }

  async read(): Promise<RefusedCount | undefined> {
    return (await this.store.get<RefusedRecord>(COUNTER, REFUSED_KEY))?.doc;
  }

  /** Adds to the stored count under a condition on its version; a lost race reads again. */
  private write(count: number, first: number, last: number): Promise<void> {
    return optimistically(async () => {
      const current = await this.store.get<RefusedRecord>(COUNTER, REFUSED_KEY);
      if (!current) {
        const doc: RefusedCount = { count, since: first, lastAt: last };
        const record: RefusedRecord = { v: 1, collection: REFUSED_COLLECTION, doc };
        if (await this.store.createIfAbsent(COUNTER, REFUSED_KEY, record)) return;
        throw new ConditionFailedError('The refused-requests count was created meanwhile.');
      }
      const doc: RefusedCount = {
        count: current.doc.count + count,
        since: Math.min(first, current.doc.since),
        lastAt: Math.max(last, current.doc.lastAt),
      };
      const record: RefusedRecord = {
        v: (current.v % FORGE_LIMITS.maxInteger) + 1,
        collection: REFUSED_COLLECTION,
        doc,
      };
      await this.store.transact([
        {
          type: 'set',
          entity: COUNTER,
          key: REFUSED_KEY,
          value: record,
          condition: { attribute: 'v', equals: current.v },
        },
      ]);
    }, REFUSED_ATTEMPTS);
  }
}

/** What a write answers when it commits (RFC 7644 §3.3, §3.5, §3.6; PATCH: 204 unless asked). */
function expectedStatus(record: RequestRecord): number {
  switch (record.method) {
    case 'POST':
      return 201;
    case 'DELETE':
      return 204;
    case 'PATCH':
      return record.representation ? 200 : 204;
    default:
      return 200;
  }
}

function resourceOf(path: string): string | undefined {
  const [, , id] = path.split('/');
  if (!id || id === '.search') return undefined;
  try {
    return decodeURIComponent(id).slice(0, 100);
  } catch {
    return id.slice(0, 100);
  }
}

function typeOf(path: string): 'user' | 'group' | undefined {
  const collection = path.split('/')[1]?.toLowerCase();
  return collection === 'users' ? 'user' : collection === 'groups' ? 'group' : undefined;
}
