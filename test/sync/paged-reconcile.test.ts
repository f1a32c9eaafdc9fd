/**
 * The full reconcile on a connection that reads the directory in pages (the Organizations
 * API): it observes the accounts (with their groups and admin roles) and the linked groups a
 * page at a time, and gives a forced job only to what differs (src/sync/paged-walk.ts). The
 * requests are counted where the organization receives them.
 */
import type { AtlassianPort } from '../../src/atlassian/port';
import { client } from '../embedded-org/helpers';
import { createGroup, createUser, createWorld, readOrg, renamable, World } from './support';

const USERS = 230;
const GROUPS = 12;

/** 230 users, each in two of 12 groups the app created, provisioned and settled. */
async function converged(world: World) {
  const users: string[] = [];
  for (let i = 0; i < USERS; i++)
    users.push(await createUser(world, `person${String(i).padStart(3, '0')}@example.com`));
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const members = users.filter((_, i) => i % GROUPS === g || (i + 1) % GROUPS === g);
    groups.push(await createGroup(world, `Team ${g}`, members));
  }
  await world.settle(400);
  const api = client(world.org);
  return { users, groups, api };
}

/** Starts the full reconcile as the daily schedule does, and runs the worker until it is done. */
async function daily(world: World) {
  const before = world.org.calls.length;
  await world.app.sync.startFullReconcile({ trigger: 'schedule' });
  const runs = await world.settle(400);
  const calls = world.org.calls.slice(before);
  return { calls, runs, progress: await world.app.sync.reconcileProgress() };
}

/** The paged minimum: the accounts and the groups at 100 a page, and the admin holders once. */
const pagedMinimum = (users: number, groups: number) => Math.ceil(users / 100) + Math.ceil(groups / 100) + 1;

/**
 * The account ids and group ids the forced checks read one by one (GET users/{id},
 * groups/{id}), or in a run's batched look-up of its jobs' accounts (`users/search
 * {accountIds}` with no other filter: src/sync/account-prefetch.ts).
 */
function checkedOneByOne(calls: { method: string; path: string; body?: string }[]) {
  const ids = (pattern: RegExp) =>
    calls
      .filter((c) => c.method === 'GET')
      .flatMap((c) => pattern.exec(decodeURIComponent(c.path))?.[1] ?? []);
  const batched = calls
    .filter((c) => c.method === 'POST' && /\/users\/search$/.test(c.path) && c.body)
    .flatMap((c) => {
      const body = JSON.parse(c.body!) as { accountIds?: string[]; groupIds?: unknown; expand?: unknown };
      return body.accountIds && !body.groupIds && !body.expand ? body.accountIds : [];
    });
  const unique = (list: string[]) => [...new Set(list)].sort();
  return {
    accounts: unique([...ids(/\/users\/([^/]+)$/), ...batched]),
    groups: unique(ids(/\/groups\/([^/]+)$/)),
  };
}

describe('the daily full reconcile reads the directory in pages', () => {
  jest.setTimeout(120_000);

  it('with nothing drifted, makes only paged searches (≤ 3× the paged minimum) and counts everything', async () => {
    const world = createWorld();
    await converged(world);
    const { calls, progress } = await daily(world);

    expect(calls.every((c) => c.method === 'POST' && /\/(users|groups)\/search$/.test(c.path))).toBe(true);
    // users: 3 pages (230 + the seed's accounts), admin holders 1, groups by id and admin ones 2.
    expect(calls.length).toBeLessThanOrEqual(3 * pagedMinimum(USERS, GROUPS));
    expect(progress).toMatchObject({
      state: 'done',
      users: { done: USERS, total: USERS },
      groups: { done: GROUPS, total: GROUPS },
      changes: 0,
      reported: 0,
      failed: 0,
    });
    // Its walk records are gone once it is done.
    expect(await world.app.sync.queue.count()).toBe(0);
  });

  it('gives a forced job only to the users and groups that drifted, and repairs each', async () => {
    const names = new Map<string, string>();
    const world = createWorld({ wrapPort: renamable(names) });
    const { api } = await converged(world);
    const accountOf = async (i: number) =>
      (await api.accountOf(`person${String(i).padStart(3, '0')}@example.com`)) as string;
    const groupOf = async (g: number) => (await api.groupOf(`Team ${g}`)) as string;

    // One hand edit of each kind, each on its own user or group.
    const [removedFrom, suspended, admin, outsider] = await Promise.all([1, 2, 3, 4].map(accountOf));
    const [team1, team5, team7] = await Promise.all([1, 5, 7].map(groupOf));
    // person001 is in Team 1 and Team 2: taken out of Team 1 by hand.
    expect((await api.call('DELETE', `${api.d}/groups/${team1}/memberships/${removedFrom}`)).status).toBe(
      204,
    );
    // person004 (Teams 4 and 5) put into Team 7 by hand.
    expect(
      (await api.call('POST', `${api.d}/groups/${team7}/memberships`, { accountId: outsider })).status,
    ).toBe(204);
    expect((await api.call('POST', `${api.d}/users/${suspended}/suspend`, {})).status).toBe(204);
    const made = await api.call('POST', `/v1/orgs/${world.org.orgId}/users/${admin}/roles/assign`, {
      role: 'atlassian/site-admin',
    });
    expect(made.status).toBe(204);
    names.set(team5, 'Team 5 (renamed by hand)');

    const { calls, progress } = await daily(world);

    const org = await readOrg(world.org);
    const email = (i: number) => `person${String(i).padStart(3, '0')}@example.com`;
    expect(org.groups.get('Team 1')?.members).toContain(email(1));
    expect(org.groups.get('Team 7')?.members).not.toContain(email(4));
    expect(org.users.get(email(2))?.status).toBe('active');
    expect(names.get(team5)).toBe('Team 5');
    // The new admin is left alone from now on (never suspended nor moved), as a forced check does.
    expect(org.users.get(email(3))?.status).toBe('active');
    expect(
      (await world.app.sync.log.query({ status: 'skipped', limit: 100 })).entries.map((e) => e.why),
    ).toContain('protected account: an organization, site or product admin');

    // Only the drifted users' accounts, and only the drifted groups, were read one by one.
    const oneByOne = checkedOneByOne(calls);
    expect(oneByOne.accounts).toEqual([suspended, admin].sort());
    expect(oneByOne.groups).toEqual([team1, team5, team7].sort());
    expect(progress).toMatchObject({
      state: 'done',
      users: { done: USERS, total: USERS },
      groups: { done: GROUPS, total: GROUPS },
    });
    expect(progress.changes).toBeGreaterThanOrEqual(4);
  });

  it('provisions again an account removed from the directory by hand, with its memberships', async () => {
    const world = createWorld();
    const { api } = await converged(world);
    // person010 is in Teams 10 and 11.
    const removed = (await api.accountOf('person010@example.com')) as string;
    expect((await api.call('DELETE', `${api.d}/users/${removed}`)).status).toBe(204);
    expect((await readOrg(world.org)).users.has('person010@example.com')).toBe(false);

    const { calls, progress } = await daily(world);
    const org = await readOrg(world.org);
    expect(org.users.get('person010@example.com')).toMatchObject({
      status: 'active',
      groups: ['Team 10', 'Team 11'],
    });
    const oneByOne = checkedOneByOne(calls);
    expect(oneByOne.accounts).toEqual([removed]);
    expect(oneByOne.groups).toEqual([await api.groupOf('Team 10'), await api.groupOf('Team 11')].sort());
    expect(progress).toMatchObject({ state: 'done', users: { done: USERS, total: USERS } });
  });

  it('resumes across runs with a small budget without losing which users it saw', async () => {
    const world = createWorld();
    await converged(world);
    // Two requests a run: a step's at most (the admin holders and a page of accounts).
    world.restart({ callsPerRun: 2 });
    const { calls, runs, progress } = await daily(world);
    // Every page in a run of its own (3 of accounts, then the groups), and still nothing marked.
    expect(runs).toBeGreaterThanOrEqual(4);
    expect(checkedOneByOne(calls)).toEqual({ accounts: [], groups: [] });
    expect(calls.every((c) => c.method === 'POST' && /\/search$/.test(c.path))).toBe(true);
    expect(progress).toMatchObject({
      state: 'done',
      users: { done: USERS, total: USERS },
      groups: { done: GROUPS, total: GROUPS },
    });
  });

  it('falls back to checking every user and group where the connection cannot read in pages', async () => {
    const unpaged = (port: AtlassianPort): AtlassianPort =>
      Object.assign(Object.create(port) as AtlassianPort, { pages: undefined });
    const world = createWorld({ wrapPort: unpaged });
    await converged(world);
    const { calls, progress } = await daily(world);
    const oneByOne = checkedOneByOne(calls);
    expect(oneByOne.accounts).toHaveLength(USERS);
    expect(oneByOne.groups).toHaveLength(GROUPS);
    expect(progress).toMatchObject({
      state: 'done',
      users: { done: USERS, total: USERS },
      groups: { done: GROUPS, total: GROUPS },
      changes: 0,
    });
  });
});
