/**
 * The provisioning mode of the benchmark: an identity provider's initial push through SCIM,
 * then the reconcile worker until the Atlassian organization matches the directory.
 *
 *   npm run bench -- --provisioning [--atlassian-latency-ms 50] [--rate-limit 20] [--quick]
 *   npm run bench -- --provisioning --users 1000 --groups 100 --memberships 10000 --calls-per-run 80
 *   npm run bench -- --provisioning --quick --fault-rate 0.1
 *
 * The push is what Entra sends: POST /Users for every user, POST /Groups for every group
 * (empty), then PATCH /Groups/{id} adding members 100 at a time, all through the app's real
 * web trigger handler on the in-memory LocalEntityStore. The app is connected to an embedded
 * Atlassian organization before the push (an admin connects before configuring the identity
 * provider), with every answer delayed --atlassian-latency-ms and --rate-limit requests per
 * second before 429 (token bucket, one second of burst).
 *
 * The worker then runs as the queue consumer runs it on Forge (src/forge/index.ts): in rounds,
 * each the dispatcher (the directory's jobs, the connection) and then one consumer invocation
 * per partition of the sync's work (src/sync/partitions.ts) at once, each with a fresh
 * Organizations API adapter on the real HTTP client (system clock, so a 429 is really waited
 * out) with the invocation's deadline and its own egress allowance per minute, all sharing
 * the installation's rate-limit pacer. A round waits for its slowest partition (Forge starts
 * each partition's next run on its own, 1 s after it queued it), so the time on Forge's
 * schedule adds that second per round that left work. A round that leaves only retries
 * sleeps until they are due.
 *
 * Counted at the fetch the adapter uses, so every HTTP request (retries included) is seen:
 * writes are POST/DELETE other than searches and the workspaces list; reads are the rest.
 * A request answered 429 was not processed and is counted apart, not as a write or a read.
 * Converged means no sync job or directory job is left and the organization, read back
 * through its API, holds exactly the desired accounts, groups and memberships beyond what
 * it held before the push.
 */
import { App, createApp } from '../../src/app';
import { createOrgAdminAdapter } from '../../src/atlassian/org-adapter';
import type { FetchLike, FetchResponse } from '../../src/atlassian/http-client';
import type { AtlassianPort } from '../../src/atlassian/port';
import { ENTITIES } from '../../src/entities';
import { EmbeddedOrganization, embeddedOrgBackend } from '../../src/local/embedded-org';
import { LocalEntityStore } from '../../src/local/entity-store';
import { hashToken } from '../../src/scim/auth';
import { FORGE_EGRESS_PER_INVOCATION_MINUTE, RateLimitPacer } from '../../src/atlassian/rate-limit';
import { MAX_SLICES, SLICE_SIZE, SLICE_WHEN_MISSING, sliceId } from '../../src/sync/member-slices';
import { allPartitions, partitionOf, SYNC_PARTITIONS } from '../../src/sync/partitions';
import type { SyncRunResult } from '../../src/sync/service';
import type { SyncKind } from '../../src/sync/queue';
import { client } from '../embedded-org/helpers';
import { CountingStore } from '../support/counting-store';
import { TOKEN, webTriggerEvent } from '../support/harness';
import { addMembersPatch, groupBody, groupName, Random, userBody } from './data';
import { runDailyReconcile } from './daily-reconcile';
import { runSteadyState } from './steady-state';

export interface ProvisioningOptions {
  users: number;
  groups: number;
  memberships: number;
  /** Added by the embedded organization to every answer. */
  latencyMs: number;
  /** Requests per second before 429; 0 for none. */
  rateLimit: number;
  /** Port calls per sync run (the app's default when absent). */
  callsPerRun?: number;
  /** Members per PATCH, as Entra batches them. */
  membersPerPatch: number;
  /**
   * Whether an invite naming no group puts the account in the directory (UNCONFIRMED; the
   * embedded organization draws it by default). The bench fixes it so its figures repeat:
   * true by default; false (--bare-invites-unplaced) is the pessimistic reading, where a user
   * invited before any group is invited again, naming its group, once a membership arrives.
   */
  bareInvitesPlace: boolean;
  /**
   * Share of requests the organization fails (seeded: 429, 500, timeouts before and after the
   * change, src/local/embedded-org/faults.ts); 0 by default. Requests and writes per change
   * then count the retries and read-backs the faults cost; convergence must stay exact.
   */
  faultRate?: number;
  quick: boolean;
}

export const FULL_PROVISIONING = { users: 1_000, groups: 100, memberships: 10_000 };
export const QUICK_PROVISIONING = { users: 50, groups: 5, memberships: 250 };

/** What src/forge/index.ts gives a consumer run: 840 s, and 100 egress requests a minute. */
const RUN_DEADLINE_MS = 840_000;
const REQUEST_BUDGET = FORGE_EGRESS_PER_INVOCATION_MINUTE * Math.floor((900_000 - 5_000) / 60_000);
/** How long a run that leaves work waits before the next one on Forge (src/forge/index.ts). */
const FORGE_CONTINUE_DELAY_MS = 1_000;
const FORGE_EGRESS_PER_MINUTE = FORGE_EGRESS_PER_INVOCATION_MINUTE;
const MAX_RUNS = 20_000;

export interface HttpRecord {
  method: string;
  path: string;
  label: string;
  write: boolean;
  status: number;
  /** What the write was about: the invited e-mail, the group name, group + account. */
  target?: string;
}

interface RunRecord {
  ms: number;
  requests: number;
  portCalls: number;
  pending: boolean;
  retryWaitMs: number;
}

const ms = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;
const sleep = (duration: number) => new Promise<void>((resolve) => setTimeout(resolve, duration));
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const seconds = (millis: number) => `${fmt(millis / 1000, 1)} s`;

/** Names the Organizations API request (path under /admin, body as sent). */
function classify(method: string, path: string, body: string | undefined): HttpRecord {
  const route = path
    .replace(/^.*?\/admin/, '')
    .replace(/\?.*$/, '')
    .replace(/\/v2\/orgs\/[^/]+\/directories\/[^/]+/, '{d}')
    .replace(/\/v[12]\/orgs\/[^/]+/, '{o}');
  let parsed: Record<string, unknown> = {};
  try {
    parsed = body ? (JSON.parse(body) as Record<string, unknown>) : {};
  } catch {
    // not JSON: classified by route alone
  }
  const search = /\/search$/.test(route) || route === '{o}/workspaces';
  const write = (method === 'POST' || method === 'DELETE') && !search;
  const segments = route.split('/');
  let label = `${method} ${segments.map((s, i) => (i > 0 && /[0-9a-f-]{8,}/i.test(s) ? '{id}' : s)).join('/')}`;
  let target: string | undefined;
  if (route === '{d}/users/search') {
    const keys = Object.keys(parsed).sort().join('+');
    label =
      keys === 'emails'
        ? 'POST users/search {emails} (find account by e-mail)'
        : keys === 'accountIds+groupIds'
          ? 'POST users/search {accountIds, groupIds} (is member)'
          : /^(cursor\+)?expand\+limit$/.test(keys)
            ? 'POST users/search {expand, limit} (a page of accounts)'
            : keys === 'limit+roleIds'
              ? 'POST users/search {roleIds} (admin role holders)'
              : `POST users/search {${keys}}`;
  } else if (route === '{d}/groups/search') {
    const keys = Object.keys(parsed).sort().join('+');
    label =
      keys === 'groupNames'
        ? 'POST groups/search {groupNames} (find group)'
        : keys === 'groupIds+limit'
          ? 'POST groups/search {groupIds} (linked groups)'
          : keys === 'groupIds+limit+roleIds'
            ? 'POST groups/search {groupIds, roleIds} (admin groups)'
            : `POST groups/search {${keys}}`;
  } else if (method === 'POST' && route === '{o}/users/invite') {
    label = 'POST users/invite';
    target = String((parsed.emails as string[] | undefined)?.[0] ?? '').toLowerCase();
  } else if (method === 'POST' && route === '{d}/groups') {
    label = 'POST groups (create group)';
    target = String(parsed.name ?? '').toLowerCase();
  } else if (method === 'POST' && /^\{d\}\/groups\/[^/]+\/memberships$/.test(route)) {
    label = 'POST groups/{id}/memberships (add member)';
    target = `${segments[2]} ${String(parsed.accountId)}`;
  } else if (method === 'GET' && /^\{d\}\/groups\/[^/]+$/.test(route)) {
    label = 'GET groups/{id} (get group)';
  } else if (method === 'GET' && /^\{d\}\/users\/[^/]+$/.test(route)) {
    label = 'GET users/{id} (get account)';
  }
  return { method, path, label, write, status: 0, ...(target !== undefined ? { target } : {}) };
}

/** Counts port calls by method (the worker's view: an adapter call may be several requests). */
function countingPort(port: AtlassianPort, counts: Map<string, number>): AtlassianPort {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        counts.set(property, (counts.get(property) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** Group sizes that add up to `memberships`, varying around the mean (pairs above and below). */
function groupSizes(users: number, groups: number, memberships: number): number[] {
  const base = Math.floor(memberships / groups);
  if (base > users)
    throw new Error(`${memberships} memberships do not fit ${groups} groups of ${users} users`);
  const spread = Math.min(base - 1, users - base - 1, Math.floor(base * 0.9));
  const sizes = Array.from({ length: groups }, (_, g) => {
    if (g % 2 === 0 && g === groups - 1) return base; // the odd one out has no partner
    const d = spread > 0 ? Math.floor(spread * (((Math.floor(g / 2) * 7919) % 100) / 100)) : 0;
    return g % 2 === 0 ? base + d : base - d;
  });
  for (let i = 0, left = memberships - base * groups; left > 0; i++, left--) sizes[i % groups]++;
  return sizes.map((s) => Math.min(s, users));
}

export interface OrgSnapshot {
  /** e-mail (lower case) → account status */
  accounts: Map<string, string>;
  /** group name → member e-mails (sorted, lower case) */
  groups: Map<string, string[]>;
}

/** Everything in the organization's directory, through its API, latency, rate limit and faults off. */
async function readOrg(org: EmbeddedOrganization, rateLimit: number | undefined): Promise<OrgSnapshot> {
  const latency = org.latencyMs;
  const faultRate = org.faults.rate;
  org.latencyMs = 0;
  org.setRateLimit(undefined);
  // The bench's own reading, not the worker's: no fault is drawn for it.
  org.faults.configure({ rate: 0 });
  try {
    const api = client(org);
    const accounts = new Map<string, string>();
    const groups = new Map<string, string[]>();
    let cursor: string | undefined;
    do {
      const page = await api.call('POST', `${api.d}/users/search`, {
        expand: ['groups'],
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      if (page.status !== 200) throw new Error(`users/search answered ${page.status}`);
      for (const user of page.body.data as { email: string; status: string; groups: { name: string }[] }[]) {
        const email = user.email.toLowerCase();
        accounts.set(email, user.status);
        for (const group of user.groups)
          (groups.get(group.name) ?? groups.set(group.name, []).get(group.name))?.push(email);
      }
      cursor = page.body.links?.next ?? undefined;
    } while (cursor);
    cursor = undefined;
    do {
      const page = await api.call('POST', `${api.d}/groups/search`, {
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      if (page.status !== 200) throw new Error(`groups/search answered ${page.status}`);
      for (const group of page.body.data as { name: string }[])
        if (!groups.has(group.name)) groups.set(group.name, []);
      cursor = page.body.links?.next ?? undefined;
    } while (cursor);
    for (const members of groups.values()) members.sort();
    return { accounts, groups };
  } finally {
    org.latencyMs = latency;
    org.setRateLimit(rateLimit);
    org.faults.configure({ rate: faultRate });
  }
}

/** Differences between what the organization holds and what it should (empty: converged exactly). */
function compare(before: OrgSnapshot, after: OrgSnapshot, desired: OrgSnapshot): string[] {
  const problems: string[] = [];
  const note = (text: string) => {
    if (problems.length < 10) problems.push(text);
    else if (problems.length === 10) problems.push('…');
  };
  for (const [email, status] of desired.accounts) {
    const actual = after.accounts.get(email);
    if (actual !== status) note(`account ${email}: ${actual ?? 'missing'}, want ${status}`);
  }
  for (const email of after.accounts.keys()) {
    if (!desired.accounts.has(email) && !before.accounts.has(email)) note(`unexpected account ${email}`);
  }
  for (const [name, members] of desired.groups) {
    const actual = after.groups.get(name);
    if (!actual) note(`group ${name} missing`);
    else if (actual.join() !== members.join()) {
      const missing = members.filter((m) => !actual.includes(m)).length;
      const extra = actual.filter((m) => !members.includes(m)).length;
      note(`group ${name}: ${missing} members missing, ${extra} extra`);
    }
  }
  for (const [name, members] of after.groups) {
    if (desired.groups.has(name)) continue;
    const was = before.groups.get(name);
    if (!was) note(`unexpected group ${name}`);
    else if (was.join() !== members.join()) note(`group ${name} (there before) changed`);
  }
  return problems;
}

export async function runProvisioning(options: ProvisioningOptions): Promise<void> {
  const started = process.hrtime.bigint();
  const { users, groups } = options;
  const sizes = groupSizes(users, groups, options.memberships);
  // What the sizes hold (fewer than asked only when a group would need more users than exist).
  const memberships = sizes.reduce((sum, size) => sum + size, 0);
  const callsPerRun = options.callsPerRun;
  // The installation's view of the rate limit, as src/forge/index.ts keeps it.
  const pacer = new RateLimitPacer();
  const rateLimit = options.rateLimit > 0 ? options.rateLimit : undefined;
  const org = new EmbeddedOrganization({
    latencyMs: options.latencyMs,
    rateLimit,
    faults: { seed: 1, rate: options.faultRate ?? 0 },
    placeBareInvites: options.bareInvitesPlace,
  });
  const records: HttpRecord[] = [];
  const portCalls = new Map<string, number>();
  const backend = embeddedOrgBackend(org);
  const fetch: FetchLike = async (url, init) => {
    const record = classify(init.method, new URL(url).pathname, init.body);
    records.push(record);
    const response: FetchResponse = await backend(new URL(url), init);
    record.status = response.status;
    return response;
  };
  const store = new CountingStore(new LocalEntityStore(ENTITIES));
  // Set while a round runs (partitionRuns, below): starts the partitions a run asks for.
  let wakePartitions: ((partitions: number[]) => void) | undefined;
  const app: App = createApp({
    store,
    tokens: { tokenHashes: async () => [hashToken(TOKEN)] },
    logger: { info: () => undefined, warn: () => undefined, error: (m, f) => console.error(m, f) },
    // A fresh adapter per run, as connectedOrgAdapter builds one per invocation.
    atlassian: async () =>
      countingPort(
        createOrgAdminAdapter(
          { orgId: org.orgId, directoryId: org.directoryId, apiKey: org.apiKey },
          {
            fetch,
            deadline: Date.now() + RUN_DEADLINE_MS,
            requestBudget: REQUEST_BUDGET,
            egressPerMinute: FORGE_EGRESS_PER_MINUTE,
            pacer,
          },
        ),
        portCalls,
      ),
    syncCallsPerRun: callsPerRun,
    partitionsMarked: async (partitions) => wakePartitions?.(partitions),
  });
  const scim = async (method: string, path: string, body: unknown, expect: number) => {
    const response = await app.handleWebTrigger(webTriggerEvent(method, path, { body }));
    if (response.statusCode !== expect) {
      throw new Error(`${method} ${path} answered ${response.statusCode}: ${response.body?.slice(0, 300)}`);
    }
    return response.body ? (JSON.parse(response.body) as { id: string }) : undefined;
  };

  console.log(
    `SCIM provisioning benchmark: ${fmt(users)} users, ${fmt(groups)} groups, ${fmt(memberships)} memberships ` +
      `pushed through the real web trigger handler (Entra style: POST /Users, POST /Groups empty, PATCH ` +
      `${options.membersPerPatch} members at a time), then the reconcile worker in consumer runs of ` +
      `${callsPerRun === undefined ? 'up to 840 s' : `${callsPerRun} port calls`} into the embedded organization (every answer +${options.latencyMs} ms, ` +
      `${options.rateLimit > 0 ? `${options.rateLimit} requests/s before 429` : 'no rate limit'}; ` +
      `an invite naming no group ${options.bareInvitesPlace ? 'places' : 'does not place'} the account` +
      `${options.faultRate ? `; ${fmt(options.faultRate * 100)}% of requests fail (429, 500, timeouts)` : ''}).\n`,
  );

  // Connected first, as an admin would before configuring the identity provider.
  await app.sync.run();
  const before = await readOrg(org, rateLimit);
  const recordsBefore = records.length;

  // ---- the push ----
  process.stderr.write('Pushing through SCIM…\n');
  const random = new Random(20261202);
  const pushStarted = process.hrtime.bigint();
  const storeBeforePush = store.total;
  let scimRequests = 0;
  const userIds: string[] = [];
  const emails: string[] = [];
  const desired: OrgSnapshot = { accounts: new Map(), groups: new Map() };
  for (let n = 0; n < users; n++) {
    const body = userBody(n);
    userIds.push(((await scim('POST', '/Users', body, 201)) as { id: string }).id);
    emails.push((body.emails as { value: string }[])[0].value.toLowerCase());
    desired.accounts.set(emails[n], 'active');
    scimRequests++;
  }
  const groupIds: string[] = [];
  const groupMembers: number[][] = [];
  for (let g = 0; g < groups; g++) {
    const group = (await scim('POST', '/Groups', groupBody(g, []), 201)) as { id: string };
    groupIds.push(group.id);
    scimRequests++;
    const members = random.shuffle(userIds.map((_, i) => i)).slice(0, sizes[g]);
    groupMembers.push(members);
    desired.groups.set(groupName(g), members.map((n) => emails[n]).sort());
    for (let i = 0; i < members.length; i += options.membersPerPatch) {
      const batch = members.slice(i, i + options.membersPerPatch).map((n) => ({ value: userIds[n] }));
      await scim('PATCH', `/Groups/${group.id}`, addMembersPatch(batch), 204);
      scimRequests++;
    }
  }
  const pushMs = ms(pushStarted);
  const pushStorage = store.total - storeBeforePush;
  const changes = users + groups + memberships;

  // ---- the worker, run after run ----
  process.stderr.write('Reconciling…\n');
  const syncStarted = process.hrtime.bigint();
  const storeBeforeSync = store.total;
  /**
   * The worker as src/forge/index.ts runs it, round after round until no job is left: each
   * round the dispatcher (the directory's jobs, the connection) and then one consumer
   * invocation per partition at once, each with its own adapter (its own egress allowance),
   * all sharing the installation's pacer. A round waits for its slowest partition, where Forge
   * would start each partition's next run on its own: pessimistic.
   */
  /**
   * One round's partition runs: every partition at once, and a partition asked for mid-round
   * (a large group's member slices queued there, SyncQueue's PartitionsMarked) runs again as
   * soon as its run ends, or at once if it had ended, as Forge starts the event the app queues
   * then. Answers every run's result once none is left running.
   */
  const partitionRuns = async (deadline: number): Promise<SyncRunResult[]> => {
    const results: SyncRunResult[] = [];
    const running = new Map<number, Promise<void>>();
    const again = new Set<number>();
    const start = (index: number) => {
      if (running.has(index)) return void again.add(index);
      const loop = async () => {
        do {
          again.delete(index);
          results.push(await app.sync.run(deadline, { index, count: SYNC_PARTITIONS }));
        } while (again.has(index) && Date.now() < deadline);
        running.delete(index);
      };
      running.set(index, loop());
    };
    wakePartitions = (partitions) => partitions.forEach(start);
    allPartitions().forEach(start);
    while (running.size > 0) await Promise.all(running.values());
    wakePartitions = undefined;
    return results;
  };
  const workUntilIdle = async (): Promise<{ converged: boolean; runs: RunRecord[]; retryWaitMs: number }> => {
    const runs: RunRecord[] = [];
    const started = process.hrtime.bigint();
    let retryWaitMs = 0;
    while (runs.length < MAX_RUNS) {
      const runStarted = process.hrtime.bigint();
      const requestsBefore = records.length;
      const portBefore = [...portCalls.values()].reduce((a, b) => a + b, 0);
      const deadline = Date.now() + RUN_DEADLINE_MS;
      const jobs = await app.directory.jobs.runPending(deadline);
      await app.sync.checkConnection();
      const results = await partitionRuns(deadline);
      const nextAts = results.flatMap((r) => (r.nextAt === undefined ? [] : [r.nextAt]));
      const result = {
        pending: results.some((r) => r.pending),
        nextAt: nextAts.length > 0 ? Math.min(...nextAts) : undefined,
      };
      const run: RunRecord = {
        ms: ms(runStarted),
        requests: records.length - requestsBefore,
        portCalls: [...portCalls.values()].reduce((a, b) => a + b, 0) - portBefore,
        pending: result.pending || jobs.pending,
        retryWaitMs: 0,
      };
      runs.push(run);
      if (runs.length % 25 === 0) {
        process.stderr.write(
          `  run ${runs.length}: ${fmt(records.length - requestsBefore)} requests, ` +
            `${fmt(await app.sync.queue.count())} jobs left, ${seconds(ms(started))}\n`,
        );
      }
      if (run.pending) continue;
      if (result.nextAt !== undefined) {
        // Only retries are left: the consumer comes back when the earliest is due.
        run.retryWaitMs = Math.max(0, result.nextAt - Date.now());
        retryWaitMs += run.retryWaitMs;
        await sleep(run.retryWaitMs);
        continue;
      }
      if ((await app.sync.queue.count()) === 0) return { converged: true, runs, retryWaitMs };
    }
    return { converged: false, runs, retryWaitMs };
  };
  const { converged, runs, retryWaitMs } = await workUntilIdle();
  const after = await readOrg(org, rateLimit);
  const problems = compare(before, after, desired);
  const convergeMs = ms(syncStarted);
  const syncStorage = store.total - storeBeforeSync;
  const exact = converged && problems.length === 0;

  // ---- figures ----
  const sync = records.slice(recordsBefore);
  const limited = sync.filter((r) => r.status === 429);
  const processed = sync.filter((r) => r.status !== 429);
  const writes = processed.filter((r) => r.write);
  const reads = processed.filter((r) => !r.write);
  const duplicates = (label: string) => {
    const seen = new Map<string, number>();
    for (const r of writes)
      // Answered with success: a write whose answer was lost (a timeout) is not known to have
      // happened, and sending it again is the retry that case calls for, not a duplicate.
      if (r.label === label && r.status >= 200 && r.status < 300 && r.target !== undefined) {
        seen.set(r.target, (seen.get(r.target) ?? 0) + 1);
      }
    return [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
  };
  const duplicateInvites = duplicates('POST users/invite');
  const duplicateGroups = duplicates('POST groups (create group)');
  const duplicateMemberships = duplicates('POST groups/{id}/memberships (add member)');
  // The fewest requests that can do it: one write per change, and the id of each new group
  // read back (its create answers 201 without a body).
  const minimum = changes + groups;
  const lowerBoundMs = options.rateLimit > 0 ? (minimum / options.rateLimit) * 1000 : 0;
  const pendingRuns = runs.filter((r) => r.pending).length;
  const forgeMs =
    runs.reduce((sum, r) => sum + r.ms + r.retryWaitMs, 0) + pendingRuns * FORGE_CONTINUE_DELAY_MS;
  const maxRequests = Math.max(...runs.map((r) => r.requests));
  // What the busiest partition sends (an invite per user, a creation and a name search per
  // group, an add per membership of its groups or of its member slices, less those an invite placed): its runs send at most Forge's
  // egress allowance a minute, so the way the resources hash decides a floor of their own.
  const partitionLoad = new Map<number, number>();
  const load = (kind: SyncKind, id: string, requests: number) => {
    const partition = partitionOf({ kind, doc: { id } });
    partitionLoad.set(partition, (partitionLoad.get(partition) ?? 0) + requests);
  };
  for (const id of userIds) load('user', id, 1);
  groupIds.forEach((id, g) => {
    const members = groupMembers[g].length;
    // A new group with many members hands its adds out in slices (src/sync/member-slices.ts).
    if (members < SLICE_WHEN_MISSING) return load('group', id, 2 + members);
    load('group', id, 2);
    const size = Math.max(SLICE_SIZE, Math.ceil(members / MAX_SLICES));
    for (let k = 0; k * size < members; k++)
      load('members', sliceId(id, k), Math.min(size, members - k * size));
  });
  const busiest = Math.max(...partitionLoad.values());
  const busiestFloorMs = (busiest / FORGE_EGRESS_PER_MINUTE) * 60_000;

  console.log(
    `SCIM push: ${fmt(scimRequests)} requests in ${seconds(pushMs)} ` +
      `(${fmt(pushStorage / scimRequests, 1)} storage round trips each); ` +
      `${fmt(changes)} changes (${fmt(users)} users + ${fmt(groups)} groups + ${fmt(memberships)} memberships)\n`,
  );
  const byLabel = new Map<string, { write: boolean; count: number; refused: Map<number, number> }>();
  for (const r of processed) {
    const entry = byLabel.get(r.label) ?? { write: r.write, count: 0, refused: new Map<number, number>() };
    entry.count++;
    if (r.status >= 300) entry.refused.set(r.status, (entry.refused.get(r.status) ?? 0) + 1);
    byLabel.set(r.label, entry);
  }
  const rows = [...byLabel.entries()].sort((a, b) => b[1].count - a[1].count);
  const width = Math.max(...rows.map(([label]) => label.length), 28);
  console.log(`${'Atlassian request'.padEnd(width)}  kind   count  per change  not 2xx`);
  console.log('-'.repeat(width + 36));
  for (const [label, { write, count, refused }] of rows) {
    const statuses = [...refused.entries()].map(([status, n]) => `${fmt(n)}× ${status}`).join(', ');
    console.log(
      `${label.padEnd(width)}  ${write ? 'write' : 'read '}  ${fmt(count).padStart(6)}  ` +
        `${fmt(count / changes, 3).padStart(10)}  ${statuses}`.trimEnd(),
    );
  }
  console.log(
    `${'answered 429 (not processed)'.padEnd(width)}  -      ${fmt(limited.length).padStart(6)}  ` +
      `${fmt(limited.length / changes, 3).padStart(10)}`,
  );
  const ports = [...portCalls.entries()].sort((a, b) => b[1] - a[1]);
  console.log(`\nworker's port calls: ${ports.map(([name, n]) => `${name} ${fmt(n)}`).join(', ')}`);
  console.log(
    `\nruns: ${fmt(runs.length)} (${fmt(pendingRuns)} left work for the next), ` +
      `${fmt(sync.length / runs.length, 1)} requests per run on average, at most ${fmt(maxRequests)} ` +
      `(Forge allows ${FORGE_EGRESS_PER_MINUTE} per invocation-minute); ` +
      `${fmt(syncStorage / changes, 1)} storage round trips per change` +
      (retryWaitMs > 0 ? `; ${seconds(retryWaitMs)} waiting for retries` : ''),
  );
  const bound =
    lowerBoundMs > 0
      ? `lower bound ${seconds(lowerBoundMs)} (${fmt(minimum)} requests ÷ ${options.rateLimit}/s), ` +
        `${fmt(convergeMs / lowerBoundMs, 2)}× that`
      : 'no rate limit, so no lower bound';
  console.log(
    `converged: ${exact ? 'yes, exactly' : converged ? 'jobs drained but the organization differs' : 'NO'} ` +
      `in ${seconds(convergeMs)} (runs back to back); ${bound}; on Forge's schedule ` +
      `(${FORGE_CONTINUE_DELAY_MS / 1000} s between runs that leave work) ≈ ${fmt(forgeMs / 60_000, 1)} min`,
  );
  console.log(
    `busiest of the ${SYNC_PARTITIONS} partitions: ${fmt(busiest)} of the ${fmt(minimum)} requests ` +
      `(${fmt(minimum / SYNC_PARTITIONS)} on average); at ${FORGE_EGRESS_PER_MINUTE} a minute it needs ` +
      `about ${seconds(busiestFloorMs)} (less what the invites place)` +
      (lowerBoundMs > 0 ? `, ${fmt(busiestFloorMs / lowerBoundMs, 2)}× the rate limit's bound` : ''),
  );
  for (const problem of problems) console.log(`  differs: ${problem}`);
  console.log(
    `per change: ${fmt(writes.length / changes, 3)} writes, ${fmt(reads.length / changes, 3)} reads; ` +
      `duplicates: ${duplicateInvites} invites, ${duplicateGroups} groups, ${duplicateMemberships} memberships; ` +
      `429s: ${fmt(limited.length)}\n`,
  );

  // ---- the daily full reconcile of the converged organization (test/bench/daily-reconcile.ts) ----
  const lines = [
    {
      pass: processed.length / changes <= 1.1,
      text: `Atlassian requests per SCIM change ≤ 1.1: ${fmt(processed.length)} / ${fmt(changes)} = ${fmt(processed.length / changes, 3)}`,
    },
    {
      pass: lowerBoundMs === 0 || forgeMs <= 1.5 * lowerBoundMs,
      text:
        `converge time on Forge's schedule ≤ 1.5× the rate limit's bound: ${seconds(forgeMs)}` +
        (lowerBoundMs > 0 ? ` = ${fmt(forgeMs / lowerBoundMs, 2)}× ${seconds(lowerBoundMs)}` : ''),
    },
    {
      pass: limited.length <= 0.01 * sync.length,
      text: `self-caused 429s < 1% of requests: ${fmt(limited.length)} / ${fmt(sync.length)}`,
    },
    {
      pass: writes.length / changes <= 1.1,
      text: `Atlassian writes per SCIM change ≤ 1.1: ${fmt(writes.length)} / ${fmt(changes)} = ${fmt(writes.length / changes, 3)}`,
    },
    {
      pass: exact,
      text:
        `converged exactly (no job left; ${fmt(users)} accounts, ${fmt(groups)} groups, ${fmt(memberships)} memberships, nothing else): ` +
        (exact
          ? `in ${seconds(convergeMs)}${lowerBoundMs > 0 ? `, ${fmt(convergeMs / lowerBoundMs, 2)}× the rate limit's lower bound` : ''}`
          : (problems[0] ?? 'jobs left')),
    },
    options.bareInvitesPlace
      ? {
          pass: duplicateInvites + duplicateGroups + duplicateMemberships === 0,
          text: `0 duplicate invites, groups and memberships: ${duplicateInvites}, ${duplicateGroups}, ${duplicateMemberships}`,
        }
      : {
          // A second invite of an account the first left outside the directory is how it joins
          // (naming its group): at most one per user, and never a second group or membership.
          pass: duplicateInvites <= users && duplicateGroups + duplicateMemberships === 0,
          text:
            `at most one placing re-invite per user, 0 duplicate groups and memberships: ` +
            `${duplicateInvites} re-invites (${fmt(users)} users), ${duplicateGroups}, ${duplicateMemberships}`,
        },
  ];
  // After convergence: 100 mixed changes as an identity provider sends them day to day.
  lines.push(
    ...(await runSteadyState({
      scim,
      workUntilIdle,
      records,
      differences: async () => compare(before, await readOrg(org, rateLimit), desired),
      desired,
      users: { ids: userIds, emails },
      groups: { ids: groupIds, members: groupMembers },
    })),
  );
  // Then the daily full reconcile of the organization the steady state left, nothing drifted.
  lines.push(
    ...(await runDailyReconcile({
      app,
      records,
      users: await app.directory.users.total(),
      groups: await app.directory.groups.total(),
      runDeadlineMs: RUN_DEADLINE_MS,
    })),
  );
  console.log('== Targets ==');
  for (const line of lines) console.log(`${line.pass ? 'PASS' : 'FAIL'}  ${line.text}`);
  const failed = lines.filter((l) => !l.pass).length;
  console.log(
    failed === 0 ? `\nAll ${lines.length} targets met.` : `\n${failed} of ${lines.length} targets FAILED.`,
  );
  console.log(`Benchmark finished in ${seconds(ms(started))}.`);
}
