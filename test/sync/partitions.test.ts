/**
 * The sync's work split into partitions (src/sync/partitions.ts), every partition's run going
 * on at once as Forge runs one consumer invocation per partition: together they reconcile the
 * directory exactly as one run does, invite each account once, create each group once, and
 * keep the seat counter (shared by all of them) right.
 */
import { readSeats } from '../../src/sync/seats';
import { partitionOf, SYNC_PARTITIONS } from '../../src/sync/partitions';
import { applied, createGroup, createUser, createWorld, readOrg, settlePartitions } from './support';
import { policiesWith } from './user-policies-support';

describe('partitioned consumer runs', () => {
  it('place each resource in one partition, the walks of a full reconcile in partition 0', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `id-${i}`);
    const used = new Set(ids.map((id) => partitionOf({ kind: 'user', doc: { id } })));
    // Spread over the partitions, and the same answer every time (no process state).
    expect(used.size).toBe(SYNC_PARTITIONS);
    expect(partitionOf({ kind: 'user', doc: { id: 'id-7' } })).toBe(
      partitionOf({ kind: 'user', doc: { id: 'id-7' } }),
    );
    // A dry-run preview of a resource is run by the resource's own partition.
    expect(partitionOf({ kind: 'preview-group', doc: { id: 'g' } })).toBe(
      partitionOf({ kind: 'group', doc: { id: 'g' } }),
    );
    expect(partitionOf({ kind: 'all', doc: { id: 'users' } })).toBe(0);
  });

  it('a partition runs only its own jobs', async () => {
    const world = createWorld();
    const ids: string[] = [];
    for (let n = 0; n < 12; n++) ids.push(await createUser(world, `user${n}@example.com`));
    await world.app.sync.checkConnection();
    const target = partitionOf({ kind: 'user', doc: { id: ids[0] } });
    const result = await world.app.sync.run(Number.POSITIVE_INFINITY, {
      index: target,
      count: SYNC_PARTITIONS,
    });
    expect(result.pending).toBe(false);
    const org = await readOrg(world.org);
    for (const [n, id] of ids.entries()) {
      const mine = partitionOf({ kind: 'user', doc: { id } }) === target;
      expect([n, org.users.has(`user${n}@example.com`)]).toEqual([n, mine]);
    }
    // The others' jobs are left for their own runs.
    expect(await world.app.sync.queue.earliestByPartition(SYNC_PARTITIONS)).not.toHaveProperty('size', 0);
  });

  it('all at once: converge exactly, one invite per account, one creation per group, seats counted once', async () => {
    const world = createWorld({ policies: policiesWith({ seatCap: { limit: 20 } }) });
    const users: string[] = [];
    for (let n = 0; n < 32; n++) users.push(await createUser(world, `person${n}@example.com`));
    for (let g = 0; g < 6; g++)
      await createGroup(
        world,
        `Team ${g}`,
        users.filter((_, i) => i % 6 === g || i % 5 === g),
      );
    await settlePartitions(world);

    const org = await readOrg(world.org);
    const active = users.filter((_, n) => org.users.get(`person${n}@example.com`)?.status === 'active');
    // The cap holds although 16 runs took seats at once: a lost counter update would let more in.
    expect(active).toHaveLength(20);
    expect(await readSeats(world.app.sync.links)).toEqual({ used: 20, waiting: 12 });
    expect(applied(world.org, 'POST', /\/users\/invite$/)).toBe(20);
    expect(applied(world.org, 'POST', /\/directories\/[^/]+\/groups$/)).toBe(6);
    for (let g = 0; g < 6; g++) {
      const members = users
        .map((_, i) => i)
        .filter(
          (i) => (i % 6 === g || i % 5 === g) && org.users.get(`person${i}@example.com`)?.status === 'active',
        )
        .map((i) => `person${i}@example.com`)
        .sort();
      expect([g, [...(org.groups.get(`Team ${g}`)?.members ?? [])].sort()]).toEqual([g, members]);
    }

    // A seat freed: the user waiting longest takes it, counted once.
    expect((await world.scim('DELETE', `/Users/${active[0]}`)).status).toBe(204);
    await settlePartitions(world);
    expect(await readSeats(world.app.sync.links)).toEqual({ used: 20, waiting: 11 });
  });
});
