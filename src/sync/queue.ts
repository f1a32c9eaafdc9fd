/**
 * Durable "reconcile this resource" marks (the sync jobs). A directory write puts the mark
 * in its own transaction, keyed per resource, so ten PATCHes of one user leave one job. The
 * runner deletes a job after its run only if the job still carries the nonce the run read:
 * a change committed during the run rewrote the nonce, so its job survives and runs again.
 * Nothing is lost by a crash: a job disappears only once its work is done.
 *
 * Kept apart from the directory's own jobs (src/directory/jobs.ts, which must finish whether
 * or not Atlassian is connected): sync jobs wait while the app is not connected, and carry
 * attempts and a next-run time for backoff.
 */
import { randomUUID } from 'node:crypto';
import { ConditionFailedError, EntityStore, FORGE_LIMITS, WriteOperation } from '../storage/port';
import { SYNC_JOB } from './entities';
import { Partition, partitionOf, SYNC_PARTITIONS } from './partitions';

/**
 * `members`: a slice of a large group's member adds, run apart from the group's own job so
 * that its adds spread over the partitions (src/sync/member-slices.ts).
 */
export type SyncKind = 'user' | 'group' | 'members' | 'all' | PreviewKind;

/**
 * A dry-run preview's own jobs (an admin's "reconcile now" as a dry run while the dry-run
 * policy is off): kept apart from the real marks, which a preview must not consume.
 */
export type PreviewKind = 'preview-user' | 'preview-group' | 'preview-all';

export interface SyncJob {
  kind: SyncKind;
  /** When it is due (epoch ms): the time of the change, or of the next retry. */
  at: number;
  n: string;
  doc: {
    /** The SCIM resource id; for 'all', which collection is being walked. */
    id: string;
    attempts?: number;
    error?: string;
    /**
     * Where a walk continues in a later invocation: for 'all', the `seq` of the last resource
     * it marked; for a group, where its member walk stopped (src/sync/group-reconciler.ts).
     * Always a key, never a storage query cursor: Forge's `entities-api-query` page says not
     * to persist cursors ("they may not always be stable").
     */
    after?: string;
    /** For a `members` slice: the slot of the last membership it covers (inclusive). */
    until?: string;
    /**
     * Written by older versions: a storage query cursor to resume from. Never read (the walk
     * starts over, which is idempotent) and dropped when the job is next rewritten.
     */
    cursor?: string;
    /** An admin asked: retry even what is blocked at its current version. */
    force?: boolean;
    /** Part of a full reconcile (counted in its progress, src/sync/progress.ts). */
    full?: boolean;
  };
}

export interface QueuedJob extends SyncJob {
  key: string;
}

/**
 * What one run of a job came to: finished (the job goes), stop (out of time or budget: the
 * job stays for the next runner), or retry later (the job is rewritten with a later time).
 */
export type JobOutcome =
  | { type: 'done' }
  | { type: 'stop' }
  | { type: 'retry'; at: number; attempts: number; error: string }
  /** Not its turn yet (a group waiting for its member slices): run again at `at`, not a failure. */
  | { type: 'later'; at: number }
  | { type: 'continue'; after: string };

export interface RunResult {
  finished: number;
  /** Jobs run in this pass, whatever came of them. */
  ran?: number;
  /** Due jobs are left (a runner should come back soon). */
  pending: boolean;
  /** The earliest time a job was rescheduled to, if any. */
  nextAt?: number;
}

/** Jobs a run gathers before running them (and before `prepare` reads ahead for them). */
export const RUN_BATCH = 100;

/**
 * Jobs were queued for these partitions in the middle of a run: a run of each is wanted now.
 * On Forge, their events are queued at once (src/forge/index.ts) rather than when the run that
 * queued them ends, which for a partition with a long queue of its own may be minutes later.
 */
export type PartitionsMarked = (partitions: number[]) => Promise<void>;

export class SyncQueue {
  constructor(
    private readonly store: EntityStore,
    private readonly now: () => number,
    private readonly partitionsMarked?: PartitionsMarked,
  ) {}

  key(kind: SyncKind, id: string): string {
    return `${kind}:${id}`;
  }

  /** Marks a resource dirty; goes into the transaction of the change. Resets its attempts. */
  markOperation(
    kind: SyncKind,
    id: string,
    at = this.now(),
    doc: Partial<SyncJob['doc']> = {},
  ): WriteOperation {
    const job: SyncJob = { kind, at, n: randomUUID(), doc: { id, ...doc } };
    return { type: 'set', entity: SYNC_JOB, key: this.key(kind, id), value: job };
  }

  /** Asks for a run of the partitions of these jobs, just queued (see PartitionsMarked). */
  async wake(jobs: Pick<SyncJob, 'kind' | 'doc'>[]): Promise<void> {
    if (!this.partitionsMarked || jobs.length === 0) return;
    await this.partitionsMarked([...new Set(jobs.map((job) => partitionOf(job, SYNC_PARTITIONS)))]);
  }

  /** The same queue for a dry run's reconciler: it marks nothing (a plan changes nothing). */
  planOnly(): SyncQueue {
    return new PlanOnlyQueue(this.store, this.now);
  }

  async mark(kind: SyncKind, ids: Iterable<string>): Promise<void> {
    let batch: WriteOperation[] = [];
    for (const id of ids) {
      batch.push(this.markOperation(kind, id));
      if (batch.length === FORGE_LIMITS.maxTransactionOperations) {
        await this.store.transact(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await this.store.transact(batch);
  }

  /**
   * The jobs oldest-due first, a page at a time (`pageSize` each), and whether more follow:
   * what `earliest` and `earliestByPartition` read, each stopping where it has its answer.
   */
  private async *jobsByDue(pageSize: number): AsyncGenerator<{ jobs: SyncJob[]; more: boolean }> {
    let cursor: string | undefined;
    do {
      const page = await this.store.query<SyncJob>({
        entity: SYNC_JOB,
        index: 'by-at',
        where: { op: 'greaterThanEqualTo', value: 0 },
        limit: pageSize,
        cursor,
      });
      cursor = page.nextCursor;
      yield { jobs: page.results.map(({ value }) => value), more: cursor !== undefined };
    } while (cursor);
  }

  /**
   * When the earliest job is due (whether or not it is due yet), of one partition when given;
   * a partition's is looked for among the first `scan` jobs of all, which bounds the read.
   */
  async earliest(partition?: Partition, scan = 1_000): Promise<number | undefined> {
    let seen = 0;
    for await (const { jobs, more } of this.jobsByDue(partition ? FORGE_LIMITS.maxQueryLimit : 1)) {
      const first = jobs.find((job) => !partition || partitionOf(job, partition.count) === partition.index);
      if (first) return first.at;
      seen += jobs.length;
      if (!partition || !more || seen >= scan) return undefined;
    }
    return undefined;
  }

  /**
   * When each partition's earliest job is due, for the partitions that have jobs; undefined
   * when there are more than `scan` jobs (the read is bounded: the caller then wakes every
   * partition, each of which finds its own).
   */
  async earliestByPartition(count: number, scan = 5_000): Promise<Map<number, number> | undefined> {
    const earliest = new Map<number, number>();
    let seen = 0;
    for await (const { jobs, more } of this.jobsByDue(FORGE_LIMITS.maxQueryLimit)) {
      for (const job of jobs) {
        const partition = partitionOf(job, count);
        // Oldest first: a partition's first job seen is its earliest.
        if (!earliest.has(partition)) earliest.set(partition, job.at);
      }
      seen += jobs.length;
      if (more && seen >= scan) return undefined;
    }
    return earliest;
  }

  /**
   * Makes a queued job due now, as a mark would, keeping what it carries (a full reconcile's
   * flags, its attempts): a group waiting for its member slices, once the last is done. A new
   * nonce, so a run of it under way (about to write its wait) does not settle it: it runs again.
   */
  async bringForward(kind: SyncKind, id: string): Promise<void> {
    const key = this.key(kind, id);
    const job = await this.store.get<SyncJob>(SYNC_JOB, key);
    if (!job) return;
    const value: SyncJob = { ...job, at: Math.min(job.at, this.now()), n: randomUUID() };
    await this.store.transact([{ type: 'set', entity: SYNC_JOB, key, value }]);
  }

  get(kind: SyncKind, id: string): Promise<SyncJob | undefined> {
    return this.store.get<SyncJob>(SYNC_JOB, this.key(kind, id));
  }

  /** Every job, due or not (tests, status). */
  async count(): Promise<number> {
    let total = 0;
    let cursor: string | undefined;
    do {
      const page = await this.store.query<SyncJob>({
        entity: SYNC_JOB,
        index: 'by-at',
        where: { op: 'greaterThanEqualTo', value: 0 },
        limit: FORGE_LIMITS.maxQueryLimit,
        cursor,
      });
      total += page.results.length;
      cursor = page.nextCursor;
    } while (cursor);
    return total;
  }

  /**
   * Runs the jobs due now, oldest first, of one partition when given (src/sync/partitions.ts;
   * the others' are skipped, for their own invocations). Jobs re-marked during the run move
   * behind the others (their time is new) and run again if time allows.
   *
   * The jobs come in batches of about RUN_BATCH (as many storage pages as it takes to find
   * that many of the partition's), and `prepare` sees each batch before its jobs run: the
   * sync reads the batch's accounts in one request per 100 there (src/sync/account-prefetch.ts).
   */
  async runPending(
    run: (job: QueuedJob) => Promise<JobOutcome>,
    deadline = Number.POSITIVE_INFINITY,
    partition?: Partition,
    prepare?: (batch: QueuedJob[]) => Promise<void>,
  ): Promise<RunResult> {
    const upTo = this.now();
    let finished = 0;
    let ran = 0;
    let nextAt: number | undefined;
    let cursor: string | undefined;
    do {
      const batch: QueuedJob[] = [];
      do {
        const page = await this.store.query<SyncJob>({
          entity: SYNC_JOB,
          index: 'by-at',
          where: { op: 'between', from: 0, to: upTo },
          limit: FORGE_LIMITS.maxQueryLimit,
          cursor,
        });
        for (const { key, value } of page.results) {
          if (partition && partitionOf(value, partition.count) !== partition.index) continue;
          batch.push({ key, ...value });
        }
        cursor = page.nextCursor;
      } while (cursor && batch.length < RUN_BATCH);
      if (prepare && batch.length > 0 && Date.now() <= deadline) await prepare(batch);
      for (const job of batch) {
        if (Date.now() > deadline) return { finished, ran, pending: true, nextAt };
        const { key, ...value } = job;
        const outcome = await run(job);
        if (outcome.type === 'stop') return { finished, ran, pending: true, nextAt };
        ran++;
        if (outcome.type === 'done') {
          await this.settle({ type: 'delete', entity: SYNC_JOB, key, condition: nonce(value) });
          finished++;
        } else if (outcome.type === 'continue') {
          // A walk goes on after the key it reached, behind the marks it just wrote.
          await this.settle(this.rewrite(key, value, this.now(), { after: outcome.after }));
        } else if (outcome.type === 'later') {
          await this.settle(this.rewrite(key, value, outcome.at, {}));
          nextAt = Math.min(nextAt ?? outcome.at, outcome.at);
        } else {
          const { at, attempts, error } = outcome;
          await this.settle(this.rewrite(key, value, at, { attempts, error }));
          nextAt = Math.min(nextAt ?? at, at);
        }
      }
    } while (cursor);
    return { finished, ran, pending: false, nextAt };
  }

  private rewrite(key: string, job: SyncJob, at: number, doc: Partial<SyncJob['doc']>): WriteOperation {
    const next: SyncJob = { ...job, at, n: randomUUID(), doc: { ...job.doc, ...doc } };
    delete next.doc.cursor;
    return { type: 'set', entity: SYNC_JOB, key, value: next, condition: nonce(job) };
  }

  /** A write conditional on the job's nonce; if it was re-marked meanwhile, the mark wins. */
  private async settle(operation: WriteOperation): Promise<void> {
    try {
      await this.store.transact([operation]);
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}

class PlanOnlyQueue extends SyncQueue {
  override async mark(): Promise<void> {}
  override async wake(): Promise<void> {}
}

const nonce = (job: SyncJob) => ({ attribute: 'n', equals: job.n });
