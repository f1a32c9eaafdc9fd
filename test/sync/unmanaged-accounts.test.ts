/**
 * Issue 13, case 4: linking by e-mail takes only an account the organization manages. An
 * account on a domain the organization has not verified (claimStatus `unmanaged`) is someone's
 * own: an identity provider sending its e-mail never links it, so never suspends it; the log
 * says how to fix it. Driven over SCIM, read back through the organization's REST API.
 */
import { DEFAULT_VERIFIED_DOMAINS } from '../../src/local/embedded-org/seed';
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { client } from '../embedded-org/helpers';
import { createWorld, readOrg, World } from './support';
import { entraCreate, entraSetActive, logOf } from './user-policies-support';

const OUTSIDER = 'eve@partner.example';
const SUSPENDS = /\/users\/[^/]+\/suspend$/;

function suspends(world: World): number {
  return world.org.calls.filter((c) => c.method === 'POST' && SUSPENDS.test(c.path) && c.status < 400).length;
}

/** An admin invites the account by hand, through the organization's API. */
async function inviteByHand(world: World, email: string): Promise<string> {
  const api = client(world.org);
  const invited = await api.call('POST', `${api.o}/users/invite`, { emails: [email] });
  expect(invited.status).toBe(200);
  return (await api.accountOf(email)) as string;
}

/** The account's claim status, as the users search answers it. */
async function claimStatusOf(world: World, email: string): Promise<string> {
  const api = client(world.org);
  const found = await api.call('POST', `${api.d}/users/search`, { emails: [email] });
  return (found.body.data as { claimStatus: string }[])[0].claimStatus;
}

describe('linking takes only accounts the organization manages (case 4)', () => {
  it('never links or suspends an unmanaged account, and the log names the fix', async () => {
    const world = createWorld();
    const accountId = await inviteByHand(world, OUTSIDER);
    expect(await claimStatusOf(world, OUTSIDER)).toBe('unmanaged');

    const eve = await entraCreate(world, OUTSIDER);
    await world.settle();
    await entraSetActive(world, eve, false);
    await world.settle();
    // A forced full reconcile does not change the answer either.
    await world.app.sync.reconcileAll({ force: true });
    await world.settle();

    const user = (await readOrg(world.org)).users.get(OUTSIDER);
    expect(user).toMatchObject({ accountId, status: 'active', groups: [] });
    expect(suspends(world)).toBe(0);
    expect((await world.app.sync.links.user(eve))?.accountId).toBeUndefined();

    const attention = await logOf(world, eve, 'attention');
    expect(attention.length).toBeGreaterThanOrEqual(1);
    expect(attention[0]).toMatchObject({ operation: 'link', errorKind: 'conflict' });
    expect(attention[0].result).toContain(`The account ${accountId} is not managed by your organization`);
    expect(attention[0].result).toMatch(/verify the e-mail's domain and claim the account/);
    expect(attention[0].result).toMatch(/or give the user another e-mail at the identity provider/);
    // No sync write was made for the user (its SCIM requests are logged `ok` by the web trigger).
    const synced = (await logOf(world, eve)).filter((e) => e.source !== 'scim');
    expect(synced.filter((e) => e.status === 'ok')).toEqual([]);
    expect(synced.map((e) => e.operation)).not.toContain('suspend');
  });

  it('a user that arrives inactive with an unmanaged account e-mail does not suspend it', async () => {
    const world = createWorld();
    await inviteByHand(world, OUTSIDER);
    const response = await world.scim('POST', '/Users', {
      userName: 'mallory',
      active: false,
      emails: [{ value: OUTSIDER, primary: true }],
    });
    expect(response.status).toBe(201);
    await world.settle();

    expect((await readOrg(world.org)).users.get(OUTSIDER)?.status).toBe('active');
    expect(suspends(world)).toBe(0);
    const attention = await logOf(world, response.body.id, 'attention');
    expect(attention.map((e) => e.result).join('\n')).toMatch(/is not managed by your organization/);
  });

  it('links and suspends a managed account as before', async () => {
    const world = createWorld();
    expect(await claimStatusOf(world, SEED_ACCOUNTS.existing)).toBe('managed');
    const ada = await entraCreate(world, SEED_ACCOUNTS.existing);
    await world.settle();
    const accountId = await client(world.org).accountOf(SEED_ACCOUNTS.existing);
    expect((await world.app.sync.links.user(ada))?.accountId).toBe(accountId);
    expect((await logOf(world, ada, 'ok')).map((e) => e.operation)).toContain('link');

    await entraSetActive(world, ada, false);
    await world.settle();
    expect((await readOrg(world.org)).users.get(SEED_ACCOUNTS.existing)?.status).toBe('suspended');
    expect(suspends(world)).toBe(1);
  });

  it('links the account once its domain is verified (the fix the log names)', async () => {
    const world = createWorld({
      org: { verifiedDomains: [...DEFAULT_VERIFIED_DOMAINS, 'partner.example'] },
    });
    const accountId = await inviteByHand(world, OUTSIDER);
    expect(await claimStatusOf(world, OUTSIDER)).toBe('managed');

    const eve = await entraCreate(world, OUTSIDER);
    await world.settle();
    expect((await world.app.sync.links.user(eve))?.accountId).toBe(accountId);
    await entraSetActive(world, eve, false);
    await world.settle();
    expect((await readOrg(world.org)).users.get(OUTSIDER)?.status).toBe('suspended');
  });

  it('links an account the app invited itself, whatever its domain', async () => {
    const world = createWorld();
    const eve = await entraCreate(world, OUTSIDER);
    await world.settle();
    const user = (await readOrg(world.org)).users.get(OUTSIDER);
    expect(user?.status).toBe('active');
    expect(await claimStatusOf(world, OUTSIDER)).toBe('unmanaged');
    expect((await world.app.sync.links.user(eve))?.accountId).toBe(user?.accountId);

    await entraSetActive(world, eve, false);
    await world.settle();
    expect((await readOrg(world.org)).users.get(OUTSIDER)?.status).toBe('suspended');
  });
});
