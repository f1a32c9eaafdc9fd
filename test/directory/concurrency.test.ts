/**
 * Identity providers send requests in parallel (Entra and Okta both run several workers per
 * app), so requests touching the same group or the same userName race. These tests fire
 * concurrent requests through the web trigger handler. The local store yields to the event
 * loop on every call, as a network round trip would, so the requests really interleave.
 */
import { ENTITIES } from '../../src/entities';
import { MEMBER } from '../../src/directory/entities';
import { LocalEntityStore } from '../../src/local/entity-store';
import { EntityStore, IndexQuery, QueryPage, WriteOperation } from '../../src/storage/port';
import { createTestApp, filter, ScimResult, TestApp } from '../support/harness';
import { seedGroup, seedUsers } from '../support/seed';

/** Member ids of a group as the SCIM API shows them. */
async function membersOf(t: TestApp, groupId: string): Promise<string[]> {
  const group = await t.request('GET', `/Groups/${groupId}`);
  expect(group.status).toBe(200);
  return (group.body.members ?? []).map((m: { value: string }) => m.value).sort();
}

const statuses = (results: ScimResult[]) => results.map((r) => r.status).sort();

const patchMembers = (op: 'add' | 'remove', userId: string) =>
  op === 'add'
    ? { Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] }
    : { Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }] };

async function createUser(t: TestApp, userName: string): Promise<string> {
  const created = await t.request('POST', '/Users', { body: { userName } });
  expect(created.status).toBe(201);
  return created.body.id;
}

describe('concurrent group membership changes', () => {
  it('20 concurrent PATCHes, each adding a different member, leave all 20 members', async () => {
    const t = createTestApp();
    const users = await seedUsers(t.app.directory, 20);
    const group = await t.request('POST', '/Groups', { body: { displayName: 'Racing' } });

    const results = await Promise.all(
      users.map((id) => t.request('PATCH', `/Groups/${group.body.id}`, { body: patchMembers('add', id) })),
    );

    expect(statuses(results)).toEqual(Array(20).fill(204));
    expect(await membersOf(t, group.body.id)).toEqual([...users].sort());
  });

  it('concurrent adds and removes of different members lose nothing', async () => {
    const t = createTestApp();
    const users = await seedUsers(t.app.directory, 30);
    const initial = users.slice(0, 15);
    const toRemove = initial.slice(0, 10);
    const toAdd = users.slice(15);
    const group = await seedGroup(t.app.directory, 'Churn', initial);

    const results = await Promise.all([
      ...toAdd.map((id) => t.request('PATCH', `/Groups/${group.id}`, { body: patchMembers('add', id) })),
      ...toRemove.map((id) =>
        t.request('PATCH', `/Groups/${group.id}`, { body: patchMembers('remove', id) }),
      ),
    ]);

    expect(statuses(results)).toEqual(Array(25).fill(204));
    const expected = [...initial.slice(10), ...toAdd].sort();
    expect(await membersOf(t, group.id)).toEqual(expected);
  });

  it('concurrent PATCHes of a group attribute and of its members keep both changes', async () => {
    const t = createTestApp();
    const users = await seedUsers(t.app.directory, 5);
    const group = await seedGroup(t.app.directory, 'Before');
    const results = await Promise.all([
      t.request('PATCH', `/Groups/${group.id}`, {
        body: { Operations: [{ op: 'replace', path: 'externalId', value: 'ext-1' }] },
      }),
      ...users.map((id) => t.request('PATCH', `/Groups/${group.id}`, { body: patchMembers('add', id) })),
    ]);
    expect(statuses(results)).toEqual(Array(6).fill(204));
    const after = await t.request('GET', `/Groups/${group.id}`);
    expect(after.body.externalId).toBe('ext-1');
    expect(after.body.members.map((m: { value: string }) => m.value).sort()).toEqual([...users].sort());
  });
});

describe('concurrent creates', () => {
  it('10 concurrent POSTs of one userName in different cases: exactly one 201, nine 409', async () => {
    const t = createTestApp();
    const spellings = Array.from({ length: 10 }, (_, i) =>
      [...'same.person@example.com'].map((c, j) => ((i >> (j % 4)) & 1 ? c.toUpperCase() : c)).join(''),
    );
    expect(new Set(spellings).size).toBe(10);

    const results = await Promise.all(
      spellings.map((userName) => t.request('POST', '/Users', { body: { userName } })),
    );

    expect(statuses(results)).toEqual([201, ...Array(9).fill(409)]);
    for (const loser of results.filter((r) => r.status === 409)) {
      expect(loser.body.scimType).toBe('uniqueness');
    }
    const found = await t.request('GET', `/Users?${filter('userName eq "SAME.PERSON@example.com"')}`);
    expect(found.body.totalResults).toBe(1);
    expect((await t.request('GET', '/Users')).body.totalResults).toBe(1);
  });

  it('concurrent creates of 30 distinct users all succeed, and totalResults counts them', async () => {
    const t = createTestApp();
    await createUser(t, 'existing@example.com');

    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t.request('POST', '/Users', { body: { userName: `parallel${i}@example.com` } }),
      ),
    );

    expect(statuses(results)).toEqual(Array(30).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(30);
    const list = await t.request('GET', '/Users?count=100');
    expect(list.body.totalResults).toBe(31);
    expect(list.body.Resources).toHaveLength(31);
    // Paging agrees with the count: two pages of 16 cover everyone exactly once.
    const first = await t.request('GET', '/Users?startIndex=1&count=16');
    const second = await t.request('GET', '/Users?startIndex=17&count=16');
    const ids = [...first.body.Resources, ...second.body.Resources].map((r: { id: string }) => r.id);
    expect(new Set(ids).size).toBe(31);
  });

  it('concurrent creates of distinct groups all succeed, and totalResults counts them', async () => {
    const t = createTestApp();
    const results = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        t.request('POST', '/Groups', { body: { displayName: `Team ${i}` } }),
      ),
    );
    expect(statuses(results)).toEqual(Array(15).fill(201));
    expect((await t.request('GET', '/Groups?count=100')).body.totalResults).toBe(15);
  });
});

describe('concurrent renames', () => {
  it('two groups renamed to the same displayName at once: exactly one succeeds', async () => {
    const t = createTestApp();
    const a = await seedGroup(t.app.directory, 'Alpha');
    const b = await seedGroup(t.app.directory, 'Beta');

    const results = await Promise.all([
      t.request('PATCH', `/Groups/${a.id}`, {
        body: { Operations: [{ op: 'replace', path: 'displayName', value: 'Gamma' }] },
      }),
      t.request('PATCH', `/Groups/${b.id}`, {
        body: { Operations: [{ op: 'replace', path: 'displayName', value: 'GAMMA' }] },
      }),
    ]);

    expect(statuses(results)).toEqual([204, 409]);
    const names = [
      (await t.request('GET', `/Groups/${a.id}`)).body.displayName,
      (await t.request('GET', `/Groups/${b.id}`)).body.displayName,
    ].sort();
    expect([['Alpha', 'GAMMA'].sort(), ['Beta', 'Gamma'].sort()]).toContainEqual(names);
    const gamma = await t.request('GET', `/Groups?${filter('displayName eq "gamma"')}`);
    expect(gamma.body.totalResults).toBe(1);

    // The loser kept its old name, and that name is still claimed: nobody else can take it.
    const loserName = names.find((n) => n === 'Alpha' || n === 'Beta') as string;
    const clash = await t.request('POST', '/Groups', { body: { displayName: loserName } });
    expect(clash.status).toBe(409);
    // The winner's old name was released in the same transaction as the rename.
    const winnerOld = loserName === 'Alpha' ? 'Beta' : 'Alpha';
    expect((await t.request('POST', '/Groups', { body: { displayName: winnerOld } })).status).toBe(201);
  });

  it('two users renamed (PUT) to the same userName at once: exactly one succeeds', async () => {
    const t = createTestApp();
    const a = await createUser(t, 'a@example.com');
    const b = await createUser(t, 'b@example.com');
    const results = await Promise.all([
      t.request('PUT', `/Users/${a}`, { body: { userName: 'c@example.com' } }),
      t.request('PUT', `/Users/${b}`, { body: { userName: 'C@EXAMPLE.COM' } }),
    ]);
    expect(statuses(results)).toEqual([200, 409]);
    const found = await t.request('GET', `/Users?${filter('userName eq "c@example.com"')}`);
    expect(found.body.totalResults).toBe(1);
  });
});

/**
 * A store that holds back chosen calls until the test releases them, to produce one exact
 * interleaving of two requests instead of hoping the scheduler finds it.
 */
class GatedStore implements EntityStore {
  private gate?: { match: (ops: WriteOperation[]) => boolean; opened: Promise<void>; reached: () => void };
  private open: () => void = () => undefined;
  /** Resolves when a held call has arrived at the gate. */
  arrived: Promise<void> = Promise.resolve();

  constructor(private readonly inner: EntityStore) {}

  holdTransaction(match: (ops: WriteOperation[]) => boolean): void {
    let reached: () => void = () => undefined;
    this.arrived = new Promise<void>((resolve) => (reached = resolve));
    const opened = new Promise<void>((resolve) => (this.open = resolve));
    this.gate = { match, opened, reached };
  }

  release(): void {
    this.open();
  }

  get<T>(entity: string, key: string): Promise<T | undefined> {
    return this.inner.get<T>(entity, key);
  }

  createIfAbsent(entity: string, key: string, value: object): Promise<boolean> {
    return this.inner.createIfAbsent(entity, key, value);
  }

  query<T>(query: IndexQuery): Promise<QueryPage<T>> {
    return this.inner.query<T>(query);
  }

  async transact(operations: WriteOperation[]): Promise<void> {
    const gate = this.gate;
    if (gate && gate.match(operations)) {
      this.gate = undefined;
      gate.reached();
      await gate.opened;
    }
    return this.inner.transact(operations);
  }
}

describe('a member added while the user is being deleted', () => {
  it('leaves no membership of a user that no longer exists', async () => {
    const local = new LocalEntityStore(ENTITIES);
    const gated = new GatedStore(local);
    const t = createTestApp({ store: gated });
    const user = await createUser(t, 'leaving@example.com');
    const group = await seedGroup(t.app.directory, 'Stayers');

    // The PATCH has checked that the user exists and is about to write the membership...
    gated.holdTransaction((ops) => ops.some((o) => o.entity === MEMBER && o.type === 'set'));
    const patch = t.request('PATCH', `/Groups/${group.id}`, { body: patchMembers('add', user) });
    await gated.arrived;
    // ...when the identity provider's DELETE of that user runs to completion.
    expect((await t.request('DELETE', `/Users/${user}`)).status).toBe(204);
    gated.release();
    const patched = await patch;

    // Whatever the PATCH answers, the group must not list a deleted user as a member.
    expect([204, 400, 404, 409, 503]).toContain(patched.status);
    expect((await t.request('GET', `/Users/${user}`)).status).toBe(404);
    expect(await membersOf(t, group.id)).toEqual([]);
  });
});
