/**
 * Replay of Microsoft Entra ID with the aadOptscim062020 flag (RFC-style PATCH): lower-case
 * ops, real booleans, a path-less replace whose value has dotted and URN keys, and member
 * removal by `members[value eq "…"]` with no value.
 * Source: Microsoft's "Known issues and resolutions with SCIM 2.0 protocol compliance"
 * (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility),
 * the `aadOptscim062020` flag.
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
  patchOps,
  sorted,
  USER_SCHEMA,
} from './replay';

describe('Microsoft Entra ID with aadOptscim062020 (RFC PATCH dialect)', () => {
  const t = createTestApp();
  let userId: string;
  let secondId: string;
  let thirdId: string;
  let groupId: string;

  /** An Entra user POST (the flag does not change creation). */
  async function createUser(userName: string, extra: Record<string, unknown> = {}): Promise<string> {
    const r = await t.request('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
        externalId: `ext-${userName}`,
        userName,
        active: true,
        emails: [{ primary: true, type: 'work', value: userName }],
        meta: { resourceType: 'User' },
        roles: [],
        ...extra,
      },
    });
    expectCreated(r, USER_SCHEMA);
    return r.body.id;
  }

  it('creates the users after the match filter finds nothing', async () => {
    const match = await t.request(
      'GET',
      `/Users?${filter('userName eq "adele@contoso.com" and externalId eq "ext-adele@contoso.com"')}`,
    );
    expectListResponse(match, 0);
    userId = await createUser('adele@contoso.com', {
      displayName: 'Adele Vance',
      name: { formatted: 'Adele Vance', givenName: 'Adele', familyName: 'Vance' },
      [ENTERPRISE_SCHEMA]: { employeeNumber: '100', department: 'Retail' },
    });
    secondId = await createUser('alex@contoso.com');
    thirdId = await createUser('megan@contoso.com');

    // Entra only ever combines conditions with "and".
    const both = await t.request(
      'GET',
      `/Users?${filter('userName eq "adele@contoso.com" and externalId eq "ext-adele@contoso.com"')}`,
    );
    expect(expectListResponse(both, 1)[0].id).toBe(userId);
  });

  it('applies a path-less replace with dotted and URN keys to the attributes they name', async () => {
    const r = await t.request(
      'PATCH',
      `/Users/${userId}`,
      patchOps(
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'x@test.com' },
        {
          op: 'replace',
          value: {
            displayName: 'Bjfe',
            'name.givenName': 'Kkom',
            'name.familyName': 'Unua',
            [`${ENTERPRISE_SCHEMA}:employeeNumber`]: 'Aklq',
          },
        },
      ),
    );
    expectNoContent(r);

    const user = await t.request('GET', `/Users/${userId}`);
    expectResource(user, 200, USER_SCHEMA);
    expect(user.body.displayName).toBe('Bjfe');
    // Only the named sub-attributes change; "formatted" was not mentioned and survives.
    expect(user.body.name).toEqual({ formatted: 'Adele Vance', givenName: 'Kkom', familyName: 'Unua' });
    expect(user.body[ENTERPRISE_SCHEMA]).toEqual({ employeeNumber: 'Aklq', department: 'Retail' });
    expect(user.body.emails).toEqual([{ primary: true, type: 'work', value: 'x@test.com' }]);

    // A naive server stores a top-level attribute literally named "name.givenName".
    for (const key of ['name.givenName', 'name.familyName', `${ENTERPRISE_SCHEMA}:employeeNumber`]) {
      expect(user.body).not.toHaveProperty([key]);
    }
    // The response is projected through the schema, so also look at what was stored.
    const stored = await t.app.directory.users.get(userId);
    expect(Object.keys(stored?.doc ?? {}).sort()).toEqual(
      ['active', 'displayName', 'emails', 'externalId', 'name', 'userName', ENTERPRISE_SCHEMA].sort(),
    );
  });

  it('finds the user by the new work e-mail and the new displayName', async () => {
    const byEmail = await t.request(
      'GET',
      `/Users?${filter('emails[type eq "work"].value eq "x@test.com"')}`,
    );
    expect(expectListResponse(byEmail, 1)[0].id).toBe(userId);
    const byDisplayName = await t.request('GET', `/Users?${filter('displayName eq "bjfe"')}`);
    expect(expectListResponse(byDisplayName, 1)[0].id).toBe(userId);
  });

  it('creates a group and adds members with lower-case ops', async () => {
    const lookup = await t.request(
      'GET',
      `/Groups?excludedAttributes=members&${filter('displayName eq "Sales"')}`,
    );
    expectListResponse(lookup, 0);
    const created = await t.request('POST', '/Groups', {
      body: {
        schemas: [GROUP_SCHEMA],
        externalId: 'sales-ext',
        displayName: 'Sales',
        meta: { resourceType: 'Group' },
      },
    });
    expectCreated(created, GROUP_SCHEMA);
    groupId = created.body.id;

    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${groupId}`,
        patchOps({
          op: 'add',
          path: 'members',
          value: [{ value: userId }, { value: secondId }, { value: thirdId }],
        }),
      ),
    );
    // The next cycle re-sends a membership it already made: no duplicate.
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${groupId}`,
        patchOps({ op: 'add', path: 'members', value: [{ value: userId }] }),
      ),
    );
    expect(await memberIds(t, groupId)).toEqual(sorted(userId, secondId, thirdId));
  });

  it('removes one member by members[value eq "…"] with no value; the others survive', async () => {
    const r = await t.request(
      'PATCH',
      `/Groups/${groupId}`,
      patchOps({ op: 'remove', path: `members[value eq "${secondId}"]` }),
    );
    expectNoContent(r);
    expect(await memberIds(t, groupId)).toEqual(sorted(userId, thirdId));
    expect(await groupIdsOf(t, secondId)).toEqual([]);
    expect(await groupIdsOf(t, thirdId)).toEqual([groupId]);
  });

  it('treats removing a member that is not in the group as a no-op', async () => {
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${groupId}`,
        patchOps({ op: 'remove', path: `members[value eq "${secondId}"]` }),
      ),
    );
    expect(await memberIds(t, groupId)).toEqual(sorted(userId, thirdId));
  });

  it('renames the group with a lower-case replace', async () => {
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${groupId}`,
        patchOps({ op: 'replace', path: 'displayName', value: 'Sales EMEA' }),
      ),
    );
    const group = await t.request('GET', `/Groups/${groupId}`);
    expect(group.body.displayName).toBe('Sales EMEA');
    expect(await memberIds(t, groupId)).toEqual(sorted(userId, thirdId));
  });

  it('disables with a real boolean, keeping memberships, and re-enables', async () => {
    expectNoContent(
      await t.request('PATCH', `/Users/${userId}`, patchOps({ op: 'replace', path: 'active', value: false })),
    );
    expect((await t.request('GET', `/Users/${userId}`)).body.active).toBe(false);
    expect(await groupIdsOf(t, userId)).toEqual([groupId]);

    expectNoContent(
      await t.request('PATCH', `/Users/${userId}`, patchOps({ op: 'replace', path: 'active', value: true })),
    );
    expect((await t.request('GET', `/Users/${userId}`)).body.active).toBe(true);
    expect(await groupIdsOf(t, userId)).toEqual([groupId]);
  });

  it('deletes the user, then 404; the group keeps its other member', async () => {
    expect((await t.request('DELETE', `/Users/${userId}`)).status).toBe(204);
    expectScimError(await t.request('GET', `/Users/${userId}`), 404);
    expect(await memberIds(t, groupId)).toEqual([thirdId]);
  });
});
