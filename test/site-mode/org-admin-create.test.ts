/**
 * Site-admin mode and creating users (issue 14, item 2). Jira's reference for
 * POST /rest/api/3/user: "The caller has to be an organization admin" ("Create user",
 * https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-users/).
 * The embedded site refuses a site admin who is not one (403, the spec's status for a missing
 * permission), and Test connection (verify) says so before the first invite fails, with what
 * to do; the invite's own failure says the same.
 */
import { EmbeddedOrganization, embeddedSiteFetch, SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { client } from '../embedded-org/helpers';
import { SITE, siteAdapterFor } from './support';

/** Ada, a site admin (platform role atlassian/site-admin) who is no organization admin. */
async function siteAdminOnly(org: EmbeddedOrganization): Promise<{ accountId: string; token: string }> {
  const api = client(org);
  const accountId = (await api.accountOf(SEED_ACCOUNTS.existing)) as string;
  const answer = await api.call('POST', `/v1/orgs/${org.orgId}/users/${accountId}/roles/assign`, {
    role: 'atlassian/site-admin',
  });
  expect(answer.status).toBe(204);
  return { accountId, token: org.createSiteApiToken(SEED_ACCOUNTS.existing) };
}

async function createUser(org: EmbeddedOrganization, email: string, token: string, who: string) {
  const response = await embeddedSiteFetch(org)(`${SITE}/rest/api/3/user`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${who}:${token}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ emailAddress: email, products: [] }),
  });
  return { status: response.status, body: (await response.json()) as { errorMessages?: string[] } };
}

describe('creating users needs an organization admin', () => {
  it('the embedded site refuses a site admin who is not an org admin, 403, and creates nothing', async () => {
    const org = new EmbeddedOrganization();
    const { token } = await siteAdminOnly(org);
    const messages = new Set<string>();
    for (const email of ['new1@example.com', 'new2@example.com']) {
      const refused = await createUser(org, email, token, SEED_ACCOUNTS.existing);
      expect(refused.status).toBe(403);
      expect(refused.body.errorMessages?.[0]).toMatch(/organization admin/i);
      messages.add(refused.body.errorMessages?.[0] as string);
      expect(org.findUserByEmail(email)).toBeUndefined();
    }
    // Jira documents no message: the embedded site varies it.
    expect(messages.size).toBe(2);
    // She is a site admin all the same: group writes are hers.
    const group = await siteAdapterFor(org, { email: SEED_ACCOUNTS.existing, token }).createGroup('ops');
    expect(group.name).toBe('ops');
    // The seed admin, org and site admin, creates.
    const created = await createUser(org, 'new1@example.com', org.siteApiToken, SEED_ACCOUNTS.admin);
    expect(created.status).toBe(201);
    expect(org.findUserByEmail('new1@example.com')?.membership).toBe('active');
  });

  it('Test connection warns that inviting new users will fail, and says what to do', async () => {
    const org = new EmbeddedOrganization();
    const { accountId, token } = await siteAdminOnly(org);
    const check = await siteAdapterFor(org, { email: SEED_ACCOUNTS.existing, token }).verify();
    expect(check.accountId).toBe(accountId);
    expect(check.warnings).toHaveLength(1);
    expect(check.warnings?.[0]).toMatch(/inviting new users will fail/);
    expect(check.warnings?.[0]).toMatch(/organization admin's e-mail and API token/);
    expect(check.warnings?.[0]).toMatch(/Organizations API mode with an org admin API key/);
    // The seed admin is an org admin: nothing to warn about.
    expect((await siteAdapterFor(org).verify()).warnings).toBeUndefined();
  });

  it("an invite with a site admin's token fails forbidden with the fix, and invites no one", async () => {
    const org = new EmbeddedOrganization();
    const { token } = await siteAdminOnly(org);
    const adapter = siteAdapterFor(org, { email: SEED_ACCOUNTS.existing, token });
    await expect(adapter.invite('newbie@example.com')).rejects.toMatchObject({
      kind: 'forbidden',
      message: expect.stringMatching(/organization admin.*org admin API key/s),
    });
    expect(org.findUserByEmail('newbie@example.com')).toBeUndefined();
    // An account already there is still found, with no create.
    expect((await adapter.invite(SEED_ACCOUNTS.existing)).email).toBe(SEED_ACCOUNTS.existing);
  });
});
