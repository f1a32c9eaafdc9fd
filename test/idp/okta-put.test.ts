/**
 * Replay of Okta's App Integration Wizard client ("SCIM 2.0 Test App (Bearer Token)"):
 * every update is a GET followed by a PUT of the full object, deactivation included, and
 * import pages through /Users with startIndex += 100 until totalResults is reached.
 * Source: https://developer.okta.com/docs/reference/scim/scim-20/ (App Integration Wizard apps:
 * PUT for every update; import paging; group push).
 */
import { createTestApp, TestApp } from '../support/harness';
import {
  expectCreated,
  expectListResponse,
  expectResource,
  GROUP_SCHEMA,
  memberIds,
  sorted,
  USER_SCHEMA,
} from './replay';

type ScimBody = Record<string, unknown>;

/** Okta's AIW update: read the user, change the copy, PUT all of it back. */
async function getThenPut(t: TestApp, id: string, change: (user: ScimBody) => ScimBody): Promise<ScimBody> {
  const current = await t.request('GET', `/Users/${id}`);
  expectResource(current, 200, USER_SCHEMA);
  const put = await t.request('PUT', `/Users/${id}`, { body: change({ ...current.body }) });
  expectResource(put, 200, USER_SCHEMA);
  expect(put.body.id).toBe(id);
  return put.body;
}

async function createOktaUser(t: TestApp, login: string, extra: ScimBody = {}): Promise<string> {
  const r = await t.request('POST', '/Users', {
    body: {
      schemas: [USER_SCHEMA],
      userName: login,
      name: { givenName: 'Pat', familyName: 'Smith' },
      emails: [{ primary: true, value: login, type: 'work' }],
      displayName: 'Pat Smith',
      active: true,
      password: 'xK9!dummy',
      groups: [],
      ...extra,
    },
  });
  expectCreated(r, USER_SCHEMA);
  return r.body.id;
}

describe('Okta App Integration Wizard client (GET then PUT for every update)', () => {
  const t = createTestApp();
  let userId: string;

  it('creates a user', async () => {
    userId = await createOktaUser(t, 'pat.smith@example.com', { title: 'Engineer' });
  });

  it('updates the profile by GET then PUT', async () => {
    const updated = await getThenPut(t, userId, (user) => ({
      ...user,
      name: { givenName: 'Patricia', familyName: 'Smith' },
    }));
    expect(updated.name).toEqual({ givenName: 'Patricia', familyName: 'Smith' });
    expect(updated.active).toBe(true);
    expect(updated.title).toBe('Engineer');
  });

  it('PUT replaces: an attribute left out of the body is removed', async () => {
    const updated = await getThenPut(t, userId, ({ title: _title, ...user }) => user);
    expect(updated).not.toHaveProperty('title');
    expect((await t.request('GET', `/Users/${userId}`)).body).not.toHaveProperty('title');
  });

  it('a PUT that leaves "active" out does not deactivate the user', async () => {
    const updated = await getThenPut(t, userId, ({ active: _active, ...user }) => ({
      ...user,
      displayName: 'Patricia Smith',
    }));
    expect(updated.active).toBe(true);
    expect(updated.displayName).toBe('Patricia Smith');
    expect((await t.request('GET', `/Users/${userId}`)).body.active).toBe(true);
  });

  it('deactivates with a PUT carrying "active": false', async () => {
    const updated = await getThenPut(t, userId, (user) => ({ ...user, active: false }));
    expect(updated.active).toBe(false);
    expect((await t.request('GET', `/Users/${userId}`)).body.active).toBe(false);
  });

  it('a PUT without "active" keeps a deactivated user deactivated', async () => {
    const updated = await getThenPut(t, userId, ({ active: _active, ...user }) => ({
      ...user,
      nickName: 'Pat',
    }));
    expect(updated.active).toBe(false);
    expect(updated.nickName).toBe('Pat');
  });

  it('reactivates with a PUT carrying "active": true', async () => {
    const updated = await getThenPut(t, userId, (user) => ({ ...user, active: true }));
    expect(updated.active).toBe(true);
  });

  it('group push by PUT: no "members" keeps them, "members": [] clears them', async () => {
    const other = await createOktaUser(t, 'sam.jones@example.com');
    const created = await t.request('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Okta Everyone', members: [{ value: userId }] },
    });
    expectCreated(created, GROUP_SCHEMA);
    const groupId: string = created.body.id;

    const withBoth = await t.request('PUT', `/Groups/${groupId}`, {
      body: {
        schemas: [GROUP_SCHEMA],
        id: groupId,
        displayName: 'Okta Everyone',
        // Listing a member twice must not duplicate it.
        members: [{ value: userId }, { value: other }, { value: other }],
      },
    });
    expectResource(withBoth, 200, GROUP_SCHEMA);
    expect(await memberIds(t, groupId)).toEqual(sorted(userId, other));

    const renamed = await t.request('PUT', `/Groups/${groupId}`, {
      body: { schemas: [GROUP_SCHEMA], id: groupId, displayName: 'Okta All Staff' },
    });
    expectResource(renamed, 200, GROUP_SCHEMA);
    expect(renamed.body.displayName).toBe('Okta All Staff');
    expect(await memberIds(t, groupId)).toEqual(sorted(userId, other));

    const emptied = await t.request('PUT', `/Groups/${groupId}`, {
      body: { schemas: [GROUP_SCHEMA], id: groupId, displayName: 'Okta All Staff', members: [] },
    });
    expectResource(emptied, 200, GROUP_SCHEMA);
    expect(await memberIds(t, groupId)).toEqual([]);
  });
});

describe('Okta import paging over 250 users', () => {
  const t = createTestApp();
  const TOTAL = 250;
  const created: string[] = [];

  /** One import pass: startIndex 1, 101, 201 … until totalResults is reached. */
  async function importAll(): Promise<string[]> {
    const seen: string[] = [];
    for (let startIndex = 1; ; startIndex += 100) {
      const r = await t.request('GET', `/Users?startIndex=${startIndex}&count=100`);
      const page = expectListResponse(r, TOTAL, startIndex);
      expect(page).toHaveLength(Math.min(100, TOTAL - startIndex + 1));
      seen.push(...page.map((u) => String(u.id)));
      if (startIndex + 100 > r.body.totalResults) break;
    }
    return seen;
  }

  beforeAll(async () => {
    for (let i = 0; i < TOTAL; i++) {
      created.push(await createOktaUser(t, `user${String(i).padStart(3, '0')}@example.com`));
    }
  });

  it('returns every user exactly once, in creation order, with the right totalResults', async () => {
    const seen = await importAll();
    expect(seen).toHaveLength(TOTAL);
    expect(new Set(seen).size).toBe(TOTAL);
    expect(seen).toEqual(created);
  });

  it('returns the same order on the next import, after updates to users on every page', async () => {
    for (const index of [0, 150, 249]) {
      await getThenPut(t, created[index], (user) => ({ ...user, displayName: `Updated ${index}` }));
    }
    expect(await importAll()).toEqual(created);
  });

  it('answers past the end with an empty page and the right total', async () => {
    const r = await t.request('GET', '/Users?startIndex=301&count=100');
    expect(expectListResponse(r, TOTAL, 301)).toEqual([]);
  });

  it('caps count at 100', async () => {
    const r = await t.request('GET', '/Users?startIndex=1&count=500');
    const page = expectListResponse(r, TOTAL);
    expect(page).toHaveLength(100);
    expect(page.map((u) => u.id)).toEqual(created.slice(0, 100));
  });
});
