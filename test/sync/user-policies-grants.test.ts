/**
 * The user policies that grant and count: new users' default groups and product access, the
 * seat cap; and drift, the dry run, and a connection that cannot suspend (site-admin mode),
 * through identity-provider lifecycles into the embedded organization.
 */
import { AtlassianError, AtlassianPort } from '../../src/atlassian/port';
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { createUser, createWorld, readOrg, World } from './support';
import {
  byHand,
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
} from './user-policies-support';

const seats = (world: World) => world.app.sync.links.state<{ used: number; waiting: number }>('seats');

describe('new users', () => {
  it('join the default groups and product access once, never again after a removal by hand, and leave only what the app added', async () => {
    const world = createWorld();
    await plainGroup(world, 'All Staff');
    await productGroup(world, 'confluence-users', 'confluence');
    await byHand(world, { add: SEED_ACCOUNTS.existing, to: 'All Staff' });
    // Provisioned before the policy: not a new user afterwards.
    const early = await createUser(world, 'early@example.com');
    await world.settle();

    world.policies = policiesWith({
      newUsers: {
        defaultGroups: ['All Staff', 'Missing Group'],
        productAccess: [{ product: 'confluence' }, { product: 'bitbucket' }],
      },
    });
    const alice = await entraCreate(world, 'alice@example.com');
    const ada = await entraCreate(world, SEED_ACCOUNTS.existing);
    await world.settle();
    let org = await readOrg(world.org);
    expect(org.users.get('alice@example.com')?.groups).toEqual(['All Staff', 'confluence-users']);
    expect(org.users.get(SEED_ACCOUNTS.existing)?.groups).toEqual(['All Staff', 'confluence-users']);
    expect(org.groups.has('Missing Group')).toBe(false);
    const attention = (await logOf(world, alice, 'attention')).map((e) => e.result);
    expect(attention).toEqual([
      expect.stringMatching(
        /default group "Missing Group" does not exist in Atlassian \(not created\): create it/,
      ),
      expect.stringMatching(/no group grants bitbucket access: give a group bitbucket access/),
    ]);

    // Someone takes alice out of All Staff by hand: a forced reconcile does not put her back.
    await byHand(world, { remove: 'alice@example.com', from: 'All Staff' });
    await world.app.sync.reconcileAll({ force: true });
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get('alice@example.com')?.groups).toEqual(['confluence-users']);
    expect(org.users.get('early@example.com')?.groups).toEqual([]);
    expect(await logOf(world, alice, 'attention')).toHaveLength(2);
    expect(await logOf(world, early, 'attention')).toHaveLength(0);

    // Deleted: the grant the app gave goes; All Staff, where Ada was already, stays.
    await entraDelete(world, ada);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get(SEED_ACCOUNTS.existing)).toMatchObject({
      status: 'suspended',
      groups: ['All Staff'],
    });
  });
});

describe('the seat cap', () => {
  it('holds new users as pending, provisions them when a seat frees or the cap rises, and counts without a scan', async () => {
    const world = createWorld({ policies: policiesWith({ seatCap: { limit: 2 } }) });
    const ids = new Map<string, string>();
    for (const name of ['a', 'b', 'c']) ids.set(name, await createUser(world, `${name}@example.com`));
    await world.settle();
    let org = await readOrg(world.org);
    // Which two got the seats is the queue's order; the third waits, not invited.
    const seated = [...ids.keys()].filter((u) => org.users.has(`${u}@example.com`));
    const pending = [...ids.keys()].find((u) => !seated.includes(u)) as string;
    expect(seated).toHaveLength(2);
    expect(requests(world, 'POST', INVITES)).toBe(2);
    expect(await logOf(world, ids.get(pending) as string, 'blocked')).toEqual([
      expect.objectContaining({
        operation: 'seat',
        errorKind: 'seat-cap',
        result: 'pending: the seat cap of 2 users is reached; provisioned when a seat frees or the cap rises',
      }),
    ]);
    expect(await seats(world)).toEqual({ used: 2, waiting: 1 });

    // Okta deactivates one: suspended, its seat frees, the pending user is provisioned.
    const [a, b] = seated.map((u) => ids.get(u) as string);
    const aEmail = `${seated[0]}@example.com`;
    await oktaPut(world, a, aEmail, false);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get(aEmail)?.status).toBe('suspended');
    expect(org.users.get(`${pending}@example.com`)?.status).toBe('active');
    expect(await seats(world)).toEqual({ used: 2, waiting: 0 });

    // a comes back while the cap is full: it waits, still suspended; logged once.
    await oktaPatch(world, a, { active: true });
    await world.settle();
    await world.app.sync.reconcileAll();
    await world.settle();
    expect((await readOrg(world.org)).users.get(aEmail)?.status).toBe('suspended');
    expect(await logOf(world, a, 'blocked')).toHaveLength(1);
    expect(await seats(world)).toEqual({ used: 2, waiting: 1 });

    // The admin raises the cap: saving the policies releases the user waiting longest at once.
    world.policies = policiesWith({ seatCap: { limit: 3 } });
    expect(await world.app.sync.releaseWaitingSeats(3)).toBe(1);
    await world.settle();
    expect((await readOrg(world.org)).users.get(aEmail)?.status).toBe('active');
    expect(await seats(world)).toEqual({ used: 3, waiting: 0 });

    // Deleting b frees a seat for a newcomer; a forced reconcile changes no count.
    const d = await createUser(world, 'd@example.com');
    await world.settle();
    expect(await seats(world)).toEqual({ used: 3, waiting: 1 });
    await world.scim('DELETE', `/Users/${b}`);
    await world.settle();
    await world.app.sync.reconcileAll({ force: true });
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get(`${seated[1]}@example.com`)?.status).toBe('suspended');
    expect(org.users.get('d@example.com')?.status).toBe('active');
    expect(await seats(world)).toEqual({ used: 3, waiting: 0 });
    expect(await logOf(world, d, 'blocked')).toHaveLength(1);
  });
});

describe('drift', () => {
  it('report: an account suspended or restored by hand is reported once and left; repair fixes it', async () => {
    const world = createWorld({ policies: policiesWith({ drift: { action: 'report' } }) });
    const alice = await entraCreate(world, 'alice@example.com');
    const bob = await entraCreate(world, 'bob@example.com');
    await world.settle();
    await entraSetActive(world, bob, false);
    await world.settle();

    await byHand(world, { suspend: 'alice@example.com' });
    await byHand(world, { restore: 'bob@example.com' });
    for (let i = 0; i < 2; i++) {
      await world.app.sync.reconcileAll({ force: true });
      await world.settle();
    }
    let org = await readOrg(world.org);
    expect(org.users.get('alice@example.com')?.status).toBe('suspended');
    expect(org.users.get('bob@example.com')?.status).toBe('active');
    expect((await logOf(world, alice, 'attention')).map((e) => e.result)).toEqual([
      expect.stringMatching(/is suspended in Atlassian but active at the identity provider; left as it is/),
    ]);
    expect((await logOf(world, bob, 'attention')).map((e) => e.result)).toEqual([
      expect.stringMatching(/is active in Atlassian but deactivated at the identity provider; left as it is/),
    ]);

    world.policies = policiesWith({ drift: { action: 'repair' } });
    await world.app.sync.reconcileAll({ force: true });
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get('alice@example.com')?.status).toBe('active');
    expect(org.users.get('bob@example.com')?.status).toBe('suspended');
    expect((await logOf(world, alice, 'ok')).map((e) => e.why)).toContain(
      'account suspended in Atlassian by hand (drift repaired)',
    );
  });
});

describe('dry run', () => {
  it('plans the invite, the link, the new-user grants and the suspension, and changes nothing', async () => {
    const world = createWorld({
      policies: policiesWith({ dryRun: true, newUsers: { defaultGroups: ['All Staff'], productAccess: [] } }),
    });
    await plainGroup(world, 'All Staff');
    const alice = await entraCreate(world, 'alice@example.com');
    const ada = await entraCreate(world, SEED_ACCOUNTS.existing);
    await world.settle();
    const before = await readOrg(world.org);
    expect(before.users.has('alice@example.com')).toBe(false);
    expect(before.groups.get('All Staff')?.members).toEqual([]);
    expect(requests(world, 'POST', INVITES)).toBe(0);
    // Connecting reconciles everything once more, and a plan writes nothing: planned again.
    const planned = async (id: string) => [
      ...new Set((await logOf(world, id, 'planned')).map((e) => `${e.operation}: ${e.why}`)),
    ];
    expect(await planned(alice)).toEqual([
      // The invite names the default group: it places the user and adds it in one call.
      'invite: user provisioned; joins 1 group(s) with it',
    ]);
    expect(await planned(ada)).toEqual([
      'link: an account with this e-mail exists',
      expect.stringMatching(/^addMember: new user: default group All Staff \(/),
      // The identity provider's name for the account, pushed to its profile (src/sync/profile.ts).
      'updateProfile: profile of a newly linked account: name, nickname',
    ]);

    await entraSetActive(world, ada, false);
    await world.settle();
    expect(await planned(ada)).toContain('suspend: user deactivated at the identity provider');
    expect((await readOrg(world.org)).users.get(SEED_ACCOUNTS.existing)?.status).toBe('active');

    // Dry run off: the plan is made for real.
    world.policies = policiesWith({ newUsers: { defaultGroups: ['All Staff'], productAccess: [] } });
    await world.app.sync.reconcileAll();
    await world.settle();
    const after = await readOrg(world.org);
    expect(after.groups.get('All Staff')?.members).toEqual(['alice@example.com']);
    expect(after.users.get(SEED_ACCOUNTS.existing)?.status).toBe('suspended');
  });
});

describe('a connection that cannot suspend (the site-admin mode)', () => {
  const cannotSuspend = (port: AtlassianPort): AtlassianPort =>
    new Proxy(port, {
      get(target, property, receiver) {
        if (property === 'suspend' || property === 'restore') {
          return async () => {
            throw new AtlassianError('unsupported', 'Site-admin credentials cannot suspend accounts.');
          };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });

  it('deactivates by removing product access, says so, and gives it back on reactivation', async () => {
    const world = createWorld({ wrapPort: cannotSuspend });
    await productGroup(world, 'jira-software-users', 'jira-software');
    const alice = await entraCreate(world, 'alice@example.com');
    await world.settle();
    await byHand(world, { add: 'alice@example.com', to: 'jira-software-users' });

    await entraSetActive(world, alice, false);
    await world.settle();
    expect((await readOrg(world.org)).users.get('alice@example.com')).toMatchObject({
      status: 'active',
      groups: [],
    });
    expect((await logOf(world, alice, 'skipped')).map((e) => e.result)).toEqual([
      'this connection cannot suspend accounts (site-admin mode): it deactivates by removing product access',
    ]);

    await entraSetActive(world, alice, true);
    await world.settle();
    expect((await readOrg(world.org)).users.get('alice@example.com')?.groups).toEqual([
      'jira-software-users',
    ]);
    expect(await logOf(world, alice, 'failed')).toEqual([]);
  });
});
