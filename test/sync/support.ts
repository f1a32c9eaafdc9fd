/**
 * Provisioning end to end, in process: SCIM requests go through the app's web trigger
 * handler (as the harness sends them), the sync worker reconciles into the embedded Atlassian
 * organization through the real Organizations API adapter and HTTP client (fetch answered by
 * the organization's own `handle`, as the offline runtime's egress backend does), and the
 * tests read the result back through the organization's REST API.
 */
import { createOrgAdminAdapter } from '../../src/atlassian/org-adapter';
import type { AtlassianGroup, AtlassianPort } from '../../src/atlassian/port';
import type { FetchLike } from '../../src/atlassian/http-client';
import { App, createApp } from '../../src/app';
import { ENTITIES } from '../../src/entities';
import { LocalEntityStore } from '../../src/local/entity-store';
import { EmbeddedOrganization, EmbeddedOrgOptions, embeddedOrgBackend } from '../../src/local/embedded-org';
import { hashToken } from '../../src/scim/auth';
import type { EntityStore } from '../../src/storage/port';
import { DEFAULT_POLICIES, Policies } from '../../src/policies/policies';
import type { SyncRunResult } from '../../src/sync/service';
import { allPartitions, SYNC_PARTITIONS } from '../../src/sync/partitions';
import { Reconciler } from '../../src/sync/reconciler';
import { client } from '../embedded-org/helpers';
import { ScimResult, TOKEN, webTriggerEvent } from '../support/harness';

export const START = Date.parse('2026-03-01T09:00:00Z');

/** A clock the test moves: retries come due when it is advanced. */
export class TestClock {
  constructor(public now = START) {}
  advance(ms: number): void {
    this.now += ms;
  }
}

export interface WorldOptions {
  org?: EmbeddedOrgOptions;
  /** Atlassian calls per sync run (default the app's). */
  callsPerRun?: number;
  /** No Atlassian connection at all. */
  disconnected?: boolean;
  /** Wraps the port (to kill the worker at a chosen call). */
  wrapPort?: (port: AtlassianPort) => AtlassianPort;
  /** The storage the app sees (to kill it with the worker). */
  wrapStore?: (store: EntityStore) => EntityStore;
  /** The provisioning policies in force (default DEFAULT_POLICIES); world.policies changes them. */
  policies?: Policies;
}

export interface World {
  app: App;
  org: EmbeddedOrganization;
  local: LocalEntityStore;
  clock: TestClock;
  /** The policies the next sync run reads (assign to change them, as an admin saving them). */
  policies: Policies;
  scim(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ScimResult>;
  /** One run of the consumer: the directory's jobs, then the sync. */
  runOnce(): Promise<SyncRunResult>;
  /** Runs, advancing the clock past every backoff, until no sync job is left. */
  settle(maxRuns?: number): Promise<number>;
  /** A new app (a new worker instance) over the same storage and organization. */
  restart(options?: Pick<WorldOptions, 'wrapPort' | 'wrapStore' | 'disconnected' | 'callsPerRun'>): void;
  connect(): void;
}

export function portFor(org: EmbeddedOrganization): AtlassianPort {
  const backend = embeddedOrgBackend(org);
  const fetch: FetchLike = (url, init) => backend(new URL(url), init);
  return createOrgAdminAdapter(
    { orgId: org.orgId, directoryId: org.directoryId, apiKey: org.apiKey },
    {
      fetch,
      // No real waiting: backoff sleeps return at once; a held (timed-out) call is dropped
      // by the organization after timeoutHoldMs, well inside the client's timeout.
      clock: { now: () => Date.now(), sleep: async () => undefined },
      random: () => 0.5,
      timeoutMs: 2_000,
      maxAttempts: 2,
    },
  );
}

export function createWorld(options: WorldOptions = {}): World {
  // Seeded faults: the same run every time. No account has its name locked against the app's
  // profile writes unless a test asks (profileLockRate; test/sync/profile.test.ts does).
  const org = new EmbeddedOrganization({
    timeoutHoldMs: 5,
    faults: { seed: 7 },
    profileSeed: 7,
    profileLockRate: 0,
    // Whether an invite naming no group places the account is UNCONFIRMED and drawn by
    // default; these lifecycles fix it to "places" unless they say otherwise (the behaviour
    // without is invite-placement.test.ts's subject). Retry-After on a 429 is drawn.
    placeBareInvites: true,
    answerSeed: 7,
    ...options.org,
  });
  const local = new LocalEntityStore(ENTITIES);
  const clock = new TestClock();
  let connected = !options.disconnected;
  let policies = options.policies ?? DEFAULT_POLICIES;
  let app: App;

  const build = (settings: Pick<WorldOptions, 'wrapPort' | 'wrapStore' | 'callsPerRun'>) => {
    const store = settings.wrapStore ? settings.wrapStore(local) : local;
    app = createApp({
      store,
      tokens: { tokenHashes: async () => [hashToken(TOKEN)] },
      logger: { info: () => undefined, warn: () => undefined, error: (m, f) => console.error(m, f) },
      clock: () => new Date(clock.now),
      atlassian: async () => {
        if (!connected) return undefined;
        const port = portFor(org);
        return settings.wrapPort ? settings.wrapPort(port) : port;
      },
      syncCallsPerRun: settings.callsPerRun ?? options.callsPerRun,
      policies: async () => policies,
    });
  };
  build(options);

  const world: World = {
    org,
    local,
    clock,
    get app() {
      return app;
    },
    get policies() {
      return policies;
    },
    set policies(next: Policies) {
      policies = next;
    },
    async scim(method, path, body, headers) {
      const response = await app.handleWebTrigger(webTriggerEvent(method, path, { body, headers }));
      const flat: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers))
        flat[name.toLowerCase()] = value.join(', ');
      return {
        status: response.statusCode,
        headers: flat,
        body: response.body ? JSON.parse(response.body) : undefined,
        text: response.body,
      };
    },
    async runOnce() {
      await app.directory.jobs.runPending();
      return app.sync.run();
    },
    async settle(maxRuns = 200) {
      for (let run = 1; run <= maxRuns; run++) {
        await world.runOnce();
        if ((await app.sync.queue.count()) === 0) return run;
        // Past any backoff (at most an hour) and into a fresh egress minute.
        clock.advance(3_600_000);
      }
      throw new Error(`The sync did not settle in ${maxRuns} runs.`);
    },
    restart(settings = {}) {
      if (settings.disconnected !== undefined) connected = !settings.disconnected;
      build(settings);
    },
    connect() {
      connected = true;
    },
  };
  return world;
}

// ---- the organization, read through its REST API -------------------------------------------

export interface OrgUser {
  accountId: string;
  email: string;
  status: string;
  membershipStatus: string;
  groups: string[];
}

export interface OrgGroup {
  id: string;
  name: string;
  members: string[];
}

/** Everything in the organization's directory, by e-mail and by group name (faults paused). */
export async function readOrg(org: EmbeddedOrganization): Promise<{
  users: Map<string, OrgUser>;
  groups: Map<string, OrgGroup>;
}> {
  const rate = org.faults.rate;
  org.faults.configure({ rate: 0 });
  try {
    const api = client(org);
    const users = new Map<string, OrgUser>();
    const groups = new Map<string, OrgGroup>();
    let cursor: string | undefined;
    do {
      const page = await api.call('POST', `${api.d}/users/search`, {
        expand: ['groups'],
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.status).toBe(200);
      for (const user of page.body.data as {
        accountId: string;
        email: string;
        status: string;
        membershipStatus: string;
        groups: { id: string; name: string }[];
      }[]) {
        // Listed by the search, but outside the directory (an account Atlassian knows).
        if (user.status === 'not_invited') continue;
        users.set(user.email.toLowerCase(), {
          accountId: user.accountId,
          email: user.email,
          status: user.status,
          membershipStatus: user.membershipStatus,
          groups: user.groups.map((g) => g.name).sort(),
        });
      }
      cursor = page.body.links?.next ?? undefined;
    } while (cursor);
    cursor = undefined;
    do {
      const page = await api.call('POST', `${api.d}/groups/search`, {
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      expect(page.status).toBe(200);
      for (const group of page.body.data as { id: string; name: string }[]) {
        groups.set(group.name, { id: group.id, name: group.name, members: [] });
      }
      cursor = page.body.links?.next ?? undefined;
    } while (cursor);
    for (const user of users.values()) {
      for (const name of user.groups) groups.get(name)?.members.push(user.email.toLowerCase());
    }
    for (const group of groups.values()) group.members.sort();
    return { users, groups };
  } finally {
    org.faults.configure({ rate });
  }
}

/** How many requests of this kind the organization applied (a lost answer still counts). */
export function applied(org: EmbeddedOrganization, method: string, path: RegExp): number {
  return org.calls.filter(
    (c) => c.method === method && path.test(c.path) && (c.status < 400 || c.fault === 'timeout-after'),
  ).length;
}

/** POST /Users for an e-mail address, as identity providers send one; the new user's id. */
export async function createUser(
  world: World,
  email: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const response = await world.scim('POST', '/Users', {
    userName: email,
    emails: [{ value: email, primary: true }],
    ...extra,
  });
  expect(response.status).toBe(201);
  return response.body.id;
}

/** POST /Groups with these member ids; the new group's id. */
export async function createGroup(world: World, name: string, members: string[]): Promise<string> {
  const response = await world.scim('POST', '/Groups', {
    displayName: name,
    members: members.map((value) => ({ value })),
  });
  expect(response.status).toBe(201);
  return response.body.id;
}

/**
 * The port with a rename: `names` holds names given by hand (the test) or by renameGroup,
 * over the organization's own, since neither its API nor the adapter can rename.
 */
export function renamable(names: Map<string, string>) {
  return (port: AtlassianPort): AtlassianPort => {
    const named = (group: AtlassianGroup | undefined) =>
      group && names.has(group.id) ? { ...group, name: names.get(group.id) as string } : group;
    return Object.assign(Object.create(port) as AtlassianPort, {
      getGroup: async (groupId: string) => named(await port.getGroup(groupId)),
      findGroupByName: async (name: string) => {
        for (const [id, given] of names)
          if (given.toLowerCase() === name.toLowerCase()) return named(await port.getGroup(id));
        const group = await port.findGroupByName(name);
        return group && names.has(group.id) ? undefined : group;
      },
      renameGroup: async (groupId: string, name: string) => {
        names.set(groupId, name);
      },
      // The full reconcile reads the linked groups in pages: they show the same names.
      ...(port.pages
        ? {
            pages: {
              ...port.pages,
              groupsById: async (ids: string[]) =>
                (await port.pages!.groupsById(ids)).map((group) => named(group) ?? group),
            },
          }
        : {}),
    });
  };
}

export class Killed extends Error {
  constructor() {
    super('The worker was killed.');
  }
}

/**
 * Kills the worker at its `at`-th Atlassian call, before it is sent or once it took effect;
 * a dead process writes nothing more. Pass wrapPort and wrapStore to createWorld / restart.
 */
export function killer(at: number, when: 'before' | 'after') {
  let calls = 0;
  let dead = false;
  const wrapPort = (port: AtlassianPort): AtlassianPort =>
    new Proxy(port, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (dead) throw new Killed();
          if (++calls === at && when === 'before') {
            dead = true;
            throw new Killed();
          }
          const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          if (calls === at) {
            dead = true;
            throw new Killed();
          }
          return result;
        };
      },
    });
  const wrapStore = (store: EntityStore): EntityStore => ({
    get: (entity, key) => (dead ? Promise.reject(new Killed()) : store.get(entity, key)),
    createIfAbsent: (entity, key, value) =>
      dead ? Promise.reject(new Killed()) : store.createIfAbsent(entity, key, value),
    query: (query) => (dead ? Promise.reject(new Killed()) : store.query(query)),
    transact: (operations) => (dead ? Promise.reject(new Killed()) : store.transact(operations)),
  });
  return { wrapPort, wrapStore, killed: () => dead, calls: () => calls };
}

/** Alice and bob in Engineering, which the app created; ada's account exists, not provisioned. */
export async function provisioned(world: World) {
  const alice = await createUser(world, 'alice@example.com');
  const bob = await createUser(world, 'bob@example.com');
  const group = await createGroup(world, 'Engineering', [alice, bob]);
  await world.settle();
  const api = client(world.org);
  const groupId = (await api.groupOf('Engineering')) as string;
  const account = async (email: string) => (await api.accountOf(email)) as string;
  return { alice, bob, group, groupId, api, account };
}

/** Every partition's run at once, as the dispatcher wakes them, until no job is left. */
export async function settlePartitions(world: World): Promise<number> {
  for (let round = 1; round <= 50; round++) {
    await world.app.directory.jobs.runPending();
    await world.app.sync.checkConnection();
    await Promise.all(
      allPartitions().map((index) =>
        world.app.sync.run(Number.POSITIVE_INFINITY, { index, count: SYNC_PARTITIONS }),
      ),
    );
    if ((await world.app.sync.queue.count()) === 0) return round;
    world.clock.advance(3_600_000);
  }
  throw new Error('The partitions did not settle in 50 rounds.');
}

/** A reconciler over the world's app and organization, for a test that drives one reconcile. */
export function reconcilerOf(world: World): Reconciler {
  const { directory, sync } = world.app;
  return new Reconciler(directory, portFor(world.org), sync.links, sync.log, sync.queue, Date.now);
}
