/**
 * The site-admin adapter against the embedded organization's Jira site: every request it
 * sends is an operation of Jira's v3 spec with a valid shape, it never deletes an account,
 * what the mode cannot do is `unsupported` with the reason, and writes that are not
 * idempotent converge without duplicates when answers are lost.
 */
import { AtlassianError } from '../../src/atlassian/port';
import { EmbeddedOrganization, SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { client, newOrg } from '../embedded-org/helpers';
import { JiraContract, jiraSpecMissing } from './jira-contract';
import { appReadsClient, AppReadsPort, SITE_MODE_APP_READS } from '../../src/atlassian/app-reads';
import { appProductFetch, FAST, SentRequest, siteAdapterFor } from './support';

let org: EmbeddedOrganization;
beforeEach(() => (org = newOrg({ timeoutHoldMs: 5 })));

const accountOf = (email: string) => org.findUserByEmail(email)?.accountId ?? '';

/** A product-access group made the way an admin does it, in Atlassian Administration. */
async function productAccessGroup(name: string, product = 'jira-software'): Promise<string> {
  const admin = client(org);
  await admin.call('POST', `${admin.d}/groups`, { name });
  const groupId = (await admin.groupOf(name)) ?? '';
  const resourceId = org.workspaces.find((w) => w.typeKey === product)?.id;
  await admin.call('POST', `${admin.d}/groups/${groupId}/role-assignments/assign`, {
    resourceId,
    roleId: 'atlassian/user',
  });
  return groupId;
}

async function unsupported(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AtlassianError);
  expect((error as AtlassianError).kind).toBe('unsupported');
  return (error as AtlassianError).message;
}

describe('the site-admin adapter', () => {
  const missing = jiraSpecMissing();
  (missing ? it.skip : it)(
    `sends only requests of the Jira v3 spec, and never DELETE /rest/api/3/user${missing ? ` (${missing})` : ''}`,
    async () => {
      const sent: SentRequest[] = [];
      const port = siteAdapterFor(org, { sent });
      const access = await productAccessGroup('jira-users');
      const invited = await port.invite('new.person@example.com');
      await port.findAccountByEmail(SEED_ACCOUNTS.existing);
      await port.getAccount(invited.accountId);
      const group = await port.createGroup('Engineering', 'ignored: Jira groups have no description');
      await port.findGroupByName('engineering');
      await port.getGroup(group.id);
      await port.addMember(group.id, invited.accountId);
      await port.addMember(group.id, invited.accountId);
      await port.isMember(group.id, invited.accountId);
      await port.listMembers(group.id);
      await port.groupsOf(invited.accountId);
      await port.removeMember(group.id, invited.accountId);
      await port.removeMember(group.id, invited.accountId);
      await port.isAdmin(accountOf(SEED_ACCOUNTS.admin));
      await port.productAccessGroups();
      await port.listProducts();
      await port.verify();
      await port.deleteGroup(group.id);
      await port.deleteGroup(group.id);
      expect(access).toBeTruthy();

      const contract = new JiraContract();
      const problems = sent.flatMap((request) => contract.check(request).problems);
      expect(problems).toEqual([]);
      const operations = new Set(sent.map((request) => contract.check(request).operation));
      expect(operations.size).toBeGreaterThanOrEqual(13);
      expect(sent.some((r) => r.method === 'DELETE' && r.url.pathname === '/rest/api/3/user')).toBe(false);
      // Basic auth with the admin's e-mail and token, on every request.
      const basic = `Basic ${Buffer.from(`${SEED_ACCOUNTS.admin}:${org.siteApiToken}`).toString('base64')}`;
      expect(sent.every((r) => r.headers.Authorization === basic)).toBe(true);
    },
  );

  (missing ? it.skip : it)(
    `reads as the app send only requests of the Jira v3 spec, without a credential${missing ? ` (${missing})` : ''}`,
    async () => {
      const sent: SentRequest[] = [];
      const port = new AppReadsPort(
        siteAdapterFor(org),
        appReadsClient(appProductFetch(org, sent), FAST),
        SITE_MODE_APP_READS,
      );
      const ada = accountOf(SEED_ACCOUNTS.existing);
      expect(await port.findAccountByEmail(SEED_ACCOUNTS.existing)).toMatchObject({
        accountId: ada,
        email: SEED_ACCOUNTS.existing,
      });
      expect(await port.getAccount(ada)).toMatchObject({ email: SEED_ACCOUNTS.existing, status: 'active' });
      const admins = await port.findGroupByName('SITE-ADMINS');
      expect(admins).toMatchObject({ name: 'site-admins', modifiable: false });
      await port.getGroup(admins?.id ?? '');
      expect(await port.isMember(admins?.id ?? '', accountOf(SEED_ACCOUNTS.admin))).toBe(true);
      expect((await port.listMembers(admins?.id ?? '')).accountIds).toEqual([accountOf(SEED_ACCOUNTS.admin)]);
      await port.groupsOf(ada);
      expect(port.stats).toEqual({ app: 7, fallback: 0 });
      const contract = new JiraContract();
      expect(sent.flatMap((request) => contract.check(request).problems)).toEqual([]);
      expect(sent.some((r) => Object.keys(r.headers).some((h) => h.toLowerCase() === 'authorization'))).toBe(
        false,
      );
      expect(org.calls.every((c) => c.as === 'app')).toBe(true);
    },
  );

  it('says what the mode cannot do: suspend, restore, directory removal, rename, product-access writes', async () => {
    const port = siteAdapterFor(org);
    const ada = accountOf(SEED_ACCOUNTS.existing);
    expect(await unsupported(port.suspend(ada))).toMatch(/removing the groups that give product access/);
    expect(await unsupported(port.restore(ada))).toMatch(/giving back the groups/);
    expect(await unsupported(port.removeFromDirectory(ada))).toMatch(/organization admin API key/);
    const group = await port.createGroup('Team');
    expect(await unsupported(port.renameGroup(group.id, 'Squad'))).toMatch(/no rename/);
    const [jira] = await port.listProducts();
    expect(await unsupported(port.grantGroupAccess(group.id, jira.id, 'atlassian/user'))).toMatch(
      /Atlassian Administration/,
    );
    expect(org.calls.every((c) => c.method === 'GET' || c.path.includes('/rest/api/3/group'))).toBe(true);
  });

  it('invites once, finds existing accounts, and tells an inactive account apart', async () => {
    const port = siteAdapterFor(org);
    const first = await port.invite('Someone@Example.com');
    const again = await port.invite('someone@example.com');
    expect(again.accountId).toBe(first.accountId);
    expect(first).toMatchObject({ email: 'Someone@Example.com', status: 'active' });
    const ada = await port.invite(SEED_ACCOUNTS.existing);
    expect(ada.accountId).toBe(accountOf(SEED_ACCOUNTS.existing));
    // Suspended in the organization: Jira's search does not show it, and creating it is refused.
    const error = await port.invite(SEED_ACCOUNTS.suspended).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'conflict', message: expect.stringMatching(/inactive/) });
    expect(await port.getAccount(accountOf(SEED_ACCOUNTS.suspended))).toMatchObject({
      status: 'deactivated',
    });
    expect(await port.getAccount('no-such-account')).toBeUndefined();
  });

  it('reads product access from application roles, and admins from global permissions', async () => {
    const port = siteAdapterFor(org);
    const jiraUsers = await productAccessGroup('jira-users');
    const agents = await productAccessGroup('agents', 'jira-servicedesk');
    const access = await port.productAccessGroups();
    expect(access).toEqual(
      expect.arrayContaining([
        {
          group: expect.objectContaining({ id: jiraUsers, name: 'jira-users' }),
          products: ['jira-software'],
        },
        { group: expect.objectContaining({ id: agents }), products: ['jira-servicedesk'] },
      ]),
    );
    expect(await port.isAdmin(accountOf(SEED_ACCOUNTS.admin))).toBe(true);
    expect(await port.isAdmin(accountOf(SEED_ACCOUNTS.existing))).toBe(false);
    // Not on the site (404): administers nothing here.
    expect(await port.isAdmin(accountOf(SEED_ACCOUNTS.outside))).toBe(false);
    const siteAdmins = await port.findGroupByName('site-admins');
    expect(siteAdmins).toMatchObject({ modifiable: false, deletable: false });
    expect(await port.groupsOf(accountOf(SEED_ACCOUNTS.admin))).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'site-admins' })]),
    );
  });

  it('pages a large group 50 at a time', async () => {
    const port = siteAdapterFor(org);
    const group = await port.createGroup('Everyone');
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) {
      const account = await port.invite(`user${i}@example.com`);
      await port.addMember(group.id, account.accountId);
      ids.push(account.accountId);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await port.listMembers(group.id, cursor);
      seen.push(...page.accountIds);
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(ids.sort());
  });

  it('converges without duplicates when answers are lost or refused (30% faults)', async () => {
    org.faults.configure({ rate: 0.3, seed: 11 });
    const port = siteAdapterFor(org, { maxAttempts: 6 });
    const eventually = async <T>(call: () => Promise<T>): Promise<T> => {
      for (let i = 0; ; i++) {
        try {
          return await call();
        } catch (error) {
          if (!(error instanceof AtlassianError) || error.kind !== 'transient' || i > 20) throw error;
        }
      }
    };
    for (let i = 0; i < 10; i++) {
      const group = await eventually(() => port.createGroup(`Team ${i}`));
      const account = await eventually(() => port.invite(`member${i}@example.com`));
      await eventually(() => port.addMember(group.id, account.accountId));
    }
    org.faults.configure({ rate: 0 });
    for (let i = 0; i < 10; i++) {
      const group = org.findGroupByName(`Team ${i}`);
      expect(group).toBeDefined();
      expect(org.membersOf(group?.id ?? '')).toEqual([accountOf(`member${i}@example.com`)]);
    }
    const faults = org.calls.filter((c) => c.fault).map((c) => c.fault);
    expect(faults).toEqual(expect.arrayContaining(['timeout-after']));
    const teams = [...Array(10).keys()].map((i) => `team ${i}`);
    const api = client(org);
    const all = await api.call('POST', `${api.d}/groups/search`, { limit: 100 });
    const names = (all.body.data as { name: string }[]).map((g) => g.name.toLowerCase());
    expect(names.filter((n) => teams.includes(n)).sort()).toEqual(teams.sort());
  });

  it('a wrong token is forbidden (401), and the message never holds it', async () => {
    const port = siteAdapterFor(org, { token: 'not-the-token-1234' });
    const error = (await port.verify().catch((e: unknown) => e)) as AtlassianError;
    expect(error).toMatchObject({ kind: 'forbidden', status: 401 });
    expect(error.message).not.toContain('not-the-token-1234');
  });
});
