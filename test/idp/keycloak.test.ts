/**
 * Replay of the community "keycloak-scim" extension (libre.sh / mitodl): users posted with
 * externalId but no name object and e-mails without type, updates by full PUT with a
 * relative meta.location, groups created and updated by POST/PUT with the full member list
 * and relative member `$ref`s, and a hard DELETE of users. No PATCH at all.
 * Source: https://github.com/mitodl/keycloak-scim (ScimClient, UserAdapter, GroupAdapter).
 */
import { createTestApp, ScimResult, TestApp } from '../support/harness';
import {
  expectCreated,
  expectListResponse,
  expectResource,
  expectScimError,
  GROUP_SCHEMA,
  memberIds,
  sorted,
  USER_SCHEMA,
} from './replay';

/** Keycloak's content type is configurable; this replay uses plain JSON. */
const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** The body UserAdapter builds: no name object, e-mail without type. */
function keycloakUser(kcId: string, username: string, displayName: string): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA],
    externalId: kcId,
    userName: username,
    displayName,
    emails: [{ primary: true, value: `${username}@x.com` }],
    active: true,
    roles: [],
  };
}

/** GroupAdapter's member list: relative $ref "Users/{id}". */
function keycloakMembers(...ids: string[]): { value: string; $ref: string }[] {
  return ids.map((id) => ({ value: id, $ref: `Users/${id}` }));
}

/** Keycloak's group update: a PUT of the whole group with its full member list. */
function putDevs(t: TestApp, groupId: string, ...members: string[]): Promise<ScimResult> {
  return t.request('PUT', `/Groups/${groupId}`, {
    headers: JSON_HEADERS,
    body: {
      schemas: [GROUP_SCHEMA],
      id: groupId,
      externalId: 'kc-gid',
      displayName: 'devs',
      members: keycloakMembers(...members),
    },
  });
}

async function postUser(t: TestApp, body: Record<string, unknown>): Promise<string> {
  const r = await t.request('POST', '/Users', { body, headers: JSON_HEADERS });
  expectCreated(r, USER_SCHEMA);
  return r.body.id;
}

describe('Keycloak SCIM extension (PUT-only client)', () => {
  const t = createTestApp();
  let alice: string;
  let bob: string;
  let carol: string;
  let groupId: string;

  it('creates users with externalId, no name object and e-mails without type', async () => {
    const r = await t.request('POST', '/Users', {
      body: keycloakUser('kc-uuid-alice', 'alice', 'Alice A'),
      headers: JSON_HEADERS,
    });
    expectCreated(r, USER_SCHEMA);
    alice = r.body.id;
    expect(r.body).toMatchObject({
      userName: 'alice',
      externalId: 'kc-uuid-alice',
      displayName: 'Alice A',
      emails: [{ primary: true, value: 'alice@x.com' }],
      active: true,
    });
    expect(r.body).not.toHaveProperty('name');

    bob = await postUser(t, keycloakUser('kc-uuid-bob', 'bob', 'bob'));
    carol = await postUser(t, keycloakUser('kc-uuid-carol', 'carol', 'Carol C'));
  });

  it('does not treat externalId as unique', async () => {
    // Two Keycloak realms (or a re-created user) can share an externalId.
    const twin = await postUser(t, keycloakUser('kc-uuid-alice', 'alice.twin', 'Alice Twin'));
    const r = await t.request('GET', '/Users?filter=externalId%20eq%20%22kc-uuid-alice%22');
    expect(
      expectListResponse(r, 2)
        .map((u) => u.id)
        .sort(),
    ).toEqual(sorted(alice, twin));
    expect((await t.request('DELETE', `/Users/${twin}`)).status).toBe(204);
  });

  it('updates by full PUT with id and a relative meta.location', async () => {
    const r = await t.request('PUT', `/Users/${alice}`, {
      headers: JSON_HEADERS,
      body: {
        ...keycloakUser('kc-uuid-alice', 'alice', 'Alice Anderson'),
        id: alice,
        meta: { location: `Users/${alice}` },
      },
    });
    expectResource(r, 200, USER_SCHEMA);
    expect(r.body.id).toBe(alice);
    expect(r.body.displayName).toBe('Alice Anderson');
    // meta is the server's: the location stays absolute.
    expect(r.body.meta.location).toMatch(new RegExp(`^https://.+/Users/${alice}$`));
  });

  it('creates a group with the full member list and relative $refs', async () => {
    const r = await t.request('POST', '/Groups', {
      headers: JSON_HEADERS,
      body: {
        schemas: [GROUP_SCHEMA],
        externalId: 'kc-gid',
        displayName: 'devs',
        members: keycloakMembers(alice, bob),
      },
    });
    expectCreated(r, GROUP_SCHEMA);
    groupId = r.body.id;
    expect(r.body.externalId).toBe('kc-gid');
    expect(r.body.members).toHaveLength(2);
    // The relative $ref is input only: members come back as user ids (with an absolute
    // $ref if the server chooses to render one at all).
    for (const member of r.body.members) {
      expect(member.type).toBe('User');
      if (member.$ref !== undefined)
        expect(member.$ref).toMatch(new RegExp(`^https://.+/Users/${member.value}$`));
    }
    expect(await memberIds(t, groupId)).toEqual(sorted(alice, bob));
  });

  it('PUT with a longer list adds members; a repeated member appears once', async () => {
    const r = await putDevs(t, groupId, alice, bob, carol, carol);
    expectResource(r, 200, GROUP_SCHEMA);
    expect(r.body.members).toHaveLength(3);
    expect(await memberIds(t, groupId)).toEqual(sorted(alice, bob, carol));
  });

  it('PUT with a shorter list removes the members left out', async () => {
    const r = await putDevs(t, groupId, alice, carol);
    expectResource(r, 200, GROUP_SCHEMA);
    expect(await memberIds(t, groupId)).toEqual(sorted(alice, carol));
  });

  it('ignores member ids that are not users of this directory', async () => {
    // Keycloak may push a group before one of its users was provisioned.
    const r = await putDevs(t, groupId, alice, carol, 'not-provisioned-yet');
    expectResource(r, 200, GROUP_SCHEMA);
    expect(await memberIds(t, groupId)).toEqual(sorted(alice, carol));
  });

  it('import: GET /Users with no paging parameters lists every user', async () => {
    const users = expectListResponse(await t.request('GET', '/Users'), 3);
    expect(users.map((u) => u.userName)).toEqual(['alice', 'bob', 'carol']);
  });

  it('hard-deletes a user: 204, then 404, and the group no longer lists them', async () => {
    expect((await t.request('DELETE', `/Users/${carol}`)).status).toBe(204);
    expectScimError(await t.request('GET', `/Users/${carol}`), 404);
    expect(await memberIds(t, groupId)).toEqual([alice]);
    // A retried DELETE (Keycloak retries with backoff) finds nothing.
    expectScimError(await t.request('DELETE', `/Users/${carol}`), 404);
  });
});
