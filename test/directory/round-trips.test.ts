/**
 * Storage round-trip budgets. On Forge every store call is a network round trip counted
 * against the installation's rate limits, and a web trigger has 55 s; what an identity
 * provider does most (look a user up, create one, add one member, page through users) must
 * cost a small constant number of calls, whatever the size of the directory.
 */
import type { StoredResource } from '../../src/directory/collection';
import type { ScimResult, TestApp } from '../support/harness';
import { createTestApp, filter } from '../support/harness';
import { seedGroup, seedUsers } from '../support/seed';
import type { RoundTrips } from '../support/counting-store';

interface Cost {
  total: number;
  counts: RoundTrips;
  response: ScimResult;
}

/** Runs one request with the round-trip counter reset before it. */
async function measure(t: TestApp, method: string, path: string, body?: unknown): Promise<Cost> {
  t.store.reset();
  const response = await t.request(method, path, {
    ...(body === undefined ? {} : { body }),
    deferJobs: true,
  });
  const cost = { total: t.store.total, counts: { ...t.store.counts }, response };
  await t.runJobs();
  return cost;
}

/** Fails with the per-kind counts in the message, to show which kind of call grew. */
function expectWithinBudget(cost: Cost, budget: number): void {
  expect({ total: cost.total, counts: cost.counts, withinBudget: cost.total <= budget }).toMatchObject({
    withinBudget: true,
  });
}

const addMember = (userId: string) => ({
  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
  Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }],
});

describe('lookups by the attributes identity providers filter on', () => {
  let t: TestApp;
  let ids: string[];

  beforeAll(async () => {
    t = createTestApp();
    ids = await seedUsers(t.app.directory, 300);
    // An externalId the way Entra and Okta set it, on a user in the middle of the directory.
    await t.app.directory.users.update(ids[150], (current) => ({
      doc: { ...current.doc, externalId: 'ext-150' },
    }));
  });

  it('by userName, case-insensitively: at most 2 round trips', async () => {
    const cost = await measure(t, 'GET', `/Users?${filter('userName eq "USER150@Example.com"')}`);
    expect(cost.response.status).toBe(200);
    expect(cost.response.body.totalResults).toBe(1);
    expect(cost.response.body.Resources[0].id).toBe(ids[150]);
    expectWithinBudget(cost, 2);
  });

  it('by userName with no match: at most 2 round trips', async () => {
    const cost = await measure(t, 'GET', `/Users?${filter('userName eq "nobody@example.com"')}`);
    expect(cost.response.body.totalResults).toBe(0);
    expectWithinBudget(cost, 2);
  });

  it('by externalId: at most 2 round trips', async () => {
    const cost = await measure(t, 'GET', `/Users?${filter('externalId eq "ext-150"')}`);
    expect(cost.response.status).toBe(200);
    expect(cost.response.body.totalResults).toBe(1);
    expect(cost.response.body.Resources[0].id).toBe(ids[150]);
    expectWithinBudget(cost, 2);
  });
});

describe('creating a user', () => {
  it('costs at most 3 round trips (claim, counter, transaction)', async () => {
    const t = createTestApp();
    await seedUsers(t.app.directory, 50);
    const cost = await measure(t, 'POST', '/Users', {
      userName: 'new@example.com',
      externalId: 'ext-new',
      emails: [{ value: 'new@example.com', type: 'work', primary: true }],
    });
    expect(cost.response.status).toBe(201);
    expectWithinBudget(cost, 3);
  });
});

describe('adding one member to a group', () => {
  let t: TestApp;
  let users: string[];
  let small: StoredResource;
  let large: StoredResource;

  beforeAll(async () => {
    t = createTestApp();
    users = await seedUsers(t.app.directory, 2002);
    small = await seedGroup(t.app.directory, 'Small', [users[0]]);
    large = await seedGroup(t.app.directory, 'Large', users.slice(0, 2000));
  });

  it('costs at most 3 round trips for a group of 1 and the same for a group of 2,000', async () => {
    const toSmall = await measure(t, 'PATCH', `/Groups/${small.id}`, addMember(users[2000]));
    const toLarge = await measure(t, 'PATCH', `/Groups/${large.id}`, addMember(users[2001]));
    expect(toSmall.response.status).toBe(204);
    expect(toLarge.response.status).toBe(204);
    expectWithinBudget(toSmall, 3);
    expectWithinBudget(toLarge, 3);
    // The cost does not depend on the size of the group at all.
    expect(toLarge.counts).toEqual(toSmall.counts);

    const member = await t.app.directory.memberships.get(large.id, users[2001]);
    expect(member).toEqual(expect.objectContaining({ group: large.id, user: users[2001] }));
  });

  it('removing one member from the group of 2,000 costs the same', async () => {
    const cost = await measure(t, 'PATCH', `/Groups/${large.id}`, {
      Operations: [{ op: 'remove', path: `members[value eq "${users[5]}"]` }],
    });
    expect(cost.response.status).toBe(204);
    expectWithinBudget(cost, 3);
    expect(await t.app.directory.memberships.get(large.id, users[5])).toBeUndefined();
  });
});

describe('paging through users', () => {
  let t: TestApp;
  /** Live user ids in creation order: what the pages must show. */
  let live: string[];

  const page = async (startIndex: number) => {
    const cost = await measure(t, 'GET', `/Users?startIndex=${startIndex}&count=100`);
    expect(cost.response.status).toBe(200);
    return cost;
  };

  const idsOf = (cost: Cost): string[] => cost.response.body.Resources.map((r: { id: string }) => r.id);

  beforeAll(async () => {
    t = createTestApp();
    live = await seedUsers(t.app.directory, 900);
  });

  it.each([1, 101, 501])('a page of 100 at startIndex %i costs at most 3 round trips', async (startIndex) => {
    const cost = await page(startIndex);
    expectWithinBudget(cost, 3);
    expect(idsOf(cost)).toEqual(live.slice(startIndex - 1, startIndex - 1 + 100));
    expect(cost.response.body.totalResults).toBe(900);
  });

  it('the last, partial page costs at most 3 round trips', async () => {
    const cost = await page(851);
    expectWithinBudget(cost, 3);
    expect(idsOf(cost)).toEqual(live.slice(850));
  });

  describe('after deleting scattered users (every 7th)', () => {
    beforeAll(async () => {
      const remaining: string[] = [];
      for (let i = 0; i < live.length; i++) {
        if (i % 7 === 0) await t.app.directory.users.delete(live[i]);
        else remaining.push(live[i]);
      }
      live = remaining;
      // What each DELETE's background job does: fold the deletions into the order stripes.
      await t.app.directory.users.foldReleases();
    });

    it.each([1, 101, 501, 700])(
      'a page of 100 at startIndex %i still costs at most 3 round trips and shows the right users',
      async (startIndex) => {
        const cost = await page(startIndex);
        expectWithinBudget(cost, 3);
        expect(idsOf(cost)).toEqual(live.slice(startIndex - 1, startIndex - 1 + 100));
        expect(cost.response.body.totalResults).toBe(live.length);
      },
    );

    it('every page together lists every live user exactly once', async () => {
      const seen: string[] = [];
      for (let startIndex = 1; startIndex <= live.length; startIndex += 100) {
        seen.push(...idsOf(await page(startIndex)));
      }
      expect(seen).toEqual(live);
    });
  });
});

describe('deleting', () => {
  it('a user costs 3 round trips whether it is in 1 group or in 60', async () => {
    const t = createTestApp();
    const [few, many] = await seedUsers(t.app.directory, 2);
    await seedGroup(t.app.directory, 'Only', [few]);
    for (let i = 0; i < 60; i++) await seedGroup(t.app.directory, `G${i}`, [many]);
    const one = await measure(t, 'DELETE', `/Users/${few}`);
    const sixty = await measure(t, 'DELETE', `/Users/${many}`);
    expect([one.response.status, sixty.response.status]).toEqual([204, 204]);
    expectWithinBudget(one, 3);
    expect(sixty.counts).toEqual(one.counts);
  });

  it('a group costs 2 round trips, whatever its members', async () => {
    const t = createTestApp();
    const users = await seedUsers(t.app.directory, 300);
    const group = await seedGroup(t.app.directory, 'Everyone', users);
    const cost = await measure(t, 'DELETE', `/Groups/${group.id}`);
    expect(cost.response.status).toBe(204);
    expectWithinBudget(cost, 2);
  });

  it('while deletions wait to be folded into the order stripes, a page still costs 3 and is right', async () => {
    const t = createTestApp();
    const ids = await seedUsers(t.app.directory, 400);
    const gone = new Set(ids.filter((_, i) => i % 13 === 0));
    for (const id of gone) await t.app.directory.users.delete(id);
    const live = ids.filter((id) => !gone.has(id));
    for (const startIndex of [1, 150, 301]) {
      const cost = await measure(t, 'GET', `/Users?startIndex=${startIndex}&count=100`);
      expectWithinBudget(cost, 3);
      expect(cost.response.body.totalResults).toBe(live.length);
      expect(cost.response.body.Resources.map((r: { id: string }) => r.id)).toEqual(
        live.slice(startIndex - 1, startIndex - 1 + 100),
      );
    }
  });
});

describe('reading a group', () => {
  let t: TestApp;
  let group: StoredResource;
  let members: string[];

  beforeAll(async () => {
    t = createTestApp();
    members = await seedUsers(t.app.directory, 40);
    group = await seedGroup(t.app.directory, 'Readers', members);
  });

  it('with its 40 members costs at most 2 round trips (the group, one page of members)', async () => {
    const cost = await measure(t, 'GET', `/Groups/${group.id}`);
    expect(cost.response.status).toBe(200);
    expect(cost.response.body.members.map((m: { value: string }) => m.value).sort()).toEqual(
      [...members].sort(),
    );
    expectWithinBudget(cost, 2);
  });

  it('with excludedAttributes=members costs 1 round trip: members are not read at all', async () => {
    const cost = await measure(t, 'GET', `/Groups/${group.id}?excludedAttributes=members`);
    expect(cost.response.status).toBe(200);
    expect(cost.response.body.members).toBeUndefined();
    expect(cost.response.body.displayName).toBe('Readers');
    expectWithinBudget(cost, 1);
    expect(cost.counts.query).toBe(0);
  });

  it('listed with attributes=displayName costs no membership queries', async () => {
    const cost = await measure(t, 'GET', `/Groups?attributes=displayName`);
    expect(cost.response.body.Resources).toHaveLength(1);
    expect(cost.response.body.Resources[0].members).toBeUndefined();
    expectWithinBudget(cost, 2);
  });
});
