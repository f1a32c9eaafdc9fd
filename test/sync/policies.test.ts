/**
 * The default policies, against the embedded organization: what the app owns and what it
 * leaves alone, 402 without a paid subscription, and running while not connected.
 */
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { client } from '../embedded-org/helpers';
import { createGroup, createUser, createWorld, readOrg, World } from './support';

const inviteCalls = (world: World) =>
  world.org.calls.filter((c) => c.method === 'POST' && /\/users\/invite$/.test(c.path)).length;

describe('groups and memberships the app did not create', () => {
  it('links an existing group, removes only the members it added, and never deletes the group', async () => {
    const world = createWorld();
    const api = client(world.org);
    expect((await api.call('POST', `${api.d}/groups`, { name: 'Existing Team' })).status).toBe(201);
    const teamId = (await api.groupOf('Existing Team')) as string;
    const adaAccount = (await api.accountOf(SEED_ACCOUNTS.existing)) as string;
    expect(
      (await api.call('POST', `${api.d}/groups/${teamId}/memberships`, { accountId: adaAccount })).status,
    ).toBe(204);

    const alice = await createUser(world, 'alice@example.com');
    const ada = await createUser(world, SEED_ACCOUNTS.existing);
    const group = await createGroup(world, 'existing team', [alice, ada]);
    await world.settle();
    let org = await readOrg(world.org);
    expect(org.groups.get('Existing Team')).toMatchObject({
      id: teamId,
      members: [SEED_ACCOUNTS.existing, 'alice@example.com'],
    });
    expect(org.groups.has('existing team')).toBe(false);

    // The identity provider removes both; only alice's membership was the app's doing.
    expect(
      (await world.scim('PUT', `/Groups/${group}`, { displayName: 'existing team', members: [] })).status,
    ).toBe(200);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.groups.get('Existing Team')?.members).toEqual([SEED_ACCOUNTS.existing]);

    expect((await world.scim('DELETE', `/Groups/${group}`)).status).toBe(204);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.groups.get('Existing Team')?.members).toEqual([SEED_ACCOUNTS.existing]);
    const skipped = await world.app.sync.log.query({ resource: group, status: 'skipped' });
    expect(skipped.entries.map((e) => e.result)).toContain('kept: the app did not create it');
  });

  it('never touches a protected group', async () => {
    const world = createWorld();
    const alice = await createUser(world, 'alice@example.com');
    const group = await createGroup(world, 'site-admins', [alice]);
    await world.settle();
    let org = await readOrg(world.org);
    expect(org.groups.get('site-admins')?.members).toEqual([SEED_ACCOUNTS.admin]);
    expect(org.users.get('alice@example.com')?.groups).toEqual([]);
    expect((await world.scim('DELETE', `/Groups/${group}`)).status).toBe(204);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.groups.has('site-admins')).toBe(true);
    const log = await world.app.sync.log.query({ resource: group, status: 'skipped' });
    expect(log.entries.map((e) => e.why)).toContain('group is protected in Atlassian');
  });
});

describe('accounts', () => {
  it('restores an existing suspended account, invites no inactive user, and blocks one without e-mail', async () => {
    const world = createWorld();
    await createUser(world, SEED_ACCOUNTS.suspended);
    const later = await createUser(world, 'later@example.com', { active: false });
    const nameless = (await world.scim('POST', '/Users', { userName: 'no-email-user' })).body.id as string;
    await world.settle();
    let org = await readOrg(world.org);
    expect(org.users.get(SEED_ACCOUNTS.suspended)?.status).toBe('active');
    expect(org.users.has('later@example.com')).toBe(false);
    expect(inviteCalls(world)).toBe(0);
    const blocked = await world.app.sync.log.query({ resource: nameless, status: 'blocked' });
    expect(blocked.entries).toHaveLength(1);
    expect(blocked.entries[0].error).toMatch(/no e-mail/);

    expect(
      (
        await world.scim('PATCH', `/Users/${later}`, {
          Operations: [{ op: 'replace', path: 'active', value: true }],
        })
      ).status,
    ).toBe(204);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get('later@example.com')?.status).toBe('active');
  });

  it('402 on invite: blocked and logged once, retried only when the user changes or an admin asks', async () => {
    const world = createWorld({ org: { paid: false } });
    const alice = await createUser(world, 'alice@example.com');
    await world.settle();
    expect(inviteCalls(world)).toBe(1);
    expect(await world.app.sync.queue.count()).toBe(0);
    const blocked = await world.app.sync.log.query({ status: 'blocked' });
    expect(blocked.entries).toEqual([
      expect.objectContaining({
        resource: alice,
        operation: 'invite',
        errorKind: 'payment-required',
        result: expect.stringMatching(/paid Atlassian subscription/),
      }),
    ]);

    // Nothing changed: "reconcile all" (the sweep's, not forced) does not retry it.
    await world.app.sync.reconcileAll();
    await world.settle();
    expect(inviteCalls(world)).toBe(1);

    // The user changed: tried once more (still 402; logged again since the version moved).
    await world.scim('PATCH', `/Users/${alice}`, {
      Operations: [{ op: 'replace', path: 'title', value: 'CTO' }],
    });
    await world.settle();
    expect(inviteCalls(world)).toBe(2);
    expect((await world.app.sync.log.query({ status: 'blocked' })).entries).toHaveLength(2);

    // The admin buys a subscription and asks for a retry.
    world.org.paid = true;
    await world.app.sync.reconcileAll({ force: true });
    await world.settle();
    const org = await readOrg(world.org);
    expect(org.users.get('alice@example.com')?.status).toBe('active');
  });
});

describe('not connected', () => {
  it('records it once, keeps every change marked, and reconciles everything on connecting', async () => {
    const world = createWorld({ disconnected: true });
    const alice = await createUser(world, 'alice@example.com');
    await createGroup(world, 'Engineering', [alice]);
    expect(await world.runOnce()).toEqual({ connected: false, finished: 0, pending: false });
    expect(await world.runOnce()).toMatchObject({ connected: false });
    expect(await world.app.sync.queue.count()).toBe(2);
    const notes = await world.app.sync.log.query({ resource: '-', status: 'attention' });
    expect(notes.entries.map((e) => e.result)).toEqual([expect.stringMatching(/^not connected/)]);
    expect(world.org.calls).toHaveLength(0);

    world.connect();
    await world.settle();
    const org = await readOrg(world.org);
    expect(org.groups.get('Engineering')?.members).toEqual(['alice@example.com']);
    const connected = await world.app.sync.log.query({ resource: '-', status: 'ok' });
    expect(connected.entries.map((e) => e.operation)).toEqual(['connection']);
  });
});

describe('drift made in Atlassian by hand', () => {
  it('is repaired when an admin forces "reconcile all"', async () => {
    const world = createWorld();
    const alice = await createUser(world, 'alice@example.com');
    await createGroup(world, 'Engineering', [alice]);
    await world.settle();
    const api = client(world.org);
    const groupId = (await api.groupOf('Engineering')) as string;
    const account = (await api.accountOf('alice@example.com')) as string;
    expect((await api.call('DELETE', `${api.d}/groups/${groupId}/memberships/${account}`)).status).toBe(204);

    // An ordinary reconcile trusts what the app applied (no call per member)...
    await world.app.sync.reconcileAll();
    await world.settle();
    expect((await readOrg(world.org)).groups.get('Engineering')?.members).toEqual([]);
    // ...a forced one checks every membership.
    await world.app.sync.reconcileAll({ force: true });
    await world.settle();
    expect((await readOrg(world.org)).groups.get('Engineering')?.members).toEqual(['alice@example.com']);
    const log = await world.app.sync.log.query({ status: 'ok' });
    expect(log.entries.map((e) => e.why)).toContain(`membership missing in Atlassian (${account})`);
  });
});
