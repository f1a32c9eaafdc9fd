/**
 * Every request the Organizations API adapter sends, checked against the contract
 * (../shared/specs/admin-organization-v2.derived.json; GET /v1/orgs against Atlassian's v1
 * document): method and path template, declared query parameters, content type, required
 * body fields, no unknown body fields, declared types and enums. The adapter is driven
 * through every port method, including the read-back paths, against the fake organization.
 * Skipped, with the reason in its title, when ../shared is not beside the repository.
 */
import { createOrgAdminAdapter } from '../../src/atlassian/org-adapter';
import { Contract, specMissing } from './contract';
import { FakeOrg, KEY, ORG, RecordedRequest } from './fake-org';

const missing = specMissing();
if (missing) console.log(`Organizations API contract test ${missing}`);
const maybe = missing ? describe.skip : describe;

maybe(`every request the adapter sends is in the contract${missing ? ` (${missing})` : ''}`, () => {
  let contract: Contract;
  beforeAll(() => {
    contract = new Contract();
  });

  async function driveEverything(org: FakeOrg): Promise<void> {
    const adapter = createOrgAdminAdapter(
      { orgId: ORG, apiKey: KEY },
      { fetch: org.fetch, clock: { now: () => 0, sleep: async () => undefined }, random: () => 0 },
    );
    await adapter.verify();
    const ada = await adapter.invite('ada@example.com');
    await adapter.findAccountByEmail('ada@example.com');
    await adapter.getAccount(ada.accountId);
    // The batched look-ups and the invite whose read-back the caller batches (issue 15).
    await adapter.findAccountsByEmail(['ADA@example.com', 'nobody@example.com']);
    await adapter.getAccounts([ada.accountId]);
    await adapter.invite('bo@example.com', { lookedUp: true, deferReadBack: true });
    await adapter.suspend(ada.accountId);
    await adapter.suspend(ada.accountId); // refused, read back (getAccount)
    await adapter.restore(ada.accountId);
    const group = await adapter.createGroup('Engineering', 'All engineers');
    await adapter.createGroup('Engineering'); // found, not created
    await adapter.createGroup('Engineering', undefined, { takenIsConflict: true }).catch(() => undefined); // 409
    await adapter.findGroupByName('engineering');
    await adapter.getGroup(group.id);
    await adapter.renameGroup(group.id, 'Eng').catch(() => undefined);
    await adapter.addMember(group.id, ada.accountId);
    await adapter.addMember(group.id, ada.accountId); // refused, read back (isMember)
    await adapter.isMember(group.id, ada.accountId);
    await adapter.removeMember(group.id, ada.accountId);
    await adapter.removeMember(group.id, ada.accountId);
    const [jira] = await adapter.listProducts();
    await adapter.grantGroupAccess(group.id, jira.id, 'atlassian/user');
    await adapter.grantGroupAccess(group.id, jira.id, 'atlassian/user'); // read back (role assignments)
    await adapter.revokeGroupAccess(group.id, jira.id, 'atlassian/user');
    // The user policies' calls: protection, product-access groups, a user's groups, removal.
    await adapter.grantGroupAccess(group.id, jira.id, 'atlassian/user');
    await adapter.addMember(group.id, ada.accountId);
    await adapter.isAdmin(ada.accountId);
    await adapter.productAccessGroups();
    await adapter.groupsOf(ada.accountId);
    await adapter.removeFromDirectory(ada.accountId);
    await adapter.removeFromDirectory(ada.accountId); // already out: 404 is success
    await adapter.deleteGroup(group.id);
    await adapter.deleteGroup(group.id);
  }

  it('holds for every port method, paging and read-back included', async () => {
    const org = new FakeOrg();
    org.addUser('first@example.com');
    org.addUser('second@example.com'); // two pages of users with pageSize 2
    org.addGroup('Other');
    org.addGroup('Another');
    // An invite whose outcome is unknown, then read back: the same calls, plus one.
    let failures = 1;
    org.fault = (r) =>
      r.path.endsWith('/invite') && failures-- > 0 ? { when: 'before', status: 503 } : undefined;
    await driveEverything(org);

    const results = org.requests.map((r) => contract.check(r));
    expect(results.flatMap((r) => r.problems)).toEqual([]);
    expect(results.filter((r) => r.deprecated).map((r) => r.operation)).toEqual([]);

    const used = new Set(results.map((r) => r.operation));
    // The operations the port needs; the others (deprecated lists, v1 per-user roles) are
    // not used by this adapter.
    expect([...used].sort()).toEqual(
      [
        'GET /orgs (getOrgs)',
        'GET /v2/orgs/{orgId}/directories (getDirectoriesForOrg)',
        'POST /v2/orgs/{orgId}/users/invite (inviteUsers)',
        'POST /v2/orgs/{orgId}/directories/{directoryId}/users/search (searchDirectoryUsers)',
        'GET /v2/orgs/{orgId}/directories/{directoryId}/users/{accountId} (getDirectoryUserDetails)',
        'DELETE /v2/orgs/{orgId}/directories/{directoryId}/users/{accountId} (removeDirectoryUser)',
        'GET /v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/role-assignments (getUserRoleAssignments)',
        'POST /v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/suspend (suspendDirectoryUser)',
        'POST /v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/restore (restoreDirectoryUser)',
        'POST /v2/orgs/{orgId}/directories/{directoryId}/groups (createGroup)',
        'POST /v2/orgs/{orgId}/directories/{directoryId}/groups/search (searchDirectoryGroups)',
        'GET /v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId} (getGroup)',
        'DELETE /v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId} (deleteGroup)',
        'POST /v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships (addUserToGroup)',
        'DELETE /v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships/{accountId} (removeUserFromGroup)',
        'GET /v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments (getGroupRoleAssignments)',
        'POST /v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments/assign (grantGroupAccess)',
        'POST /v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments/revoke (revokeGroupAccess)',
        'POST /v2/orgs/{orgId}/workspaces (queryWorkspaces)',
      ].sort(),
    );
    expect(contract.operations()).toHaveLength(22);
  });

  it('catches what the contract forbids (the checker is not a rubber stamp)', () => {
    const base = `/v2/orgs/${ORG}/directories/d1`;
    const bad = (r: Partial<RecordedRequest>) =>
      contract.check({ method: 'POST', path: `${base}/users/search`, query: {}, ...r }).problems;
    const json = (body: unknown) => ({
      body,
      rawBody: JSON.stringify(body),
      contentType: 'application/json',
    });

    expect(bad(json({ emailUsernames: ['a'] }))).toEqual([
      expect.stringMatching(/emailUsernames is not a field/),
    ]);
    expect(bad(json({ emails: 'a@x.com' }))).toEqual([expect.stringMatching(/body.emails is not an array/)]);
    expect(bad({ ...json({ emails: ['a'] }), contentType: 'text/plain' })).toEqual([
      expect.stringMatching(/Content-Type text\/plain/),
    ]);
    expect(bad({ method: 'PATCH', path: `${base}/groups/g1`, ...json({ name: 'x' }) })).toEqual([
      expect.stringMatching(/no such operation/),
    ]);
    expect(bad({ path: `${base}/groups/g1/memberships`, ...json({}) })).toEqual([
      expect.stringMatching(/accountId is required/),
    ]);
    expect(bad({ path: `${base}/users/u1/suspend`, ...json({ reason: 'x' }) })).toEqual([
      expect.stringMatching(/more than 0 properties/),
      expect.stringMatching(/reason is not a field/),
    ]);
    expect(
      bad({
        path: `${base}/groups/g1/role-assignments/assign`,
        ...json({ resourceId: 'r', roleId: 'atlassian/site-admin' }),
      }),
    ).toEqual([expect.stringMatching(/roleId = "atlassian\/site-admin" is not one of the enum/)]);
    expect(bad({ method: 'DELETE', path: `${base}/groups/g1`, ...json({}) })).toEqual([
      expect.stringMatching(/sends a body but the operation takes none/),
      expect.stringMatching(/sends Content-Type/),
    ]);
    expect(bad({ method: 'GET', path: `/v2/orgs/${ORG}/directories`, query: { verbose: '1' } })).toEqual([
      expect.stringMatching(/query parameter verbose is not declared/),
    ]);
    expect(bad({ path: `/v2/orgs/${ORG}/users/invite`, ...json({ sendNotification: false }) })).toEqual([
      expect.stringMatching(/emails is required/),
    ]);
  });
});
