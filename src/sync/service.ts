/**
 * Provisioning into Atlassian, as one service the composition wires in: the marks a directory
 * write commits with its change, the runner that reconciles marked resources in bounded
 * batches, "reconcile all", the connection status, and the sync log.
 */
import type { AtlassianPort } from '../atlassian/port';
import type { Directory } from '../directory/directory';
import { ConditionFailedError, EntityStore, TransientStorageError, WriteOperation } from '../storage/port';
import { optimistically } from '../directory/retry';
import { Links } from './links';
import { describeError, resourceName, SyncLog } from './log';
import { DEFAULT_POLICIES, Policies } from '../policies/policies';
import { releaseWaiting } from './seats';
import { CountingLog, FullReconcileProgress, IDLE_PROGRESS, PROGRESS_STATE, ProgressCount } from './progress';
import { Budget, Reconciler } from './reconciler';
import { Partition } from './partitions';
import { GroupRoleCache } from './group-role-cache';
import { RequestLog } from './requests';
import { sliceGroup } from './member-slices';
import { AtlassianCalls, ReconcileContext } from './atlassian-calls';
import { ReconcileResult, settle } from './result';
import { PagedWalk, WalkMemory } from './paged-walk';
import { AccountPrefetch } from './account-prefetch';
import { primaryEmail } from './user-reconciler';
import { trustsLink } from './users/trust';
import {
  JobOutcome,
  PartitionsMarked,
  PreviewKind,
  QueuedJob,
  RunResult,
  SyncKind,
  SyncQueue,
} from './queue';

export interface SyncOptions {
  store: EntityStore;
  directory: Directory;
  /** The organization, or undefined while no credential is configured ("not connected"). */
  connection?: () => Promise<AtlassianPort | undefined>;
  now?: () => number;
  /**
   * A bound on the Atlassian calls of one run (none by default: the HTTP client keeps each
   * invocation within Forge's egress limit per invocation-minute and Atlassian's announced
   * rate limit, and a run ends at its deadline). The rest is left queued for the next run.
   */
  callsPerRun?: number;
  /** Attempts before a non-transient failure is given up (until the next change). */
  maxAttempts?: number;
  /** Backoff before attempt `attempt + 1`. */
  retryDelayMs?: (attempt: number) => number;
  /** The policies in force, read once per run; absent: DEFAULT_POLICIES. */
  policies?: () => Promise<Policies>;
  /**
   * The installation's group roles, shared by the runs going on at once (one per partition);
   * absent: this service's own.
   */
  groupRoles?: GroupRoleCache;
  /** Jobs were queued for other partitions mid-run (SyncQueue's PartitionsMarked); absent: none asked. */
  partitionsMarked?: PartitionsMarked;
}

export interface SyncRunResult extends RunResult {
  connected: boolean;
}

interface ConnectionState {
  connected: boolean;
  at: number;
  /** The dry-run policy as the last run found it. */
  dryRun?: boolean;
}

const DEFAULT_MAX_ATTEMPTS = 5;
/** A full reconcile still "running" after this long is taken as lost, and may start again. */
const FULL_RECONCILE_STUCK_MS = 2 * 24 * 3600 * 1000;
/** Passes one run makes at most (each pass runs what was due when it started). */
const MAX_PASSES = 50;
/** User jobs whose link and SCIM user the prefetch reads at once (two storage reads each). */
const PREFETCH_READS_AT_ONCE = 10;
/** Tries of a progress update that runs of other partitions keep beating to the write. */
const PROGRESS_UPDATE_ATTEMPTS = 20;

/** 30 s, doubling, at most an hour. */
export const defaultRetryDelay = (attempt: number) => Math.min(3_600_000, 30_000 * 2 ** (attempt - 1));

export class SyncService {
  readonly queue: SyncQueue;
  readonly links: Links;
  readonly log: SyncLog;
  readonly requests: RequestLog;
  private readonly now: () => number;
  private readonly groupRoles: GroupRoleCache;

  constructor(private readonly options: SyncOptions) {
    this.now = options.now ?? Date.now;
    this.groupRoles = options.groupRoles ?? new GroupRoleCache(this.now);
    this.queue = new SyncQueue(options.store, this.now, options.partitionsMarked);
    this.links = new Links(options.store);
    this.log = new SyncLog(options.store, this.now);
    this.requests = new RequestLog(this.log, this.now);
  }

  /**
   * Written in the transaction of every directory write of a user or group: its mark (so the
   * change is reconciled even if the process dies right after) and the SCIM request's entry,
   * named from `doc`, the resource as the write leaves it.
   */
  changeOperations(type: 'user' | 'group', id: string, doc?: Record<string, unknown>): WriteOperation[] {
    const name = doc ? resourceName(type, doc) : undefined;
    return [this.queue.markOperation(type, id), ...this.requests.operations(id, type, name)];
  }

  async connected(): Promise<AtlassianPort | undefined> {
    return (await this.options.connection?.()) ?? undefined;
  }

  /**
   * Reconciles marked resources, oldest first, until none are due, the deadline passes or
   * the batch's Atlassian calls are spent. Not connected: leaves every mark where it is.
   *
   * With a partition (src/sync/partitions.ts), only that partition's jobs: several such runs
   * go on at once, so a connection change is noted by the one-at-a-time caller instead
   * (checkConnection), not by each of them.
   */
  async run(deadline = Number.POSITIVE_INFINITY, partition?: Partition): Promise<SyncRunResult> {
    const port = await this.connected();
    const policies = (await this.options.policies?.()) ?? DEFAULT_POLICIES;
    if (!partition) await this.noteConnection(port !== undefined, policies.dryRun);
    if (!port) return { connected: false, finished: 0, pending: false };
    const log = new CountingLog(this.options.store, this.now);
    // Both reconcilers of the run share one view of the group roles, fresh since the run began;
    // the app's own access grants forget what they change.
    const groupRoles = this.groupRoles.beginRun();
    const watched = this.groupRoles.watching(port);
    // The run's batched account look-ups, read before each batch of jobs (prefetch, below).
    const accounts = new AccountPrefetch(watched, this.now);
    const reconcilers = new Map<boolean, Reconciler>();
    // A dry run plans: its reconciler reads links and marks but writes neither.
    const reconcilerFor = (dryRun: boolean) => {
      let reconciler = reconcilers.get(dryRun);
      if (!reconciler) {
        reconciler = new Reconciler(
          this.options.directory,
          watched,
          dryRun ? this.links.planOnly() : this.links,
          log,
          dryRun ? this.queue.planOnly() : this.queue,
          this.now,
          policies,
          groupRoles,
          accounts,
        );
        reconcilers.set(dryRun, reconciler);
      }
      return reconciler;
    };
    const budget = new Budget(this.options.callsPerRun ?? Number.POSITIVE_INFINITY);
    const count = new ProgressCount();
    // The full reconcile reads the directory in pages where the connection can (the
    // Organizations API) and marks only what differs; elsewhere its walks mark everything.
    const pages = watched.pages;
    const memory = new WalkMemory();
    const paged = pages
      ? new PagedWalk({ ...this.options, links: this.links, queue: this.queue, policies, now: this.now })
      : undefined;
    const pagedStep: PagedStep | undefined =
      paged && pages
        ? (queued, context) =>
            paged.step({
              kind: queued.kind,
              id: queued.doc.id,
              after: queued.doc.after,
              pages,
              memory,
              count,
              calls: new AtlassianCalls(watched, log, context, {
                resource: queued.doc.id,
                resourceType: queued.doc.id === 'groups' ? 'group' : 'user',
                name: 'full reconcile',
              }),
            })
        : undefined;
    const job = (queued: QueuedJob) => {
      const preview = isPreview(queued.kind);
      log.counting = queued.doc.full || preview ? count : undefined;
      const dryRun = preview || policies.dryRun;
      return this.runJob(reconcilerFor(dryRun), queued, { budget, deadline, dryRun }, count, pagedStep);
    };
    const total: SyncRunResult = { connected: true, finished: 0, ran: 0, pending: false };
    // A pass runs what was due when it started; marks written meanwhile (a user's groups, a
    // walk's page) are due in the next pass.
    for (let passes = 1; ; passes++) {
      const pass = await this.queue.runPending(job, deadline, partition, (batch) =>
        this.prefetch(batch, accounts, budget),
      );
      total.finished += pass.finished;
      total.ran = (total.ran ?? 0) + (pass.ran ?? 0);
      if (pass.nextAt !== undefined) total.nextAt = Math.min(total.nextAt ?? pass.nextAt, pass.nextAt);
      if (pass.pending || passes >= MAX_PASSES) {
        const result = { ...total, pending: pass.pending || pass.ran !== 0 };
        await this.recordProgress(count, { idle: false, empty: false });
        return result;
      }
      if (pass.ran === 0) break;
    }
    // Jobs waiting for a retry, including ones an earlier run rescheduled: when to come back.
    const earliest = await this.queue.earliest(partition);
    if (earliest !== undefined) total.nextAt = Math.min(total.nextAt ?? earliest, earliest);
    // "Nothing left" is only known of all partitions: one partition's idle end does not say it.
    const empty = partition ? (await this.queue.earliest()) === undefined : earliest === undefined;
    await this.recordProgress(count, { idle: true, empty });
    return total;
  }

  /**
   * Before a batch of jobs runs: the accounts its user jobs will ask for, read in one request
   * per 100 (src/sync/account-prefetch.ts): by id for a linked user (or one whose invite's
   * placement is still to be read back), by e-mail for the others. Users blocked at their
   * version, and linked users whose reconcile trusts the link (users/trust.ts), are left out
   * (their turn asks nothing). Two storage reads per user job.
   */
  private async prefetch(batch: QueuedJob[], accounts: AccountPrefetch, budget: Budget): Promise<void> {
    if (!accounts.batches) return;
    const users = batch.filter((job) => resourceKind(job.kind) === 'user');
    if (users.length === 0) return;
    const wanted = { accountIds: [] as string[], emails: [] as string[] };
    // A few reads at a time, not the whole batch at once (storage is shared by every run).
    for (let i = 0; i < users.length; i += PREFETCH_READS_AT_ONCE) {
      await Promise.all(
        users.slice(i, i + PREFETCH_READS_AT_ONCE).map(async (job) => {
          const [link, user] = await Promise.all([
            this.links.user(job.doc.id),
            this.options.directory.users.get(job.doc.id),
          ]);
          // A reconcile that trusts its link reads no account: nothing to read ahead for it.
          if (trustsLink(link, job.doc.force === true, (job.doc.attempts ?? 0) + 1)) return;
          const accountId = link?.accountId ?? link?.placing?.accountId;
          if (accountId) wanted.accountIds.push(accountId);
          else if (!user || (link?.blocked?.version === user.version && !job.doc.force)) return;
          else {
            const email = primaryEmail(user.doc);
            if (email) wanted.emails.push(email);
          }
        }),
      );
    }
    await accounts.load(wanted, budget);
  }

  /**
   * Whether a credential is configured, with the change logged once (and everything marked on
   * connecting), as a run notes it; no job runs.
   */
  async checkConnection(): Promise<boolean> {
    const port = await this.connected();
    const policies = (await this.options.policies?.()) ?? DEFAULT_POLICIES;
    await this.noteConnection(port !== undefined, policies.dryRun);
    return port !== undefined;
  }

  /**
   * Starts a full reconcile: every user and group checked against Atlassian, what was changed
   * there by hand repaired or reported (policies.drift), with progress (reconcileProgress).
   * Where the connection reads the directory in pages, its walks compare a page at a time and
   * mark only what differs (src/sync/paged-walk.ts); elsewhere they mark everything (walk).
   * A dry run (asked for, or the dry-run policy) plans instead; asked for while the policy is
   * off, it runs as its own preview jobs and leaves the real marks alone. While one runs,
   * starting another answers the one running.
   */
  async startFullReconcile(options: {
    trigger: 'schedule' | 'admin';
    dryRun?: boolean;
  }): Promise<FullReconcileProgress> {
    const current = await this.reconcileProgress();
    // One stuck (its jobs lost to a bug or a wiped queue) does not block the next forever.
    const stuck = this.now() - (current.startedAt ?? 0) > FULL_RECONCILE_STUCK_MS;
    if (current.state === 'running' && !stuck) return current;
    const policies = (await this.options.policies?.()) ?? DEFAULT_POLICIES;
    const preview = options.dryRun === true && !policies.dryRun;
    const [users, groups] = await Promise.all([
      this.options.directory.users.total(),
      this.options.directory.groups.total(),
    ]);
    const progress: FullReconcileProgress = {
      ...IDLE_PROGRESS,
      state: 'running',
      trigger: options.trigger,
      dryRun: options.dryRun === true || policies.dryRun,
      startedAt: this.now(),
      users: { done: 0, total: users },
      groups: { done: 0, total: groups },
    };
    const walk: SyncKind = preview ? 'preview-all' : 'all';
    const doc = { force: true, full: true };
    // The walks first: progress left idle by a crash between the writes costs nothing.
    await this.options.store.transact([
      this.queue.markOperation(walk, 'users', this.now(), doc),
      this.queue.markOperation(walk, 'groups', this.now(), doc),
    ]);
    await this.links.setState(PROGRESS_STATE, progress);
    return progress;
  }

  async reconcileProgress(): Promise<FullReconcileProgress> {
    return (await this.links.state<FullReconcileProgress>(PROGRESS_STATE)) ?? IDLE_PROGRESS;
  }

  /**
   * Adds what this run counted to the full reconcile's progress (one read and one write per
   * run, only while one runs). It is done once its directory walks are done and a run ends
   * with nothing due, and either every user and group is counted or no job is left at all (a
   * resource re-marked by a change meanwhile ran, but as that change, not counted here).
   */
  private async recordProgress(
    count: ProgressCount,
    queue: { idle: boolean; empty: boolean },
  ): Promise<void> {
    if (count.empty && !queue.idle) return;
    if ((await this.links.state<FullReconcileProgress>(PROGRESS_STATE))?.state !== 'running') return;
    // Runs of other partitions add their counts at once: a write names the version it read,
    // and one that lost the race reads again rather than overwrite their counts.
    await optimistically(async () => {
      const { doc: progress, version } = await this.links.versionedState(PROGRESS_STATE, IDLE_PROGRESS);
      if (progress.state !== 'running') return;
      let next = count.addTo(progress);
      const counted = next.users.done >= next.users.total && next.groups.done >= next.groups.total;
      if (
        queue.idle &&
        (queue.empty || counted) &&
        !(await this.walking('all')) &&
        !(await this.walking('preview-all'))
      ) {
        next = { ...next, state: 'done', finishedAt: this.now() };
      }
      if (count.empty && next.state === 'running') return;
      await this.options.store.transact([this.links.stateOperation(PROGRESS_STATE, next, version)]);
    }, PROGRESS_UPDATE_ATTEMPTS);
  }

  private async walking(kind: SyncKind): Promise<boolean> {
    const [users, groups] = await Promise.all([
      this.queue.get(kind, 'users'),
      this.queue.get(kind, 'groups'),
    ]);
    return users !== undefined || groups !== undefined;
  }

  /**
   * A run (of a partition) started: the run queued for it is no longer waiting, so the next
   * claim queues a new one, even when the queue delivered this one before its time (a test's
   * drain does) and jobs marked during this run need another.
   */
  async runStarted(partition?: number): Promise<void> {
    const key = partition === undefined ? 'next-run' : `next-run:${partition}`;
    if ((await this.links.state<{ at: number }>(key))?.at) await this.links.setState(key, { at: 0 });
  }

  /**
   * Whether a run (of a partition) at `at` must still be queued: false when one is already
   * queued for then or earlier (every run that leaves work asks, and a queued event for each
   * would multiply the runs). Records `at` when true. A lost event only delays work to the
   * sweep.
   */
  async claimRunAt(at: number, partition?: number): Promise<boolean> {
    const key = partition === undefined ? 'next-run' : `next-run:${partition}`;
    const queued = await this.links.state<{ at: number }>(key);
    if (queued && queued.at > this.now() && queued.at <= at) return false;
    await this.links.setState(key, { at });
    return true;
  }

  /** Marks every user, then every group, a page at a time, through a resumable walk job. */
  async reconcileAll(options: { force?: boolean } = {}): Promise<void> {
    await this.options.store.transact([
      this.queue.markOperation('all', 'users', this.now(), { force: options.force }),
      this.queue.markOperation('all', 'groups', this.now(), { force: options.force }),
    ]);
  }

  /**
   * The seat cap rose or went (an admin saved the policies): the users waiting longest take
   * the seats now free at once, rather than at the next freed seat or full reconcile.
   * Answers how many were marked.
   */
  releaseWaitingSeats(limit: number | undefined): Promise<number> {
    return releaseWaiting(this.links, this.queue, limit);
  }

  /** Deletes log entries past the retention window (the hourly sweep). */
  pruneLog(deadline?: number): Promise<number> {
    return this.log.prune(undefined, deadline);
  }

  private async runJob(
    reconciler: Reconciler,
    job: QueuedJob,
    run: { budget: Budget; deadline: number; dryRun: boolean },
    count: ProgressCount,
    pagedStep?: PagedStep,
  ): Promise<JobOutcome> {
    const attempt = (job.doc.attempts ?? 0) + 1;
    const kind = resourceKind(job.kind);
    const context: ReconcileContext = {
      ...run,
      attempt,
      force: job.doc.force,
      // When the change was written: what the run read before it is not fresh for this job.
      markedAt: job.at,
      // A key to resume the member walk after (the job's `after`), never a storage cursor.
      resumeAfter: job.doc.after,
    };
    let result: ReconcileResult;
    try {
      if (kind === 'all' && job.doc.full && pagedStep) {
        // Its reads go through the run's budget like any reconcile's; a failed one is retried.
        return this.outcomeOf(job, attempt, await settle(() => pagedStep(job, context)), count);
      }
      if (kind === 'all') return await this.walk(job);
      result =
        kind === 'user'
          ? await reconciler.user(job.doc.id, context)
          : kind === 'members'
            ? await reconciler.members(job.doc.id, job.doc.until ?? '', context)
            : await reconciler.group(job.doc.id, context);
    } catch (error) {
      // Storage trouble: let the invocation fail; the job stays and the platform retries it.
      if (error instanceof TransientStorageError || error instanceof ConditionFailedError) throw error;
      // Not an Atlassian answer (a bug, a broken record): logged here, retried like the rest.
      await this.log.write({
        source: 'sync',
        operation: `reconcile ${kind}`,
        status: 'failed',
        ...target(job),
        attempts: attempt,
        error: describeError(error),
      });
      return this.outcomeOf(job, attempt, { type: 'failed', error, final: false }, count);
    }
    return this.outcomeOf(job, attempt, result, count);
  }

  /**
   * The one place a reconcile's result becomes job state and backoff: done (counted in a full
   * reconcile), continued from a key, left for the next run, or retried after a delay until it
   * is given up (logged, and retried only when the resource changes or an admin asks).
   */
  private async outcomeOf(
    job: QueuedJob,
    attempt: number,
    result: ReconcileResult | { type: 'failed'; error: unknown; final: false },
    count: ProgressCount,
  ): Promise<JobOutcome> {
    const kind = resourceKind(job.kind);
    // A full reconcile counts each user and group once it is as done as it will get.
    const counted = () => {
      // A member slice is not a resource: its group was counted (src/sync/member-slices.ts).
      if (job.doc.full && kind !== 'all' && kind !== 'members') count.resource(kind);
    };
    switch (result.type) {
      case 'done':
        counted();
        return { type: 'done' };
      case 'continue':
        return { type: 'continue', after: result.after };
      case 'out-of-budget':
        return { type: 'stop' };
      case 'wait':
        return { type: 'later', at: this.now() + result.delayMs };
      case 'retry':
      case 'failed': {
        const cause = 'cause' in result ? result.cause : undefined;
        const error = 'error' in result ? result.error : cause;
        const final = result.type === 'failed' && result.final;
        if (
          final ||
          (result.type === 'failed' && attempt >= (this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS))
        ) {
          await this.log.write({
            source: 'sync',
            operation: `reconcile ${kind}`,
            status: 'failed',
            ...target(job, 'name' in result ? result.name : undefined),
            attempts: attempt,
            result: `gave up after ${attempt} attempts; retried when the resource changes or an admin asks`,
            errorKind: cause?.kind,
            error: describeError(error),
          });
          // Given up: as done as it will get in this full reconcile (its failure is counted).
          counted();
          return { type: 'done' };
        }
        // Atlassian may say how long to wait (a long Retry-After the client did not sleep through).
        const delay = Math.max(
          (this.options.retryDelayMs ?? defaultRetryDelay)(attempt),
          cause?.retryAfterMs ?? 0,
        );
        return { type: 'retry', at: this.now() + delay, attempts: attempt, error: describeError(error) };
      }
    }
  }

  /**
   * One page of the directory walk of "reconcile all" (or of a preview's), in `by-seq` order.
   * The next invocation continues after the `seq` of the last resource marked, with a range
   * query: Forge's `entities-api-query` page says not to persist query cursors ("they may not
   * always be stable"). Sequence numbers are unique per resource (src/directory/order.ts), so
   * nothing is skipped or marked twice. A job an older version wrote (with a `cursor`, no
   * `after`) walks again from the start: marking a resource again is harmless.
   */
  private async walk(job: QueuedJob): Promise<JobOutcome> {
    const directory = this.options.directory;
    const collection = job.doc.id === 'groups' ? directory.groups : directory.users;
    const after =
      job.doc.after !== undefined && /^\d+$/.test(job.doc.after) ? Number(job.doc.after) : undefined;
    const page = await collection.findByIndex(
      'by-seq',
      after === undefined ? { op: 'greaterThanEqualTo', value: 0 } : { op: 'greaterThan', value: after },
    );
    const resource = job.doc.id === 'groups' ? 'group' : 'user';
    const kind: SyncKind = isPreview(job.kind) ? `preview-${resource}` : resource;
    const { force, full } = job.doc;
    const doc = { ...(force ? { force } : {}), ...(full ? { full } : {}) };
    const marks = page.items.map((item) => this.queue.markOperation(kind, item.id, undefined, doc));
    for (let i = 0; i < marks.length; i += 25) await this.options.store.transact(marks.slice(i, i + 25));
    const last = page.items.at(-1);
    return page.nextCursor && last ? { type: 'continue', after: String(last.seq) } : { type: 'done' };
  }

  /**
   * Logs a change of connection status once, and reconciles everything on connecting; the
   * same when the dry-run policy is turned off: what was only planned is now applied.
   */
  private async noteConnection(connected: boolean, dryRun: boolean): Promise<void> {
    const state = await this.links.state<ConnectionState>('connection');
    const dryRunEnded = connected && state?.dryRun === true && !dryRun;
    if (state?.connected === connected && (state.dryRun ?? false) === dryRun) return;
    await this.links.setState<ConnectionState>('connection', { connected, at: this.now(), dryRun });
    if (dryRunEnded && state?.connected) {
      await this.log.write({
        source: 'sync',
        operation: 'dry run',
        status: 'ok',
        result: 'the dry-run policy is off: reconciling the whole directory to apply what was planned',
      });
      await this.reconcileAll();
      return;
    }
    if (state?.connected === connected) return;
    await this.log.write({
      source: 'sync',
      operation: 'connection',
      status: connected ? 'ok' : 'attention',
      result: connected
        ? // Either mode: an organization (API key) or a site (site admin's API token).
          'connected to Atlassian; reconciling the whole directory'
        : 'not connected: no Atlassian credential (org API key or site admin API token) is configured; changes wait and are applied once connected',
    });
    // Resources written before the connection (or before this version of the app marked
    // changes at all) are reconciled too.
    if (connected) await this.reconcileAll();
  }
}

/** One step of the full reconcile's paged walk (src/sync/paged-walk.ts) for a walk job. */
type PagedStep = (job: QueuedJob, context: ReconcileContext) => Promise<ReconcileResult>;

/** The resource a job's log entries are about, by its name too when the reconcile knew it. */
function target(job: QueuedJob, name?: string) {
  const kind = resourceKind(job.kind);
  return {
    // A slice of a group's member adds is about the group (src/sync/member-slices.ts).
    resource: kind === 'members' ? sliceGroup(job.doc.id) : job.doc.id,
    resourceType: kind === 'group' || kind === 'members' ? 'group' : 'user',
    ...(name ? { name } : {}),
  } as const;
}

/** The resource a job reconciles, whether it is a preview's or a real one. */
function resourceKind(kind: SyncKind): 'user' | 'group' | 'members' | 'all' {
  return kind === 'preview-user'
    ? 'user'
    : kind === 'preview-group'
      ? 'group'
      : kind === 'preview-all'
        ? 'all'
        : kind;
}

function isPreview(kind: SyncKind): kind is PreviewKind {
  return kind.startsWith('preview-');
}
