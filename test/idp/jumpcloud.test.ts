/**
 * Replay of JumpCloud's "Custom SCIM Identity Management" client: Test Connection creates a
 * test user and a test group and deletes them again; an existing group of the same name is
 * taken over rather than duplicated; groups can be renamed; members are removed Azure-style
 * (`remove` + `path: members` + `value: [{value}]`, no filter); unbinding a group
 * deactivates its members unless another managed group covers them.
 * Source: https://jumpcloud.com/support/provision-and-manage-users-and-groups-in-apps-using-custom-scim-identity-management-integration
 */
import { createTestApp, filter, TestApp } from '../support/harness';
import {
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

async function createJumpCloudUser(
  t: TestApp,
  email: string,
  given: string,
  family: string,
): Promise<string> {
  const r = await t.request('POST', '/Users', {
    body: {
      schemas: [USER_SCHEMA],
      userName: email,
      name: { givenName: given, familyName: family },
      displayName: `${given} ${family}`,
      emails: [{ value: email, type: 'work', primary: true }],
      active: true,
    },
  });
  expectCreated(r, USER_SCHEMA);
  return r.body.id;
}

/** What JumpCloud's Test Connection does, start to finish. */
async function testConnection(t: TestApp, email: string): Promise<void> {
  const userId = await createJumpCloudUser(t, email, 'Test', 'Connection');
  const group = await t.request('POST', '/Groups', {
    body: { schemas: [GROUP_SCHEMA], displayName: 'JumpCloud Test Group', members: [{ value: userId }] },
  });
  expectCreated(group, GROUP_SCHEMA);
  expect(group.body.members).toEqual([expect.objectContaining({ value: userId })]);

  expect((await t.request('DELETE', `/Groups/${group.body.id}`)).status).toBe(204);
  expect((await t.request('DELETE', `/Users/${userId}`)).status).toBe(204);
  expectScimError(await t.request('GET', `/Groups/${group.body.id}`), 404);
  expectScimError(await t.request('GET', `/Users/${userId}`), 404);
}

describe('JumpCloud custom SCIM integration', () => {
  const t = createTestApp();
  let existingMember: string;
  let ada: string;
  let grace: string;
  let engineering: string;
  let platform: string;

  it('Test Connection creates a test user and group, then deletes both without a trace', async () => {
    await testConnection(t, 'scim-test-1@jumpcloud.example');
    expectListResponse(await t.request('GET', '/Users'), 0);
    expectListResponse(await t.request('GET', '/Groups'), 0);
  });

  it('a second Test Connection can reuse the same names: deletes released them', async () => {
    await testConnection(t, 'scim-test-1@jumpcloud.example');
    expectListResponse(await t.request('GET', '/Users'), 0);
  });

  it('takes over an existing group with the same name instead of creating another', async () => {
    // A group that already exists in the target, with a member JumpCloud does not manage.
    existingMember = await createJumpCloudUser(t, 'local.admin@example.com', 'Local', 'Admin');
    const existing = await t.request('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Engineering', members: [{ value: existingMember }] },
    });
    expectCreated(existing, GROUP_SCHEMA);
    engineering = existing.body.id;

    ada = await createJumpCloudUser(t, 'ada@example.com', 'Ada', 'Lovelace');
    grace = await createJumpCloudUser(t, 'grace@example.com', 'Grace', 'Hopper');

    // Group names are matched case-insensitively.
    const lookup = await t.request('GET', `/Groups?${filter('displayName eq "engineering"')}`);
    const [found] = expectListResponse(lookup, 1);
    expect(found.id).toBe(engineering);

    // Creating it instead would collide: displayName is unique, case-insensitively.
    const duplicate = await t.request('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'engineering', members: [] },
    });
    expectScimError(duplicate, 409, 'uniqueness');

    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${engineering}`,
        patchOps({ op: 'add', path: 'members', value: [{ value: ada }, { value: grace }] }),
      ),
    );
    expect(await memberIds(t, engineering)).toEqual(sorted(existingMember, ada, grace));
  });

  it('adding a member twice never duplicates it', async () => {
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${engineering}`,
        patchOps({ op: 'add', path: 'members', value: [{ value: ada }] }),
      ),
    );
    const group = await t.request('GET', `/Groups/${engineering}`);
    expect(group.body.members).toHaveLength(3);
    expect(await groupIdsOf(t, ada)).toEqual([engineering]);
  });

  it('renames a group', async () => {
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${engineering}`,
        patchOps({ op: 'replace', path: 'displayName', value: 'Engineering Team' }),
      ),
    );
    const group = await t.request('GET', `/Groups/${engineering}`);
    expectResource(group, 200, GROUP_SCHEMA);
    expect(group.body.displayName).toBe('Engineering Team');
    expect(await memberIds(t, engineering)).toEqual(sorted(existingMember, ada, grace));

    // Changing only the case of its own name is not a collision with itself.
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${engineering}`,
        patchOps({ op: 'replace', path: 'displayName', value: 'ENGINEERING TEAM' }),
      ),
    );
    expect((await t.request('GET', `/Groups/${engineering}`)).body.displayName).toBe('ENGINEERING TEAM');
  });

  it("refuses a rename onto another group's name (case-insensitively) with 409", async () => {
    const created = await t.request('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Platform', members: [{ value: grace }] },
    });
    expectCreated(created, GROUP_SCHEMA);
    platform = created.body.id;

    const clash = await t.request(
      'PATCH',
      `/Groups/${platform}`,
      patchOps({ op: 'replace', path: 'displayName', value: 'engineering team' }),
    );
    expectScimError(clash, 409, 'uniqueness');
    expect((await t.request('GET', `/Groups/${platform}`)).body.displayName).toBe('Platform');
  });

  it('removes a member with remove + path "members" + value [{value}] and no filter', async () => {
    expectNoContent(
      await t.request(
        'PATCH',
        `/Groups/${engineering}`,
        patchOps({ op: 'remove', path: 'members', value: [{ value: existingMember }] }),
      ),
    );
    // Only that member went; the group was not emptied.
    expect(await memberIds(t, engineering)).toEqual(sorted(ada, grace));
    expect(await groupIdsOf(t, existingMember)).toEqual([]);
  });

  it('unbinding a group deactivates its members unless another group covers them', async () => {
    // Ada is only in Engineering; Grace is also in Platform.
    expectNoContent(
      await t.request('PATCH', `/Users/${ada}`, patchOps({ op: 'replace', path: 'active', value: false })),
    );
    const adaNow = await t.request('GET', `/Users/${ada}`);
    const graceNow = await t.request('GET', `/Users/${grace}`);
    expect(adaNow.body.active).toBe(false);
    expect(graceNow.body.active).toBe(true);
    // Deactivation leaves memberships alone.
    expect(await memberIds(t, engineering)).toEqual(sorted(ada, grace));
    expect(await groupIdsOf(t, grace)).toEqual(sorted(engineering, platform));
  });
});
