/**
 * A large group's member adds handed out in slices that run in other partitions
 * (src/sync/member-slices.ts): the adds spread over the partitions, each membership is added
 * once, and the group's own job waits for its slices before it walks, renames or deletes.
 */
import type { Directory } from '../../src/directory/directory';
import type { StoredResource } from '../../src/directory/collection';
import type { Links } from '../../src/sync/links';
import { MAX_SLICES, MemberSlices, SLICE_SIZE, sliceGroup, sliceId } from '../../src/sync/member-slices';
import { partitionOf, SYNC_PARTITIONS } from '../../src/sync/partitions';
import { SyncJob, SyncQueue } from '../../src/sync/queue';
import { SYNC_JOB } from '../../src/sync/entities';
import { Budget } from '../../src/sync/reconciler';
import {
  applied,
  createGroup,
  createUser,
  createWorld,
  readOrg,
  reconcilerOf,
  settlePartitions,
  World,
} from './support';

const MEMBERS = 120;

/** The directory's jobs and the connection, then one partition's run. */
async function runPartition(world: World, index: number): Promise<void> {
  await world.app.directory.jobs.runPending();
  await world.app.sync.checkConnection();
  await world.app.sync.run(Number.POSITIVE_INFINITY, { index, count: SYNC_PARTITIONS });
}

/** The queued member slices, by job id. */
async function queuedSlices(world: World): Promise<Map<string, SyncJob>> {
  const slices = new Map<string, SyncJob>();
  let cursor: string | undefined;
  do {
    const page = await world.local.query<SyncJob>({
      entity: SYNC_JOB,
      index: 'by-at',
      where: { op: 'greaterThanEqualTo', value: 0 },
      limit: 100,
      cursor,
    });
    for (const { value } of page.results) if (value.kind === 'members') slices.set(value.doc.id, value);
    cursor = page.nextCursor;
  } while (cursor);
  return slices;
}

/** MEMBERS users invited, and a group of all of them pushed; its own partition has run. */
async function slicedGroup(): Promise<{ world: World; users: string[]; group: string }> {
  const world = createWorld();
  const users: string[] = [];
  for (let n = 0; n < MEMBERS; n++) users.push(await createUser(world, `member${n}@example.com`));
  await world.settle();
  const group = await createGroup(world, 'Everyone', users);
  await runPartition(world, partitionOf({ kind: 'group', doc: { id: group } }));
  return { world, users, group };
}

const addsTo = (world: World) => applied(world.org, 'POST', /\/groups\/[^/]+\/memberships$/);

describe('member slices', () => {
  it("hand a new group's adds out across partitions, and add each membership once", async () => {
    const { world, group } = await slicedGroup();
    // The group's job created the group and queued its adds, without adding any itself (a
    // slice that hashes to the group's own partition may have run in the same run).
    const slices = await queuedSlices(world);
    const all = Math.ceil(MEMBERS / SLICE_SIZE);
    expect(slices.size).toBeGreaterThan(0);
    expect(slices.size).toBeLessThanOrEqual(all);
    expect((await readOrg(world.org)).groups.get('Everyone')?.members.length).toBeLessThanOrEqual(
      (all - slices.size) * SLICE_SIZE,
    );
    expect([...slices.keys()].map(sliceGroup)).toEqual([...slices.keys()].map(() => group));
    expect((await world.app.sync.links.group(group))?.sliced).toBe(all);

    await settlePartitions(world);
    expect((await readOrg(world.org)).groups.get('Everyone')?.members).toHaveLength(MEMBERS);
    expect(addsTo(world)).toBe(MEMBERS);
    let links = 0;
    let cursor: string | undefined;
    do {
      const page = await world.app.sync.links.members('group', group, cursor);
      links += page.results.filter((r) => r.value.doc.created && !r.value.doc.adding).length;
      cursor = page.nextCursor;
    } while (cursor);
    expect(links).toBe(MEMBERS);
  });

  it('queueing slices asks for a run of each of their partitions at once, not when the run ends', async () => {
    const world = createWorld();
    const asked: number[][] = [];
    const queue = new SyncQueue(
      world.local,
      () => world.clock.now,
      async (partitions) => {
        asked.push(partitions);
      },
    );
    const slices = new MemberSlices(world.app.directory, world.app.sync.links, queue);
    const plan = Array.from({ length: 6 }, (_, k) => ({ until: `slot-${k}` }));
    await slices.queueSlices('g-1', { groupId: 'a-1', created: true }, plan, false);
    const expected = new Set(
      plan.map((_, k) => partitionOf({ kind: 'members', doc: { id: sliceId('g-1', k) } })),
    );
    expect(asked).toEqual([[...expected]]);
    // A dry run's queue marks nothing, so it asks for nothing.
    const planning = world.app.sync.links.planOnly();
    await new MemberSlices(world.app.directory, planning, queue.planOnly()).queueSlices(
      'g-2',
      { created: true },
      plan,
      false,
    );
    expect(asked).toHaveLength(1);
  });

  it('spread over the partitions: each slice is placed by its own id, not by its group', () => {
    const placed = new Set(
      Array.from({ length: 64 }, (_, k) => partitionOf({ kind: 'members', doc: { id: sliceId('g-1', k) } })),
    );
    expect(placed.size).toBeGreaterThan(SYNC_PARTITIONS / 2);
  });

  it("the group's own job waits for its slices before it walks the group again", async () => {
    const { world, users, group } = await slicedGroup();
    const before = (await readOrg(world.org)).groups.get('Everyone')?.members ?? [];
    const slices = await queuedSlices(world);
    expect(slices.size).toBeGreaterThan(0);
    const kept = users.slice(10);
    const put = await world.scim('PUT', `/Groups/${group}`, {
      displayName: 'Everyone',
      members: kept.map((value) => ({ value })),
    });
    expect(put.status).toBe(200);
    // Only the group's partition: its slices (elsewhere) are still queued, so it waits.
    await runPartition(world, partitionOf({ kind: 'group', doc: { id: group } }));
    const waiting = await world.app.sync.queue.get('group', group);
    expect(waiting?.at).toBeGreaterThan(world.clock.now);
    expect(waiting?.doc.attempts ?? 0).toBe(0);
    // Neither added nor removed anything: the group is as the slices that ran (those that hash
    // to the group's own partition, if any) left it, and the others are still queued.
    expect((await readOrg(world.org)).groups.get('Everyone')?.members).toEqual(before);
    expect(await queuedSlices(world)).toEqual(slices);

    await settlePartitions(world);
    expect((await readOrg(world.org)).groups.get('Everyone')?.members).toHaveLength(kept.length);
    // Each kept membership added once; a removed one only if a slice had added it before.
    const removedEarly = before.filter((email) => /^member\d@/.test(email)).length;
    expect(addsTo(world)).toBe(kept.length + removedEarly);
    expect((await world.app.sync.links.group(group))?.sliced).toBeUndefined();
  });

  it.each([1, 2, 3])(
    'with one request in five failing (429, 500, timeouts; seed %i), converge exactly without a duplicate add',
    async (seed) => {
      const { world, group } = await slicedGroup();
      world.org.faults.configure({ rate: 0.2, seed });
      // Members leave while the slices retry: the group is pushed again without some.
      const users = (
        await world.app.directory.memberships.ofGroup((await world.app.directory.groups.get(group))!)
      ).results.map(({ value }) => value.user);
      await world.scim('PUT', `/Groups/${group}`, {
        displayName: 'Everyone',
        members: users.slice(10).map((value) => ({ value })),
      });
      await settlePartitions(world);
      world.org.faults.configure({ rate: 0 });
      expect((await readOrg(world.org)).groups.get('Everyone')?.members).toHaveLength(
        (await world.app.directory.memberships.ofGroup((await world.app.directory.groups.get(group))!))
          .results.length,
      );
      const successes = new Map<string, number>();
      for (const call of world.org.calls)
        if (
          call.method === 'POST' &&
          /\/groups\/[^/]+\/memberships$/.test(call.path) &&
          call.status < 300 &&
          // A lost answer (timeout after the change) is retried, as it must be: not a duplicate.
          call.fault === undefined
        )
          successes.set(JSON.stringify(call.body), (successes.get(JSON.stringify(call.body)) ?? 0) + 1);
      expect([...successes.values()].filter((n) => n > 1)).toEqual([]);
    },
  );

  it('a group deleted while its slices are queued goes once they are done, with its links', async () => {
    const { world, group } = await slicedGroup();
    expect((await world.scim('DELETE', `/Groups/${group}`)).status).toBe(204);
    await settlePartitions(world);
    expect((await readOrg(world.org)).groups.has('Everyone')).toBe(false);
    expect(await world.app.sync.links.group(group)).toBeUndefined();
    expect((await world.app.sync.links.members('group', group)).results).toEqual([]);
  });

  it('a crash after `sliced` was recorded, before the slices were queued: the next walk slices again', async () => {
    const { world, group } = await slicedGroup();
    const slices = await queuedSlices(world);
    // As if the worker stopped between the group's link and its slices' marks: none queued,
    // and the group's job (which the crash left unsettled) still due.
    await world.local.transact([
      ...[...slices.keys()].map((id) => ({
        type: 'delete' as const,
        entity: SYNC_JOB,
        key: `members:${id}`,
      })),
      world.app.sync.queue.markOperation('group', group),
    ]);
    await settlePartitions(world);
    expect((await readOrg(world.org)).groups.get('Everyone')?.members).toHaveLength(MEMBERS);
    expect(addsTo(world)).toBe(MEMBERS);
  });

  it('a slice whose run ran out of time continues after the last member it added', async () => {
    const { world, group } = await slicedGroup();
    const reconciler = reconcilerOf(world);
    // One slice over the whole group (two pages of members), always past its deadline.
    const last = (await queuedSlices(world)).get(sliceId(group, 4))?.doc.until as string;
    const stops: string[] = [];
    let resumeAfter: string | undefined;
    do {
      const result = await reconciler.members(sliceId(group, 0), last, {
        budget: new Budget(10_000),
        attempt: 1,
        deadline: 0,
        resumeAfter,
      });
      expect(['continue', 'done']).toContain(result.type);
      resumeAfter = result.type === 'continue' ? result.after : undefined;
      if (resumeAfter) stops.push(resumeAfter);
    } while (resumeAfter);
    expect(stops).toHaveLength(1);
    expect((await readOrg(world.org)).groups.get('Everyone')?.members).toHaveLength(MEMBERS);
    expect(addsTo(world)).toBe(MEMBERS);
  });

  it('cut a group into at most MAX_SLICES contiguous slices covering every membership once', async () => {
    const slots = Array.from({ length: 2_000 }, (_, i) => `0000000001:user-${String(i).padStart(5, '0')}`);
    const pages = <T>(values: T[], cursor?: string) => {
      const from = Number(cursor ?? 0);
      const next = from + 100 < values.length ? String(from + 100) : undefined;
      return { results: values.slice(from, from + 100), nextCursor: next };
    };
    const directory = {
      memberships: {
        ofGroup: async (_group: unknown, cursor?: string) =>
          pages(
            slots.map((slot) => ({ key: slot, value: { slot } })),
            cursor,
          ),
      },
    } as unknown as Directory;
    const links = { members: async () => ({ results: [] }) } as unknown as Links;
    const plan = await new MemberSlices(directory, links, {} as SyncQueue).plan({
      id: 'g',
      seq: 1,
    } as StoredResource);
    expect(plan).toBeDefined();
    const size = Math.max(SLICE_SIZE, Math.ceil(slots.length / MAX_SLICES));
    expect(plan).toHaveLength(Math.ceil(slots.length / size));
    expect(plan!.length).toBeLessThanOrEqual(MAX_SLICES);
    expect(plan![0].after).toBeUndefined();
    for (let k = 1; k < plan!.length; k++) expect(plan![k].after).toBe(plan![k - 1].until);
    expect(plan!.at(-1)?.until).toBe(slots.at(-1));
    expect(sliceGroup(sliceId('a:b', 3))).toBe('a:b');
  });
});
