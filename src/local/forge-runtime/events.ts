/**
 * Async events: what `Queue.push` from @forge/events sends (POST /webhook/queue/publish/...)
 * is stored durably (an internal entity of the local store, so events survive a restart as
 * Forge's at-least-once delivery does) and delivered to the manifest's consumer function
 * for that queue, as Forge does:
 *
 * - at most 50 events and 200 KB per push, delayInSeconds 0..900, 100 KB per event when the
 *   consumer may run longer than 55 s; a push chain from consumer to consumer stops at 1,000;
 * - the consumer gets `(AsyncEvent, context)` and runs within its function's timeoutSeconds;
 * - an event whose consumer throws or times out is retried with exponential backoff (30 s,
 *   doubling, at most 15 min) with a `retryContext`; returning an `InvocationError` retries
 *   after its `retryAfter` (1..900 s) with its `retryReason` and `retryData` (at most 4 KB);
 * - events older than the 24 h retention window are dropped;
 * - `concurrency: { key, limit }` caps how many events of a key run at once;
 * - `getStats` and `cancel` answer per job.
 */
import { randomUUID } from 'node:crypto';
import type { LocalEntityStore } from '../entity-store';
import type { EntityDefinition } from '../../storage/port';

export const EVENT = '$event';
export const EVENT_INTERNAL_ENTITIES: EntityDefinition[] = [
  { name: EVENT, attributes: { at: 'integer', doc: 'any' }, indexes: [{ name: 'by-at', range: ['at'] }] },
];

const MAX_EVENTS = 50;
const MAX_PUSH_BYTES = 200 * 1024;
const MAX_LONG_EVENT_BYTES = 100 * 1024;
const MAX_DELAY_SECONDS = 900;
const MAX_RETRY_DATA_BYTES = 4 * 1024;
const MAX_CHAIN = 1000;
export const RETENTION_MS = 24 * 60 * 60 * 1000;

export interface StoredEvent {
  queueName: string;
  jobId: string;
  eventId: string;
  body: Record<string, unknown>;
  delayInSeconds?: number;
  concurrency?: { key: string; limit: number };
  retryContext?: { retryCount: number; retryReason: string; retryData?: unknown };
  enqueuedAt: number;
  /** How many pushes led to this one (consumer pushing to a queue again). */
  chain: number;
}

interface JobStats {
  success: number;
  inProgress: number;
  failed: number;
  cancelled: boolean;
}

export interface QueueAnswer {
  status: number;
  body?: unknown;
}

export type DeliveryOutcome =
  | { kind: 'success' }
  | { kind: 'retry'; retryAfterSeconds: number; retryReason: string; retryData?: unknown }
  | { kind: 'error'; reason: 'FUNCTION_TIME_OUT' | 'FUNCTION_UNHANDLED_ERROR'; error: unknown };

export interface EventHost {
  /** The consumer function's key and timeout for a queue, if the manifest has one. */
  consumer(queue: string): { functionKey: string; timeoutSeconds: number } | undefined;
  deliver(event: StoredEvent): Promise<DeliveryOutcome>;
  /** The push chain of the invocation pushing now (0 outside a consumer). */
  currentChain(): number;
  warn(message: string): void;
}

/** Default backoff after a failed delivery: 30 s, 60 s, ... at most 15 min. */
export const defaultRetryDelayMs = (retryCount: number) => Math.min(30_000 * 2 ** (retryCount - 1), 900_000);

export class EventQueues {
  private readonly jobs = new Map<string, JobStats>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly concurrency = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: LocalEntityStore,
    private readonly host: EventHost,
    private readonly now: () => number = Date.now,
    private readonly retryDelayMs: (retryCount: number) => number = defaultRetryDelayMs,
  ) {}

  async handle(path: string, body: unknown): Promise<QueueAnswer> {
    const request = (body ?? {}) as Record<string, unknown>;
    if (path.startsWith('/webhook/queue/publish/')) return this.push(request);
    const job = this.jobs.get(String(request.jobId));
    if (path.startsWith('/webhook/queue/stats/')) {
      if (!job) return { status: 404, body: { message: 'Job not found.' } };
      return { status: 200, body: { success: job.success, inProgress: job.inProgress, failed: job.failed } };
    }
    if (path.startsWith('/webhook/queue/cancel/')) {
      if (!job) return { status: 404, body: { message: 'Job not found.' } };
      job.cancelled = true;
      return { status: 204 };
    }
    return { status: 404, body: { message: `The offline Forge runtime has no ${path}.` } };
  }

  private async push(request: Record<string, unknown>): Promise<QueueAnswer> {
    const queueName = String(request.queueName ?? '');
    const consumer = this.host.consumer(queueName);
    if (!consumer) {
      return {
        status: 400,
        body: { message: `No consumer in manifest.yml reads the queue "${queueName}".` },
      };
    }
    const payload = request.payload;
    if (!Array.isArray(payload) || payload.length === 0 || payload.length > MAX_EVENTS) {
      return { status: 400, body: { message: `A push carries 1..${MAX_EVENTS} events.` } };
    }
    if (Buffer.byteLength(JSON.stringify(payload)) > MAX_PUSH_BYTES) {
      return { status: 413, body: { errorMessage: 'The maximum payload size is 200KB.' } };
    }
    for (const event of payload as Record<string, unknown>[]) {
      const delay = event.delayInSeconds;
      if (delay !== undefined && (typeof delay !== 'number' || delay < 0 || delay > MAX_DELAY_SECONDS)) {
        return { status: 400, body: { message: 'The delayInSeconds setting must be between 0 and 900.' } };
      }
      if (consumer.timeoutSeconds > 55 && Buffer.byteLength(JSON.stringify(event)) > MAX_LONG_EVENT_BYTES) {
        return {
          status: 413,
          body: { errorMessage: 'Events for long-running consumers are limited to 100KB.' },
        };
      }
    }
    const chain = this.host.currentChain() + 1;
    if (chain > MAX_CHAIN)
      return { status: 405, body: { message: 'The limit on cyclic invocation has been reached.' } };
    const jobId = typeof request.jobId === 'string' ? request.jobId : randomUUID();
    const job = this.jobs.get(jobId) ?? { success: 0, inProgress: 0, failed: 0, cancelled: false };
    this.jobs.set(jobId, job);
    const now = this.now();
    const writes = (payload as Record<string, unknown>[]).map((event) => {
      const stored: StoredEvent = {
        queueName,
        jobId,
        eventId: randomUUID(),
        body: event.body as Record<string, unknown>,
        ...(event.delayInSeconds !== undefined ? { delayInSeconds: event.delayInSeconds as number } : {}),
        ...(event.concurrency ? { concurrency: event.concurrency as StoredEvent['concurrency'] } : {}),
        enqueuedAt: now,
        chain,
      };
      const at = now + ((event.delayInSeconds as number | undefined) ?? 0) * 1000;
      return { type: 'set' as const, entity: EVENT, key: stored.eventId, value: { at, doc: stored } };
    });
    for (let i = 0; i < writes.length; i += 25) await this.store.transact(writes.slice(i, i + 25));
    job.inProgress += writes.length;
    if (this.timer) setImmediate(() => void this.runDue());
    return { status: 201, body: { jobId } };
  }

  /** Delivers the events that are due (all pending ones with `ignoreDelays`), concurrently. */
  async runDue(ignoreDelays = false): Promise<number> {
    const now = this.now();
    const due: { at: number; doc: StoredEvent }[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.store.query<{ at: number; doc: StoredEvent }>({
        entity: EVENT,
        index: 'by-at',
        ...(ignoreDelays ? {} : { where: { op: 'lessThanEqualTo', value: now } }),
        limit: 100,
        cursor,
      });
      due.push(...page.results.map((r) => r.value));
      cursor = page.nextCursor;
    } while (cursor);
    let started = 0;
    for (const { doc } of due) {
      if (this.running.has(doc.eventId)) continue;
      const key = doc.concurrency?.key;
      if (key && (this.concurrency.get(key) ?? 0) >= doc.concurrency!.limit) continue;
      if (key) this.concurrency.set(key, (this.concurrency.get(key) ?? 0) + 1);
      const run = this.deliver(doc).finally(() => {
        this.running.delete(doc.eventId);
        if (key) this.concurrency.set(key, (this.concurrency.get(key) ?? 1) - 1);
      });
      this.running.set(doc.eventId, run);
      started++;
    }
    await Promise.all([...this.running.values()]);
    return started;
  }

  /**
   * For tests: delivers every pending event now, delays and retry backoffs included, until
   * none is left or `rounds` deliveries of the queue have run.
   */
  async drain(rounds = 10): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      if ((await this.runDue(true)) === 0) return;
    }
  }

  /** Number of events stored and not yet delivered. */
  async pending(): Promise<number> {
    const page = await this.store.query({ entity: EVENT, index: 'by-at', limit: 100 });
    return page.results.length;
  }

  stats(jobId: string): JobStats | undefined {
    return this.jobs.get(jobId);
  }

  start(pollMs = 1000): void {
    this.timer ??= setInterval(
      () => void this.runDue().catch((e: unknown) => this.host.warn(String(e))),
      pollMs,
    );
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.running.values()]);
  }

  private async deliver(event: StoredEvent): Promise<void> {
    const job = this.jobs.get(event.jobId);
    const finish = async (outcome: 'success' | 'failed') => {
      await this.store.transact([{ type: 'delete', entity: EVENT, key: event.eventId }]);
      if (job) {
        job.inProgress = Math.max(0, job.inProgress - 1);
        job[outcome]++;
      }
    };
    if (job?.cancelled) return finish('failed');
    const outcome = await this.host.deliver(event);
    if (outcome.kind === 'success') return finish('success');
    const retryCount = (event.retryContext?.retryCount ?? 0) + 1;
    let delayMs: number;
    let retryReason: string;
    let retryData: unknown;
    if (outcome.kind === 'retry') {
      delayMs = Math.min(Math.max(outcome.retryAfterSeconds, 1), MAX_DELAY_SECONDS) * 1000;
      retryReason = outcome.retryReason;
      retryData = outcome.retryData;
      if (retryData !== undefined && Buffer.byteLength(JSON.stringify(retryData)) > MAX_RETRY_DATA_BYTES) {
        this.host.warn(`retryData of event ${event.eventId} is larger than 4 KB; it is dropped.`);
        retryData = undefined;
      }
    } else {
      delayMs = this.retryDelayMs(retryCount);
      retryReason = outcome.reason;
      this.host.warn(
        `Consumer of queue ${event.queueName} failed (${outcome.reason}): ${String(outcome.error)}`,
      );
    }
    if (this.now() + delayMs - event.enqueuedAt > RETENTION_MS) {
      this.host.warn(`Event ${event.eventId} left its 24 h retention window and is dropped.`);
      return finish('failed');
    }
    const retried: StoredEvent = {
      ...event,
      retryContext: { retryCount, retryReason, ...(retryData !== undefined ? { retryData } : {}) },
    };
    await this.store.transact([
      { type: 'set', entity: EVENT, key: event.eventId, value: { at: this.now() + delayMs, doc: retried } },
    ]);
  }
}
