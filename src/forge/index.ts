/**
 * Forge entry points (manifest.yml `function` handlers). The only module, with its
 * siblings in forge/, that imports Forge runtime packages.
 */
import { webTrigger } from '@forge/api';
import { Queue } from '@forge/events';
import { App, createApp } from '../app';
import type { WebTriggerEvent } from '../webtrigger/event';
import type { AtlassianPort } from '../atlassian/port';
import { LOG_STATUSES, LogQuery } from '../sync/log';
import { logResourceIds } from '../sync/log-resource';
import type { AdminApi, AdminLicence, SyncLogQuery } from './admin-api';
import {
  atlassianConnectionResolvers,
  connectedAtlassian,
  getAtlassianConnection,
} from './atlassian-connection';
import { AdminRefusal, adminOnly, makeAdminResolver } from './authorize';
import { ForgeEntityStore } from './kvs-store';
import { FullReconcileDeps, reconcileResolvers, scheduledReconcile } from './reconcile';
import { currentLicence, forgeLicence } from './licence';
import { applyPolicies, policiesInForce, readPolicies } from './policy-store';
import { buildStatus, countFailed, countPending } from './status';
import { perInstallation } from './installation';
import { RateLimitPacer } from '../atlassian/rate-limit';
import { GroupRoleCache } from '../sync/group-role-cache';
import { allPartitions, SYNC_PARTITIONS } from '../sync/partitions';
import { forgeTokens, generateToken, listTokens, revokeToken } from './tokens';

export const SCIM_TRIGGER_KEY = 'scim-endpoint';
const jobsQueue = new Queue({ key: 'directory-jobs' });

/**
 * The consumer's events come in two kinds, each with its own concurrency key (the async events
 * page, "Controlling processing concurrency": counters are per installation and key):
 *
 * - the dispatcher (no partition; key `directory-jobs`, limit 1, as every event was before
 *   partitions): the directory's own jobs, the connection check, and waking the partitions
 *   that have sync jobs. One runs at a time, so what must happen once (logging a connection
 *   change and marking everything) happens once.
 * - a partition's run (key `directory-jobs-<p>`, limit 1): the sync jobs of one partition
 *   (src/sync/partitions.ts), so up to SYNC_PARTITIONS invocations run at once and no two
 *   reconcile the same user or group.
 */
const DISPATCHER = { key: 'directory-jobs', limit: 1 };
const concurrencyOf = (partition: number) => ({ key: `directory-jobs-${partition}`, limit: 1 });

interface JobsEvent {
  body?: { reason?: string; partition?: number };
}

/** Queues the dispatcher, or (with `partitions`) a run of each partition named. */
const push = (reason: string, delayInSeconds = 0, partitions?: number[]) => {
  const delay = delayInSeconds > 0 ? { delayInSeconds } : {};
  const events = partitions
    ? partitions.map((partition) => ({
        body: { reason, partition },
        concurrency: concurrencyOf(partition),
        ...delay,
      }))
    : [{ body: { reason }, concurrency: DISPATCHER, ...delay }];
  return jobsQueue.push(events).catch((error: unknown) => {
    // The hourly sweep picks the jobs up anyway.
    console.warn('Could not queue background jobs', String(error));
  });
};

/**
 * Atlassian's rate limit as this installation's answers announce it (src/atlassian/rate-limit.ts):
 * kept per installation, shared by the invocations one process serves for it.
 */
const pacer = perInstallation(() => new RateLimitPacer());

/**
 * The Atlassian organization, or undefined while no API key is configured ("not connected").
 * Built per call: the adapter's deadline and egress budget are the invocation's.
 */
const atlassian = (): Promise<AtlassianPort | undefined> => connectedAtlassian({ pacer: pacer() });

/**
 * A user or group changed: its mark is already committed, and a sync run is asked for soon.
 * Writes come in bursts (an import creates hundreds of users): one delayed event serves every
 * change of the next few seconds, so an instance pushes at most once per window per
 * installation. Nothing is pushed while not connected: the marks wait, and connecting
 * reconciles everything.
 */
const SYNC_DELAY_S = 10;
const SYNC_WINDOW_MS = 5_000;

/**
 * What one function instance keeps for one installation (src/forge/installation.ts): its web
 * trigger URL, when it last asked for a sync run, and its app with the directory's caches.
 */
interface Installed {
  store: ForgeEntityStore;
  app: App;
  scimBaseUrl: () => Promise<string>;
  fullReconcileDeps: FullReconcileDeps;
}

const installed = perInstallation((): Installed => {
  // The trigger URL is stable for an installation: looked up once per function instance.
  let triggerUrl: Promise<string> | undefined;
  const scimBaseUrl = () => {
    triggerUrl ??= webTrigger.getUrl(SCIM_TRIGGER_KEY).catch((error: unknown) => {
      triggerUrl = undefined;
      throw error;
    });
    return triggerUrl;
  };

  // Set by the directory while a request writes, queued before the request is answered.
  const wanted = { sync: false, jobs: false };
  let lastSyncPush = 0;
  const queueWanted = async () => {
    const jobs = wanted.jobs;
    const sync = wanted.sync && Date.now() - lastSyncPush >= SYNC_WINDOW_MS;
    wanted.jobs = false;
    wanted.sync = false;
    const pushes: Promise<unknown>[] = [];
    if (jobs) pushes.push(push('jobs-pending'));
    if (sync) {
      // Taken before the lookup, so concurrent requests do not each look up and push. While
      // not connected the window holds too: saving the connection queues a run itself.
      const previous = lastSyncPush;
      lastSyncPush = Date.now();
      pushes.push(
        atlassian()
          .then((port) => (port ? push('sync-pending', SYNC_DELAY_S) : undefined))
          .catch((error: unknown) => {
            lastSyncPush = previous;
            console.warn('Could not look up the Atlassian connection', String(error));
          }),
      );
    }
    await Promise.all(pushes);
  };

  const store = new ForgeEntityStore();
  const app = createApp({
    store,
    tokens: forgeTokens,
    baseUrl: scimBaseUrl,
    atlassian,
    onSyncPending: () => {
      wanted.sync = true;
    },
    onJobsPending: () => {
      wanted.jobs = true;
    },
    // Awaited before the web trigger answers: Forge does not promise that work a function
    // did not await goes on after it returns.
    afterRequest: queueWanted,
    licence: forgeLicence,
    // Read once per sync run: a saved change applies from the next run.
    policies: policiesInForce,
    // The installation's group roles, shared by the partition runs this instance serves at
    // once, each trusting only reads sent since it began (src/sync/group-role-cache.ts).
    groupRoles: new GroupRoleCache(),
    // A large group's member slices start in their partitions now, not when this run ends.
    partitionsMarked: (partitions) =>
      queueRuns(app, new Map(partitions.map((partition) => [partition, Date.now()])), 'sync-marked'),
  });
  const fullReconcileDeps: FullReconcileDeps = {
    sync: app.sync,
    connected: async () => (await atlassian()) !== undefined,
    queueRun: async (reason) => {
      await push(reason);
    },
  };
  return { store, app, scimBaseUrl, fullReconcileDeps };
});

/** The web trigger: the SCIM base URL. */
export const scim = (event: WebTriggerEvent) => installed().app.handleWebTrigger(event);

/**
 * How long a consumer's run works: Forge gives queue consumers 900 s
 * (https://developer.atlassian.com/platform/forge/limits-invocation/); the last minute is left
 * to record what happened and queue the next run.
 */
const RUN_DEADLINE_MS = 840_000;

/**
 * One partition's sync to Atlassian, within the 900 s these functions may run: its jobs until
 * they are done or the deadline, at the pace the HTTP client keeps (Forge's egress limit per
 * invocation-minute, Atlassian's rate-limit headers through the installation's pacer, shared
 * by the partitions running at once in this process). Jobs it marked in other partitions (a
 * user's groups, a walk's page) wake those; work left queues the partition again at once (out
 * of time) or when its earliest retry is due.
 */
const runPartition = async (partition: number) => {
  const { app } = installed();
  const deadline = Date.now() + RUN_DEADLINE_MS;
  await app.sync.runStarted(partition);
  const result = await app.sync.run(deadline, { index: partition, count: SYNC_PARTITIONS });
  if (!result.connected) return;
  // Only a run that got somewhere can have marked jobs elsewhere (a retry marks nothing).
  if ((result.ran ?? 0) > 0) await wakePartitions(app, partition);
  const wanted = result.pending ? Date.now() + 1_000 : result.nextAt;
  if (wanted !== undefined) {
    await queueRuns(app, new Map([[partition, wanted]]), result.pending ? 'sync-continue' : 'sync-retry');
  }
};

/**
 * Queues a run of each partition with jobs for when its earliest is due (a partition found
 * by a bounded scan; past the scan's bound, every partition), except `skip`, the caller's own.
 */
async function wakePartitions(app: App, skip?: number, reason = 'sync-marked'): Promise<void> {
  const due =
    (await app.sync.queue.earliestByPartition(SYNC_PARTITIONS)) ??
    new Map(allPartitions().map((p) => [p, Date.now()]));
  if (skip !== undefined) due.delete(skip);
  await queueRuns(app, due, reason);
}

/** Queues a run of each partition at its time unless one is already queued by then. */
async function queueRuns(app: App, runs: Map<number, number>, reason: string): Promise<void> {
  const byDelay = new Map<number, number[]>();
  for (const [partition, at] of runs) {
    // An event waits at most 900 s; a later retry is reached by the run that event starts.
    const delay = Math.min(900, Math.max(1, Math.ceil((at - Date.now()) / 1000)));
    if (!(await app.sync.claimRunAt(Date.now() + delay * 1000, partition))) continue;
    byDelay.set(delay, [...(byDelay.get(delay) ?? []), partition]);
  }
  // One push per delay: at most SYNC_PARTITIONS events, within a push's 50.
  for (const [delay, partitions] of byDelay) await push(reason, delay, partitions);
}

/**
 * A consumer event: a partition's run, or the dispatcher (no partition: queued by a SCIM
 * change, the sweep, connecting, an admin, or by an older version of the app).
 */
const runPendingJobs = async (event?: JobsEvent) => {
  const partition = event?.body?.partition;
  if (
    typeof partition === 'number' &&
    Number.isInteger(partition) &&
    partition >= 0 &&
    partition < SYNC_PARTITIONS
  ) {
    return runPartition(partition);
  }
  const { app } = installed();
  await app.directory.jobs.runPending(Date.now() + RUN_DEADLINE_MS);
  // Not connected: the marks wait (the status change is logged once, here).
  if (!(await app.sync.checkConnection())) return;
  await wakePartitions(app, undefined, event?.body?.reason ?? 'sweep');
};
export const jobs = runPendingJobs;

/**
 * What a scheduled trigger answers (`events-reference/scheduled-trigger`, Response: `statusCode`
 * is required; "the platform recognizes a status code of 204 as success, and status codes in
 * the 500 series as errors"). A failure throws, which Forge records as a failed run.
 */
const scheduled = (run: () => Promise<void>) => async () => {
  await run();
  return { statusCode: 204 };
};

export const sweep = scheduled(async () => {
  // Pruning first, bounded, so the jobs' 840 s still end inside the function's 900 s.
  await installed().app.sync.pruneLog(Date.now() + 30_000);
  await runPendingJobs();
});

/** The daily drift check: starts a full reconcile the consumer runs (as "Reconcile now" does). */
export const fullReconcile = scheduled(() => scheduledReconcile(installed().fullReconcileDeps)());

/**
 * Resolvers of the admin page; every one first checks that the caller is an admin, and no
 * other key is answered (makeAdminResolver).
 */
export const adminResolver = makeAdminResolver<AdminApi>(
  adminOnly({
    getStatus: async () => {
      const { app, store, scimBaseUrl } = installed();
      const now = Date.now();
      const [baseUrl, tokens, users, groups, pending, failed, connection, refused] = await Promise.all([
        scimBaseUrl(),
        listTokens(),
        app.directory.users.total(),
        app.directory.groups.total(),
        countPending(store),
        countFailed(app, now),
        getAtlassianConnection(),
        app.sync.requests.refused.read(),
      ]);
      return buildStatus({
        scimBaseUrl: baseUrl,
        tokens,
        users,
        groups,
        pending,
        failed,
        licence: adminLicence(),
        connected: connection.configured,
        ...(refused ? { refused } : {}),
        ...(connection.configured && connection.expiresOn
          ? { credentialExpiresAt: connection.expiresOn }
          : {}),
        now,
      });
    },

    listTokens: async () => ({ tokens: await listTokens() }),
    // Token changes go to the sync log (by fingerprint, never the token): an identity provider
    // that starts getting 401 has its explanation under Activity.
    generateToken: async ({ context }) => {
      const made = await generateToken();
      await logAdminChange(
        installed().app,
        'token',
        context.accountId,
        'generated',
        `token ${made.view.fingerprint} accepted`,
      );
      return made;
    },
    revokeToken: async ({ payload, context }) => {
      const { fingerprint } = await revokeToken(String(payload?.id ?? ''));
      await logAdminChange(
        installed().app,
        'token',
        context.accountId,
        'revoked',
        `token ${fingerprint} refused from now on`,
      );
      return { tokens: await listTokens() };
    },

    getPolicies: () => readPolicies(),
    savePolicies: async ({ payload, context }) => {
      const { app } = installed();
      const by = typeof context.accountId === 'string' ? context.accountId : undefined;
      const result = await applyPolicies(payload?.policies, 'admin', by);
      // In the Activity log, so "why did the sync change" has an answer there.
      if (result.ok) {
        await logAdminChange(
          app,
          'policies',
          by,
          'saved',
          result.policies.dryRun
            ? 'apply from the next sync run; dry run: Atlassian writes are planned, not made'
            : 'apply from the next sync run',
        );
        // A raised (or removed) seat cap lets waiting users in now, not at the next free seat.
        const released = await app.sync.releaseWaitingSeats(result.policies.seatCap.limit);
        if (released > 0 && (await atlassian())) await push('seats-released');
      }
      return result;
    },

    ...atlassianConnectionResolvers,
    // Changes made while not connected wait, marked: connecting starts their sync at once.
    saveAtlassianConnection: async (request) => {
      const saved = await atlassianConnectionResolvers.saveAtlassianConnection(request);
      if (saved.configured) await push('connected');
      return saved;
    },

    getSyncLog: async ({ payload }) => {
      const { app } = installed();
      const query = logQuery(payload);
      // A name (userName, e-mail, group name) filters by the resource it names now.
      if (query.resource) [query.resource] = await logResourceIds(app.directory, query.resource);
      const page = await app.sync.log.query(query);
      return { entries: page.entries, ...(page.cursor ? { cursor: page.cursor } : {}) };
    },
    retryResource: async ({ payload }) => {
      const { app, store } = installed();
      const type = payload?.resourceType;
      const id = typeof payload?.resource === 'string' ? payload.resource : '';
      if (type !== 'user' && type !== 'group') {
        throw new AdminRefusal('Say which kind of resource to retry: resourceType "user" or "group".');
      }
      const collection = type === 'user' ? app.directory.users : app.directory.groups;
      if (!id || !(await collection.get(id))) {
        throw new AdminRefusal(`No ${type} with the SCIM id "${id.slice(0, 80)}": it may have been deleted.`);
      }
      // The admin's retry: forced, so what is blocked or given up at its version runs again.
      await store.transact([app.sync.queue.markOperation(type, id, Date.now(), { force: true })]);
      if (await atlassian()) await push('sync-retry-resource');
      return { queued: true };
    },
    ...reconcileResolvers(() => installed().fullReconcileDeps),
  }),
);

/** An admin's change, in the sync log: what, who (accountId) and what follows from it. */
function logAdminChange(
  app: App,
  operation: string,
  accountId: unknown,
  what: string,
  result: string,
): Promise<void> {
  const by = typeof accountId === 'string' && accountId ? ` by ${accountId}` : '';
  return app.sync.log.write({
    source: 'sync',
    operation,
    status: 'ok',
    why: `${what} on the admin page${by}`,
    result,
  });
}

/** The licence as the admin page shows it. */
function adminLicence(): AdminLicence {
  const { state, writesAllowed, detail, endDate } = currentLicence();
  return { state, writesAllowed, detail, ...(endDate ? { endDate } : {}) };
}

/** The admin page's query, checked: it arrives from the browser. */
function logQuery(payload: SyncLogQuery | undefined): LogQuery {
  const query: LogQuery = {};
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const time = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  // Ids are 36 characters; a name (looked up in the directory) may be as long as an index value.
  query.resource = text(payload?.resource)?.slice(0, 256);
  const status = text(payload?.status);
  query.status = LOG_STATUSES.find((s) => s === status);
  query.since = time(payload?.since);
  query.until = time(payload?.until);
  query.limit = time(payload?.limit);
  query.cursor = text(payload?.cursor);
  return query;
}
