/**
 * Issue 13, cases 3 and 4: an identity provider (or a stolen SCIM token) cannot use the app
 * to touch an admin it linked before the account became one, nor take over an account by
 * sending its e-mail. Driven over SCIM, read back through the organization's REST API.
 */
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { client } from '../embedded-org/helpers';
import { createWorld, readOrg, World } from './support';
import { entraCreate, entraDelete, entraSetActive, logOf, policiesWith } from './user-policies-support';

const SUSPENDS = /\/users\/[^/]+\/suspend$/;

function suspends(world: World): number {
  return world.org.calls.filter((c) => c.method === 'POST' && SUSPENDS.test(c.path) && c.status < 400).length;
}

async function fullReconcile(world: World): Promise<void> {
  await world.app.sync.startFullReconcile({ trigger: 'schedule' });
  await world.settle();
}

/** Makes the account a site admin by hand, through the organization's API (v1 user roles). */
async function makeSiteAdmin(world: World, email: string): Promise<string> {
  const api = client(world.org);
  const accountId = (await api.accountOf(email)) as string;
  const answer = await api.call('POST', `/v1/orgs/${world.org.orgId}/users/${accountId}/roles/assign`, {
    role: 'atlassian/site-admin',
  });
  expect(answer.status).toBe(204);
  return accountId;
}

describe('an account that became an admin after it was linked (case 3)', () => {
  it.each([
    ['suspend', policiesWith({})],
    ['remove product access', policiesWith({ deactivation: { action: 'remove-product-access' } })],
  ])('is not touched when the identity provider deactivates it (%s)', async (_name, policies) => {
    const world = createWorld({ policies });
    const ada = await entraCreate(world, SEED_ACCOUNTS.existing);
    await world.settle();
    const before = (await readOrg(world.org)).users.get(SEED_ACCOUNTS.existing);
    expect(before?.status).toBe('active');
    await makeSiteAdmin(world, SEED_ACCOUNTS.existing);

    // The link still says "not an admin": only a fresh check can see the change.
    await entraSetActive(world, ada, false);
    await world.settle();

    const after = (await readOrg(world.org)).users.get(SEED_ACCOUNTS.existing);
    expect(after).toMatchObject({ status: 'active', groups: before?.groups });
    expect(suspends(world)).toBe(0);
    const skipped = await logOf(world, ada, 'skipped');
    expect(skipped.map((e) => e.why)).toContain('protected account: an organization, site or product admin');
  });

  it('is not suspended when the identity provider deletes it', async () => {
    const world = createWorld();
    const ada = await entraCreate(world, SEED_ACCOUNTS.existing);
    await world.settle();
    await makeSiteAdmin(world, SEED_ACCOUNTS.existing);

    await entraDelete(world, ada);
    await world.settle();

    expect((await readOrg(world.org)).users.get(SEED_ACCOUNTS.existing)?.status).toBe('active');
    expect(suspends(world)).toBe(0);
  });
});

describe('linking cannot take an account over (case 4)', () => {
  it('a user that arrives inactive with the e-mail of an account the organization does not manage does not suspend it', async () => {
    // No verified domain: Ada's account is not the organization's (claimStatus unmanaged).
    const world = createWorld({ org: { verifiedDomains: [] } });
    const response = await world.scim('POST', '/Users', {
      userName: 'mallory',
      active: false,
      emails: [{ value: SEED_ACCOUNTS.existing, primary: true }],
    });
    expect(response.status).toBe(201);
    await world.settle();

    expect((await readOrg(world.org)).users.get(SEED_ACCOUNTS.existing)?.status).toBe('active');
    expect(suspends(world)).toBe(0);
    const attention = await logOf(world, response.body.id, 'attention');
    expect(attention.map((e) => e.result).join('\n')).toMatch(/not linked/);
  });

  it('links one account to one SCIM user: a second one with the same e-mail in another case is a conflict', async () => {
    const world = createWorld();
    const first = await world.scim('POST', '/Users', {
      userName: 'ada.one',
      emails: [{ value: 'ada@example.com', primary: true }],
    });
    await world.settle();
    const second = await world.scim('POST', '/Users', {
      userName: 'ada.two',
      emails: [{ value: 'ADA@Example.COM', primary: true }],
    });
    await world.settle();
    expect([first.status, second.status]).toEqual([201, 201]);
    const conflict = await logOf(world, second.body.id, 'attention');
    expect(conflict.map((e) => e.errorKind)).toContain('conflict');
    expect(conflict.map((e) => e.error).join('\n')).toContain(first.body.id);

    // Deactivating the second user changes nothing in Atlassian; the first keeps the account.
    await entraSetActive(world, second.body.id, false);
    await world.settle();
    expect((await readOrg(world.org)).users.get(SEED_ACCOUNTS.existing)?.status).toBe('active');
    expect(suspends(world)).toBe(0);

    // A full reconcile does not flap the account between the two users.
    const restores = () =>
      world.org.calls.filter((c) => c.method === 'POST' && /\/restore$/.test(c.path)).length;
    await fullReconcile(world);
    await fullReconcile(world);
    expect((await readOrg(world.org)).users.get(SEED_ACCOUNTS.existing)?.status).toBe('active');
    expect(suspends(world)).toBe(0);
    expect(restores()).toBe(0);

    // The first user still owns the link: deactivating it suspends the account.
    await entraSetActive(world, first.body.id, false);
    await world.settle();
    expect((await readOrg(world.org)).users.get(SEED_ACCOUNTS.existing)?.status).toBe('suspended');
  });
});
