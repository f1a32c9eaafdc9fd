/**
 * Replay of Microsoft Entra ID's provisioning service in its default dialect (no
 * aadOptscim062020 flag): capitalised ops, string booleans, member removal with a value
 * list, `"$ref": null`, Microsoft's own group schema URN and noisy POST bodies.
 * Source: Microsoft's "Tutorial: Develop and plan provisioning for a SCIM endpoint"
 * (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups)
 * and https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility.
 *
 * The steps share one directory and run in order, as one provisioning cycle would.
 */
import { BASE_URL, createTestApp, filter } from '../support/harness';
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
  patchOps,
  sorted,
  USER_SCHEMA,
} from './replay';

const MS_GROUP_SCHEMA = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
/** The colon before "User" is missing: Entra's validator sends it like this. */
const MISTYPED_ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0User';

const USER_NAME = 'Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee';
const WORK_EMAIL = 'Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com';

/** Entra's PATCH envelope. */
describe('Microsoft Entra ID without aadOptscim062020 (legacy PATCH dialect)', () => {
  const t = createTestApp();
  let userId: string;
  let managerId: string;
  let otherId: string;
  let groupId: string;

  it('Test Connection: a random GUID on the matching attribute gives 200 and an empty list', async () => {
    const users = await t.request(
      'GET',
      `/Users?${filter('userName eq "8f14e45f-ceea-467f-a2c1-2b4c7d0a1e11"')}`,
    );
    expect(expectListResponse(users, 0)).toEqual([]);
    expect(users.body.itemsPerPage).toBe(0);

    // Entra fetches a random group the same way, with members excluded.
    const groups = await t.request(
      'GET',
      `/Groups?excludedAttributes=members&${filter('displayName eq "0b9d2f7e-6c1a-4a55-9d7e-3f2a1c8b7e60"')}`,
    );
    expect(expectListResponse(groups, 0)).toEqual([]);
  });

  it('creates a user after a failed match, ignoring the noise in the POST body', async () => {
    const match = await t.request('GET', `/Users?${filter(`userName eq "${USER_NAME}"`)}`);
    expectListResponse(match, 0);

    const created = await t.request('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA, MISTYPED_ENTERPRISE_SCHEMA],
        externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
        userName: USER_NAME,
        active: true,
        emails: [{ primary: true, type: 'work', value: WORK_EMAIL }],
        meta: { resourceType: 'User' },
        name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
        roles: [],
        addresses: null,
        [ENTERPRISE_SCHEMA]: { department: 'Engineering', manager: null },
      },
    });
    expectCreated(created, USER_SCHEMA);
    userId = created.body.id;
    expect(created.body).toMatchObject({
      userName: USER_NAME,
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      active: true,
      emails: [{ primary: true, type: 'work', value: WORK_EMAIL }],
      name: { familyName: 'familyName', givenName: 'givenName' },
      meta: { resourceType: 'User' },
      [ENTERPRISE_SCHEMA]: { department: 'Engineering' },
    });
    // Explicit nulls mean "no value": nothing is stored for them.
    expect(created.body).not.toHaveProperty('addresses');
    expect(created.body[ENTERPRISE_SCHEMA]).not.toHaveProperty('manager');
    // The mistyped URN is not echoed back as a schema we claim to implement.
    expect(created.body.schemas).toEqual([USER_SCHEMA, ENTERPRISE_SCHEMA]);
  });

  it('accepts "active": "True" as a string (Microsoft test suite) and stores a boolean', async () => {
    const created = await t.request('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA],
        userName: 'jyoung@contoso.com',
        externalId: 'jyoung',
        active: 'True',
        displayName: 'Jane Young',
      },
    });
    expectCreated(created, USER_SCHEMA);
    managerId = created.body.id;
    expect(created.body.active).toBe(true);
  });

  it('matches users by an unquoted externalId and by the work e-mail filter', async () => {
    // E1 shows the value unquoted: filter=externalId eq jyoung
    const byExternalId = await t.request('GET', `/Users?${filter('externalId eq jyoung')}`);
    expect(expectListResponse(byExternalId, 1)[0].id).toBe(managerId);

    // externalId is caseExact: a differently cased value is another identity.
    const wrongCase = await t.request('GET', `/Users?${filter('externalId eq JYOUNG')}`);
    expectListResponse(wrongCase, 0);

    const byEmail = await t.request(
      'GET',
      `/Users?${filter(`emails[type eq "work"].value eq "${WORK_EMAIL}"`)}`,
    );
    expect(expectListResponse(byEmail, 1)[0].id).toBe(userId);
  });

  it('applies capitalised Replace ops on a filtered e-mail path and on name.familyName', async () => {
    const r = await t.request(
      'PATCH',
      `/Users/${userId}`,
      patchOps(
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
      ),
    );
    expectNoContent(r);

    const user = await t.request('GET', `/Users/${userId}`);
    expectResource(user, 200, USER_SCHEMA);
    expect(user.headers.etag).toBe(r.headers.etag);
    // Only the value changed: the e-mail keeps its type and primary flag.
    expect(user.body.emails).toEqual([{ primary: true, type: 'work', value: 'updatedEmail@microsoft.com' }]);
    expect(user.body.name).toEqual({
      formatted: 'givenName familyName',
      familyName: 'updatedFamilyName',
      givenName: 'givenName',
    });

    // The e-mail lookup follows the change.
    const old = await t.request('GET', `/Users?${filter(`emails[type eq "work"].value eq "${WORK_EMAIL}"`)}`);
    expectListResponse(old, 0);
    const current = await t.request(
      'GET',
      `/Users?${filter('emails[type eq "work"].value eq "updatedEmail@microsoft.com"')}`,
    );
    expect(expectListResponse(current, 1)[0].id).toBe(userId);
  });

  it('answers 200 with the resource when a PATCH asks for attributes', async () => {
    const r = await t.request(
      'PATCH',
      `/Users/${userId}?attributes=userName,name.familyName`,
      patchOps({ op: 'Replace', path: 'name.familyName', value: 'familyName' }),
    );
    expectResource(r, 200, USER_SCHEMA);
    expect(r.body.userName).toBe(USER_NAME);
    expect(r.body.name).toEqual({ familyName: 'familyName' });
    expect(r.body).not.toHaveProperty('emails');
  });

  it('creates the work e-mail when Add targets emails[type eq "work"].value and none exists', async () => {
    const created = await t.request('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA],
        userName: 'no-work-mail@contoso.com',
        active: true,
        emails: [{ type: 'home', value: 'home@example.org' }],
      },
    });
    expectCreated(created, USER_SCHEMA);
    otherId = created.body.id;

    const r = await t.request(
      'PATCH',
      `/Users/${otherId}`,
      patchOps({ op: 'Add', path: 'emails[type eq "work"].value', value: 'new@test.com' }),
    );
    expectNoContent(r);

    const user = await t.request('GET', `/Users/${otherId}`);
    expect(user.body.emails).toEqual(
      expect.arrayContaining([
        { type: 'home', value: 'home@example.org' },
        expect.objectContaining({ type: 'work', value: 'new@test.com' }),
      ]),
    );
    expect(user.body.emails).toHaveLength(2);
    const found = await t.request(
      'GET',
      `/Users?${filter('emails[type eq "work"].value eq "new@test.com"')}`,
    );
    expect(expectListResponse(found, 1)[0].id).toBe(otherId);
  });

  it('creates the item when Replace targets a filtered phone or address path that matches nothing', async () => {
    const r = await t.request(
      'PATCH',
      `/Users/${otherId}`,
      patchOps(
        { op: 'Replace', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' },
        { op: 'Replace', path: 'addresses[type eq "work"].formatted', value: '1 Microsoft Way' },
      ),
    );
    expectNoContent(r);
    const user = await t.request('GET', `/Users/${otherId}`);
    expect(user.body.phoneNumbers).toEqual([
      expect.objectContaining({ type: 'mobile', value: '+1 555 0100' }),
    ]);
    expect(user.body.addresses).toEqual([
      expect.objectContaining({ type: 'work', formatted: '1 Microsoft Way' }),
    ]);
  });

  it('takes the manager as a plain string under the enterprise URN and returns it there', async () => {
    const r = await t.request(
      'PATCH',
      `/Users/${otherId}`,
      patchOps({ op: 'Replace', path: `${ENTERPRISE_SCHEMA}:manager`, value: managerId }),
    );
    expectNoContent(r);
    const user = await t.request('GET', `/Users/${otherId}`);
    // Returned under the extension key, or Entra re-sends it every cycle.
    expect(user.body.schemas).toEqual([USER_SCHEMA, ENTERPRISE_SCHEMA]);
    expect(user.body[ENTERPRISE_SCHEMA].manager).toEqual({ value: managerId });
  });

  it('takes the manager as [{"$ref", "value"}] under the enterprise URN path', async () => {
    const r = await t.request(
      'PATCH',
      `/Users/${otherId}`,
      patchOps({
        op: 'Add',
        path: `${ENTERPRISE_SCHEMA}:manager`,
        value: [{ $ref: `${BASE_URL}/Users/${userId}`, value: userId }],
      }),
    );
    expectNoContent(r);
    const user = await t.request('GET', `/Users/${otherId}`);
    expect(user.body[ENTERPRISE_SCHEMA].manager).toEqual({
      value: userId,
      $ref: `${BASE_URL}/Users/${userId}`,
    });
  });

  it('takes a plain-string manager in a POST body', async () => {
    const created = await t.request('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
        userName: 'reports-to-myuser@contoso.com',
        [ENTERPRISE_SCHEMA]: { manager: 'myuser' },
      },
    });
    expectCreated(created, USER_SCHEMA);
    expect(created.body[ENTERPRISE_SCHEMA]).toEqual({ manager: { value: 'myuser' } });
  });

  it('takes the manager as Add path "manager" with [{"$ref", "value"}] (E1 example 5)', async () => {
    const r = await t.request(
      'PATCH',
      `/Users/${userId}`,
      patchOps({
        op: 'Add',
        path: 'manager',
        value: [{ $ref: `${BASE_URL}/Users/${managerId}`, value: managerId }],
      }),
    );
    expectNoContent(r);
    const user = await t.request('GET', `/Users/${userId}`);
    expect(user.body[ENTERPRISE_SCHEMA]).toMatchObject({ manager: { value: managerId } });
  });

  it('looks a group up without members, creates it with the Microsoft schema and adds a member', async () => {
    const lookup = await t.request(
      'GET',
      `/Groups?excludedAttributes=members&${filter('displayName eq "Engineering"')}`,
    );
    expectListResponse(lookup, 0);

    const created = await t.request('POST', '/Groups', {
      body: {
        schemas: [GROUP_SCHEMA, MS_GROUP_SCHEMA],
        externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
        displayName: 'Engineering',
        meta: { resourceType: 'Group' },
      },
    });
    expectCreated(created, GROUP_SCHEMA);
    groupId = created.body.id;
    expect(created.body).toMatchObject({
      schemas: [GROUP_SCHEMA],
      displayName: 'Engineering',
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      members: [],
    });

    const added = await t.request(
      'PATCH',
      `/Groups/${groupId}`,
      patchOps({ op: 'Add', path: 'members', value: [{ $ref: null, value: userId }] }),
    );
    // Group PATCH answers 204: Microsoft advises against returning the member list.
    expectNoContent(added);
    expect(await memberIds(t, groupId)).toEqual([userId]);
  });

  it('leaves the members key out when members are excluded, by id and by displayName filter', async () => {
    const group = await t.request('GET', `/Groups/${groupId}?excludedAttributes=members`);
    expectResource(group, 200, GROUP_SCHEMA);
    expect(group.body.displayName).toBe('Engineering');
    expect(group.body).not.toHaveProperty('members');

    const lookup = await t.request(
      'GET',
      `/Groups?excludedAttributes=members&${filter('displayName eq "Engineering"')}`,
    );
    const [found] = expectListResponse(lookup, 1);
    expect(found.id).toBe(groupId);
    expect(found).not.toHaveProperty('members');
  });

  it('never duplicates a member that is added twice', async () => {
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${groupId}`,
        // Several memberships in one PATCH, one of them repeated and one already present.
        patchOps({
          op: 'Add',
          path: 'members',
          value: [
            { $ref: null, value: userId },
            { $ref: null, value: otherId },
            { $ref: null, value: otherId },
          ],
        }),
      ),
    );
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${groupId}`,
        patchOps({ op: 'Add', path: 'members', value: [{ $ref: null, value: otherId }] }),
      ),
    );
    expect(await memberIds(t, groupId)).toEqual(sorted(userId, otherId));
  });

  it('renames the group with Replace displayName and keeps its members', async () => {
    const r = await t.request(
      'PATCH',
      `/Groups/${groupId}`,
      patchOps({ op: 'Replace', path: 'displayName', value: 'Engineering-renamed' }),
    );
    expectNoContent(r);
    const group = await t.request('GET', `/Groups/${groupId}`);
    expect(group.body.displayName).toBe('Engineering-renamed');
    expect(await memberIds(t, groupId)).toEqual(sorted(userId, otherId));

    const byOldName = await t.request(
      'GET',
      `/Groups?excludedAttributes=members&${filter('displayName eq "Engineering"')}`,
    );
    expectListResponse(byOldName, 0);
  });

  it('refuses to filter groups by members (Entra matches on displayName only)', async () => {
    const r = await t.request('GET', `/Groups?${filter(`members.value eq "${userId}"`)}`);
    expectScimError(r, 400, 'invalidFilter');
  });

  it('removes only the listed member for Remove with a value list (no wipe of the group)', async () => {
    const r = await t.request(
      'PATCH',
      `/Groups/${groupId}`,
      patchOps({ op: 'Remove', path: 'members', value: [{ $ref: null, value: otherId }] }),
    );
    expectNoContent(r);
    expect(await memberIds(t, groupId)).toEqual([userId]);
    expect(await groupIdsOf(t, otherId)).toEqual([]);
  });

  it('disables with "False": the user stays readable and keeps its memberships', async () => {
    expectNoContent(
      await t.request(
        'PATCH',
        `/Users/${userId}`,
        patchOps({ op: 'Replace', path: 'active', value: 'False' }),
      ),
    );
    const user = await t.request('GET', `/Users/${userId}`);
    expectResource(user, 200, USER_SCHEMA);
    expect(user.body.active).toBe(false);
    // groups is returned only on request.
    expect(user.body).not.toHaveProperty('groups');
    expect(await groupIdsOf(t, userId)).toEqual([groupId]);
    expect(await memberIds(t, groupId)).toEqual([userId]);
  });

  it('re-enables with "True"; the memberships kept while inactive are still there', async () => {
    expectNoContent(
      await t.request(
        'PATCH',
        `/Users/${userId}`,
        patchOps({ op: 'Replace', path: 'active', value: 'True' }),
      ),
    );
    expect((await t.request('GET', `/Users/${userId}`)).body.active).toBe(true);
    expect(await groupIdsOf(t, userId)).toEqual([groupId]);
  });

  it('hard-deletes the user: 204, then GET gives 404 with a SCIM error body', async () => {
    const deleted = await t.request('DELETE', `/Users/${userId}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();

    const gone = await t.request('GET', `/Users/${userId}`);
    expectScimError(gone, 404);
    expect(await memberIds(t, groupId)).toEqual([]);
    const byName = await t.request('GET', `/Users?${filter(`userName eq "${USER_NAME}"`)}`);
    expectListResponse(byName, 0);
  });

  it('deletes the group: 204, then 404', async () => {
    expect((await t.request('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    expectScimError(await t.request('GET', `/Groups/${groupId}`), 404);
  });
});
