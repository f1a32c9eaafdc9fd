/**
 * SCIM requests in the sync log, at (almost) no cost. A request that writes the directory
 * gets its entry inside the transaction of the change (one more operation, no more round
 * trips): the entry and the change commit together or not at all. A request that fails gets
 * an entry of its own, at most one per status every few seconds per function instance (a
 * misconfigured identity provider retrying 401s must not turn into a storage write each).
 * Successful reads are not logged: they are most of an identity provider's traffic (an Okta
 * import reads every page), an entry each would double the storage cost of the commonest
 * call, and they change nothing in Atlassian.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ScimRequest, ScimResponse } from '../scim/http';
import type { WriteOperation } from '../storage/port';
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

  constructor(
    private readonly log: SyncLog,
    private readonly now: () => number = Date.now,
  ) {}

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
    if (response.status >= 400 && this.shouldLogFailure(response.status)) {
      // Same key as an entry a transaction may have written: the failure is what was answered.
      // Best effort: the identity provider's answer is already decided.
      await this.log
        .put(this.entry(record, response.status, this.now() - at, resourceOf(request.path)))
        .catch(() => undefined);
    }
    return response;
  }

  /** The request's entry, for the transaction of the resource write happening now (if any). */
  operations(resource: string, resourceType: 'user' | 'group'): WriteOperation[] {
    const record = this.current.getStore();
    if (!record) return [];
    record.inTransaction = true;
    return [this.entry(record, expectedStatus(record), this.now() - record.at, resource, resourceType)];
  }

  private entry(
    record: RequestRecord,
    status: number,
    ms: number,
    resource?: string,
    resourceType?: 'user' | 'group',
  ): WriteOperation {
    return this.log.entryOperation(
      {
        source: 'scim',
        operation: `${record.method} ${record.path || '/'}`,
        status: status < 400 ? 'ok' : 'failed',
        resource,
        resourceType: resourceType ?? typeOf(record.path),
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
