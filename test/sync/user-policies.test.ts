/**
 * The user policies through identity-provider lifecycles, into the embedded organization:
 * linking by e-mail (and e-mail changes at the identity provider), deactivation and
 * reactivation, deletion, and protected accounts.
 */
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { client } from '../embedded-org/helpers';
import { createGroup, createUser, createWorld, readOrg } from './support';
import {
  byHand,
  entraChangeEmail,
  entraCreate,
  entraDelete,
  entraSetActive,
  INVITES,
  logOf,
  oktaPatch,
  oktaPut,
  plainGroup,
  policiesWith,
  productGroup,
  requests,
  ROLE_CHECKS,
} from './user-policies-support';

describe('linking', () => {
  it('links an existing account by e-mail and keeps the link through Entra, Okta and Keycloak e-mail changes', async () => {
    const world = createWorld();
    const ada = await entraCreate(world, SEED_ACCOUNTS.existing);
    await world.settle();
    const adaAccount = (await readOrg(world.org)).users.get(SEED_ACCOUNTS.existing)?.accountId;
    expect(requests(world, 'POST', INVITES)).toBe(0);
    expect((await logOf(world, ada, 'ok')).map((e) => e.result)).toContain(`linked to ${adaAccount}`);

    // Entra: PATCH of the work e-mail and userName.
    await entraChangeEmail(world, ada, 'ada.lovelace@example.com');
    await world.settle();
    // Okta (PATCH mode): userName and e-mails replaced together.
    await oktaPatch(world, ada, {
      userName: 'countess@example.com',
      emails: [{ primary: true, value: 'countess@example.com', type: 'work' }],
    });
    await world.settle();
    // Keycloak: a full PUT with the new address.
    expect(
      (
        await world.scim('PUT', `/Users/${ada}`, {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: 'ada@analytical.example',
          emails: [{ value: 'ada@analytical.example', primary: true }],
          active: true,
        })
      ).status,
    ).toBe(200);
    await world.settle();
    expect(requests(world, 'POST', INVITES)).toBe(0);

    // Still the same account: deactivating the user suspends Ada's account, nobody else's. Its
    // e-mail followed the identity provider while the domain was verified (profile sync); the
    // last address, on a domain the organization has not verified, was refused and logged.
    await entraSetActive(world, ada, false);
    await world.settle();
    const org = await readOrg(world.org);
    expect(org.users.get('countess@example.com')).toMatchObject({
      accountId: adaAccount,
      status: 'suspended',
    });
    expect(org.users.has(SEED_ACCOUNTS.existing)).toBe(false);
    expect(org.users.has('ada@analytical.example')).toBe(false);
    expect((await logOf(world, ada, 'attention')).map((e) => `${e.operation}: ${e.errorKind}`)).toEqual([
      'setEmail: forbidden',
    ]);
    expect(requests(world, 'POST', INVITES)).toBe(0);
  });

  it('with linking by e-mail off, reports an existing account as a conflict once and leaves it alone', async () => {
    const world = createWorld({ policies: policiesWith({ linking: { linkExistingByEmail: false } }) });
    const ada = await createUser(world, SEED_ACCOUNTS.existing);
    const alice = await createUser(world, 'alice@example.com');
    await createGroup(world, 'Engineering', [ada, alice]);
    await world.settle();
    let org = await readOrg(world.org);
    expect(org.groups.get('Engineering')?.members).toEqual(['alice@example.com']);
    expect(org.users.get(SEED_ACCOUNTS.existing)?.groups).toEqual([]);
    expect(requests(world, 'POST', INVITES)).toBe(1);
    const conflict = await logOf(world, ada, 'attention');
    expect(conflict).toEqual([
      expect.objectContaining({
        operation: 'link',
        errorKind: 'conflict',
        result: expect.stringMatching(/conflict: left alone\. Turn on "link existing accounts by e-mail"/),
      }),
    ]);

    // Deactivation at the identity provider does not touch the account either; reported once.
    await world.scim('PATCH', `/Users/${ada}`, {
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    await world.app.sync.reconcileAll();
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get(SEED_ACCOUNTS.existing)?.status).toBe('active');
    expect(await logOf(world, ada, 'attention')).toHaveLength(2);

    // The admin turns linking on and asks for a retry: linked, and suspended as the IdP says.
    world.policies = policiesWith({});
    await world.app.sync.reconcileAll({ force: true });
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get(SEED_ACCOUNTS.existing)?.status).toBe('suspended');
  });
});

describe('deactivation', () => {
  it('suspend (Entra "False"): reactivation restores the account and puts back a membership removed by hand', async () => {
    const world = createWorld();
    const alice = await entraCreate(world, 'alice@example.com');
    await createGroup(world, 'Engineering', [alice]);
    await world.settle();

    await entraSetActive(world, alice, false);
    await world.settle();
    let org = await readOrg(world.org);
    expect(org.users.get('alice@example.com')).toMatchObject({
      status: 'suspended',
      groups: ['Engineering'],
    });
    // While she is away, someone takes her out of the group by hand; Entra will not resend it.
    await byHand(world, { remove: 'alice@example.com', from: 'Engineering' });

    await entraSetActive(world, alice, true);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get('alice@example.com')).toMatchObject({ status: 'active', groups: ['Engineering'] });
    expect((await logOf(world, alice, 'ok')).map((e) => e.operation)).toEqual(
      expect.arrayContaining(['suspend', 'restore', 'addMember']),
    );
  });

  it('remove-product-access (Okta PUT): leaves only the product-access groups, and returns to them (Okta PATCH)', async () => {
    const world = createWorld({
      policies: policiesWith({ deactivation: { action: 'remove-product-access', restoreMemberships: true } }),
    });
    await productGroup(world, 'jira-software-users', 'jira-software');
    await plainGroup(world, 'Book club');
    const bob = await createUser(world, 'bob@example.com');
    await createGroup(world, 'jira-software-users', [bob]);
    await world.settle();
    await byHand(world, { add: 'bob@example.com', to: 'Book club' });

    await oktaPut(world, bob, 'bob@example.com', false);
    await world.settle();
    let org = await readOrg(world.org);
    expect(org.users.get('bob@example.com')).toMatchObject({ status: 'active', groups: ['Book club'] });

    await oktaPatch(world, bob, { active: true });
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get('bob@example.com')).toMatchObject({
      status: 'active',
      groups: ['Book club', 'jira-software-users'],
    });
  });

  it('remove-product-access without restoreMemberships: the user comes back without product access', async () => {
    const world = createWorld({
      policies: policiesWith({
        deactivation: { action: 'remove-product-access', restoreMemberships: false },
      }),
    });
    await productGroup(world, 'confluence-users', 'confluence');
    const carol = await entraCreate(world, 'carol@example.com');
    await world.settle();
    await byHand(world, { add: 'carol@example.com', to: 'confluence-users' });
    await entraSetActive(world, carol, false);
    await world.settle();
    expect((await readOrg(world.org)).users.get('carol@example.com')?.groups).toEqual([]);
    await entraSetActive(world, carol, true);
    await world.settle();
    expect((await readOrg(world.org)).users.get('carol@example.com')).toMatchObject({
      status: 'active',
      groups: [],
    });
    expect((await logOf(world, carol, 'skipped')).map((e) => e.result)).toContain(
      'product access not given back: restoreMemberships is off',
    );
  });

  it('none: the account stays active, and the log says why', async () => {
    const world = createWorld({
      policies: policiesWith({ deactivation: { action: 'none', restoreMemberships: true } }),
    });
    const dan = await entraCreate(world, 'dan@example.com');
    await world.settle();
    await entraSetActive(world, dan, false);
    await world.settle();
    expect((await readOrg(world.org)).users.get('dan@example.com')?.status).toBe('active');
    expect((await logOf(world, dan, 'skipped')).map((e) => e.result)).toEqual([
      'left as it is in Atlassian: the policy is "none"',
    ]);
  });
});

describe('OneLogin and miniOrange', () => {
  it('OneLogin: string "false" in a PUT removes product access, string "true" gives it back', async () => {
    const world = createWorld({
      policies: policiesWith({ deactivation: { action: 'remove-product-access', restoreMemberships: true } }),
    });
    await productGroup(world, 'jira-software-users', 'jira-software');
    const user = (active: string) => ({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:scim:schemas:core:1.0'],
      id: null,
      userName: 'jdoe@example.com',
      active,
      emails: [{ value: 'jdoe@example.com', type: 'work', primary: true }],
      name: { givenName: 'J', familyName: 'Doe', formatted: 'J Doe' },
    });
    const created = await world.scim('POST', '/Users', user('true'), { 'User-Agent': 'OneLogin SCIM' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await world.settle();
    await byHand(world, { add: 'jdoe@example.com', to: 'jira-software-users' });

    expect((await world.scim('PUT', `/Users/${id}`, { ...user('false'), id })).status).toBe(200);
    await world.settle();
    expect((await readOrg(world.org)).users.get('jdoe@example.com')).toMatchObject({
      status: 'active',
      groups: [],
    });
    expect((await world.scim('PUT', `/Users/${id}`, { ...user('true'), id })).status).toBe(200);
    await world.settle();
    expect((await readOrg(world.org)).users.get('jdoe@example.com')?.groups).toEqual(['jira-software-users']);
  });

  it('miniOrange: deprovisions by a PUT with active false, then DELETE; the deletion policy removes the grants', async () => {
    const world = createWorld({
      policies: policiesWith({
        deletion: { action: 'remove-product-access' },
        newUsers: { defaultGroups: [], productAccess: [{ product: 'confluence' }] },
      }),
    });
    await productGroup(world, 'confluence-users', 'confluence');
    const body = (active: boolean) => ({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'mo@example.com',
      name: { givenName: 'Mo', familyName: 'Range' },
      emails: [{ value: 'mo@example.com', primary: true }],
      active,
    });
    const created = await world.scim('POST', '/Users', body(true), { 'User-Agent': 'miniOrange-SCIM/1.0' });
    const id = created.body.id as string;
    await world.settle();
    expect((await readOrg(world.org)).users.get('mo@example.com')?.groups).toEqual(['confluence-users']);
    expect((await world.scim('PUT', `/Users/${id}`, body(false))).status).toBe(200);
    await world.settle();
    expect((await readOrg(world.org)).users.get('mo@example.com')?.status).toBe('suspended');
    await entraDelete(world, id);
    await world.settle();
    // Deleted: the grant the app gave goes; the account (suspended on deactivation) stays.
    expect((await readOrg(world.org)).users.get('mo@example.com')).toMatchObject({
      status: 'suspended',
      groups: [],
    });
  });
});

describe('deletion', () => {
  it('remove-from-directory (Entra DELETE): the account leaves the directory, is never deleted, and can come back', async () => {
    const world = createWorld({ policies: policiesWith({ deletion: { action: 'remove-from-directory' } }) });
    const erin = await entraCreate(world, 'erin@example.com');
    await createGroup(world, 'Engineering', [erin]);
    await world.settle();
    const account = (await readOrg(world.org)).users.get('erin@example.com')?.accountId;
    await entraDelete(world, erin);
    await world.settle();
    // Out of the directory: no longer found there (the account itself is Atlassian's).
    const api = client(world.org);
    expect((await api.call('GET', `${api.d}/users/${account}`)).status).toBe(404);
    expect((await readOrg(world.org)).users.has('erin@example.com')).toBe(false);
    expect(requests(world, 'DELETE', /\/users\/[^/]+$/)).toBe(1);
    // The user's reconcile makes no membership calls: leaving the directory takes the groups.
    expect((await logOf(world, erin)).map((e) => e.operation)).not.toContain('removeMember');

    // Created again at the identity provider: invited back, the same account (never deleted).
    await entraCreate(world, 'erin@example.com');
    await world.settle();
    const org = await readOrg(world.org);
    expect(org.users.get('erin@example.com')).toMatchObject({ accountId: account, status: 'active' });
  });

  it('remove-product-access: the account stays active without the access the app gave', async () => {
    const world = createWorld({ policies: policiesWith({ deletion: { action: 'remove-product-access' } }) });
    await productGroup(world, 'jira-software-users', 'jira-software');
    const frank = await entraCreate(world, 'frank@example.com');
    await world.settle();
    await byHand(world, { add: 'frank@example.com', to: 'jira-software-users' });
    await entraDelete(world, frank);
    await world.settle();
    expect((await readOrg(world.org)).users.get('frank@example.com')).toMatchObject({
      status: 'active',
      groups: [],
    });
  });

  it('none: the account stays active; only the memberships of the groups it left go', async () => {
    const world = createWorld({ policies: policiesWith({ deletion: { action: 'none' } }) });
    await plainGroup(world, 'Book club');
    const gina = await entraCreate(world, 'gina@example.com');
    await createGroup(world, 'Engineering', [gina]);
    await world.settle();
    await byHand(world, { add: 'gina@example.com', to: 'Book club' });
    await entraDelete(world, gina);
    await world.settle();
    expect((await readOrg(world.org)).users.get('gina@example.com')).toMatchObject({
      status: 'active',
      groups: ['Book club'],
    });
    expect(requests(world, 'POST', /\/suspend$/)).toBe(0);
  });
});

describe('protected accounts', () => {
  it('an org admin is never touched through create, group, deactivation and deletion; one role check', async () => {
    const world = createWorld();
    const admin = await entraCreate(world, SEED_ACCOUNTS.admin);
    const alice = await entraCreate(world, 'alice@example.com');
    await createGroup(world, 'Engineering', [admin, alice]);
    await world.settle();
    let org = await readOrg(world.org);
    expect(org.groups.get('Engineering')?.members).toEqual(['alice@example.com']);
    const adminGroups = org.users.get(SEED_ACCOUNTS.admin)?.groups;

    await entraSetActive(world, admin, false);
    await world.settle();
    await world.app.sync.reconcileAll();
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get(SEED_ACCOUNTS.admin)).toMatchObject({ status: 'active', groups: adminGroups });
    // One role check per account (cached on the link): one for the admin, one for alice.
    expect(requests(world, 'GET', ROLE_CHECKS)).toBe(2);
    // Logged once per change: the create and the deactivation, not the reconcile-all.
    expect((await logOf(world, admin, 'skipped')).map((e) => e.result)).toEqual([
      'skipped: protected account',
      'skipped: protected account',
    ]);

    // A forced reconcile asks again.
    await world.app.sync.reconcileAll({ force: true });
    await world.settle();
    expect(requests(world, 'GET', ROLE_CHECKS)).toBe(4);

    await entraDelete(world, admin);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get(SEED_ACCOUNTS.admin)).toMatchObject({ status: 'active', groups: adminGroups });
    expect(await logOf(world, admin, 'skipped')).toHaveLength(3);
    expect(requests(world, 'POST', /\/suspend$/)).toBe(0);
  });

  it('the allow-list (by e-mail and by accountId) is never linked, suspended or put in groups', async () => {
    const world = createWorld();
    const api = (await readOrg(world.org)).users;
    const graceAccount = api.get(SEED_ACCOUNTS.suspended)?.accountId as string;
    world.policies = policiesWith({
      protectedAccounts: { admins: true, emails: ['ADA@example.com'], accountIds: [graceAccount] },
    });
    const ada = await createUser(world, SEED_ACCOUNTS.existing);
    const grace = await createUser(world, SEED_ACCOUNTS.suspended);
    const newcomer = await createUser(world, 'newcomer@example.com');
    await createGroup(world, 'Engineering', [ada, grace, newcomer]);
    await world.settle();
    let org = await readOrg(world.org);
    expect(org.groups.get('Engineering')?.members).toEqual(['newcomer@example.com']);
    // Grace stays suspended: restoring her would be touching her.
    expect(org.users.get(SEED_ACCOUNTS.suspended)?.status).toBe('suspended');

    await world.scim('PATCH', `/Users/${ada}`, {
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get(SEED_ACCOUNTS.existing)?.status).toBe('active');
    expect((await logOf(world, ada, 'skipped')).map((e) => e.why)).toEqual([
      'protected account: on the allow-list',
      'protected account: on the allow-list',
    ]);
    // The e-mail allow-list needs no Atlassian call at all.
    expect(await logOf(world, grace, 'skipped')).toHaveLength(1);
  });

  it('an account that becomes protected after it was linked is let go, its groups kept', async () => {
    const world = createWorld();
    const hal = await createUser(world, 'hal@example.com');
    await createGroup(world, 'Engineering', [hal]);
    await world.settle();
    world.policies = policiesWith({
      protectedAccounts: { admins: true, emails: ['hal@example.com'], accountIds: [] },
    });
    await entraSetActive(world, hal, false);
    await world.settle();
    await entraDelete(world, hal);
    await world.settle();
    expect((await readOrg(world.org)).users.get('hal@example.com')).toMatchObject({
      status: 'active',
      groups: ['Engineering'],
    });
  });
});
