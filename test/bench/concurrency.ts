/**
 * The concurrency mode of the benchmark: identity providers send from several workers at
 * once (an initial sync from Entra ID or Okta is thousands of creates from many workers),
 * and on Forge every storage call is a network round trip of about 20 ms.
 *
 *   npm run bench -- --concurrency 32 --latency-ms 20
 *   npm run bench -- --concurrency 32,64 --latency-ms 20 --quick
 *
 * Every storage call is delayed by --latency-ms (half before it reaches the store, half
 * after, as a request and its answer travel), and each operation type is driven through the
 * real web trigger handler first by one client, then by each requested number of concurrent
 * clients. Each client sends its next request as soon as the previous one answered. It
 * reports ops/s, p50/p95 and errors per operation, and checks the targets:
 *   - no errors for any operation at any concurrency;
 *   - create throughput at the first concurrency at least 10× the single-client rate;
 *   - no operation's p50 more than 1.5× its single-client p50.
 *
 * Background jobs (a deleted user leaving its groups, a deleted group's purge) run while
 * the load goes on, as the queue consumer runs them on Forge.
 */
import { ENTITIES } from '../../src/entities';
import { LocalEntityStore } from '../../src/local/entity-store';
import type { EntityStore } from '../../src/storage/port';
import { createApp } from '../../src/app';
import { hashToken } from '../../src/scim/auth';
import type { WebTriggerEvent } from '../../src/webtrigger/event';
import { TOKEN, webTriggerEvent } from '../support/harness';
import { WrappedStore } from '../support/wrapped-store';
import {
  addMemberPatch,
  PATCH_OP_SCHEMA,
  filterQuery,
  groupBody,
  Random,
  removeMemberPatch,
  userBody,
  userName,
} from './data';
import { percentile } from './measure';

export interface ConcurrencyOptions {
  levels: number[];
  latencyMs: number;
  quick: boolean;
}

/** Delays every store call as a network round trip would; off while seeding. */
class LatencyStore extends WrappedStore {
  enabled = false;
  /** Store calls so far, by requests and background jobs alike. */
  calls = 0;

  constructor(
    inner: EntityStore,
    private readonly latencyMs: number,
  ) {
    super(inner);
  }

  protected async around<T>(call: () => Promise<T>): Promise<T> {
    if (!this.enabled) return call();
    this.calls++;
    await sleep(this.latencyMs / 2);
    try {
      return await call();
    } finally {
      await sleep(this.latencyMs / 2);
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Request {
  event: WebTriggerEvent;
  expect: number;
}

/** One operation type: `next(i)` builds the i-th request of a run. */
interface Operation {
  key: string;
  name: string;
  next(i: number): Request;
}

interface Result {
  /** Store calls per request, background jobs included. */
  roundTrips: number;
  clients: number;
  count: number;
  errors: number;
  firstError?: string;
  opsPerSecond: number;
  p50: number;
  p95: number;
}

const req = (method: string, path: string, expect: number, body?: unknown): Request => ({
  event: webTriggerEvent(method, path, body === undefined ? {} : { body }),
  expect,
});

/** Runs `count` requests of one operation from `clients` concurrent clients. */
async function drive(
  store: LatencyStore,
  handle: (event: WebTriggerEvent) => Promise<{ statusCode: number; body?: string }>,
  operation: Operation,
  clients: number,
  count: number,
  offset: number,
): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let issued = 0;
  const callsBefore = store.calls;
  const started = process.hrtime.bigint();
  const client = async () => {
    while (issued < count) {
      const request = operation.next(offset + issued++);
      const t0 = process.hrtime.bigint();
      const response = await handle(request.event);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (response.statusCode !== request.expect) {
        errors++;
        firstError ??= `${response.statusCode} ${response.body?.slice(0, 160) ?? ''}`;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    roundTrips: (store.calls - callsBefore) / count,
    clients,
    count,
    errors,
    firstError,
    opsPerSecond: count / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
  };
}

export async function runConcurrency(options: ConcurrencyOptions): Promise<void> {
  const started = process.hrtime.bigint();
  const random = new Random(20261202);
  const store = new LatencyStore(new LocalEntityStore(ENTITIES), options.latencyMs);
  let jobsRunning: Promise<unknown> | undefined;
  const runJobs = () => {
    jobsRunning ??= app.directory.jobs.runPending().finally(() => (jobsRunning = undefined));
  };
  const app = createApp({
    store,
    tokens: { tokenHashes: async () => [hashToken(TOKEN)] },
    logger: { info: () => undefined, warn: () => undefined, error: (m, f) => console.error(m, f) },
    onJobsPending: () => setImmediate(runJobs),
  });

  // Requests per run: enough for stable percentiles, bounded to keep the run short.
  const single = options.quick ? 30 : 60;
  const perLevel = (clients: number) =>
    Math.max(options.quick ? 200 : 400, clients * (options.quick ? 6 : 12));
  const budget = single + options.levels.reduce((sum, c) => sum + perLevel(c), 0);

  process.stderr.write('Seeding…\n');
  const seedUsers = 2_000;
  const users: string[] = [];
  for (let n = 0; n < seedUsers; n++) {
    const created = await app.directory.users.create({
      userName: userName(n),
      displayName: `User ${n}`,
      active: true,
    });
    users.push(created.id);
  }
  const groups: string[] = [];
  for (let g = 0; g < 500; g++) {
    const members = Array.from({ length: 5 }, () => random.pick(users));
    const created = await app.directory.groups.create({ displayName: `Seeded group ${g}` }, (group) =>
      [...new Set(members)].map((id) => app.directory.memberships.setOperation(group, id)),
    );
    groups.push(created.id);
  }
  // Users to delete (each in two groups) and groups to delete, one per request.
  const doomedUsers: string[] = [];
  for (let i = 0; i < budget; i++) {
    const user = await app.directory.users.create({ userName: userName(100_000 + i), active: true });
    doomedUsers.push(user.id);
    for (const group of [random.pick(groups), random.pick(groups)]) {
      await app.directory.groups.update(group, (current) => ({
        doc: current.doc,
        operations: [app.directory.memberships.setOperation(current, user.id)],
      }));
    }
  }
  const doomedGroups: string[] = [];
  for (let i = 0; i < budget; i++) {
    doomedGroups.push((await app.directory.groups.create({ displayName: `Doomed group ${i}` })).id);
  }
  // Memberships the remove operation takes away: added by the add operation first.
  const added: { group: string; user: string }[] = [];

  const operations: Operation[] = [
    {
      key: 'create-user',
      name: 'POST /Users',
      next: (i) => req('POST', '/Users', 201, userBody(200_000 + i)),
    },
    {
      key: 'get-user',
      name: 'GET /Users/{id}',
      next: () => req('GET', `/Users/${random.pick(users)}`, 200),
    },
    {
      key: 'filter-username',
      name: 'GET /Users?filter=userName eq',
      next: () =>
        req('GET', `/Users?${filterQuery(`userName eq "${userName(random.below(seedUsers))}"`)}`, 200),
    },
    {
      key: 'list-users',
      name: 'GET /Users page of 100',
      next: () => req('GET', `/Users?startIndex=${1 + random.below(seedUsers - 100)}&count=100`, 200),
    },
    {
      key: 'patch-user',
      name: 'PATCH /Users/{id}',
      // A change every time (a no-op PATCH writes nothing and would flatter the figures).
      next: (i) =>
        req('PATCH', `/Users/${random.pick(users)}`, 204, {
          schemas: [PATCH_OP_SCHEMA],
          Operations: [{ op: 'replace', path: 'displayName', value: `Renamed ${i}` }],
        }),
    },
    {
      key: 'put-user',
      name: 'PUT /Users/{id}',
      next: () => {
        const n = random.below(seedUsers);
        return req('PUT', `/Users/${users[n]}`, 200, { ...userBody(n), userName: userName(n) });
      },
    },
    {
      key: 'create-group',
      name: 'POST /Groups (2 members)',
      next: (i) =>
        req('POST', '/Groups', 201, groupBody(300_000 + i, [random.pick(users), random.pick(users)])),
    },
    {
      key: 'get-group',
      name: 'GET /Groups/{id} (5 members)',
      next: () => req('GET', `/Groups/${random.pick(groups)}`, 200),
    },
    {
      key: 'patch-group-add',
      name: 'PATCH /Groups/{id} add member',
      next: () => {
        const membership = { group: random.pick(groups), user: random.pick(users) };
        added.push(membership);
        return req('PATCH', `/Groups/${membership.group}`, 204, addMemberPatch(membership.user, 'Member'));
      },
    },
    {
      key: 'patch-group-remove',
      name: 'PATCH /Groups/{id} remove member',
      next: (i) => {
        const membership = added[i % added.length];
        return req('PATCH', `/Groups/${membership.group}`, 204, removeMemberPatch(membership.user));
      },
    },
    {
      key: 'delete-user',
      name: 'DELETE /Users/{id} (in 2 groups)',
      next: (i) => req('DELETE', `/Users/${doomedUsers[i]}`, 204),
    },
    {
      key: 'delete-group',
      name: 'DELETE /Groups/{id}',
      next: (i) => req('DELETE', `/Groups/${doomedGroups[i]}`, 204),
    },
  ];

  console.log(
    `SCIM concurrency benchmark: real web trigger handler, in-memory LocalEntityStore, ` +
      `every storage call delayed ${options.latencyMs} ms; ${seedUsers.toLocaleString('en-US')} users, ` +
      `${groups.length} groups seeded.`,
  );
  console.log('Each client sends its next request when the previous one answered.\n');

  store.enabled = true;
  const handle = (event: WebTriggerEvent) => app.handleWebTrigger(event);
  const results = new Map<string, Result[]>();
  for (const operation of operations) {
    process.stderr.write(`  ${operation.name}\n`);
    let offset = 0;
    const runs: Result[] = [];
    for (const clients of [1, ...options.levels]) {
      const count = clients === 1 ? single : perLevel(clients);
      runs.push(await drive(store, handle, operation, clients, count, offset));
      offset += count;
    }
    results.set(operation.key, runs);
  }

  const header = ['operation', ...[1, ...options.levels].map((c) => `${c} client${c === 1 ? '' : 's'}`)];
  const rows = operations.map((operation) => [
    operation.name,
    ...(results.get(operation.key) as Result[]).map(
      (r) =>
        `${r.opsPerSecond.toFixed(0)}/s ${r.p50.toFixed(0)}/${r.p95.toFixed(0)} ms ${r.roundTrips.toFixed(1)} rt` +
        `${r.errors ? ` ${r.errors} err` : ''}`,
    ),
  ]);
  console.log(table([header, ...rows]));
  console.log(
    'cells: throughput, p50/p95 latency, storage round trips per request (background jobs included),\n' +
      'errors (any answer other than the expected status)\n',
  );

  const lines: { pass: boolean; text: string }[] = [];
  for (const [index, clients] of options.levels.entries()) {
    const failing = operations.flatMap((operation) => {
      const r = (results.get(operation.key) as Result[])[index + 1];
      return r.errors > 0 ? [`${operation.name}: ${r.errors} (first: ${r.firstError})`] : [];
    });
    lines.push({
      pass: failing.length === 0,
      text: `0 errors for every operation at ${clients} clients${failing.length ? `; ${failing.join('; ')}` : ''}`,
    });
  }
  const creates = results.get('create-user') as Result[];
  const speedup = creates[1].opsPerSecond / creates[0].opsPerSecond;
  lines.push({
    pass: speedup >= 10,
    text:
      `create throughput at ${options.levels[0]} clients ≥ 10× one client: ` +
      `${creates[0].opsPerSecond.toFixed(1)} → ${creates[1].opsPerSecond.toFixed(1)}/s = ${speedup.toFixed(1)}×`,
  });
  // The latency target is the issue's, at up to 32 clients; beyond that the ratio is shown.
  for (const [index, clients] of options.levels.entries()) {
    let worst = { ratio: 0, name: '' };
    const slow: string[] = [];
    for (const operation of operations) {
      const runs = results.get(operation.key) as Result[];
      const ratio = runs[index + 1].p50 / runs[0].p50;
      if (ratio > worst.ratio) worst = { ratio, name: operation.name };
      if (ratio > 1.5)
        slow.push(`${operation.name} ${runs[0].p50.toFixed(0)} → ${runs[index + 1].p50.toFixed(0)} ms`);
    }
    const text =
      `p50 at ${clients} clients ≤ 1.5× one client, every operation ` +
      `(worst: ${worst.name} ${worst.ratio.toFixed(2)}×)${slow.length ? `; ${slow.join('; ')}` : ''}`;
    if (clients <= 32) lines.push({ pass: slow.length === 0, text });
    else console.log(`info  ${text.replace('≤ 1.5× one client, every operation ', '')}`);
  }
  console.log('== Targets ==');
  for (const line of lines) console.log(`${line.pass ? 'PASS' : 'FAIL'}  ${line.text}`);
  const failed = lines.filter((l) => !l.pass).length;
  console.log(
    failed === 0 ? `\nAll ${lines.length} targets met.` : `\n${failed} of ${lines.length} targets FAILED.`,
  );
  console.log(`Benchmark finished in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s.`);
  // The jobs the deletes queued are still draining (about 4 round trips per deleted user);
  // they are not part of any request's latency, so the benchmark does not wait for them.
  void jobsRunning;
  process.exit(process.exitCode ?? 0);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r, i) => {
      const line = r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('  ');
      return i === 0 ? `${line}\n${'-'.repeat(line.length)}` : line;
    })
    .join('\n');
}
