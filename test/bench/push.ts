/**
 * The push section of the benchmark: what the web trigger's awaited queue push costs.
 *
 *   npm run bench -- --push [--writes 200] [--clients 8] [--latency-ms 20]
 *
 * The web trigger (src/forge/index.ts) awaits, before it answers, the push that asks for a
 * sync run: at most once per 5 s window per installation per function instance, a connection
 * lookup (kvs reads of the connection and its secret) and one Queue.push; and, on every
 * request that queued directory jobs (a group delete), the `jobs-pending` push.
 *
 * It runs the SHIPPED entry point `scim` on the offline Forge runtime (src/local/forge-runtime,
 * in memory), one installation per scenario (so each starts with its own fresh push window,
 * as a new function instance does), and counts every platform call the runtime answers by
 * wrapping the instance's `forgeFetch` (what `global.__forge_fetch__` calls): one kvs
 * request, batch or transaction is one storage round trip, one `/webhook/queue/publish/` one
 * queue push. Calls are attributed to the push by what they are: a kvs read of the
 * connection (`atlassian-org-connection`) or its API key secret, or a publish to the
 * `directory-jobs` queue.
 *
 * Time is virtual: while a burst runs, `Date.now` advances by --latency-ms per platform call
 * (divided by the number of concurrent clients, whose calls overlap), so the 5 s window sees
 * the burst as it would last on Forge, not as fast as this process runs it. Latencies are
 * round trips × --latency-ms, never wall time: the added latency of a write is the longest
 * chain of push calls it made one after the other (the connection read, then its secret, then
 * the push; a jobs push runs beside that chain).
 */
import path from 'node:path';
import { EmbeddedOrganization, embeddedOrgBackend } from '../../src/local/embedded-org';
import { ForgeRuntime, offlineLicense } from '../../src/local/forge-runtime';
import type * as ForgeConnection from '../../src/forge/atlassian-connection';
import type * as ForgeTokens from '../../src/forge/tokens';
import { groupBody, userBody } from './data';
import type { TargetLine } from './report';

export interface PushOptions {
  /** User creates per burst. */
  writes: number;
  /** Concurrent clients of the second burst. */
  clients: number;
  latencyMs: number;
  /** Groups created, then deleted one by one (each delete queues directory jobs). */
  groupDeletes: number;
}

export const DEFAULT_PUSH: PushOptions = { writes: 200, clients: 8, latencyMs: 20, groupDeletes: 20 };

/** src/forge/index.ts: SYNC_WINDOW_MS. */
const SYNC_WINDOW_MS = 5_000;
const CONNECTION_KEY = 'atlassian-org-connection';
const SECRET_KEYS = new Set(['atlassian-org-api-key', 'atlassian-site-api-token']);
const TOKEN = 'bench-push-token-0123456789abcdef';
const SCIM_PATH = '/scim/v2';
const ROOT = path.resolve(__dirname, '../..');

type CallKind = 'storage' | 'queue' | 'other';
/** What a call is for: the request's own work, or the push (its connection lookup, its queue push). */
type Purpose = 'request' | 'connection' | 'sync-push' | 'jobs-push';

interface Call {
  kind: CallKind;
  purpose: Purpose;
  /** Logical ticks: a call that starts after another ended follows it on the critical path. */
  start: number;
  end: number;
  /** Virtual time of the call (queue pushes: when it was made). */
  at: number;
  failed: boolean;
}

/** Date.now, advanced by the platform calls (see the header); installed for a burst only. */
class VirtualClock {
  private readonly real = Date.now;
  private offset = 0;
  private base = 0;
  step = 0;

  install(step: number): void {
    this.step = step;
    this.base = this.real();
    this.offset = 0;
    Date.now = () => this.base + this.offset;
  }

  advance(ms: number): void {
    this.offset += ms;
  }

  elapsedMs(): number {
    return this.offset;
  }

  uninstall(): void {
    Date.now = this.real;
  }
}

/** One installation of the app on the offline runtime, its platform calls recorded per invocation. */
class Installation {
  readonly runtime: ForgeRuntime;
  readonly org = new EmbeddedOrganization({ timeoutHoldMs: 5 });
  /** Invocation id → its calls, while `recording`. */
  readonly calls = new Map<string, Call[]>();
  readonly warnings: string[] = [];
  recording = false;
  private tick = 0;

  constructor(
    index: number,
    private readonly clock: VirtualClock,
  ) {
    this.runtime = new ForgeRuntime({
      root: ROOT,
      baseUrl: 'http://127.0.0.1:8787',
      webTriggerPaths: { 'scim-endpoint': `/i${index}${SCIM_PATH}` },
      installation: {
        cloudId: `00000000-0000-4000-8000-0000000b${String(index).padStart(4, '0')}`,
        siteUrl: `https://bench-${index}.offline.atlassian.net`,
        // As a customer's: the connection is the one saved in storage, never Forge variables.
        environmentType: 'PRODUCTION',
        license: offlineLicense('active'),
      },
      external: embeddedOrgBackend(this.org),
      log: (level, args) => {
        if (level === 'warn' || level === 'error') this.warnings.push(args.map(String).join(' '));
      },
      warn: (message) => this.warnings.push(message),
    }).install();
    const forgeFetch = this.runtime.forgeFetch.bind(this.runtime);
    this.runtime.forgeFetch = async (descriptor, target, init) => {
      if (!this.recording) return forgeFetch(descriptor, target, init);
      const invocation = this.runtime.current();
      const [kind, purpose] = classify(descriptor, target, init);
      const call: Call = { kind, purpose, start: ++this.tick, end: 0, at: Date.now(), failed: false };
      const id = invocation?.id ?? 'outside';
      const list = this.calls.get(id) ?? [];
      this.calls.set(id, list);
      list.push(call);
      this.clock.advance(this.clock.step / 2);
      try {
        const response = await forgeFetch(descriptor, target, init);
        if (kind === 'queue' && !response.ok) call.failed = true;
        return response;
      } catch (error) {
        call.failed = true;
        throw error;
      } finally {
        this.clock.advance(this.clock.step / 2);
        call.end = ++this.tick;
      }
    };
  }

  /** One SCIM request to the shipped web trigger; anything but `expected` breaks the benchmark. */
  async scim(method: string, userPath: string, expected: number, body?: unknown): Promise<unknown> {
    const result = await this.runtime.invokeWebTrigger('scim-endpoint', {
      method,
      path: `${this.runtime.webTriggerPaths['scim-endpoint']}${userPath}`,
      userPath,
      headers: {
        Authorization: [`Bearer ${TOKEN}`],
        'Content-Type': ['application/scim+json'],
        Host: ['127.0.0.1'],
      },
      queryParameters: {},
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (result.statusCode !== expected) {
      throw new Error(
        `${method} ${userPath}: expected ${expected}, got ${result.statusCode}: ${result.body}`,
      );
    }
    return result.body ? JSON.parse(result.body) : undefined;
  }

  async stop(): Promise<void> {
    await this.runtime.stop();
    this.runtime.uninstall();
    this.org.close();
  }
}

function classify(
  descriptor: Record<string, unknown>,
  target: string,
  init: RequestInit | undefined,
): [CallKind, Purpose] {
  let body: Record<string, unknown> = {};
  try {
    if (typeof init?.body === 'string') body = JSON.parse(init.body) as Record<string, unknown>;
  } catch {
    // not JSON: nothing to attribute by
  }
  if (descriptor.type === 'kvs') {
    const key = typeof body.key === 'string' ? body.key : '';
    const connection =
      (target === '/api/v1/get' && key === CONNECTION_KEY) ||
      (target === '/api/v1/secret/get' && SECRET_KEYS.has(key));
    return ['storage', connection ? 'connection' : 'request'];
  }
  if (target.startsWith('/webhook/queue/publish/')) {
    const events = Array.isArray(body.payload) ? (body.payload as { body?: { reason?: unknown } }[]) : [];
    const reason = events[0]?.body?.reason;
    return ['queue', reason === 'jobs-pending' ? 'jobs-push' : 'sync-push'];
  }
  return ['other', 'request'];
}

/** The longest chain of calls made one after the other (calls that overlap share a step). */
function criticalPath(calls: Call[]): number {
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  const depth: number[] = [];
  sorted.forEach((call, i) => {
    let before = 0;
    for (let j = 0; j < i; j++) if (sorted[j].end < call.start) before = Math.max(before, depth[j]);
    depth.push(before + 1);
  });
  return Math.max(0, ...depth);
}

interface BurstResult {
  title: string;
  writes: number;
  clients: number;
  virtualSeconds: number;
  syncPushes: number;
  jobsPushes: number;
  failedPushes: number;
  /** Shortest virtual time between two sync pushes (Infinity with fewer than two). */
  minSyncGapMs: number;
  /** Sync pushes in the worst 5 s window (sliding). */
  maxSyncPerWindow: number;
  storagePerWrite: number;
  connectionReads: number;
  /** Requests that carried push work (a connection lookup or a push). */
  carriers: number;
  /** Push round trips on the critical path of a carrying request: worst and total. */
  carrierMaxChain: number;
  carrierChainTotal: number;
  /** Requests' own storage calls, as a reference: median and maximum. */
  requestStorageMedian: number;
  requestStorageMax: number;
  /** Warnings the app logged ("Could not queue…"). */
  warnings: string[];
}

function summarize(title: string, target: Installation, writes: number, clients: number, seconds: number) {
  const invocations = [...target.calls.values()];
  const all = invocations.flat();
  const pushes = all.filter((c) => c.kind === 'queue');
  const sync = pushes.filter((c) => c.purpose === 'sync-push' && !c.failed).map((c) => c.at);
  let minGap = Infinity;
  for (let i = 1; i < sync.length; i++) minGap = Math.min(minGap, sync[i] - sync[i - 1]);
  let maxPerWindow = 0;
  for (const at of sync) {
    maxPerWindow = Math.max(maxPerWindow, sync.filter((t) => t >= at && t < at + SYNC_WINDOW_MS).length);
  }
  const pushWork = (calls: Call[]) => calls.filter((c) => c.purpose !== 'request');
  const carriers = invocations.filter((calls) => pushWork(calls).length > 0);
  const chains = carriers.map((calls) => criticalPath(pushWork(calls)));
  const own = invocations
    .map((calls) => calls.filter((c) => c.kind === 'storage' && c.purpose === 'request').length)
    .sort((a, b) => a - b);
  return {
    title,
    writes,
    clients,
    virtualSeconds: seconds,
    syncPushes: sync.length,
    jobsPushes: pushes.filter((c) => c.purpose === 'jobs-push' && !c.failed).length,
    failedPushes: pushes.filter((c) => c.failed).length,
    minSyncGapMs: minGap,
    maxSyncPerWindow: maxPerWindow,
    storagePerWrite: all.filter((c) => c.kind === 'storage').length / writes,
    connectionReads: all.filter((c) => c.purpose === 'connection').length,
    carriers: carriers.length,
    carrierMaxChain: Math.max(0, ...chains),
    carrierChainTotal: chains.reduce((a, b) => a + b, 0),
    requestStorageMedian: own[Math.floor(own.length / 2)] ?? 0,
    requestStorageMax: own[own.length - 1] ?? 0,
    warnings: [...target.warnings],
  } satisfies BurstResult;
}

/** Sends `count` requests from `clients` clients, each sending its next as its last is answered. */
async function drive(clients: number, count: number, send: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(clients, count) }, async () => {
      while (next < count) await send(next++);
    }),
  );
}

interface Scenario {
  title: string;
  connected: boolean;
  clients: number;
  writes: number;
  /** Group deletes instead of user creates. */
  groups?: boolean;
}

let nextInstallation = 0;
let firstUser = 1;

async function runScenario(
  scenario: Scenario,
  options: PushOptions,
  modules: { tokens: typeof ForgeTokens; connection: typeof ForgeConnection },
  clock: VirtualClock,
): Promise<BurstResult> {
  const target = new Installation(nextInstallation++, clock);
  try {
    await target.runtime.run(async () => {
      await modules.tokens.installToken(TOKEN);
      if (scenario.connected) {
        await modules.connection.saveAtlassianConnection({
          orgId: target.org.orgId,
          directoryId: target.org.directoryId,
          apiKey: target.org.apiKey,
        });
      }
    });
    // Warm the instance (its app, the trigger URL, the token cache) outside the count, then
    // let the push window of that request close: the burst starts as a burst after a lull.
    await target.scim('GET', '/Users', 200);
    clock.install(options.latencyMs / scenario.clients);
    try {
      clock.advance(SYNC_WINDOW_MS);
      let groupIds: string[] = [];
      if (scenario.groups) {
        // Groups with a member each: deleting one queues the purge of its memberships.
        const member = (await target.scim('POST', '/Users', 201, userBody(firstUser++))) as { id: string };
        for (let g = 0; g < scenario.writes; g++) {
          const group = (await target.scim('POST', '/Groups', 201, groupBody(5_000 + g, [member.id]))) as {
            id: string;
          };
          groupIds.push(group.id);
        }
        clock.advance(SYNC_WINDOW_MS);
      }
      target.recording = true;
      const started = clock.elapsedMs();
      if (scenario.groups) {
        const ids = groupIds;
        await drive(scenario.clients, ids.length, (n) =>
          target.scim('DELETE', `/Groups/${ids[n]}`, 204).then(),
        );
        groupIds = [];
      } else {
        const base = firstUser;
        firstUser += scenario.writes;
        await drive(scenario.clients, scenario.writes, (n) =>
          target.scim('POST', '/Users', 201, userBody(base + n)).then(),
        );
      }
      target.recording = false;
      const seconds = (clock.elapsedMs() - started) / 1000;
      return summarize(scenario.title, target, scenario.writes, scenario.clients, seconds);
    } finally {
      clock.uninstall();
    }
  } finally {
    await target.stop();
  }
}

const fixed = (n: number, digits = 2) => n.toFixed(digits);

function burstTable(results: BurstResult[], latencyMs: number): string {
  const rows: string[][] = [
    [
      'burst',
      'virt s',
      'sync push',
      'per 100',
      'jobs push',
      'min gap s',
      'storage/req',
      'conn reads',
      'added st/req',
      'carriers',
      'chain',
      'added ms/req',
    ],
  ];
  for (const r of results) {
    rows.push([
      r.title,
      fixed(r.virtualSeconds, 1),
      String(r.syncPushes),
      fixed((100 * r.syncPushes) / r.writes),
      String(r.jobsPushes),
      Number.isFinite(r.minSyncGapMs) ? fixed(r.minSyncGapMs / 1000, 1) : '–',
      `${fixed(r.storagePerWrite)} (${r.requestStorageMedian}–${r.requestStorageMax})`,
      String(r.connectionReads),
      fixed(r.connectionReads / r.writes, 3),
      String(r.carriers),
      `${r.carrierMaxChain} = ${r.carrierMaxChain * latencyMs} ms`,
      fixed((r.carrierChainTotal * latencyMs) / r.writes),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = rows.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
  );
  lines.splice(1, 0, '-'.repeat(lines[0].length));
  return lines.join('\n');
}

export interface PushReport {
  results: BurstResult[];
  targets: TargetLine[];
}

/** Runs the bursts, prints their table, and answers the targets (printed by the caller). */
export async function runPush(options: PushOptions = DEFAULT_PUSH): Promise<PushReport> {
  const { writes, clients, latencyMs, groupDeletes } = options;
  const scenarios: Scenario[] = [
    { title: `${writes} creates, 1 client, connected`, connected: true, clients: 1, writes },
    { title: `${writes} creates, ${clients} clients, connected`, connected: true, clients, writes },
    { title: `${writes} creates, 1 client, not connected`, connected: false, clients: 1, writes },
    {
      title: `${groupDeletes} group deletes, 1 client, connected`,
      connected: true,
      clients: 1,
      writes: groupDeletes,
      groups: true,
    },
  ];
  const clock = new VirtualClock();
  // The globals must exist before what ships is loaded: the first installation installs them.
  const loader = new Installation(nextInstallation++, clock);
  const modules = {
    tokens: await loader.runtime.loadModule<typeof ForgeTokens>('forge/tokens'),
    connection: await loader.runtime.loadModule<typeof ForgeConnection>('forge/atlassian-connection'),
  };
  await loader.runtime.loadModule('forge/index');
  const results: BurstResult[] = [];
  try {
    for (const scenario of scenarios) {
      process.stderr.write(`  push: ${scenario.title}\n`);
      results.push(await runScenario(scenario, options, modules, clock));
    }
  } finally {
    await loader.stop();
  }

  console.log(
    [
      `== Queue push of the web trigger (shipped scim entry point, offline Forge runtime) ==`,
      `virtual time: ${latencyMs} ms per platform call (÷ clients); latency = round trips × ${latencyMs} ms.`,
      'storage/req: kvs calls per request (own: median–max); conn reads: kvs reads of the connection',
      'and its secret (the push lookup); added st/req: those per request; carriers: requests that did',
      'push work; chain: push round trips one after another on the worst carrier; added ms/req: chain',
      '× latency summed over carriers, averaged over every request of the burst.',
    ].join('\n'),
  );
  console.log(burstTable(results, latencyMs));
  for (const r of results) {
    for (const w of r.warnings) console.log(`   warning in "${r.title}": ${w}`);
  }
  return { results, targets: pushTargets(results, latencyMs) };
}

export function pushTargets(results: BurstResult[], latencyMs: number): TargetLine[] {
  const creates = results.filter((r) => !r.title.includes('group'));
  const connected = creates.filter((r) => !r.title.includes('not connected'));
  const deletes = results.filter((r) => r.title.includes('group'));
  const lines: TargetLine[] = [];
  for (const r of connected) {
    const windows = Math.ceil(r.virtualSeconds / (SYNC_WINDOW_MS / 1000));
    lines.push({
      pass: r.maxSyncPerWindow <= 1 && r.syncPushes >= 1,
      text:
        `Sync push ≤ 1 per 5 s window (${r.title}): ${r.syncPushes} push(es) over ${fixed(r.virtualSeconds, 1)} s ` +
        `(${windows} window(s)), ${fixed((100 * r.syncPushes) / r.writes)} per 100 writes, at most ${r.maxSyncPerWindow} in any 5 s`,
    });
  }
  for (const r of creates) {
    const perWrite = r.connectionReads / r.writes;
    lines.push({
      pass: perWrite <= 0.05,
      text: `Push lookup ≤ 0.05 added storage round trips per write (${r.title}): ${fixed(perWrite, 3)} (${r.connectionReads} reads / ${r.writes})`,
    });
  }
  const worstChain = Math.max(0, ...results.map((r) => r.carrierMaxChain));
  lines.push({
    pass: worstChain <= 3,
    text: `Push adds ≤ 3 round trips (${3 * latencyMs} ms) to the write that carries it: worst ${worstChain} (${worstChain * latencyMs} ms)`,
  });
  const failed = results.reduce((n, r) => n + r.failedPushes + r.warnings.length, 0);
  lines.push({
    pass: failed === 0,
    text: `Every push answered before the trigger returned (none refused, no warning): ${failed} refused or warned`,
  });
  for (const r of deletes) {
    lines.push({
      pass: r.jobsPushes <= r.writes && r.jobsPushes >= 1,
      text: `jobs-pending push ≤ 1 per request that queues jobs (${r.title}): ${r.jobsPushes} for ${r.writes} deletes`,
    });
  }
  return lines;
}
