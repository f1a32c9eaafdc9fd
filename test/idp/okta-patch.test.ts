/**
 * Replay of Okta's OIN SCIM 2.0 client (the "PATCH flavour"): PATCH for activate and
 * deactivate, PUT for profile updates, Group Push with a rename PATCH that carries the
 * read-only id, membership by remove-filter plus add, and the spec test's checks (integer
 * paging fields, 409 on duplicates, case-insensitive userName, 404 and 401 error bodies).
 * Source: https://developer.okta.com/docs/reference/scim/scim-20/ (OIN apps: PATCH for activation and
 * deactivation) and https://developer.okta.com/docs/guides/scim-provisioning-integration-test/main/.
 */
import { createTestApp, filter, RequestOptions } from '../support/harness';
import {
  expectCreated,
  expectListResponse,
  expectNoContent,
  expectResource,
  expectScimError,
  GROUP_SCHEMA,
  memberIds,
  PATCH_OP,
  sorted,
  USER_SCHEMA,
} from './replay';

const OKTA_AGENT = { 'User-Agent': 'Okta SCIM Client 1.0.0' };

/** The body Okta posts for a new user (O1). */
const testUser = {
  schemas: [USER_SCHEMA],
  userName: 'test.user@okta.local',
  name: { givenName: 'Test', familyName: 'User' },
  emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
  displayName: 'Test User',
  locale: 'en-US',
  externalId: '00ujl29u0le5T6Aj10h7',
  groups: [],
  password: '1mz050nq',
  active: true,
};

function patchOps(...operations: Record<string, unknown>[]): RequestOptions {
  return { body: { schemas: [PATCH_OP], Operations: operations }, headers: OKTA_AGENT };
}

describe('Okta OIN client (PATCH flavour)', () => {
  const t = createTestApp();
  let userId: string;
  let secondId: string;
  let groupId: string;

  it('Test API Credentials: GET /Users?startIndex=1&count=2 answers a ListResponse with integers', async () => {
    const r = await t.request('GET', '/Users?startIndex=1&count=2', { headers: OKTA_AGENT });
    expect(expectListResponse(r, 0)).toEqual([]);
  });

  it('existence probe with startIndex and count finds nothing: 200 with an empty list', async () => {
    const r = await t.request(
      'GET',
      '/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100',
      { headers: OKTA_AGENT },
    );
    expect(expectListResponse(r, 0)).toEqual([]);
    expect(r.body.itemsPerPage).toBe(0);
  });

  it('creates the user; the password is accepted but never returned', async () => {
    // Okta's spec test posts with application/json.
    const r = await t.request('POST', '/Users', {
      body: testUser,
      headers: { ...OKTA_AGENT, 'Content-Type': 'application/json' },
    });
    expectCreated(r, USER_SCHEMA);
    userId = r.body.id;
    expect(r.body).toMatchObject({
      userName: 'test.user@okta.local',
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
    });
    expect(r.text).not.toContain('1mz050nq');
    expect(r.body).not.toHaveProperty('password');
    // groups is computed and read-only: "groups": [] in the POST is not an error and not echoed.
    expect(r.body).not.toHaveProperty('groups');

    const again = await t.request('GET', `/Users/${userId}`);
    expect(again.text).not.toContain('1mz050nq');
  });

  it('OIN spec: GET /Users?count=1&startIndex=1 returns a populated user with numeric paging', async () => {
    const r = await t.request('GET', '/Users?count=1&startIndex=1', { headers: OKTA_AGENT });
    const [user] = expectListResponse(r, 1);
    expect(user).toMatchObject({
      id: userId,
      userName: 'test.user@okta.local',
      name: { familyName: 'User', givenName: 'Test' },
      active: true,
      emails: [expect.objectContaining({ value: 'test.user@okta.local' })],
    });
  });

  it('answers a duplicate POST with 409, the Error schema and a detail', async () => {
    const r = await t.request('POST', '/Users', { body: testUser, headers: OKTA_AGENT });
    expectScimError(r, 409, 'uniqueness');
  });

  it('matches the upper-cased userName (userName is case-insensitive)', async () => {
    const r = await t.request('GET', `/Users?${filter('userName eq "TEST.USER@OKTA.LOCAL"')}`, {
      headers: OKTA_AGENT,
    });
    expect(expectListResponse(r, 1)[0].id).toBe(userId);
  });

  it('updates the profile by GET then PUT of the full object, id and meta included', async () => {
    const current = await t.request('GET', `/Users/${userId}`, { headers: OKTA_AGENT });
    expectResource(current, 200, USER_SCHEMA);
    const put = await t.request('PUT', `/Users/${userId}`, {
      headers: OKTA_AGENT,
      body: {
        ...current.body,
        id: userId,
        groups: [],
        password: 'another-one',
        active: true,
        name: { ...current.body.name, middleName: 'Excited' },
      },
    });
    expectResource(put, 200, USER_SCHEMA);
    expect(put.body.id).toBe(userId);
    expect(put.body.name).toEqual({ givenName: 'Test', familyName: 'User', middleName: 'Excited' });
    expect(put.body).not.toHaveProperty('password');
    expect(put.headers.etag).not.toBe(current.headers.etag);
    // meta is the server's: created is kept, the client's copy is not stored.
    expect(put.body.meta.created).toBe(current.body.meta.created);
  });

  it('deactivates with a path-less replace {"active": false}, then reactivates', async () => {
    expectNoContent(
      await t.request('PATCH', `/Users/${userId}`, patchOps({ op: 'replace', value: { active: false } })),
    );
    const inactive = await t.request('GET', `/Users/${userId}`);
    expect(inactive.body.active).toBe(false);
    // Nothing else changed.
    expect(inactive.body.name.middleName).toBe('Excited');

    expectNoContent(
      await t.request('PATCH', `/Users/${userId}`, patchOps({ op: 'replace', value: { active: true } })),
    );
    expect((await t.request('GET', `/Users/${userId}`)).body.active).toBe(true);
  });

  it('Group Push: creates a group with "members": []', async () => {
    const second = await t.request('POST', '/Users', {
      headers: OKTA_AGENT,
      body: { ...testUser, userName: 'second.user@okta.local', externalId: '00ujl29u0le5T6Aj10h8' },
    });
    expectCreated(second, USER_SCHEMA);
    secondId = second.body.id;

    const r = await t.request('POST', '/Groups', {
      headers: OKTA_AGENT,
      body: { schemas: [GROUP_SCHEMA], displayName: 'Test SCIMv2', members: [] },
    });
    expectCreated(r, GROUP_SCHEMA);
    groupId = r.body.id;
    expect(r.body.displayName).toBe('Test SCIMv2');
    expect(r.body.members).toEqual([]);
  });

  it('ignores the read-only id inside a path-less rename PATCH', async () => {
    // Okta sends the group's own id with every membership update.
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${groupId}`,
        patchOps({ op: 'replace', value: { id: groupId, displayName: 'Test SCIMv2' } }),
      ),
    );
    // Even a different id must not move or re-key the group.
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${groupId}`,
        patchOps({
          op: 'replace',
          value: { id: 'abf4dd94-0000-0000-0000-000000000000', displayName: 'Test SCIMv2 renamed' },
        }),
      ),
    );
    const group = await t.request('GET', `/Groups/${groupId}`);
    expectResource(group, 200, GROUP_SCHEMA);
    expect(group.body.id).toBe(groupId);
    expect(group.body.displayName).toBe('Test SCIMv2 renamed');
    expectScimError(await t.request('GET', '/Groups/abf4dd94-0000-0000-0000-000000000000'), 404);
  });

  it('membership update: remove by filter plus add without "type"', async () => {
    const r = await t.request(
      'PATCH',
      `/Groups/${groupId}`,
      patchOps(
        { op: 'replace', value: { id: groupId, displayName: 'Test SCIMv2 renamed' } },
        // Removing someone who is not a member is harmless.
        { op: 'remove', path: `members[value eq "${secondId}"]` },
        { op: 'add', path: 'members', value: [{ value: userId, display: 'test.user@okta.local' }] },
      ),
    );
    expectNoContent(r);
    expect(await memberIds(t, groupId)).toEqual([userId]);

    const group = await t.request('GET', `/Groups/${groupId}`);
    expect(group.body.members).toEqual([
      expect.objectContaining({ value: userId, display: 'test.user@okta.local', type: 'User' }),
    ]);
  });

  it('full replace of members sets exactly the given list', async () => {
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${groupId}`,
        patchOps({ op: 'replace', path: 'members', value: [{ value: userId }, { value: secondId }] }),
      ),
    );
    expect(await memberIds(t, groupId)).toEqual(sorted(userId, secondId));

    // Adding an existing member again does not duplicate it.
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${groupId}`,
        patchOps({ op: 'add', path: 'members', value: [{ value: secondId }] }),
      ),
    );
    expect(await memberIds(t, groupId)).toEqual(sorted(userId, secondId));

    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${groupId}`,
        patchOps({ op: 'replace', path: 'members', value: [{ value: secondId }] }),
      ),
    );
    expect(await memberIds(t, groupId)).toEqual([secondId]);
  });

  it('refuses a member of type "Group": nested groups are not supported', async () => {
    const other = await t.request('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Nested candidate', members: [] },
    });
    expectCreated(other, GROUP_SCHEMA);
    const r = await t.request(
      'PATCH',
      `/Groups/${groupId}`,
      patchOps({ op: 'add', path: 'members', value: [{ value: other.body.id, type: 'Group' }] }),
    );
    expectScimError(r, 400, 'invalidValue');
    expect(await memberIds(t, groupId)).toEqual([secondId]);
    expect((await t.request('DELETE', `/Groups/${other.body.id}`)).status).toBe(204);
  });

  it('import: GET /Groups?startIndex=1&count=100 and GET /Groups list the pushed group', async () => {
    const paged = await t.request('GET', '/Groups?startIndex=1&count=100', { headers: OKTA_AGENT });
    const [group] = expectListResponse(paged, 1);
    expect(group).toMatchObject({ id: groupId, displayName: 'Test SCIMv2 renamed' });
    expect(group.members).toEqual([expect.objectContaining({ value: secondId })]);

    const plain = await t.request('GET', '/Groups', { headers: OKTA_AGENT });
    expect(expectListResponse(plain, 1)[0].id).toBe(groupId);
  });

  it('deletes the group: 204', async () => {
    const r = await t.request('DELETE', `/Groups/${groupId}`, { headers: OKTA_AGENT });
    expect(r.status).toBe(204);
    expectScimError(await t.request('GET', `/Groups/${groupId}`), 404);
    // Okta never deletes users: both are still there.
    expect((await t.request('GET', `/Users/${userId}`)).status).toBe(200);
    expect((await t.request('GET', `/Users/${secondId}`)).status).toBe(200);
  });

  it('answers an unknown user id with 404 and a SCIM error', async () => {
    expectScimError(await t.request('GET', '/Users/010101001010101011001010101011'), 404);
  });

  it('answers a bad Authorization header with 401, status "401" and a detail', async () => {
    const query = `/Users?${filter('userName eq "test.user@okta.local"')}`;
    const nonToken = await t.request('GET', query, { headers: { Authorization: 'non-token' } });
    expectScimError(nonToken, 401);
    expect(nonToken.headers['www-authenticate']).toMatch(/^Bearer/);

    expectScimError(await t.request('GET', query, { token: 'wrong-token' }), 401);
    expectScimError(await t.request('GET', query, { token: null }), 401);
  });
});
