/**
 * What `npm start` costs: time to the banner, throughput under a request mix of several
 * identity-provider clients, memory of every process it runs (the server, and any tsx or
 * esbuild process), and GET /Users paging at two directory sizes.
 *
 *   npx tsx test/bench/local-run.ts                     npm start's own command, 8 clients
 *   npx tsx test/bench/local-run.ts --command "node --import tsx src/local/main.ts"
 *   npx tsx test/bench/local-run.ts --peer-command "node /tmp/peer/server.mjs"
 *   npx tsx test/bench/local-run.ts --peer http://127.0.0.1:9000/scim/v2 --peer-token T
 *   npx tsx test/bench/local-run.ts --clients 8 --requests 4000 --users 1000 --scale 10000
 *   npx tsx test/bench/local-run.ts --seconds 20        a fixed time instead of a fixed work
 *
 * The server starts on a fresh DATA_DIR and a free port; its bearer token is read from the
 * banner. Each server is given the same work: 1,000 users seeded, then a fixed number of
 * requests (--requests, default 4,000) of one seeded mix, the same requests in the same order
 * whichever server answers; with --seconds the mix runs for a fixed time instead (a faster
 * server then does more of it, so its memory is not comparable). Memory is sampled from /proc
 * every 100 ms over the whole process tree (RSS summed) while the work runs, and each process's
 * own peak (VmHWM) is reported too; after the work, the RSS and the V8 heap in use (a Node
 * server: asked with SIGUSR2 through memory-report.cjs, which the bench preloads by
 * NODE_OPTIONS into every server it starts). With --peer the same work runs against another
 * SCIM server (the in-memory SCIMMY peer, say) right after, on the same machine;
 * --peer-command starts the peer itself instead (with PORT set, reading `SCIM base URL:` and
 * `Bearer token:` from its output, as from npm start's banner), so its memory is measured the
 * same way, and the bench ends with a PASS/FAIL line each for npm start's targets: peak RSS no
 * more than the peer's, and at least 1.5× its throughput.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '../../src/local/seeded-random';

const ROOT = path.resolve(__dirname, '../..');

interface Options {
  command: string;
  clients: number;
  /** The mix's fixed work (requests); undefined when it runs for `seconds` instead. */
  requests?: number;
  seconds: number;
  users: number;
  scale?: number;
  peer?: string;
  peerToken?: string;
  peerCommand?: string;
}

function parse(argv: string[]): Options {
  const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;
  const options: Options = { command: scripts.start, clients: 8, requests: 4000, seconds: 0, users: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const value = () => argv[++i];
    switch (argv[i]) {
      case '--command':
        options.command = value();
        break;
      case '--clients':
        options.clients = Number(value());
        break;
      case '--requests':
        options.requests = Number(value());
        options.seconds = 0;
        break;
      case '--seconds':
        options.seconds = Number(value());
        options.requests = undefined;
        break;
      case '--users':
        options.users = Number(value());
        break;
      case '--scale':
        options.scale = Number(value());
        break;
      case '--peer':
        options.peer = value();
        break;
      case '--peer-token':
        options.peerToken = value();
        break;
      case '--peer-command':
        options.peerCommand = value();
        break;
      default:
        throw new Error(`Unknown option ${argv[i]}`);
    }
  }
  return options;
}

/** A SCIM server to drive: its base URL and bearer token. */
interface Target {
  base: string;
  token: string;
}

async function call(target: Target, method: string, pathAndQuery: string, body?: unknown) {
  const response = await fetch(`${target.base}${pathAndQuery}`, {
    method,
    headers: {
      authorization: `Bearer ${target.token}`,
      'content-type': 'application/scim+json',
      'user-agent': 'local-run bench',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function userBody(n: number) {
  const name = `bench.user.${n}@example.com`;
  return {
    schemas: [USER_SCHEMA],
    userName: name,
    name: { givenName: 'Bench', familyName: `User ${n}` },
    emails: [{ value: name, primary: true, type: 'work' }],
    active: true,
  };
}

/** Creates users `from`..`to`-1 with `clients` clients at once; their ids. */
async function seed(target: Target, from: number, to: number, clients: number): Promise<string[]> {
  const ids: string[] = [];
  let next = from;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < to) {
        const n = next++;
        const created = await call(target, 'POST', '/Users', userBody(n));
        if (created.status !== 201) throw new Error(`POST /Users answered ${created.status}`);
        ids.push(created.body.id);
      }
    }),
  );
  return ids;
}

interface MixResult {
  ops: number;
  errors: number;
  seconds: number;
}

/**
 * `clients` clients, each sending its next request when the previous one answered: an
 * identity provider's steady state (lookups by userName, reads, PATCHes, pages, creates).
 * Every run draws the same requests in the same order; with `requests` set, each server gets
 * exactly those. The users looked up, read and patched are the seeded ones, so which request
 * comes next never depends on how fast the creates before it were answered.
 */
async function mix(target: Target, ids: string[], options: Options, firstNew: number): Promise<MixResult> {
  const random = seededRandom(7);
  const seeded = ids.length;
  const end = Date.now() + options.seconds * 1000;
  const more = options.requests === undefined ? () => Date.now() < end : () => sent < options.requests!;
  let sent = 0;
  let ops = 0;
  let errors = 0;
  let created = firstNew;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (more()) {
        sent++;
        const r = random();
        const n = Math.floor(random() * seeded);
        let status: number;
        if (r < 0.35) {
          const filter = encodeURIComponent(`userName eq "bench.user.${n}@example.com"`);
          status = (await call(target, 'GET', `/Users?filter=${filter}`)).status;
        } else if (r < 0.6) {
          status = (await call(target, 'GET', `/Users/${ids[n]}`)).status;
        } else if (r < 0.8) {
          status = (
            await call(target, 'PATCH', `/Users/${ids[n]}`, {
              schemas: [PATCH_SCHEMA],
              Operations: [{ op: 'replace', path: 'active', value: random() < 0.5 }],
            })
          ).status;
        } else if (r < 0.9) {
          const start = 1 + Math.floor(random() * Math.max(1, seeded - 100));
          status = (await call(target, 'GET', `/Users?startIndex=${start}&count=100`)).status;
        } else {
          const answer = await call(target, 'POST', '/Users', userBody(created++));
          status = answer.status;
          if (status === 201) ids.push(answer.body.id);
        }
        ops++;
        if (status >= 400) errors++;
      }
    }),
  );
  return { ops, errors, seconds: (Date.now() - started) / 1000 };
}

/** p50 in ms of one client reading pages of 100 at random positions. */
async function pagingP50(target: Target, total: number, samples = 100): Promise<number> {
  const random = seededRandom(11);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = 1 + Math.floor(random() * Math.max(1, total - 100));
    const t0 = performance.now();
    const page = await call(target, 'GET', `/Users?startIndex=${start}&count=100`);
    times.push(performance.now() - t0);
    if (page.status !== 200) throw new Error(`GET /Users page answered ${page.status}`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** The process tree under `pid`, read from /proc. */
function tree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...(children.get(all[i]) ?? []));
  return all;
}

function status(pid: number): { name: string; rssKb: number; hwmKb: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    // A process that has exited and not been reaped yet (<defunct>) has no command line.
    const name =
      cmd.length > 0
        ? cmd
            .slice(0, 5)
            .map((part) => path.basename(part))
            .join(' ')
        : `${/^Name:\s+(\S+)/m.exec(text)?.[1] ?? '?'} <defunct>`;
    return { name, rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/**
 * Samples the tree's summed RSS; `stop` answers its peak, its RSS at that moment, and each
 * process's own peak.
 */
function sampleMemory(pid: number) {
  let peakKb = 0;
  let lastKb = 0;
  const processes = new Map<number, { name: string; hwmKb: number }>();
  const sample = () => {
    let sum = 0;
    for (const p of tree(pid)) {
      const s = status(p);
      if (!s) continue;
      sum += s.rssKb;
      processes.set(p, { name: s.name, hwmKb: Math.max(s.hwmKb, processes.get(p)?.hwmKb ?? 0) });
    }
    peakKb = Math.max(peakKb, sum);
    lastKb = sum;
  };
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakKb, lastKb, processes: [...processes.values()] };
    },
  };
}

/** What a server's own memory-report.cjs answers to SIGUSR2 (bytes), if it is a Node server. */
interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
}

const MEMORY_REPORT = path.join(__dirname, 'memory-report.cjs');

async function startServer(command: string, dataDir: string) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const started = performance.now();
  const child = spawn('sh', ['-c', `exec ${command}`], {
    cwd: ROOT,
    env: {
      ...process.env,
      PATH: `${path.join(ROOT, 'node_modules/.bin')}:${process.env.PATH}`,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${MEMORY_REPORT}`.trim(),
      DATA_DIR: dataDir,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const memory = sampleMemory(child.pid!);
  let output = '';
  const target = await new Promise<Target>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const base = /SCIM base URL: (\S+)/.exec(output)?.[1];
      const token = /Bearer token: +(\S+)/.exec(output)?.[1];
      if (base && token) resolve({ base, token });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${command} exited (${code}):\n${output}`)));
  });
  const readyMs = performance.now() - started;
  /** Asks the server for its memory (see memory-report.cjs); undefined if it does not answer. */
  const usage = async (): Promise<MemoryUsage | undefined> => {
    const from = output.length;
    child.kill('SIGUSR2');
    for (let waited = 0; waited < 2000; waited += 50) {
      const line = /memory-report (\{.*\})/.exec(output.slice(from))?.[1];
      if (line) return JSON.parse(line) as MemoryUsage;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return undefined;
  };
  return { child, target, readyMs, memory, usage };
}

type Server = Awaited<ReturnType<typeof startServer>>;

async function measure(target: Target, options: Options) {
  const ids = await seed(target, 0, options.users, options.clients);
  const p1 = await pagingP50(target, options.users);
  const result = await mix(target, ids, options, 1_000_000);
  let scaled: number | undefined;
  if (options.scale) {
    const total = ids.length;
    await seed(target, 2_000_000, 2_000_000 + options.scale - total, options.clients);
    scaled = await pagingP50(target, options.scale);
  }
  return { result, p1, scaled };
}

function report(label: string, m: Awaited<ReturnType<typeof measure>>, options: Options): number {
  const rate = m.result.ops / m.result.seconds;
  console.log(
    `${label}: ${rate.toFixed(0)} requests/s with ${options.clients} clients ` +
      `(${m.result.ops} in ${m.result.seconds.toFixed(1)} s, ${m.result.errors} errors)`,
  );
  console.log(`${label}: GET /Users page of 100 p50 at ${options.users} users: ${m.p1.toFixed(2)} ms`);
  if (m.scaled !== undefined) {
    console.log(
      `${label}: ... at ${options.scale} users: ${m.scaled.toFixed(2)} ms (${(m.scaled / m.p1).toFixed(2)}×)`,
    );
  }
  return rate;
}

/**
 * Stops a server the bench started. npm start stops once its running invocations end, and a
 * queue consumer still syncing the users just created to the embedded organization can run
 * for minutes; the data directory is thrown away, so after a grace period the bench kills it.
 */
async function stop(running: Server): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGTERM');
  const grace = setTimeout(() => running.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(grace);
}

/** What one server used while it did the work, and after it. */
interface Footprint {
  peakKb: number;
  afterKb: number;
  usage?: MemoryUsage;
  processes: { name: string; hwmKb: number }[];
}

/** Runs the work against a server the bench started, measuring its memory meanwhile. */
async function measureStarted(server: Server, options: Options) {
  const memory = sampleMemory(server.child.pid!);
  const m = await measure(server.target, options);
  const { peakKb, lastKb, processes } = memory.stop();
  const footprint: Footprint = { peakKb, afterKb: lastKb, usage: await server.usage(), processes };
  return { m, footprint };
}

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

function reportMemory(label: string, f: Footprint): void {
  const heap = f.usage
    ? `; V8 heap in use after ${(f.usage.heapUsed / 1048576).toFixed(0)} MB of ${(f.usage.heapTotal / 1048576).toFixed(0)} MB`
    : '';
  console.log(
    `${label}: peak RSS ${mb(f.peakKb)}, RSS after the work ${mb(f.afterKb)}${heap}; per process (VmHWM):`,
  );
  for (const p of f.processes) console.log(`  ${mb(p.hwmKb).padStart(7)}  ${p.name}`);
}

function verdict(pass: boolean, what: string): void {
  console.log(`${pass ? 'PASS' : 'FAIL'}: ${what}`);
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-run-'));
  console.log(`command: ${options.command}`);
  console.log(
    options.requests === undefined
      ? `work: ${options.users} users seeded, then the mix for ${options.seconds} s (not equal work: memory is not comparable)`
      : `work: ${options.users} users seeded, then ${options.requests} requests of the mix${options.scale ? `, then seeded to ${options.scale} users` : ''}`,
  );
  const server = await startServer(options.command, dataDir);
  const startup = server.memory.stop();
  const peerServer = options.peerCommand
    ? await startServer(options.peerCommand, path.join(dataDir, 'peer'))
    : undefined;
  peerServer?.memory.stop();
  try {
    console.log(
      `ready (banner printed) in ${server.readyMs.toFixed(0)} ms; RSS at ready ${mb(startup.lastKb)}`,
    );
    const own = await measureStarted(server, options);
    const rate = report('npm start', own.m, options);
    reportMemory('npm start', own.footprint);
    // Its sync to the embedded organization goes on in the background: stopped now, so it
    // takes no CPU from the peer.
    await stop(server);
    if (options.peer || peerServer) {
      const peer = peerServer
        ? await measureStarted(peerServer, options)
        : { m: await measure({ base: options.peer ?? '', token: options.peerToken ?? '' }, options) };
      const peerRate = report('peer', peer.m, options);
      const ratio = rate / peerRate;
      console.log(`throughput npm start / peer: ${ratio.toFixed(2)}×`);
      if ('footprint' in peer) {
        reportMemory('peer', peer.footprint);
        const memoryRatio = own.footprint.peakKb / peer.footprint.peakKb;
        console.log(
          `peak RSS npm start / peer: ${mb(own.footprint.peakKb)} / ${mb(peer.footprint.peakKb)} (${memoryRatio.toFixed(2)}×)`,
        );
        if (options.requests !== undefined) verdict(memoryRatio <= 1, "peak RSS at equal work ≤ the peer's");
        else console.log('(no memory verdict with --seconds: the work differs)');
      }
      verdict(ratio >= 1.5, "throughput ≥ 1.5× the peer's");
    }
  } finally {
    for (const running of [server, peerServer]) {
      if (!running) continue;
      await stop(running);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
