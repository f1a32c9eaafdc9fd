/**
 * The embedded organization's contract, called without HTTP: every operation of
 * admin-organization-v2.derived.json plus GET /admin/v1/orgs, with the paths, shapes, status
 * codes, error envelope, paging, uniqueness and auth the README documents.
 */
import { DEFAULT_LIMITS, EmbeddedOrganization, SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { client, newOrg } from './helpers';
import { cursorOf } from '../../src/atlassian/org-adapter';

let org: EmbeddedOrganization;
let api: ReturnType<typeof client>;
beforeEach(() => {
  org = newOrg();
  api = client(org);
});

const ERROR_ITEM = {
  id: expect.any(String),
  status: expect.any(String),
  code: expect.any(String),
  title: expect.any(String),
  detail: expect.any(String),
};

async function inviteMany(n: number, prefix = 'user'): Promise<void> {
  for (let i = 0; i < n; i += DEFAULT_LIMITS.inviteEmails) {
    const emails = Array.from({ length: Math.min(DEFAULT_LIMITS.inviteEmails, n - i) }, (_, j) => {
      return `${prefix}${String(i + j).padStart(4, '0')}@example.org`;
    });
    expect((await api.call('POST', `${api.o}/users/invite`, { emails })).status).toBe(200);
  }
}

describe('auth, organization and routing', () => {
  it('answers 401 without a key or with a wrong one, in the error envelope', async () => {
    for (const headers of [
      { authorization: '' },
      { authorization: 'Bearer wrong' },
      { authorization: 'Basic x' },
    ]) {
      const answer = await api.call('GET', '/v1/orgs', undefined, headers);
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ errors: [{ ...ERROR_ITEM, status: '401', code: 'ADMIN-UAM-401-1' }] });
    }
  });

  it('lists the key’s organization at GET /admin/v1/orgs', async () => {
    const answer = await api.call('GET', '/v1/orgs');
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual([
      expect.objectContaining({ id: org.orgId, type: 'orgs', attributes: { name: expect.any(String) } }),
    ]);
    expect(answer.body.links.self).toBe('https://api.atlassian.com/admin/v1/orgs');
  });

  it('answers 404 for an unknown org or directory, 404 for unknown paths, 405 for a wrong method', async () => {
    const org404 = await api.call('GET', '/v2/orgs/nope/directories');
    expect(org404.status).toBe(404);
    expect(org404.body.errors[0].code).toBe('ADMIN-404-2');
    expect((await api.call('POST', `${api.o}/directories/nope/users/search`, {})).status).toBe(404);
    expect((await api.call('GET', `${api.o}/nothing-here`)).status).toBe(404);
    const outside = await org.handle({ method: 'GET', path: '/scim/v2/Users', headers: {} });
    expect(outside.status).toBe(404);
    const wrong = await api.call('PUT', `${api.d}/groups`, {});
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST, GET');
    expect(wrong.body.errors[0].code).toBe('ADMIN-405-1');
  });

  it('accepts `-` as the directory of reads only', async () => {
    expect((await api.call('POST', `${api.o}/directories/-/users/search`, {})).status).toBe(200);
    expect((await api.call('POST', `${api.o}/directories/-/groups`, { name: 'x' })).status).toBe(404);
  });

  it('refuses bodies that are not JSON objects', async () => {
    const notJson = await api.call('POST', `${api.d}/groups`, '{nope');
    expect(notJson.status).toBe(400);
    expect(notJson.body.errors[0].code).toBe('ADMIN-400-24');
    expect((await api.call('POST', `${api.d}/groups`, '[1]')).status).toBe(400);
    const form = await api.call('POST', `${api.d}/groups`, 'name=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
  });
});

describe('directories and workspaces', () => {
  it('lists the one directory', async () => {
    const answer = await api.call('GET', `${api.o}/directories`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      data: [{ directoryId: org.directoryId, name: expect.any(String), icon: expect.any(String) }],
      links: { self: null, next: null },
    });
    const none = await api.call('GET', `${api.o}/directories?searchTerm=zzz`);
    expect(none.body.data).toEqual([]);
  });

  it('queries the four workspaces, with product ARIs of the site, by field and by search', async () => {
    const all = await api.call('POST', `${api.o}/workspaces`, {});
    expect(all.status).toBe(200);
    const cloudId = org.meta.cloudId;
    expect((all.body.data as { id: string }[]).map((w) => w.id).sort()).toEqual(
      ['bitbucket', 'confluence', 'jira-servicedesk', 'jira-software'].map(
        (p) => `ari:cloud:${p}::site/${cloudId}`,
      ),
    );
    expect(all.body.data[0]).toMatchObject({
      type: 'workspace',
      attributes: { name: expect.any(String), typeKey: expect.any(String), status: 'online' },
    });
    expect(all.body.meta).toEqual({ pageSize: 50, startIndex: 0, endIndex: 3, total: 4 });
    const confluence = await api.call('POST', `${api.o}/workspaces`, {
      query: { field: { name: 'typeKey', values: ['confluence'] } },
    });
    expect(confluence.body.data).toHaveLength(1);
    expect(confluence.body.data[0].attributes.hostUrl).toBe('https://offline.atlassian.net/wiki');
    const jiraOnly = await api.call('POST', `${api.o}/workspaces`, {
      query: {
        and: [
          { searchWorkspaces: 'jira' },
          { nor: [{ field: { name: 'typeKey', values: ['jira-servicedesk'] } }] },
        ],
      },
    });
    expect(jiraOnly.body.data.map((w: { attributes: { typeKey: string } }) => w.attributes.typeKey)).toEqual([
      'jira-software',
    ]);
  });

  it('pages workspaces with a cursor that must come alone', async () => {
    const first = await api.call('POST', `${api.o}/workspaces`, { limit: 3 });
    expect(first.body.data).toHaveLength(3);
    const cursor = cursorOf(first.body.links.next);
    const second = await api.call('POST', `${api.o}/workspaces`, { cursor });
    expect(second.body.data).toHaveLength(1);
    expect(second.body.meta.startIndex).toBe(3);
    expect(second.body.links.next).toBeNull();
    const mixed = await api.call('POST', `${api.o}/workspaces`, { cursor, limit: 3 });
    expect(mixed.status).toBe(400);
    expect((await api.call('POST', `${api.o}/workspaces`, { query: { weird: 1 } })).status).toBe(400);
  });
});

describe('users', () => {
  it('finds a user by exact e-mail, case-insensitively, and refuses emails with searchTerm', async () => {
    const found = await api.call('POST', `${api.d}/users/search`, { emails: ['ADA@example.com'] });
    expect(found.status).toBe(200);
    expect(found.body.data).toEqual([
      expect.objectContaining({
        accountId: expect.stringMatching(/^712020:/),
        accountType: 'atlassian',
        email: SEED_ACCOUNTS.existing,
        name: 'Ada Lovelace',
        status: 'active',
        accountStatus: 'active',
        membershipStatus: 'active',
      }),
    ]);
    expect(found.body.data[0].platformRoles).toBeUndefined();
    const both = await api.call('POST', `${api.d}/users/search`, { emails: ['a@b.c'], searchTerm: 'a' });
    expect(both.status).toBe(400);
    const term = await api.call('POST', `${api.d}/users/search`, { searchTerm: 'lovelace' });
    expect(term.body.data.map((u: { email: string }) => u.email)).toEqual([SEED_ACCOUNTS.existing]);
  });

  it('seeds an admin, an existing, a suspended and an outside account', async () => {
    const all = await api.call('POST', `${api.d}/users/search`, { expand: ['platformRoles', 'groups'] });
    const byEmail = Object.fromEntries(
      (all.body.data as { email: string }[]).map((u) => [u.email, u as Record<string, unknown>]),
    );
    expect(Object.keys(byEmail).sort()).toEqual(
      [SEED_ACCOUNTS.admin, SEED_ACCOUNTS.existing, SEED_ACCOUNTS.suspended, SEED_ACCOUNTS.outside].sort(),
    );
    expect(byEmail[SEED_ACCOUNTS.admin].platformRoles).toEqual([
      'atlassian/org-admin',
      'atlassian/site-admin',
    ]);
    expect((byEmail[SEED_ACCOUNTS.admin].groups as { name: string }[]).map((g) => g.name).sort()).toEqual([
      'org-admins',
      'site-admins',
    ]);
    expect(byEmail[SEED_ACCOUNTS.suspended].status).toBe('suspended');
    // The outside account is not in the directory: the search lists it not_invited, GET is 404.
    expect(byEmail[SEED_ACCOUNTS.outside]).toMatchObject({
      status: 'not_invited',
      membershipStatus: 'no_membership',
    });
    const outside = String(byEmail[SEED_ACCOUNTS.outside].accountId);
    expect((await api.call('GET', `${api.d}/users/${outside}`)).status).toBe(404);
    const notInvited = await api.call('POST', `${api.d}/users/search`, {
      membershipStatus: ['no_membership'],
    });
    expect(notInvited.body.data.map((u: { email: string }) => u.email)).toEqual([SEED_ACCOUNTS.outside]);
  });

  it('filters by status, domain, group and role', async () => {
    const suspended = await api.call('POST', `${api.d}/users/search`, { status: ['suspended'] });
    expect(suspended.body.data.map((u: { email: string }) => u.email)).toEqual([SEED_ACCOUNTS.suspended]);
    const domain = await api.call('POST', `${api.d}/users/search`, { emailDomains: ['offline.example'] });
    expect(domain.body.data).toHaveLength(1);
    const admins = await api.call('POST', `${api.d}/users/search`, {
      groupIds: [await api.groupOf('site-admins')],
    });
    expect(admins.body.data.map((u: { email: string }) => u.email)).toEqual([SEED_ACCOUNTS.admin]);
    const jiraUsers = await api.call('POST', `${api.d}/users/search`, { roleIds: ['atlassian/user'] });
    expect(jiraUsers.body.data.map((u: { email: string }) => u.email)).toEqual([SEED_ACCOUNTS.existing]);
    expect((await api.call('POST', `${api.d}/users/search`, { status: ['bogus'] })).status).toBe(400);
  });

  it('pages 50 by default, at most 100, following links.next as cursor, with the deprecated GET too', async () => {
    await inviteMany(120);
    const first = await api.call('POST', `${api.d}/users/search`, {});
    expect(first.body.data).toHaveLength(DEFAULT_LIMITS.users);
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { body: { data: { accountId: string }[]; links: { next: string | null } } } =
        await api.call(
          'POST',
          `${api.d}/users/search`,
          // An unfiltered search: its cursor alone is enough, whatever the cursor carries.
          cursor ? { cursor } : { limit: 100 },
        );
      for (const u of page.body.data) seen.add(u.accountId);
      cursor = page.body.links.next;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    // 120 invited (in the directory or, invited bare, not_invited) and the 4 seed accounts.
    expect(seen.size).toBe(124);
    expect((await api.call('POST', `${api.d}/users/search`, { limit: 101 })).status).toBe(400);
    const badCursor = await api.call('POST', `${api.d}/users/search`, { cursor: 'garbage' });
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.errors[0].code).toBe('ADMIN-400-1');
    const listed = await api.call('GET', `${api.d}/users?limit=100&emailDomains=example.org`);
    expect(listed.body.data).toHaveLength(100);
    const rest = await api.call('GET', `${api.d}/users?cursor=${encodeURIComponent(listed.body.links.next)}`);
    expect(rest.body.data).toHaveLength(20);
    const sorted = await api.call(
      'GET',
      `${api.d}/users?limit=2&sortBy=${encodeURIComponent('[{"field":"nick_name","direction":"desc"}]')}`,
    );
    expect(sorted.body.data.map((u: { nickname: string }) => u.nickname)).toEqual(['user0119', 'user0118']);
  });

  it('gets one user with its platform roles, and 404 "User not found" outside the directory', async () => {
    const admin = await api.accountOf(SEED_ACCOUNTS.admin);
    const details = await api.call('GET', `${api.d}/users/${admin}`);
    expect(details.status).toBe(200);
    expect(details.body.data).toMatchObject({
      accountId: admin,
      email: SEED_ACCOUNTS.admin,
      platformRoles: ['atlassian/org-admin', 'atlassian/site-admin'],
      counts: { resources: 0 },
    });
    const outside = org.findUserByEmail(SEED_ACCOUNTS.outside)?.accountId;
    const missing = await api.call('GET', `${api.d}/users/${outside}`);
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0]).toMatchObject({ code: 'ADMIN-404-8', detail: 'User not found.' });
  });

  it('lists role assignments: direct, through groups, and platform roles', async () => {
    const ada = await api.accountOf(SEED_ACCOUNTS.existing);
    const group = await createGroup('Confluence users');
    await api.call('POST', `${api.d}/groups/${group}/memberships`, { accountId: ada });
    const confluence = org.workspaces.find((w) => w.typeKey === 'confluence')?.id;
    await api.call('POST', `${api.d}/groups/${group}/role-assignments/assign`, {
      resourceId: confluence,
      roleId: 'atlassian/user',
    });
    const roles = await api.call('GET', `${api.d}/users/${ada}/role-assignments`);
    expect(roles.status).toBe(200);
    expect(roles.body.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          resourceId: confluence,
          resourceOwner: 'confluence',
          roles: ['atlassian/user'],
          roleAssignments: [{ role: 'atlassian/user', roleAssignmentMethods: ['group_direct'] }],
          directoryId: org.directoryId,
          userDirectoryStatus: 'active',
        }),
        expect.objectContaining({
          resourceOwner: 'jira-software',
          roleAssignments: [{ role: 'atlassian/user', roleAssignmentMethods: ['direct'] }],
        }),
      ]),
    );
    const admin = await api.accountOf(SEED_ACCOUNTS.admin);
    const platform = await api.call(
      'GET',
      `${api.d}/users/${admin}/role-assignments?roleIds=atlassian/org-admin`,
    );
    expect(platform.body.data).toEqual([
      expect.objectContaining({
        roles: ['atlassian/org-admin'],
        directoryId: null,
        userDirectoryStatus: null,
      }),
    ]);
  });

  it('suspends and restores only with a {} JSON body (415 otherwise), idempotently, 204', async () => {
    const ada = await api.accountOf(SEED_ACCOUNTS.existing);
    const path = `${api.d}/users/${ada}`;
    const bare = await api.call('POST', `${path}/suspend`);
    expect(bare.status).toBe(415);
    expect(bare.body.errors[0].code).toBe('ADMIN-UAM-415-1');
    expect((await api.call('POST', `${path}/suspend`, '{}', { 'content-type': 'text/plain' })).status).toBe(
      415,
    );
    expect((await api.call('POST', `${path}/suspend`, { reason: 'x' })).status).toBe(400);
    expect((await api.call('POST', `${path}/suspend`, {})).status).toBe(204);
    expect((await api.call('POST', `${path}/suspend`, {})).status).toBe(204);
    expect((await api.call('GET', path)).body.data.status).toBe('suspended');
    expect(
      (await api.call('POST', `${path}/restore`, {}, { 'content-type': 'application/json; charset=utf-8' }))
        .status,
    ).toBe(204);
    expect((await api.call('GET', path)).body.data).toMatchObject({
      status: 'active',
      membershipStatus: 'active',
    });
    const admin = await api.accountOf(SEED_ACCOUNTS.admin);
    expect((await api.call('POST', `${api.d}/users/${admin}/suspend`, {})).status).toBe(403);
    expect((await api.call('POST', `${api.d}/users/nobody/suspend`, {})).status).toBe(404);
  });

  it('removes a user from the directory with its groups and roles; again is 404', async () => {
    const ada = await api.accountOf(SEED_ACCOUNTS.existing);
    const group = await createGroup('Team');
    await api.call('POST', `${api.d}/groups/${group}/memberships`, { accountId: ada });
    expect((await api.call('DELETE', `${api.d}/users/${ada}`)).status).toBe(204);
    expect((await api.call('GET', `${api.d}/users/${ada}`)).status).toBe(404);
    expect(org.membersOf(String(group))).toEqual([]);
    expect(org.userRoles(String(ada))).toEqual([]);
    expect((await api.call('DELETE', `${api.d}/users/${ada}`)).status).toBe(404);
    // Re-inviting with a group brings the same account back, without its old groups.
    const again = await api.call('POST', `${api.o}/users/invite`, {
      emails: [SEED_ACCOUNTS.existing],
      additionalGroups: [group],
    });
    expect(again.body.data[0].id).toBe(ada);
    expect((await api.call('GET', `${api.d}/users/${ada}`)).body.data.status).toBe('active');
  });
});

describe('invite', () => {
  it('creates an account per new e-mail and reuses existing ones (one account per e-mail)', async () => {
    const ada = await api.accountOf(SEED_ACCOUNTS.existing);
    const outside = org.findUserByEmail(SEED_ACCOUNTS.outside)?.accountId;
    const jira = org.workspaces.find((w) => w.typeKey === 'jira-software')?.id;
    const group = await createGroup('Engineering');
    const answer = await api.call('POST', `${api.o}/users/invite`, {
      emails: ['new.person@example.org', 'Ada@Example.com', SEED_ACCOUNTS.outside],
      permissionRules: [
        { resource: jira, role: 'atlassian/user' },
        { resource: jira, role: 'atlassian/customer' },
        { resource: 'ari:cloud:jira-software::site/nope', role: 'atlassian/user' },
      ],
      additionalGroups: [group, 'no-such-group', await api.groupOf('site-admins')],
      sendNotification: false,
    });
    expect(answer.status).toBe(200);
    const [created, existing, linked] = answer.body.data;
    expect(created.id).toMatch(/^712020:/);
    expect(existing).toMatchObject({ id: ada, email: SEED_ACCOUNTS.existing });
    expect(linked.id).toBe(outside);
    expect(created.results[0].roleAssignmentResult.map((r: { status: string }) => r.status)).toEqual([
      'INVITED',
      'ERROR',
      'ERROR',
    ]);
    expect(created.results[0].groupAssignmentResult).toEqual([
      { group, status: 'INVITED', statusReason: null },
      { group: 'no-such-group', status: 'ERROR', statusReason: 'Group not found.' },
      expect.objectContaining({ status: 'ERROR' }),
    ]);
    expect(org.membersOf(String(group)).sort()).toEqual([created.id, ada, outside].sort());
    const again = await api.call('POST', `${api.o}/users/invite`, { emails: ['NEW.person@example.org'] });
    expect(again.body.data[0].id).toBe(created.id);
  });

  it('keeps a suspended member suspended (restoring is its own call)', async () => {
    const answer = await api.call('POST', `${api.o}/users/invite`, { emails: [SEED_ACCOUNTS.suspended] });
    const grace = answer.body.data[0].id;
    expect((await api.call('GET', `${api.d}/users/${grace}`)).body.data.status).toBe('suspended');
  });

  it('refuses bad requests with 400 and an unpaid organization with 402', async () => {
    expect((await api.call('POST', `${api.o}/users/invite`, {})).status).toBe(400);
    expect((await api.call('POST', `${api.o}/users/invite`, { emails: ['not-an-email'] })).status).toBe(400);
    const many = Array.from({ length: DEFAULT_LIMITS.inviteEmails + 1 }, (_, i) => `p${i}@example.org`);
    expect((await api.call('POST', `${api.o}/users/invite`, { emails: many })).status).toBe(400);
    org.paid = false;
    const unpaid = await api.call('POST', `${api.o}/users/invite`, { emails: ['x@example.org'] });
    expect(unpaid.status).toBe(402);
    expect(unpaid.body.errors[0].code).toBe('ADMIN-UAM-402-1');
    expect(org.findUserByEmail('x@example.org')).toBeUndefined();
  });
});

describe('per-user roles (v1)', () => {
  it('grants and revokes product and platform roles, 204, idempotently', async () => {
    const ada = await api.accountOf(SEED_ACCOUNTS.existing);
    const desk = org.workspaces.find((w) => w.typeKey === 'jira-servicedesk')?.id;
    const path = `/v1/orgs/${org.orgId}/users/${ada}/roles`;
    expect(
      (await api.call('POST', `${path}/assign`, { role: 'atlassian/customer', resource: desk })).status,
    ).toBe(204);
    expect(
      (await api.call('POST', `${path}/assign`, { role: 'atlassian/customer', resource: desk })).status,
    ).toBe(204);
    expect(org.userRoles(String(ada)).map((r) => r.roleId)).toContain('atlassian/customer');
    expect(
      (await api.call('POST', `${path}/revoke`, { role: 'atlassian/customer', resource: desk })).status,
    ).toBe(204);
    expect(
      (await api.call('POST', `${path}/revoke`, { role: 'atlassian/customer', resource: desk })).status,
    ).toBe(204);
    expect((await api.call('POST', `${path}/assign`, { role: 'atlassian/org-admin' })).status).toBe(204);
    expect(org.findUserByEmail(SEED_ACCOUNTS.existing)?.platformRoles).toContain('atlassian/org-admin');
  });

  it('refuses unknown roles, missing resources, unknown users and removing the last org admin', async () => {
    const ada = await api.accountOf(SEED_ACCOUNTS.existing);
    const path = `/v1/orgs/${org.orgId}/users/${ada}/roles`;
    expect(
      (await api.call('POST', `${path}/assign`, { role: 'atlassian/wizard', resource: 'x' })).status,
    ).toBe(400);
    expect((await api.call('POST', `${path}/assign`, { role: 'atlassian/user' })).status).toBe(400);
    expect(
      (await api.call('POST', `${path}/assign`, { role: 'atlassian/user', resource: 'ari:nope' })).status,
    ).toBe(404);
    const jira = org.workspaces.find((w) => w.typeKey === 'jira-software')?.id;
    expect(
      (await api.call('POST', `${path}/assign`, { role: 'atlassian/customer', resource: jira })).status,
    ).toBe(400);
    expect(
      (
        await api.call('POST', `/v1/orgs/${org.orgId}/users/nobody/roles/assign`, {
          role: 'atlassian/org-admin',
        })
      ).status,
    ).toBe(404);
    const admin = await api.accountOf(SEED_ACCOUNTS.admin);
    const last = await api.call('POST', `/v1/orgs/${org.orgId}/users/${admin}/roles/revoke`, {
      role: 'atlassian/org-admin',
    });
    expect(last.status).toBe(409);
  });
});

async function createGroup(name: string, description?: string): Promise<string> {
  const created = await api.call('POST', `${api.d}/groups`, {
    name,
    ...(description ? { description } : {}),
  });
  expect(created.status).toBe(201);
  expect(created.body).toBeUndefined();
  const id = await api.groupOf(name);
  if (!id) throw new Error(`group ${name} not found after create`);
  return id;
}

describe('groups', () => {
  it('creates (201, no body), finds by exact name case-insensitively, gets, and refuses duplicate names', async () => {
    const id = await createGroup('Engineering', 'Builders');
    const found = await api.call('POST', `${api.d}/groups/search`, { groupNames: ['ENGINEERING'] });
    expect(found.body.data).toEqual([
      {
        id,
        name: 'Engineering',
        description: 'Builders',
        directoryId: org.directoryId,
        managementAccess: { readable: true, deletable: true, modifiable: true },
        externalSynced: false,
        managedBy: 'admins',
      },
    ]);
    const got = await api.call('GET', `${api.d}/groups/${id}`);
    expect(got.body.data).toMatchObject({ id, name: 'Engineering', counts: { users: 0, resources: 0 } });
    const duplicate = await api.call('POST', `${api.d}/groups`, { name: 'engineering' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.errors[0].code).toBe('ADMIN-UAM-409-2');
    expect((await api.call('POST', `${api.d}/groups`, { name: 'SITE-ADMINS' })).status).toBe(409);
    expect((await api.call('POST', `${api.d}/groups`, { name: ' ' })).status).toBe(400);
    expect((await api.call('GET', `${api.d}/groups/nope`)).status).toBe(404);
  });

  it('searches 20 by default, by term, by member, and refuses groupNames with searchTerm or groupIds', async () => {
    for (let i = 0; i < 25; i++)
      await api.call('POST', `${api.d}/groups`, { name: `team-${String(i).padStart(2, '0')}` });
    const first = await api.call('POST', `${api.d}/groups/search`);
    expect(first.body.data).toHaveLength(DEFAULT_LIMITS.groups);
    const second = await api.call('POST', `${api.d}/groups/search`, { cursor: first.body.links.next });
    expect(second.body.data).toHaveLength(27 - DEFAULT_LIMITS.groups);
    expect(second.body.links.next).toBeNull();
    const term = await api.call('POST', `${api.d}/groups/search`, {
      searchTerm: 'TEAM-1',
      expand: ['counts.users'],
    });
    expect(term.body.data).toHaveLength(10);
    expect(term.body.data[0].counts).toEqual({ users: 0 });
    const admin = await api.accountOf(SEED_ACCOUNTS.admin);
    const mine = await api.call('POST', `${api.d}/groups/search`, { accountIds: [admin] });
    expect(mine.body.data.map((g: { name: string }) => g.name)).toEqual(['org-admins', 'site-admins']);
    expect(
      (await api.call('POST', `${api.d}/groups/search`, { groupNames: ['a'], searchTerm: 'a' })).status,
    ).toBe(400);
    expect(
      (await api.call('POST', `${api.d}/groups/search`, { groupNames: ['a'], groupIds: ['b'] })).status,
    ).toBe(400);
    const listed = await api.call('GET', `${api.d}/groups?searchTerm=team&limit=5&includeUsers=true`);
    expect(listed.body.data).toHaveLength(5);
    expect(listed.body.data[0].counts).toEqual({ users: 0 });
    const desc = await api.call(
      'GET',
      `${api.d}/groups?limit=1&sortBy=${encodeURIComponent('[{"field":"name","direction":"desc"}]')}`,
    );
    expect(desc.body.data[0].name).toBe('team-24');
    const two = encodeURIComponent(
      '[{"field":"name","direction":"desc"},{"field":"name","direction":"asc"}]',
    );
    expect((await api.call('GET', `${api.d}/groups?sortBy=${two}`)).status).toBe(400);
  });

  it('protects site-admins and org-admins: not deletable, members and roles not modifiable', async () => {
    const siteAdmins = await api.groupOf('site-admins');
    const found = await api.call('GET', `${api.d}/groups/${siteAdmins}`);
    expect(found.body.data.managementAccess).toEqual({ readable: true, deletable: false, modifiable: false });
    const deleted = await api.call('DELETE', `${api.d}/groups/${siteAdmins}`);
    expect(deleted.status).toBe(403);
    expect(deleted.body.errors[0].code).toBe('ADMIN-403-7');
    const ada = await api.accountOf(SEED_ACCOUNTS.existing);
    expect(
      (await api.call('POST', `${api.d}/groups/${siteAdmins}/memberships`, { accountId: ada })).status,
    ).toBe(403);
    const admin = await api.accountOf(SEED_ACCOUNTS.admin);
    expect((await api.call('DELETE', `${api.d}/groups/${siteAdmins}/memberships/${admin}`)).status).toBe(403);
    const jira = org.workspaces[0].id;
    expect(
      (
        await api.call('POST', `${api.d}/groups/${siteAdmins}/role-assignments/assign`, {
          resourceId: jira,
          roleId: 'atlassian/user',
        })
      ).status,
    ).toBe(403);
  });

  it('deletes an empty group (204) with its roles; its name is free again', async () => {
    const id = await createGroup('Temp');
    const ada = await api.accountOf(SEED_ACCOUNTS.existing);
    await api.call('POST', `${api.d}/groups/${id}/memberships`, { accountId: ada });
    await api.call('POST', `${api.d}/groups/${id}/role-assignments/assign`, {
      resourceId: org.workspaces[0].id,
      roleId: 'atlassian/user',
    });
    // The error catalogue: 409 ADMIN-409-5 "Group not empty"; nothing is deleted.
    const refused = await api.call('DELETE', `${api.d}/groups/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      errors: [{ status: '409', code: 'ADMIN-409-5', detail: 'Group not empty.' }],
    });
    expect(org.membersOf(id)).toEqual([ada]);
    expect(org.groupRoles(id)).not.toEqual([]);
    expect((await api.call('DELETE', `${api.d}/groups/${id}/memberships/${ada}`)).status).toBe(204);
    expect((await api.call('DELETE', `${api.d}/groups/${id}`)).status).toBe(204);
    expect((await api.call('DELETE', `${api.d}/groups/${id}`)).status).toBe(404);
    expect(org.groupRoles(id)).toEqual([]);
    expect(await api.groupOf('Temp')).toBeUndefined();
    await createGroup('temp');
  });
});

describe('memberships', () => {
  it('adds (204, twice still 204), removes (204), and a non-member remove is 404', async () => {
    const id = await createGroup('Members');
    const ada = await api.accountOf(SEED_ACCOUNTS.existing);
    const path = `${api.d}/groups/${id}/memberships`;
    expect((await api.call('POST', path, { accountId: ada })).status).toBe(204);
    expect((await api.call('POST', path, { accountId: ada })).status).toBe(204);
    expect(org.membersOf(id)).toEqual([ada]);
    const members = await api.call('POST', `${api.d}/users/search`, { accountIds: [ada], groupIds: [id] });
    expect(members.body.data).toHaveLength(1);
    expect((await api.call('DELETE', `${path}/${ada}`)).status).toBe(204);
    const again = await api.call('DELETE', `${path}/${ada}`);
    expect(again.status).toBe(404);
    expect(again.body.errors[0].code).toBe('ADMIN-404-8');
  });

  it('answers 404 "User not found" for an account not in the directory, 404 for an unknown group', async () => {
    const id = await createGroup('Members');
    const outside = org.findUserByEmail(SEED_ACCOUNTS.outside)?.accountId;
    const answer = await api.call('POST', `${api.d}/groups/${id}/memberships`, { accountId: outside });
    expect(answer.status).toBe(404);
    expect(answer.body.errors[0]).toMatchObject({
      status: '404',
      code: 'ADMIN-404-8',
      detail: 'User not found.',
    });
    const ada = await api.accountOf(SEED_ACCOUNTS.existing);
    const noGroup = await api.call('POST', `${api.d}/groups/nope/memberships`, { accountId: ada });
    expect(noGroup.status).toBe(404);
    expect(noGroup.body.errors[0].code).toBe('ADMIN-404-10');
    expect((await api.call('POST', `${api.d}/groups/${id}/memberships`, {})).status).toBe(400);
  });
});

describe('group role assignments', () => {
  it('assigns, lists and revokes product roles, 204, idempotently; refuses unknown resources and bad roles', async () => {
    const id = await createGroup('Jira users');
    const [jira, desk] = [org.workspaces[0].id, org.workspaces[1].id];
    const path = `${api.d}/groups/${id}/role-assignments`;
    expect(
      (await api.call('POST', `${path}/assign`, { resourceId: jira, roleId: 'atlassian/user' })).status,
    ).toBe(204);
    expect(
      (await api.call('POST', `${path}/assign`, { resourceId: jira, roleId: 'atlassian/user' })).status,
    ).toBe(204);
    expect(
      (await api.call('POST', `${path}/assign`, { resourceId: desk, roleId: 'atlassian/customer' })).status,
    ).toBe(204);
    const listed = await api.call('GET', path);
    expect(listed.body).toEqual({
      data: [
        { resourceId: jira, resourceOwner: 'jira-software', defaultRole: null, roles: ['atlassian/user'] },
        {
          resourceId: desk,
          resourceOwner: 'jira-servicedesk',
          defaultRole: null,
          roles: ['atlassian/customer'],
        },
      ].sort((a, b) => (a.resourceId < b.resourceId ? -1 : 1)),
      links: { self: null, next: null },
    });
    const owners = await api.call('GET', `${path}?resourceOwners=jira-servicedesk`);
    expect(owners.body.data).toHaveLength(1);
    const byRole = await api.call('POST', `${api.d}/groups/search`, { roleIds: ['atlassian/customer'] });
    expect(byRole.body.data.map((g: { id: string }) => g.id)).toEqual([id]);
    expect(
      (await api.call('POST', `${path}/revoke`, { resourceId: jira, roleId: 'atlassian/user' })).status,
    ).toBe(204);
    expect(
      (await api.call('POST', `${path}/revoke`, { resourceId: jira, roleId: 'atlassian/user' })).status,
    ).toBe(204);
    expect(org.groupRoles(id)).toHaveLength(1);
    expect(
      (await api.call('POST', `${path}/assign`, { resourceId: 'ari:nope', roleId: 'atlassian/user' })).status,
    ).toBe(404);
    const bad = await api.call('POST', `${path}/assign`, { resourceId: jira, roleId: 'atlassian/org-admin' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].code).toBe('ADMIN-UAM-400-3');
    expect((await api.call('POST', `${path}/assign`, { resourceId: jira })).status).toBe(400);
  });
});
