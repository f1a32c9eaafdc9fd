/**
 * Dry run: with the policy on, every sync run plans and logs instead of writing (the log
 * shows the plan, the organization is untouched, no link is recorded), and turning it off
 * applies what was planned. An admin's dry-run "reconcile now" previews a full reconcile on
 * jobs of its own, even with the policy off, and leaves the real marks alone.
 */
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { SYNC_JOB } from '../../src/sync/entities';
import { DEFAULT_POLICIES, Policies } from '../../src/policies/policies';
import type { EntityStore, WriteOperation } from '../../src/storage/port';
import { createGroup, createUser, createWorld, provisioned, readOrg, World } from './support';

const dryRun: Policies = { ...DEFAULT_POLICIES, dryRun: true };

/** Calls that change the organization: anything but GET and a search. */
const writes = (world: World, from = 0) =>
  world.org.calls.slice(from).filter((c) => c.method !== 'GET' && !c.path.endsWith('/search'));

async function planned(world: World, resource: string) {
  const page = await world.app.sync.log.query({ resource, status: 'planned', limit: 100 });
  return page.entries.map((e) => [e.operation, e.why]);
}

describe('the dry-run policy', () => {
  it('plans and logs every write, changes nothing, and applies the plan once turned off', async () => {
    const world = createWorld({ policies: dryRun });
    const alice = await createUser(world, 'alice@example.com');
    const ada = await createUser(world, SEED_ACCOUNTS.existing);
    const group = await createGroup(world, 'Engineering', [alice, ada]);
    await world.settle();

    expect(writes(world)).toEqual([]);
    const org = await readOrg(world.org);
    expect(org.users.has('alice@example.com')).toBe(false);
    expect(org.groups.has('Engineering')).toBe(false);
    expect(await planned(world, alice)).toContainEqual(['invite', 'user provisioned']);
    expect(await planned(world, ada)).toContainEqual(['link', 'an account with this e-mail exists']);
    // (Planned as often as it is reconciled: connecting reconciles everything once more.)
    expect(new Set((await planned(world, group)).map((p) => p.join(': ')))).toEqual(
      new Set(['createGroup: group provisioned']),
    );
    for (const entry of (await world.app.sync.log.query({ status: 'planned', limit: 100 })).entries) {
      expect(entry.result).not.toMatch(/^account |^group /);
    }
    // Nothing is recorded as done: links would be trusted later.
    expect(await world.app.sync.links.user(alice)).toBeUndefined();
    expect(await world.app.sync.links.user(ada)).toBeUndefined();
    expect(await world.app.sync.links.group(group)).toBeUndefined();

    // A full reconcile under the policy is a dry run too, and says so.
    const started = await world.app.sync.startFullReconcile({ trigger: 'schedule' });
    expect(started).toMatchObject({ state: 'running', dryRun: true });
    await world.settle();
    expect(await world.app.sync.reconcileProgress()).toMatchObject({
      state: 'done',
      dryRun: true,
      users: { done: 2, total: 2 },
      groups: { done: 1, total: 1 },
    });
    expect(writes(world)).toEqual([]);

    world.policies = DEFAULT_POLICIES;
    await world.settle();
    const after = await readOrg(world.org);
    expect(after.groups.get('Engineering')?.members).toEqual([SEED_ACCOUNTS.existing, 'alice@example.com']);
    const resumed = await world.app.sync.log.query({ resource: '-', status: 'ok' });
    expect(resumed.entries.map((e) => e.operation)).toContain('dry run');
  });
});

describe('a dry-run reconcile now with the policy off', () => {
  it('previews the repairs on its own jobs, changes nothing, and leaves the real marks to do their work', async () => {
    const jobKeys: string[] = [];
    const recording = (store: EntityStore): EntityStore => ({
      get: (entity, key) => store.get(entity, key),
      createIfAbsent: (entity, key, value) => store.createIfAbsent(entity, key, value),
      query: (query) => store.query(query),
      transact: (operations: WriteOperation[]) => {
        for (const op of operations) if (op.entity === SYNC_JOB && op.type === 'set') jobKeys.push(op.key);
        return store.transact(operations);
      },
    });
    const world = createWorld({ wrapStore: recording });
    const { bob, group, groupId, api, account } = await provisioned(world);
    const bobAccount = await account('bob@example.com');
    expect((await api.call('DELETE', `${api.d}/groups/${groupId}/memberships/${bobAccount}`)).status).toBe(
      204,
    );
    const bobMember = await world.app.sync.links.member(group, bob);

    // A real change waits in the queue while the preview starts.
    const carol = await createUser(world, 'carol@example.com');
    const carolMark = await world.app.sync.queue.get('user', carol);
    expect(carolMark).toBeDefined();
    jobKeys.length = 0;
    const calls = world.org.calls.length;
    const started = await world.app.sync.startFullReconcile({ trigger: 'admin', dryRun: true });
    expect(started).toMatchObject({ state: 'running', trigger: 'admin', dryRun: true });
    expect(await world.app.sync.queue.get('user', carol)).toEqual(carolMark);
    await world.settle();

    // The preview wrote only its own jobs (and the real mark ran for real: carol is invited).
    const previewKeys = jobKeys.filter((key) => !key.startsWith(`user:${carol}`));
    expect(previewKeys.length).toBeGreaterThan(0);
    for (const key of previewKeys) expect(key).toMatch(/^preview-(all|user|group):/);
    const org = await readOrg(world.org);
    expect(org.users.get('carol@example.com')?.status).toBe('active');
    expect(org.groups.get('Engineering')?.members).toEqual(['alice@example.com']);
    expect(writes(world, calls).filter((c) => !c.path.endsWith('/users/invite'))).toEqual([]);
    expect(await planned(world, group)).toEqual([
      ['addMember', `membership missing in Atlassian (${bobAccount})`],
    ]);
    expect(await world.app.sync.links.member(group, bob)).toEqual(bobMember);
    expect(await world.app.sync.reconcileProgress()).toMatchObject({
      state: 'done',
      dryRun: true,
      users: { done: 3, total: 3 },
      groups: { done: 1, total: 1 },
      changes: 1,
    });

    // The real one repairs it.
    const real = await world.app.sync.startFullReconcile({ trigger: 'admin' });
    expect(real.dryRun).toBe(false);
    await world.settle();
    expect((await readOrg(world.org)).groups.get('Engineering')?.members).toEqual([
      'alice@example.com',
      'bob@example.com',
    ]);
  });
});
