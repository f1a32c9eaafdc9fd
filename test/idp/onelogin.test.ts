/**
 * Replay of OneLogin's "SCIM Provisioner with SAML (SCIM v2 Core/Enterprise)". Its request
 * bodies come from an admin-editable JSON template, hence string booleans, "id": null,
 * `emails` as a single object, e-mails without primary, a non-standard manager.managerId and
 * the SCIM 1.1 core URN. "Refresh Entitlements" lists the target's groups with GET /Groups.
 * Source: https://scim.dev/guide/applications/onelogin and
 * https://boxyhq.com/docs/directory-sync/providers/onelogin (template-derived; the membership
 * and update verbs are not documented, so those steps use plain PATCH and PUT).
 */
import { createTestApp, filter } from '../support/harness';
import {
  ENTERPRISE_SCHEMA,
  expectCreated,
  expectListResponse,
  expectNoContent,
  expectResource,
  expectScimError,
  GROUP_SCHEMA,
  groupIdsOf,
  memberIds,
  PATCH_OP,
  USER_SCHEMA,
} from './replay';

const SCIM11_CORE = 'urn:scim:schemas:core:1.0';

describe('OneLogin SCIM provisioner (template-generated bodies)', () => {
  const t = createTestApp();
  let jdoeId: string;
  let dictId: string;
  let groupIds: string[];

  it('Refresh Entitlements on an empty directory: GET /Groups gives an empty list', async () => {
    expect(expectListResponse(await t.request('GET', '/Groups'), 0)).toEqual([]);
  });

  it('Refresh Entitlements lists the groups that exist in the target', async () => {
    // Groups made by the Atlassian admin (or another IdP) before OneLogin is connected.
    groupIds = [];
    for (const displayName of ['Jira Users', 'Confluence Users']) {
      const r = await t.request('POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName } });
      expectCreated(r, GROUP_SCHEMA);
      groupIds.push(r.body.id);
    }
    const listed = expectListResponse(await t.request('GET', '/Groups'), 2);
    expect(listed.map((g) => [g.id, g.displayName])).toEqual([
      [groupIds[0], 'Jira Users'],
      [groupIds[1], 'Confluence Users'],
    ]);
  });

  it('creates a user from the template: string active, "id": null, SCIM 1.1 URN, managerId', async () => {
    const r = await t.request('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA, SCIM11_CORE, ENTERPRISE_SCHEMA],
        id: null,
        userName: 'jdoe@x.com',
        active: 'true',
        emails: [{ value: 'jdoe@x.com', type: 'work', primary: true }],
        name: { givenName: 'J', familyName: 'Doe', formatted: 'J Doe' },
        [ENTERPRISE_SCHEMA]: { department: 'R&D', manager: { managerId: '123', displayName: 'M Boss' } },
      },
    });
    expectCreated(r, USER_SCHEMA);
    jdoeId = r.body.id;
    // "id": null did not stop the server from assigning one.
    expect(jdoeId).toEqual(expect.any(String));
    expect(jdoeId.length).toBeGreaterThan(0);
    expect(r.body.active).toBe(true);
    expect(r.body.name).toEqual({ givenName: 'J', familyName: 'Doe', formatted: 'J Doe' });
    expect(r.body[ENTERPRISE_SCHEMA].department).toBe('R&D');
    // managerId is not a sub-attribute of manager: it is dropped, not stored verbatim.
    expect(r.text).not.toContain('managerId');
    // The 1.1 URN is not one we implement and is not echoed.
    expect(r.body.schemas).not.toContain(SCIM11_CORE);
  });

  it('accepts emails sent as a single object without primary', async () => {
    const r = await t.request('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA],
        id: null,
        userName: 'dict.mail@x.com',
        active: 'true',
        emails: { value: 'dict.mail@x.com' },
        name: { givenName: 'Dict', familyName: 'Mail' },
      },
    });
    expectCreated(r, USER_SCHEMA);
    dictId = r.body.id;
    // Stored and returned as the multi-valued attribute it is.
    expect(r.body.emails).toEqual([{ value: 'dict.mail@x.com' }]);

    const found = await t.request('GET', `/Users?${filter('emails.value eq "dict.mail@x.com"')}`);
    expect(expectListResponse(found, 1)[0].id).toBe(dictId);
  });

  it('"Set Groups" rules add the users to existing groups', async () => {
    for (const [groupId, userIds] of [
      [groupIds[0], [jdoeId, dictId]],
      [groupIds[1], [jdoeId]],
    ] as const) {
      const r = await t.request('PATCH', `/Groups/${groupId}`, {
        body: {
          schemas: [PATCH_OP],
          Operations: [{ op: 'add', path: 'members', value: userIds.map((value) => ({ value })) }],
        },
      });
      expectNoContent(r);
    }
    expect(await groupIdsOf(t, jdoeId)).toEqual([...groupIds].sort());
    expect(await groupIdsOf(t, dictId)).toEqual([groupIds[0]]);

    // The next Refresh Entitlements still sees both groups, now with members.
    const listed = expectListResponse(await t.request('GET', '/Groups'), 2);
    expect(listed.map((g) => (g.members as unknown[]).length)).toEqual([2, 1]);
  });

  it('updates by PUT with the template: "active": "false" suspends, string booleans again', async () => {
    const r = await t.request('PUT', `/Users/${jdoeId}`, {
      body: {
        schemas: [USER_SCHEMA, SCIM11_CORE],
        id: null,
        userName: 'jdoe@x.com',
        active: 'false',
        emails: { value: 'jdoe@x.com', type: 'work' },
        name: { givenName: 'John', familyName: 'Doe', formatted: 'John Doe' },
      },
    });
    expectResource(r, 200, USER_SCHEMA);
    // "id": null in a PUT does not change or clear the id.
    expect(r.body.id).toBe(jdoeId);
    expect(r.body.active).toBe(false);
    expect(r.body.emails).toEqual([{ value: 'jdoe@x.com', type: 'work' }]);
    expect((await t.request('GET', `/Users/${jdoeId}`)).body.active).toBe(false);
    // Suspension keeps the memberships.
    expect(await groupIdsOf(t, jdoeId)).toEqual([...groupIds].sort());
  });

  it('refuses a filter on group members with 400 invalidFilter', async () => {
    const r = await t.request('GET', `/Groups?${filter(`members.value eq "${jdoeId}"`)}`);
    expectScimError(r, 400, 'invalidFilter');
  });

  it('deprovision action "Delete": DELETE the user, who leaves every group', async () => {
    expect((await t.request('DELETE', `/Users/${jdoeId}`)).status).toBe(204);
    expectScimError(await t.request('GET', `/Users/${jdoeId}`), 404);
    expect(await memberIds(t, groupIds[0])).toEqual([dictId]);
    expect(await memberIds(t, groupIds[1])).toEqual([]);
  });
});
