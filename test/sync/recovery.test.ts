/**
 * The worker dies at every possible point of a sync (before or after each Atlassian call
 * takes effect, and its storage with it), then a new worker over the same storage finishes:
 * the organization ends exactly in the desired state, with no duplicate invite or group.
 * Also: bounded batches, and memberships whose users are not invited yet.
 */
import type { AtlassianPort } from '../../src/atlassian/port';
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { Budget } from '../../src/sync/reconciler';
import {
  applied,
  createGroup,
  createUser,
  createWorld,
  killer,
  Killed,
  readOrg,
  reconcilerOf,
  World,
} from './support';

const INVITES = /\/users\/invite$/;
const GROUP_CREATES = /\/directories\/[^/]+\/groups$/;

/** Phase 1: two new users, one existing account, a group of all three. */
async function provision(world: World) {
  const alice = await createUser(world, 'alice@example.com');
  const bob = await createUser(world, 'bob@example.com');
  const ada = await createUser(world, SEED_ACCOUNTS.existing);
  const group = await createGroup(world, 'Engineering', [alice, bob, ada]);
  return { alice, bob, ada, group };
}

/** Phase 2: bob deactivated, alice deleted, a second group created then deleted. */
async function change(world: World, ids: { alice: string; bob: string; ada: string }) {
  expect(
    (
      await world.scim('PATCH', `/Users/${ids.bob}`, {
        Operations: [{ op: 'replace', value: { active: false } }],
      })
    ).status,
  ).toBe(204);
  expect((await world.scim('DELETE', `/Users/${ids.alice}`)).status).toBe(204);
  const sales = await createGroup(world, 'Sales', [ids.ada, ids.bob]);
  expect((await world.scim('DELETE', `/Groups/${sales}`)).status).toBe(204);
}

async function expectProvisioned(world: World) {
  const org = await readOrg(world.org);
  expect(org.users.get('alice@example.com')).toMatchObject({ status: 'active', groups: ['Engineering'] });
  expect(org.users.get('bob@example.com')).toMatchObject({ status: 'active', groups: ['Engineering'] });
  expect(org.groups.get('Engineering')?.members).toHaveLength(3);
  expect(applied(world.org, 'POST', INVITES)).toBe(2);
  expect(applied(world.org, 'POST', GROUP_CREATES)).toBe(1);
}

async function expectChanged(world: World) {
  const org = await readOrg(world.org);
  expect(org.users.get('alice@example.com')).toMatchObject({ status: 'suspended', groups: [] });
  expect(org.users.get('bob@example.com')).toMatchObject({ status: 'suspended', groups: ['Engineering'] });
  expect(org.groups.get('Engineering')?.members).toEqual([SEED_ACCOUNTS.existing, 'bob@example.com']);
  expect(org.groups.has('Sales')).toBe(false);
  expect(applied(world.org, 'POST', INVITES)).toBe(2);
  expect(applied(world.org, 'POST', GROUP_CREATES)).toBeLessThanOrEqual(2);
}

/** Atlassian calls a clean run of each phase makes. */
async function callsPerPhase(): Promise<[number, number]> {
  let count = 0;
  const counting = (port: AtlassianPort): AtlassianPort =>
    new Proxy(port, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          count++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const world = createWorld({ wrapPort: counting });
  const ids = await provision(world);
  await world.settle();
  const first = count;
  await change(world, ids);
  await world.settle();
  return [first, count - first];
}

describe('a worker killed mid-sync', () => {
  let phases: [number, number];
  beforeAll(async () => {
    phases = await callsPerPhase();
    expect(phases[0]).toBeGreaterThan(5);
    expect(phases[1]).toBeGreaterThan(5);
  });

  for (const when of ['before', 'after'] as const) {
    it(`provisioning: killed ${when} each Atlassian call in turn, a new worker finishes`, async () => {
      for (let at = 1; at <= phases[0]; at++) {
        const kill = killer(at, when);
        const world = createWorld({ wrapPort: kill.wrapPort, wrapStore: kill.wrapStore });
        await provision(world);
        await expect(world.settle()).rejects.toThrow(Killed);
        expect(kill.killed()).toBe(true);
        world.restart();
        await world.settle();
        await expectProvisioned(world);
      }
    });

    it(`changes and deletions: killed ${when} each Atlassian call in turn, a new worker finishes`, async () => {
      for (let at = 1; at <= phases[1]; at++) {
        const world = createWorld();
        const ids = await provision(world);
        await world.settle();
        const kill = killer(at, when);
        world.restart({ wrapPort: kill.wrapPort, wrapStore: kill.wrapStore });
        await change(world, ids);
        await expect(world.settle()).rejects.toThrow(Killed);
        world.restart();
        await world.settle();
        await expectChanged(world);
      }
    });
  }
});

describe('batches and order', () => {
  it('takes a bounded batch of Atlassian calls per run and leaves the rest queued', async () => {
    const world = createWorld({ callsPerRun: 4 });
    await provision(world);
    const first = await world.runOnce();
    expect(first).toMatchObject({ connected: true, pending: true });
    expect(await world.app.sync.queue.count()).toBeGreaterThan(0);
    const runs = await world.settle();
    expect(runs).toBeGreaterThan(2);
    await expectProvisioned(world);
  });

  it('a group reconciled before its users waits for them, then gets its members', async () => {
    const world = createWorld();
    const ids = await provision(world);
    // The users' marks are made newer than the group's: the group runs first.
    world.clock.advance(1_000);
    await world.app.sync.queue.mark('user', [ids.alice, ids.bob, ids.ada]);
    const job = await world.app.sync.queue.get('group', ids.group);
    expect(job).toBeDefined();
    await world.settle();
    await expectProvisioned(world);
  });

  it('a change made while its resource is being reconciled is not lost', async () => {
    const world = createWorld();
    const alice = await createUser(world, 'alice@example.com');
    // The identity provider deactivates alice while the worker is inviting her.
    let changed = false;
    world.restart({
      wrapPort: (port) =>
        new Proxy(port, {
          get(target, property, receiver) {
            const value: unknown = Reflect.get(target, property, receiver);
            if (property !== 'invite' || typeof value !== 'function') return value;
            return async (...args: unknown[]) => {
              const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(
                target,
                args,
              );
              if (!changed) {
                changed = true;
                await world.scim('PATCH', `/Users/${alice}`, {
                  Operations: [{ op: 'replace', path: 'active', value: false }],
                });
              }
              return result;
            };
          },
        }),
    });
    await world.settle();
    expect(changed).toBe(true);
    const org = await readOrg(world.org);
    expect(org.users.get('alice@example.com')?.status).toBe('suspended');
  });

  it('walks a large group a page at a time, resuming where the last run stopped', async () => {
    const world = createWorld();
    const ids: string[] = [];
    for (let i = 0; i < 150; i++) ids.push(await createUser(world, `member${i}@example.com`));
    await world.settle();
    // 110 members first (added by member slices, test/sync/member-slices.test.ts), then 40
    // more: too few to slice, so the group's own walk adds them, across two pages of members.
    const group = await createGroup(world, 'Everyone', ids.slice(0, 110));
    await world.settle();
    await world.scim('PUT', `/Groups/${group}`, {
      displayName: 'Everyone',
      members: ids.map((value) => ({ value })),
    });
    const reconciler = reconcilerOf(world);
    // Always past its deadline: each call does one page and says where it stopped.
    const stops: (string | undefined)[] = [];
    let resumeAfter: string | undefined;
    do {
      const result = await reconciler.group(group, {
        budget: new Budget(10_000),
        attempt: 1,
        deadline: 0,
        resumeAfter,
      });
      resumeAfter = result.type === 'continue' ? result.after : undefined;
      expect(['continue', 'done']).toContain(result.type);
      stops.push(resumeAfter?.slice(0, 2));
    } while (resumeAfter);
    expect(stops).toEqual(['a>', 'r>', undefined]);
    expect((await readOrg(world.org)).groups.get('Everyone')?.members).toHaveLength(150);

    // Through the worker: a page left over is continued in the same run, or the next.
    await world.scim('PUT', `/Groups/${group}`, { displayName: 'Everyone', members: [] });
    await world.settle();
    expect((await readOrg(world.org)).groups.get('Everyone')?.members).toEqual([]);
  });
});
