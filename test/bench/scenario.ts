/**
 * One benchmark scale: seeds a fresh in-memory directory with N users and some groups,
 * then measures every SCIM operation type through the web trigger handler.
 *
 * Users are seeded through the directory API (app.directory.users.create with the
 * normalized document, exactly what POST /Users stores), which skips rendering responses
 * nobody reads. It is not much faster than the handler: seeding time is dominated by the
 * local store keeping its sorted indexes, which costs O(n) per write (about a minute for
 * 100,000 users). Groups are seeded through the handler, where member handling lives.
 *
 * Every scale's directory stays in memory for the whole run (about 220 MB of heap in all),
 * because bench.ts interleaves the scales while measuring (see OperationRun).
 *
 * Operations run in an order that keeps every one meaningful: reads first, then updates
 * (which leave the population unchanged), then creates and deletes (deletes pick random
 * users all over the directory, leaving holes in the order buckets), and paging last, so
 * the Okta-style import runs over partly emptied buckets: the worst case for paging.
 */
import { ENTITIES } from '../../src/entities';
import { LocalEntityStore } from '../../src/local/entity-store';
import { userResourceType } from '../../src/scim/schema/definitions';
import { normalizeResource } from '../../src/scim/schema/normalize';
import type { WebTriggerResponse } from '../../src/webtrigger/event';
import { createTestApp, TestApp, webTriggerEvent } from '../support/harness';
import {
  activePatch,
  addMemberPatch,
  addMembersPatch,
  email,
  externalId,
  filterQuery,
  groupBody,
  groupName,
  Random,
  removeMemberPatch,
  userBody,
  userName,
} from './data';
import { collectGarbage, Measurement, OperationSpec } from './measure';
import { TimingStore } from './timing-store';

/** Members of the large group, as the brief asks. */
export const LARGE_GROUP_MEMBERS = 10_000;
const SMALL_GROUP_MEMBERS = 10;
const LARGE_GROUP_BATCH = 500;
const PAGE = 100;

/** How many samples each kind of operation gets. */
export interface SampleSizes {
  /** Cheap single-resource operations. */
  standard: number;
  warmup: number;
  /** Pages of 100 users (each renders 100 resources). */
  pages: number;
  /** GET of the 10,000-member group (about 100 storage pages each). */
  largeGroupGets: number;
}

export const FULL_SAMPLES: SampleSizes = { standard: 400, warmup: 50, pages: 200, largeGroupGets: 20 };
export const QUICK_SAMPLES: SampleSizes = { standard: 60, warmup: 10, pages: 50, largeGroupGets: 5 };

export interface SeedTimings {
  usersSeconds: number;
  groups: number;
  groupsSeconds: number;
  /** Heap the seeded directory occupies (after a full GC). */
  heapUsedMb: number;
}

export interface ScaleResult {
  users: number;
  seed: SeedTimings;
  measurements: Measurement[];
  skipped: { name: string; reason: string }[];
}

interface SeededUser {
  /** The number the user's data derives from (see data.ts). */
  n: number;
  id: string;
}

interface SeededGroup {
  id: string;
  members: SeededUser[];
}

/** The seeded directory and the bookkeeping the operations need. */
interface Population {
  t: TestApp;
  timer: TimingStore;
  /** Seeded users in creation order; index = user number. */
  seeded: SeededUser[];
  /** Users alive right now (seeded and created by the benchmark), for deletes. */
  live: SeededUser[];
  groupNumbers: number[];
  small: SeededGroup;
  large?: SeededGroup;
  /** Next unused user number for creates. */
  nextNumber: number;
}

const elapsedSeconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

/** An untimed request that must succeed (setup and clean-up between samples). */
async function send(
  t: TestApp,
  method: string,
  path: string,
  body: unknown,
  status: number,
): Promise<string> {
  const response = await t.app.handleWebTrigger(webTriggerEvent(method, path, { body }));
  if (response.statusCode !== status) {
    throw new Error(
      `Setup ${method} ${path}: expected ${status}, got ${response.statusCode}: ${response.body}`,
    );
  }
  return response.body ?? '';
}

/** Fails the run if a response does not contain `text` (a cheap sanity check of results). */
function expectBody(response: WebTriggerResponse, text: string, what: string): void {
  if (!response.body?.includes(text)) {
    throw new Error(`${what}: response lacks ${text}: ${response.body?.slice(0, 300) ?? '(empty)'}`);
  }
}

async function seed(
  users: number,
  random: Random,
): Promise<{ population: Population; timings: SeedTimings }> {
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  // The brief's store, new LocalEntityStore(ENTITIES), timed; createTestApp counts round trips.
  const timer = new TimingStore(new LocalEntityStore(ENTITIES));
  const t = createTestApp({ store: timer });

  let started = process.hrtime.bigint();
  const seeded: SeededUser[] = [];
  for (let n = 0; n < users; n++) {
    const created = await t.app.directory.users.create(normalizeResource(userResourceType, userBody(n)));
    seeded.push({ n, id: created.id });
    if (users >= 50_000 && (n + 1) % 25_000 === 0) {
      process.stderr.write(
        `  seeded ${(n + 1).toLocaleString('en-US')} users (${elapsedSeconds(started).toFixed(1)} s)\n`,
      );
    }
  }
  const usersSeconds = elapsedSeconds(started);

  // Small groups (one per 500 users, at least 20) of 10 random members each, plus the
  // large group when there are enough users for it.
  started = process.hrtime.bigint();
  const groupCount = Math.max(20, Math.floor(users / 500));
  const groupNumbers: number[] = [];
  let small: SeededGroup | undefined;
  for (let g = 0; g < groupCount; g++) {
    const members = Array.from({ length: SMALL_GROUP_MEMBERS }, () => random.pick(seeded));
    const unique = [...new Map(members.map((m) => [m.id, m])).values()];
    const memberIds = unique.map((m) => m.id);
    const body = await send(t, 'POST', '/Groups', groupBody(g, memberIds), 201);
    groupNumbers.push(g);
    if (g === 0) small = { id: (JSON.parse(body) as { id: string }).id, members: unique };
  }
  let large: SeededGroup | undefined;
  if (users >= LARGE_GROUP_MEMBERS) {
    // A POST body holds at most 96 KB, so the members follow in PATCHes of 500, as an
    // identity provider pushing a big group does.
    const members = random.shuffle(seeded).slice(0, LARGE_GROUP_MEMBERS);
    const body = await send(t, 'POST', '/Groups', groupBody(groupCount, []), 201);
    const id = (JSON.parse(body) as { id: string }).id;
    for (let i = 0; i < members.length; i += LARGE_GROUP_BATCH) {
      const batch = members.slice(i, i + LARGE_GROUP_BATCH).map((m) => ({ value: m.id }));
      await send(t, 'PATCH', `/Groups/${id}`, addMembersPatch(batch), 204);
    }
    groupNumbers.push(groupCount);
    large = { id, members };
  }
  const groupsSeconds = elapsedSeconds(started);

  collectGarbage();
  return {
    population: {
      t,
      timer,
      seeded,
      live: [...seeded],
      groupNumbers,
      small: small as SeededGroup,
      large,
      nextNumber: users,
    },
    timings: {
      usersSeconds,
      groups: groupNumbers.length,
      groupsSeconds,
      heapUsedMb: (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20,
    },
  };
}

/** Member PATCHes of one group, each measured with the group at its seeded size. */
function memberPatchSpecs(
  p: Population,
  group: SeededGroup,
  label: string,
  keyPrefix: string,
  sizes: SampleSizes,
  random: Random,
): OperationSpec[] {
  const path = `/Groups/${group.id}`;
  const size = group.members.length.toLocaleString('en-US');
  let current: SeededUser = group.members[0];
  return [
    {
      // The member is first taken out (untimed), so the timed request really adds one.
      key: `${keyPrefix}-add`,
      name: `PATCH ${label} group (${size}): add 1 member`,
      samples: sizes.standard,
      warmup: sizes.warmup,
      async next() {
        current = random.pick(group.members);
        await send(p.t, 'PATCH', path, removeMemberPatch(current.id), 204);
        return {
          event: webTriggerEvent('PATCH', path, { body: addMemberPatch(current.id, userName(current.n)) }),
          status: 204,
        };
      },
    },
    {
      // The member is put back (untimed) afterwards, so the group keeps its size.
      key: `${keyPrefix}-remove`,
      name: `PATCH ${label} group (${size}): remove 1 member`,
      samples: sizes.standard,
      warmup: sizes.warmup,
      next() {
        current = random.pick(group.members);
        return {
          event: webTriggerEvent('PATCH', path, { body: removeMemberPatch(current.id) }),
          status: 204,
        };
      },
      async after() {
        await send(p.t, 'PATCH', path, addMemberPatch(current.id, userName(current.n)), 204);
      },
    },
  ];
}

/** A page of 100 users at a fixed position. */
function pageSpec(
  key: string,
  name: string,
  startIndex: () => Promise<number>,
  sizes: SampleSizes,
): OperationSpec {
  return {
    key,
    name,
    samples: sizes.pages,
    warmup: sizes.warmup,
    async next() {
      const start = await startIndex();
      return {
        event: webTriggerEvent('GET', `/Users?startIndex=${start}&count=${PAGE}`),
        status: 200,
        label: `startIndex=${start.toLocaleString('en-US')}`,
      };
    },
    after: (response) => expectBody(response, `"itemsPerPage":`, name),
  };
}

function operationSpecs(p: Population, sizes: SampleSizes, random: Random): OperationSpec[] {
  const { t } = p;
  const anyUser = () => random.pick(p.seeded);
  // Users for updates: distinct ones, so every PATCH and PUT really changes something.
  const fresh = random.shuffle(p.seeded);
  let freshCursor = 0;
  const freshUser = () => fresh[freshCursor++ % fresh.length];
  const lookup = (key: string, name: string, filter: (n: number) => string): OperationSpec => ({
    key,
    name,
    samples: sizes.standard,
    warmup: sizes.warmup,
    next: () => ({
      event: webTriggerEvent('GET', `/Users?${filterQuery(filter(anyUser().n))}&startIndex=1&count=100`),
      status: 200,
    }),
    after: (response) => expectBody(response, '"totalResults":1,', name),
  });
  const total = () => t.app.directory.users.total();
  const lastPageStart = async () => Math.floor(((await total()) - 1) / PAGE) * PAGE + 1;

  const specs: OperationSpec[] = [
    lookup('filter-username', 'GET /Users filter userName eq', (n) => `userName eq "${userName(n)}"`),
    lookup('filter-externalid', 'GET /Users filter externalId eq', (n) => `externalId eq "${externalId(n)}"`),
    lookup('filter-email', 'GET /Users filter emails.value eq', (n) => `emails.value eq "${email(n)}"`),
    {
      key: 'get-user',
      name: 'GET /Users/{id}',
      samples: sizes.standard,
      warmup: sizes.warmup,
      next: () => ({ event: webTriggerEvent('GET', `/Users/${anyUser().id}`), status: 200 }),
    },
    {
      key: 'group-filter',
      name: 'GET /Groups filter displayName eq (no members)',
      samples: sizes.standard,
      warmup: sizes.warmup,
      next: () => ({
        event: webTriggerEvent(
          'GET',
          `/Groups?excludedAttributes=members&${filterQuery(`displayName eq "${groupName(random.pick(p.groupNumbers))}"`)}`,
        ),
        status: 200,
      }),
      after: (response) => expectBody(response, '"totalResults":1,', 'group filter'),
    },
    {
      key: 'get-small-group',
      name: `GET /Groups/{id} small group (${p.small.members.length} members)`,
      samples: sizes.standard,
      warmup: sizes.warmup,
      next: () => ({ event: webTriggerEvent('GET', `/Groups/${p.small.id}`), status: 200 }),
    },
  ];
  if (p.large) {
    const large = p.large;
    specs.push({
      key: 'get-large-group',
      name: `GET /Groups/{id} large group (${large.members.length.toLocaleString('en-US')} members)`,
      samples: sizes.largeGroupGets,
      warmup: Math.max(1, Math.floor(sizes.largeGroupGets / 5)),
      next: () => ({ event: webTriggerEvent('GET', `/Groups/${large.id}`), status: 200 }),
    });
  }
  specs.push(
    {
      key: 'patch-user',
      name: 'PATCH /Users/{id} replace active',
      samples: sizes.standard,
      warmup: sizes.warmup,
      next: () => ({
        event: webTriggerEvent('PATCH', `/Users/${freshUser().id}`, { body: activePatch(false) }),
        status: 204,
      }),
    },
    {
      key: 'put-user',
      name: 'PUT /Users/{id} (full user, new name)',
      samples: sizes.standard,
      warmup: sizes.warmup,
      next: (index) => {
        const user = freshUser();
        return {
          event: webTriggerEvent('PUT', `/Users/${user.id}`, { body: userBody(user.n, `Renamed${index}`) }),
          status: 200,
        };
      },
    },
    ...memberPatchSpecs(p, p.small, 'small', 'patch-small-group', sizes, random),
    ...(p.large ? memberPatchSpecs(p, p.large, 'large', 'patch-large-group', sizes, random) : []),
    {
      key: 'create-user',
      name: 'POST /Users',
      samples: sizes.standard,
      warmup: sizes.warmup,
      next: () => ({
        event: webTriggerEvent('POST', '/Users', { body: userBody(p.nextNumber++) }),
        status: 201,
      }),
      after: (response) => {
        const id = (JSON.parse(response.body ?? '{}') as { id?: string }).id;
        if (!id) throw new Error('POST /Users answered without an id.');
        p.live.push({ n: p.nextNumber - 1, id });
      },
    },
    {
      // Random users anywhere in the directory (some are group members), so the order
      // buckets get holes and the paging below meets positions inside partly emptied buckets.
      key: 'delete-user',
      name: 'DELETE /Users/{id}',
      samples: sizes.standard,
      warmup: sizes.warmup,
      next: () => {
        const at = random.below(p.live.length);
        const victim = p.live[at];
        p.live[at] = p.live[p.live.length - 1];
        p.live.pop();
        return { event: webTriggerEvent('DELETE', `/Users/${victim.id}`), status: 204 };
      },
      // The background job each DELETE queues (leave its groups, fold the deletion into the
      // order stripes) runs after it, as the queue consumer runs it on Forge: untimed here.
      after: async () => {
        await p.t.runJobs();
      },
    },
    pageSpec('page-first', 'GET /Users page of 100, startIndex=1', async () => 1, sizes),
    pageSpec(
      'page-middle',
      'GET /Users page of 100, middle',
      async () => Math.floor((await total()) / 2 / PAGE) * PAGE + 1,
      sizes,
    ),
    pageSpec('page-end', 'GET /Users page of 100, last page', lastPageStart, sizes),
  );
  return specs;
}

/**
 * Okta's import: startIndex=1, 101, 201, … until the end, repeated until there are enough
 * samples. The row reports the worst page's round trips and the latency over all pages.
 * The pages are counted in prepare(), once creates and deletes have settled the total.
 */
function oktaImportSpec(p: Population, sizes: SampleSizes): OperationSpec {
  let pages = 1;
  return {
    key: 'okta-import',
    name: 'Okta import: every page of 100',
    samples: sizes.pages,
    warmup: sizes.warmup,
    async prepare() {
      pages = Math.ceil((await p.t.app.directory.users.total()) / PAGE);
      const passes = Math.max(1, Math.ceil(sizes.pages / pages));
      this.samples = pages * passes;
      this.warmup = Math.min(pages, sizes.warmup);
      this.name = `Okta import: every page of 100 (${pages.toLocaleString('en-US')} pages × ${passes})`;
    },
    next(index) {
      const start = (index % pages) * PAGE + 1;
      return {
        event: webTriggerEvent('GET', `/Users?startIndex=${start}&count=${PAGE}`),
        status: 200,
        label: `startIndex=${start.toLocaleString('en-US')}`,
      };
    },
    after: (response, index) => {
      // Every page but the last must be full: a short page would end Okta's import early.
      if (index % pages !== pages - 1) expectBody(response, `"itemsPerPage":${PAGE},`, 'Okta import');
    },
  };
}

/** A seeded directory at one scale, with the operations to measure on it, in order. */
export interface Scale {
  users: number;
  seed: SeedTimings;
  t: TestApp;
  timer: TimingStore;
  specs: OperationSpec[];
  /** Operations not run at this scale, with the reason. */
  skipped: { name: string; reason: string }[];
}

export async function seedScale(users: number, sizes: SampleSizes): Promise<Scale> {
  const random = new Random(users);
  const { population, timings } = await seed(users, random);
  const specs = [...operationSpecs(population, sizes, random), oktaImportSpec(population, sizes)];
  const skipped = population.large
    ? []
    : [
        {
          name: `large group (${LARGE_GROUP_MEMBERS.toLocaleString('en-US')} members) operations`,
          reason: `needs at least ${LARGE_GROUP_MEMBERS.toLocaleString('en-US')} users`,
        },
      ];
  return { users, seed: timings, t: population.t, timer: population.timer, specs, skipped };
}
