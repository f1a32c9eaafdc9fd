/**
 * The Organizations API adapter's calls for the user policies (isAdmin, productAccessGroups,
 * groupsOf, removeFromDirectory): what each answers against the fake organization, paging
 * and "already done" included, and every request they send checked against the contract.
 */
import { createOrgAdminAdapter } from '../../src/atlassian/org-adapter';
import { Contract, specMissing } from './contract';
import { FakeOrg, KEY, ORG } from './fake-org';

const adapterFor = (org: FakeOrg) =>
  createOrgAdminAdapter(
    { orgId: ORG, apiKey: KEY },
    { fetch: org.fetch, clock: { now: () => 0, sleep: async () => undefined }, random: () => 0 },
  );

const JIRA = 'ari:cloud:jira-software::site/c1';
const WIKI = 'ari:cloud:confluence::site/c1';

describe('isAdmin', () => {
  it('is true for org and site admins (platform roles) and product admins, on any page', async () => {
    const org = new FakeOrg();
    const owner = org.addUser('owner@example.com');
    const jiraAdmin = org.addUser('jira-admin@example.com');
    const member = org.addUser('member@example.com');
    org.userRoles.set(owner.accountId, [{ resourceId: null, roles: ['atlassian/org-admin'] }]);
    // Three resources, two per page: the admin role is on the second page.
    org.userRoles.set(jiraAdmin.accountId, [
      { resourceId: WIKI, roles: ['atlassian/user'] },
      { resourceId: 'ari:cloud:bitbucket::workspace/w1', roles: ['atlassian/user'] },
      { resourceId: JIRA, roles: ['atlassian/admin'] },
    ]);
    org.userRoles.set(member.accountId, [{ resourceId: JIRA, roles: ['atlassian/user'] }]);
    const adapter = adapterFor(org);
    expect(await adapter.isAdmin(owner.accountId)).toBe(true);
    expect(await adapter.isAdmin(jiraAdmin.accountId)).toBe(true);
    expect(await adapter.isAdmin(member.accountId)).toBe(false);
    // Not in the directory: administers nothing here.
    expect(await adapter.isAdmin('acc-unknown')).toBe(false);
  });
});

describe('productAccessGroups', () => {
  it('lists the groups holding a product role with their products, not user-access-admin-only groups', async () => {
    const org = new FakeOrg();
    const jiraUsers = org.addGroup('jira-users');
    jiraUsers.roles.set(JIRA, new Set(['atlassian/user']));
    const everyone = org.addGroup('everyone');
    everyone.roles.set(JIRA, new Set(['atlassian/user']));
    everyone.roles.set(WIKI, new Set(['atlassian/user']));
    const helpers = org.addGroup('user-admins');
    helpers.roles.set(JIRA, new Set(['atlassian/user-access-admin']));
    org.addGroup('book club');
    const groups = await adapterFor(org).productAccessGroups();
    expect(groups.map((g) => ({ name: g.group.name, products: g.products.sort() }))).toEqual([
      { name: 'jira-users', products: ['jira-software'] },
      { name: 'everyone', products: ['confluence', 'jira-software'] },
    ]);
  });
});

describe('groupsOf and removeFromDirectory', () => {
  it("reads a user's groups, and removes it from the directory once (a second removal is success)", async () => {
    const org = new FakeOrg();
    const ada = org.addUser('ada@example.com');
    const team = org.addGroup('team');
    team.members.add(ada.accountId);
    org.addGroup('other');
    const adapter = adapterFor(org);
    expect((await adapter.groupsOf(ada.accountId)).map((g) => g.name)).toEqual(['team']);

    await adapter.removeFromDirectory(ada.accountId);
    await adapter.removeFromDirectory(ada.accountId);
    expect(org.users.get(ada.accountId)?.status).toBe('not_invited');
    expect(team.members.size).toBe(0);
    expect(await adapter.groupsOf(ada.accountId)).toEqual([]);
    // The account is never deleted: it is still there, outside the directory.
    expect(org.users.has(ada.accountId)).toBe(true);
    expect(org.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([
      `/v2/orgs/${ORG}/directories/dir-1/users/${ada.accountId}`,
      `/v2/orgs/${ORG}/directories/dir-1/users/${ada.accountId}`,
    ]);
  });
});

const missing = specMissing();
(missing ? describe.skip : describe)(
  `the user-policy calls are in the contract${missing ? ` (${missing})` : ''}`,
  () => {
    it('sends only requests the contract declares', async () => {
      const org = new FakeOrg();
      const ada = org.addUser('ada@example.com');
      org.userRoles.set(ada.accountId, [{ resourceId: JIRA, roles: ['atlassian/user'] }]);
      org.addGroup('jira-users').roles.set(JIRA, new Set(['atlassian/user']));
      const adapter = adapterFor(org);
      await adapter.isAdmin(ada.accountId);
      await adapter.productAccessGroups();
      await adapter.groupsOf(ada.accountId);
      await adapter.removeFromDirectory(ada.accountId);
      const contract = new Contract();
      expect(org.requests.flatMap((r) => contract.check(r).problems)).toEqual([]);
    });
  },
);
