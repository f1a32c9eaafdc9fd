/**
 * The README promises an exact `totalResults` and paging that never skips or repeats. These
 * tests hold the order summary (order.ts, stripes.ts) to that under concurrent writes: many
 * clients create, update, delete and page through users at once through the web trigger
 * handler, while background jobs (which fold deletions into the order stripes) run beside
 * them, several at once, as the queue consumer runs them. Every store call is delayed by a
 * seeded random jitter, so requests overlap differently at each round trip, the same way on
 * every run. Afterwards, with no write in flight, `totalResults` must equal the real number
 * of users and a paging pass must return every user exactly once.
 */
import { ENTITIES } from '../../src/entities';
import { USER } from '../../src/directory/entities';
import { LocalEntityStore } from '../../src/local/entity-store';
import type { EntityStore } from '../../src/storage/port';
import { Random } from '../bench/data';
import { App, createApp } from '../../src/app';
import { hashToken } from '../../src/scim/auth';
import { TOKEN, webTriggerEvent } from '../support/harness';
import { WrappedStore } from '../support/wrapped-store';

/** Delays every call before it reaches the store and before its answer returns. */
class JitterStore extends WrappedStore {
  constructor(
    inner: EntityStore,
    private readonly random: Random,
    private readonly maxDelayMs: number,
  ) {
    super(inner);
  }

  protected async around<T>(call: () => Promise<T>): Promise<T> {
    await this.pause();
    try {
      return await call();
    } finally {
      await this.pause();
    }
  }

  private pause(): Promise<void> {
    const ms = this.random.below(this.maxDelayMs + 1);
    return new Promise((resolve) => (ms === 0 ? setImmediate(resolve) : setTimeout(resolve, ms)));
  }
}

interface Response {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  body: any;
}

interface Run {
  local: LocalEntityStore;
  app: App;
  request(method: string, path: string, body?: unknown): Promise<Response>;
  /** While paused, jobs wait (releases stay pending) until runJobs() or resume. */
  paused: boolean;
  /** Runs pending jobs and waits for the background runners to go idle. */
  runJobs(): Promise<void>;
  /** What the background runners threw (none expected). */
  failures: unknown[];
}

/**
 * The app on a jittered in-memory store. Background jobs run as the queue consumer runs them
 * on Forge and under `npm start`: a request that queued one asks for a run, and up to
 * `runners` runs go on at once, beside the requests.
 */
function start(seed: number, runners = 4, maxDelayMs = 2): Run {
  const local = new LocalEntityStore(ENTITIES);
  let active = 0;
  let wanted = false;
  const failures: unknown[] = [];
  const kick = () => {
    wanted = true;
    if (run.paused || active >= runners) return;
    active++;
    void (async () => {
      try {
        while (wanted) {
          wanted = false;
          await app.directory.jobs.runPending();
        }
      } catch (error) {
        failures.push(error);
      } finally {
        active--;
      }
    })();
  };
  const app = createApp({
    store: new JitterStore(local, new Random(seed), maxDelayMs),
    tokens: { tokenHashes: async () => [hashToken(TOKEN)] },
    logger: { info: () => undefined, warn: () => undefined, error: (m, f) => failures.push([m, f]) },
    onJobsPending: () => setImmediate(kick),
  });
  const run: Run = {
    local,
    app,
    paused: false,
    failures,
    request: async (method, path, body) => {
      const response = await app.handleWebTrigger(
        webTriggerEvent(method, path, body === undefined ? {} : { body }),
      );
      return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
    },
    runJobs: async () => {
      await app.directory.jobs.runPending();
      while (active > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    },
  };
  return run;
}

/**
 * `clients` concurrent clients, each creating `perClient` users and, in between, updating and
 * deleting its own users at random. `deleteAll` makes each client delete what it has left at
 * the end. Returns the ids still alive.
 */
async function churn(
  run: Run,
  seed: number,
  clients: number,
  perClient: number,
  deleteAll: boolean,
): Promise<Set<string>> {
  const alive = new Set<string>();
  const client = async (c: number) => {
    const random = new Random(seed * 1000 + c);
    const mine: string[] = [];
    let created = 0;
    while (created < perClient || (deleteAll && mine.length > 0)) {
      const roll = random.next();
      if (created < perClient && (roll < 0.5 || mine.length === 0)) {
        const userName = `s${seed}c${c}u${created++}@example.com`;
        const response = await run.request('POST', '/Users', { userName, active: true });
        expect(response.status).toBe(201);
        mine.push(response.body.id);
        alive.add(response.body.id);
      } else if (created < perClient && roll < 0.7) {
        const id = mine[random.below(mine.length)];
        const response = await run.request('PATCH', `/Users/${id}`, {
          Operations: [{ op: 'replace', value: { active: random.next() < 0.5 } }],
        });
        expect(response.status).toBe(204);
      } else if (created < perClient && roll < 0.8) {
        // A reader paging while the writes go on (its answers are not checked here).
        const response = await run.request('GET', `/Users?startIndex=${1 + random.below(50)}&count=10`);
        expect(response.status).toBe(200);
      } else {
        const [id] = mine.splice(random.below(mine.length), 1);
        const response = await run.request('DELETE', `/Users/${id}`);
        expect(response.status).toBe(204);
        alive.delete(id);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  await run.runJobs();
  expect(run.failures).toEqual([]);
  return alive;
}

/** A quiet paging pass: every page of `count` from startIndex 1 to totalResults. */
async function pageThrough(run: Run, count: number): Promise<{ totals: number[]; ids: string[] }> {
  const totals: number[] = [];
  const ids: string[] = [];
  for (let startIndex = 1; ; startIndex += count) {
    const page = await run.request('GET', `/Users?startIndex=${startIndex}&count=${count}`);
    expect(page.status).toBe(200);
    totals.push(page.body.totalResults);
    const resources: { id: string }[] = page.body.Resources ?? [];
    ids.push(...resources.map((r) => r.id));
    if (resources.length < count || startIndex + count > page.body.totalResults) break;
  }
  return { totals, ids };
}

/** What a quiet pass should find, and what it found, in one comparable shape. */
async function expectExact(run: Run, alive: Set<string>, count: number): Promise<void> {
  expect(run.local.size(USER)).toBe(alive.size);
  const { totals, ids } = await pageThrough(run, count);
  const seen = new Map<string, number>();
  for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  // Counts rather than ids, so a failure says at a glance how far off the summary is.
  expect({
    totalResults: [...new Set(totals)],
    repeated: [...seen].filter(([, n]) => n > 1).length,
    missing: [...alive].filter((id) => !seen.has(id)).length,
    unknown: [...seen.keys()].filter((id) => !alive.has(id)).length,
  }).toEqual({ totalResults: [alive.size], repeated: 0, missing: 0, unknown: 0 });
}

describe('totalResults and paging after concurrent creates, updates and deletes', () => {
  it('64 clients leave users behind: totalResults is exact and a quiet pass lists each once', async () => {
    const run = start(2);
    const alive = await churn(run, 2, 64, 8, false);
    expect(alive.size).toBeGreaterThan(100);
    await expectExact(run, alive, 7);
  });

  it('a run that deletes everything, then another run on the same directory', async () => {
    const run = start(3);
    expect((await churn(run, 3, 32, 6, true)).size).toBe(0);
    await expectExact(run, new Set(), 10);
    const alive = await churn(run, 4, 48, 6, false);
    await expectExact(run, alive, 13);
  });
});

describe('totalResults and paging while deletions are being folded into the order stripes', () => {
  it('every read meanwhile sees the exact total, and paging passes list each user once', async () => {
    const run = start(5);
    // Created all at once, so most of the 64 stripes count some of them.
    const ids = (
      await Promise.all(
        Array.from({ length: 240 }, (_, i) =>
          run.request('POST', '/Users', { userName: `f${i}@example.com` }),
        ),
      )
    ).map((created) => created.body.id as string);
    // Deleted with their releases left pending: more of them than share a query page with
    // the stripes, so a reader needs several pages, and folds commit in between.
    const random = new Random(5);
    const doomed = new Set<string>();
    while (doomed.size < 120) doomed.add(ids[random.below(ids.length)]);
    run.paused = true;
    for (const id of doomed) expect((await run.request('DELETE', `/Users/${id}`)).status).toBe(204);
    const alive = new Set(ids.filter((id) => !doomed.has(id)));

    // Four job runners fold the releases while readers ask for totals and page through.
    const folding = Promise.all(Array.from({ length: 4 }, () => run.app.directory.jobs.runPending()));
    const totals: number[] = [];
    let folded = false;
    void folding.then(() => (folded = true));
    const readers = Array.from({ length: 8 }, async () => {
      while (!folded) totals.push((await run.request('GET', '/Users?count=1')).body.totalResults);
    });
    const passes = await Promise.all([9, 10, 11, 12].map((count) => pageThrough(run, count)));
    await Promise.all([folding, ...readers]);

    expect(new Set(totals)).toEqual(new Set([alive.size]));
    for (const pass of passes) {
      expect({
        totalResults: [...new Set(pass.totals)],
        listed: pass.ids.length,
        distinct: new Set(pass.ids).size,
        unknown: pass.ids.filter((id) => !alive.has(id)).length,
      }).toEqual({ totalResults: [alive.size], listed: alive.size, distinct: alive.size, unknown: 0 });
    }
  });
});
