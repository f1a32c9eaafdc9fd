/**
 * A walk interrupted in one consumer invocation resumes in the next without a storage query
 * cursor. Forge's `entities-api-query` page says not to persist query cursors ("they may not
 * always be stable"), and a cursor presented in another invocation than the one that got it
 * may be refused (400 INVALID_CURSOR). Here the store refuses exactly that: every cursor it
 * issued before the current consumer run is invalid. A group too large for one run's batch
 * of Atlassian calls is added, checked by a full reconcile and half emptied, a batch per run,
 * and each member is added, checked and removed exactly once.
 */
import type { AtlassianPort } from '../../src/atlassian/port';
import { EntityStore, IndexQuery, QueryPage, StorageLimitError } from '../../src/storage/port';
import { createGroup, createUser, createWorld, readOrg, World } from './support';

/** A store whose query cursors are only good within the consumer run that got them. */
function perInvocationCursors() {
  let issued = new Set<string>();
  const refused: string[] = [];
  const wrapStore = (store: EntityStore): EntityStore => ({
    get: (entity, key) => store.get(entity, key),
    createIfAbsent: (entity, key, value) => store.createIfAbsent(entity, key, value),
    transact: (operations) => store.transact(operations),
    async query<T>(query: IndexQuery): Promise<QueryPage<T>> {
      if (query.cursor !== undefined && !issued.has(query.cursor)) {
        refused.push(`${query.entity}/${query.index}`);
        throw new StorageLimitError('The cursor was not issued in this invocation.', 'INVALID_CURSOR');
      }
      const page = await store.query<T>(query);
      if (page.nextCursor) issued.add(page.nextCursor);
      return page;
    },
  });
  return {
    wrapStore,
    refused,
    /** A new invocation: nothing issued before it is accepted any more. */
    invocation: () => {
      issued = new Set();
    },
  };
}

/**
 * Records the membership calls the worker makes, by Atlassian group. `paged: false` takes the
 * directory's paged reads away, as a connection without them (the site-admin mode) has none.
 */
function membershipCalls() {
  const calls = { isMember: [] as string[], addMember: [] as string[], removeMember: [] as string[] };
  const mode = { paged: true };
  const wrapPort = (port: AtlassianPort): AtlassianPort =>
    Object.assign(Object.create(port) as AtlassianPort, {
      pages: mode.paged ? port.pages : undefined,
      isMember: (groupId: string, accountId: string) => {
        calls.isMember.push(accountId);
        return port.isMember(groupId, accountId);
      },
      addMember: (groupId: string, accountId: string) => {
        calls.addMember.push(accountId);
        return port.addMember(groupId, accountId);
      },
      removeMember: (groupId: string, accountId: string) => {
        calls.removeMember.push(accountId);
        return port.removeMember(groupId, accountId);
      },
    });
  const reset = () => {
    calls.isMember = [];
    calls.addMember = [];
    calls.removeMember = [];
  };
  return { wrapPort, calls: () => calls, reset, mode };
}

/** Runs one consumer invocation at a time (cursors invalid between them) until settled. */
async function settleAcrossInvocations(world: World, cursors: { invocation: () => void }): Promise<number> {
  const runOnce = world.runOnce.bind(world);
  world.runOnce = () => {
    cursors.invocation();
    return runOnce();
  };
  try {
    return await world.settle(400);
  } finally {
    world.runOnce = runOnce;
  }
}

const sorted = (values: string[]) => [...values].sort();

describe('resumable walks keep a key, not a storage cursor', () => {
  jest.setTimeout(120_000);

  it('adds, checks and removes every member of a group walked over many runs exactly once', async () => {
    const cursors = perInvocationCursors();
    const port = membershipCalls();
    // 15 calls a run: a new member of a group the app created costs one (addMember, no
    // isMember first), so 230 take more than a dozen runs.
    const world = createWorld({ callsPerRun: 15, wrapStore: cursors.wrapStore, wrapPort: port.wrapPort });
    const emails: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 230; i++) {
      emails.push(`member${String(i).padStart(3, '0')}@example.com`);
      ids.push(await createUser(world, emails[i]));
    }
    await settleAcrossInvocations(world, cursors);
    const accounts = new Map([...(await readOrg(world.org)).users].map(([email, u]) => [email, u.accountId]));
    const accountOf = (email: string) => accounts.get(email) as string;

    // Added: more than two storage pages of members, more than ten runs.
    port.reset();
    const group = await createGroup(world, 'Everyone', ids);
    const runs = await settleAcrossInvocations(world, cursors);
    expect(runs).toBeGreaterThan(10);
    expect((await readOrg(world.org)).groups.get('Everyone')?.members).toEqual(sorted(emails));
    expect(sorted(port.calls().addMember)).toEqual(sorted(emails.map(accountOf)));
    expect(port.calls().isMember).toEqual([]);

    // A full reconcile that reads the directory in pages finds nothing drifted: no member
    // is checked one by one, and every user and group is counted.
    port.reset();
    await world.app.sync.startFullReconcile({ trigger: 'admin' });
    await settleAcrossInvocations(world, cursors);
    expect(port.calls().isMember).toEqual([]);
    expect(port.calls().addMember).toEqual([]);
    expect(await world.app.sync.reconcileProgress()).toMatchObject({
      state: 'done',
      users: { done: 230, total: 230 },
      groups: { done: 1, total: 1 },
    });

    // Without the paged reads (site-admin mode), it checks each membership once, over
    // several runs.
    port.reset();
    port.mode.paged = false;
    await world.app.sync.startFullReconcile({ trigger: 'admin' });
    await settleAcrossInvocations(world, cursors);
    port.mode.paged = true;
    expect(sorted(port.calls().isMember)).toEqual(sorted(emails.map(accountOf)));
    expect(port.calls().addMember).toEqual([]);
    expect((await world.app.sync.reconcileProgress()).state).toBe('done');

    // Half leave: each removed once, none of the others touched.
    port.reset();
    const staying = ids.filter((_, i) => i % 2 === 0);
    const leaving = emails.filter((_, i) => i % 2 === 1);
    const put = await world.scim('PUT', `/Groups/${group}`, {
      displayName: 'Everyone',
      members: staying.map((value) => ({ value })),
    });
    expect(put.status).toBe(200);
    await settleAcrossInvocations(world, cursors);
    expect(sorted(port.calls().removeMember)).toEqual(sorted(leaving.map(accountOf)));
    expect((await readOrg(world.org)).groups.get('Everyone')?.members).toEqual(
      sorted(emails.filter((_, i) => i % 2 === 0)),
    );

    // No walk ever presented a cursor from an earlier invocation.
    expect(cursors.refused).toEqual([]);
  });

  it('starts a member walk over when its job holds a resume point written with a cursor', async () => {
    const world = createWorld();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await createUser(world, `old${i}@example.com`));
    await world.settle();
    const group = await createGroup(world, 'Legacy', ids);
    // As an older version left it: a storage cursor to resume from, past every member.
    const { queue } = world.app.sync;
    for (const cursor of ['a:eyJub3QiOiJ2YWxpZCJ9', 'A:2:eyJub3QiOiJ2YWxpZCJ9', 'r:eyJub3QiOiJ2YWxpZCJ9']) {
      await world.local.transact([queue.markOperation('group', group, undefined, { cursor })]);
      await world.settle();
      expect((await readOrg(world.org)).groups.get('Legacy')?.members).toHaveLength(3);
    }
    // A "reconcile all" walk of the same age walks the directory from the start.
    await world.local.transact([
      queue.markOperation('all', 'users', undefined, { cursor: 'eyJub3QiOiJ2YWxpZCJ9' }),
      queue.markOperation('all', 'groups', undefined, { cursor: 'eyJub3QiOiJ2YWxpZCJ9' }),
    ]);
    await world.settle();
    expect(await queue.count()).toBe(0);
  });
});
