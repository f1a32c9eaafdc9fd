/**
 * The user policies survive a worker killed before or after each Atlassian call in turn
 * (storage dies with it): a new worker finishes with one invite per account, the seat cap's
 * counter right, the new-user grants made once, and product access given back.
 */
import { createUser, createWorld, killer, Killed, readOrg, World } from './support';
import { counter, INVITES, plainGroup, policiesWith, productGroup, requests } from './user-policies-support';

const POLICIES = policiesWith({
  deactivation: { action: 'remove-product-access', restoreMemberships: true },
  newUsers: { defaultGroups: ['All Staff'], productAccess: [{ product: 'confluence' }] },
  seatCap: { limit: 2 },
});
const NAMES = ['amy', 'ben', 'cat'];

/** Phase 1: three users under a cap of two. */
async function provision(world: World): Promise<string[]> {
  await plainGroup(world, 'All Staff');
  await productGroup(world, 'confluence-users', 'confluence');
  const ids: string[] = [];
  for (const name of NAMES) ids.push(await createUser(world, `${name}@example.com`));
  return ids;
}

async function active(world: World): Promise<string[]> {
  const org = await readOrg(world.org);
  return NAMES.filter((n) => org.users.get(`${n}@example.com`)?.status === 'active');
}

async function expectProvisioned(world: World): Promise<void> {
  const org = await readOrg(world.org);
  const seated = await active(world);
  expect(seated).toHaveLength(2);
  for (const name of seated) {
    expect(org.users.get(`${name}@example.com`)?.groups).toEqual(['All Staff', 'confluence-users']);
  }
  expect(requests(world, 'POST', INVITES)).toBe(2);
  expect(org.users.size).toBe(3 + 2);
  expect(await world.app.sync.links.state('seats')).toEqual({ used: 2, waiting: 1 });
}

/** Phase 2: the first seated user is deactivated; the waiting one gets the seat. */
async function deactivateFirst(world: World, ids: string[]): Promise<string> {
  const first = (await active(world))[0];
  const response = await world.scim('PATCH', `/Users/${ids[NAMES.indexOf(first)]}`, {
    Operations: [{ op: 'replace', path: 'active', value: false }],
  });
  expect(response.status).toBe(204);
  return first;
}

async function expectDeactivated(world: World, first: string): Promise<void> {
  const org = await readOrg(world.org);
  expect(org.users.get(`${first}@example.com`)).toMatchObject({ status: 'active', groups: ['All Staff'] });
  expect((await active(world)).filter((n) => n !== first)).toHaveLength(2);
  for (const name of NAMES.filter((n) => n !== first)) {
    expect(org.users.get(`${name}@example.com`)?.groups).toEqual(['All Staff', 'confluence-users']);
  }
  expect(await world.app.sync.links.state('seats')).toEqual({ used: 2, waiting: 0 });
}

async function callsPerPhase(): Promise<[number, number]> {
  const count = counter();
  const world = createWorld({ policies: POLICIES, wrapPort: count.wrapPort });
  const ids = await provision(world);
  await world.settle();
  const first = count.calls();
  await deactivateFirst(world, ids);
  await world.settle();
  return [first, count.calls() - first];
}

describe('the user policies, a worker killed mid-sync', () => {
  let phases: [number, number];
  beforeAll(async () => {
    phases = await callsPerPhase();
    expect(phases[0]).toBeGreaterThan(5);
    expect(phases[1]).toBeGreaterThan(3);
  });

  for (const when of ['before', 'after'] as const) {
    it(`provisioning under the cap: killed ${when} each Atlassian call in turn, a new worker finishes`, async () => {
      for (let at = 1; at <= phases[0]; at++) {
        const kill = killer(at, when);
        const world = createWorld({ policies: POLICIES, wrapPort: kill.wrapPort, wrapStore: kill.wrapStore });
        await provision(world);
        await expect(world.settle()).rejects.toThrow(Killed);
        world.restart();
        await world.settle();
        await expectProvisioned(world);
      }
    });

    it(`deactivation frees a seat: killed ${when} each Atlassian call in turn, a new worker finishes`, async () => {
      for (let at = 1; at <= phases[1]; at++) {
        const world = createWorld({ policies: POLICIES });
        const ids = await provision(world);
        await world.settle();
        const kill = killer(at, when);
        world.restart({ wrapPort: kill.wrapPort, wrapStore: kill.wrapStore });
        const first = await deactivateFirst(world, ids);
        await expect(world.settle()).rejects.toThrow(Killed);
        world.restart();
        await world.settle();
        await expectDeactivated(world, first);
      }
    });
  }
});
