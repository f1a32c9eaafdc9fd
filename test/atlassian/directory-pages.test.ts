/**
 * The Organizations API adapter's paged reads of the whole directory (AtlassianPort.pages),
 * which the full reconcile's drift check reads instead of one call per account and
 * membership: against the embedded organization, which answers as the reference says
 * (users search `expand`, `roleIds`, `limit`, `cursor`; groups search `groupIds`, `roleIds`).
 */
import type { AtlassianPort, DirectoryPages, ObservedAccount } from '../../src/atlassian/port';
import { EmbeddedOrganization, SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { client } from '../embedded-org/helpers';
import { portFor } from '../sync/support';

async function everyAccount(pages: DirectoryPages): Promise<{ accounts: ObservedAccount[]; pages: number }> {
  const accounts: ObservedAccount[] = [];
  let cursor: string | undefined;
  let count = 0;
  do {
    const page = await pages.pageAccounts(cursor);
    accounts.push(...page.accounts);
    cursor = page.cursor;
    count++;
  } while (cursor);
  return { accounts, pages: count };
}

describe('the directory in pages', () => {
  let org: EmbeddedOrganization;
  let port: AtlassianPort;
  let api: ReturnType<typeof client>;

  beforeEach(() => {
    org = new EmbeddedOrganization({ faults: { seed: 3 }, answerSeed: 3 });
    port = portFor(org);
    api = client(org);
  });

  it('reads every account a hundred at a time, with its groups and platform roles', async () => {
    for (let i = 0; i < 150; i++) {
      const invited = await api.call('POST', `/v2/orgs/${org.orgId}/users/invite`, {
        emails: [`p${i}@example.com`],
        sendNotification: false,
      });
      expect(invited.status).toBeLessThan(300);
    }
    const before = org.calls.length;
    const { accounts, pages } = await everyAccount(port.pages!);
    expect(pages).toBe(2);
    const sent = org.calls.slice(before);
    expect(sent.every((c) => c.method === 'POST' && c.path.endsWith('/users/search'))).toBe(true);
    const byEmail = new Map(accounts.map((a) => [a.email, a]));
    expect(byEmail.size).toBe(accounts.length);
    expect(byEmail.has('p149@example.com')).toBe(true);
    const admin = byEmail.get(SEED_ACCOUNTS.admin);
    expect(admin?.platformRoles).toEqual(expect.arrayContaining(['atlassian/org-admin']));
    const siteAdmins = (await api.groupOf('site-admins')) as string;
    expect(admin?.groupIds).toContain(siteAdmins);
    expect(byEmail.get(SEED_ACCOUNTS.suspended)?.status).toBe('suspended');
  });

  it('finds who holds an admin role, also through a group, and which groups hold one', async () => {
    const d = `/v2/orgs/${org.orgId}/directories/${org.directoryId}`;
    expect((await api.call('POST', `${d}/groups`, { name: 'Jira admins by hand' })).status).toBe(201);
    expect((await api.call('POST', `${d}/groups`, { name: 'Plain' })).status).toBe(201);
    const admins = (await api.groupOf('Jira admins by hand')) as string;
    const plain = (await api.groupOf('Plain')) as string;
    const jira = org.workspaces.find((w) => w.typeKey === 'jira-software')!.id;
    const granted = await api.call('POST', `${d}/groups/${admins}/role-assignments/assign`, {
      resourceId: jira,
      roleId: 'atlassian/admin',
    });
    expect(granted.status).toBe(204);
    const ada = (await api.accountOf(SEED_ACCOUNTS.existing)) as string;
    expect((await api.call('POST', `${d}/groups/${admins}/memberships`, { accountId: ada })).status).toBe(
      204,
    );

    const holders = await port.pages!.adminAccountIds();
    expect(holders).toContain(ada);
    expect(holders).toContain((await api.accountOf(SEED_ACCOUNTS.admin)) as string);
    expect(holders).not.toContain((await api.accountOf(SEED_ACCOUNTS.suspended)) as string);

    const found = await port.pages!.groupsById([admins, plain, 'no-such-group']);
    expect(found.map((g) => g.name).sort()).toEqual(['Jira admins by hand', 'Plain']);
    expect(await port.pages!.adminGroupIds([admins, plain])).toEqual([admins]);
  });
});
