/**
 * Invites that place the user (issue 14, items 1 and 7), through identity-provider lifecycles
 * into the embedded organization, made as strict as the reference on each point:
 *
 * - an invite names what places the user (the new-user groups, its SCIM groups already linked)
 *   in `additionalGroups`: one search, one invite and one read-back per new user, and no
 *   member add for what the invite placed;
 * - an invite with nothing to name may leave the account out of the directory (`not_invited`,
 *   UNCONFIRMED on the real service): no membership is attempted, the log says what to do, and
 *   the group membership that arrives later places the user with a second invite naming it;
 * - an Atlassian account outside the directory (`not_invited`) is invited, which places it;
 * - a product's user limit (409) blocks the user with the fix, and is not retried forever.
 */
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { createGroup, createUser, createWorld, readOrg } from './support';
import { INVITES, logOf, plainGroup, policiesWith, productGroup, requests } from './user-policies-support';

const MEMBER_ADDS = /\/groups\/[^/]+\/memberships$/;

describe('an invite that places the user', () => {
  it('names the default group: one search, one invite, one batched read-back, no member add', async () => {
    const world = createWorld({ org: { placeBareInvites: false } });
    const staff = await plainGroup(world, 'All Staff');
    world.policies = policiesWith({ newUsers: { defaultGroups: ['All Staff'], productAccess: [] } });
    const callsBefore = world.org.calls.length;
    const id = await createUser(world, 'new.hire@example.com');
    await world.settle();

    // The e-mail searched once, the default group found and checked, one invite naming it, and
    // the account read back by the user's next reconcile (a users search by account id, one
    // per batch of invites): no member add, no second search by e-mail.
    const sync = world.org.calls
      .slice(callsBefore)
      .map((c) => `${c.method} ${c.path.replace(/^.*\/(v2|v1)\//, '')}`);
    const shape = sync.map((c) => c.replace(/[0-9a-f-]{36}|712020%3A[0-9a-f-]+/g, '*'));
    expect(shape.slice(0, 5)).toEqual([
      'POST orgs/*/directories/*/users/search',
      'POST orgs/*/directories/*/groups/search',
      'GET orgs/*/directories/*/groups/*/role-assignments',
      'POST orgs/*/users/invite',
      'POST orgs/*/directories/*/users/search',
    ]);
    // Two users searches: by e-mail before the invite, by account id after it; no GET users/{id}.
    expect(shape.filter((c) => c.endsWith('/users/search'))).toHaveLength(2);
    expect(shape.filter((c) => /^GET .*\/users\/\*$/.test(c))).toHaveLength(0);
    expect(shape.filter((c) => c.endsWith('/memberships'))).toHaveLength(0);

    const org = await readOrg(world.org);
    expect(org.users.get('new.hire@example.com')).toMatchObject({ status: 'active', groups: ['All Staff'] });
    expect(requests(world, 'POST', INVITES)).toBe(1);
    expect(world.org.membersOf(staff)).toEqual([
      world.org.findUserByEmail('new.hire@example.com')?.accountId,
    ]);
    expect(await logOf(world, id, 'attention')).toEqual([]);
  });

  it('names the SCIM groups already linked, and the app still owns those memberships', async () => {
    const world = createWorld({ org: { placeBareInvites: false } });
    const first = await createUser(world, 'first@example.com');
    const team = await createGroup(world, 'Team', [first]);
    await world.settle();
    // A new member of a linked group: its invite names the group, no member add follows.
    const adds = requests(world, 'POST', MEMBER_ADDS);
    const invites = requests(world, 'POST', INVITES);
    const second = await createUser(world, 'second@example.com');
    const patch = await world.scim('PATCH', `/Groups/${team}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'add', path: 'members', value: [{ value: second }] }],
    });
    expect(patch.status).toBeLessThan(300);
    await world.settle();
    let org = await readOrg(world.org);
    expect(org.groups.get('Team')?.members.sort()).toEqual(['first@example.com', 'second@example.com']);
    expect(requests(world, 'POST', INVITES) - invites).toBe(1);
    expect(requests(world, 'POST', MEMBER_ADDS) - adds).toBe(0);

    // Removed from the group at the identity provider: the app added it, so the app removes it.
    const remove = await world.scim('PATCH', `/Groups/${team}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'remove', path: `members[value eq "${second}"]` }],
    });
    expect(remove.status).toBeLessThan(300);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.groups.get('Team')?.members).toEqual(['first@example.com']);
  });
});

describe('an invite that does not place the user (not_invited after it)', () => {
  it('attempts no membership, says what to do, and places the user when a group arrives', async () => {
    const world = createWorld({ org: { placeBareInvites: false } });
    const id = await createUser(world, 'loner@example.com');
    await world.settle();

    const account = world.org.findUserByEmail('loner@example.com');
    expect(account?.membership).toBe('none');
    const attention = await logOf(world, id, 'attention');
    expect(attention.map((e) => e.result)).toEqual([
      expect.stringMatching(
        /not in the directory: .*Fix: give new users a default group or product access in the provisioning policies, or add the user to a group at the identity provider; then Retry/,
      ),
    ]);
    // No member add was tried (it would be 404 "User not found"), and nothing failed.
    expect(world.org.calls.filter((c) => c.status === 404 && MEMBER_ADDS.test(c.path))).toEqual([]);
    expect(await logOf(world, id, 'failed')).toEqual([]);
    // Not linked, so it holds no seat.
    expect(await world.app.sync.links.state<{ used: number }>('seats')).toMatchObject({ used: 0 });

    // A forced reconcile of everything repeats no invite that would be the same.
    const invites = requests(world, 'POST', INVITES);
    await world.app.sync.reconcileAll();
    await world.settle();
    expect(requests(world, 'POST', INVITES)).toBe(invites);

    // A group membership arrives: the invite naming that group places the account.
    await createGroup(world, 'Support', [id]);
    await world.settle();
    const org = await readOrg(world.org);
    expect(org.users.get('loner@example.com')).toMatchObject({
      accountId: account?.accountId,
      status: 'active',
      groups: ['Support'],
    });
    expect(requests(world, 'POST', INVITES)).toBe(invites + 1);
    expect(world.org.calls.filter((c) => c.status === 404 && MEMBER_ADDS.test(c.path))).toEqual([]);
  });

  it('an account outside the directory (seeded not_invited) is invited, which places it', async () => {
    const world = createWorld({ org: { placeBareInvites: true } });
    const before = world.org.findUserByEmail(SEED_ACCOUNTS.outside);
    expect(before?.membership).toBe('none');
    await createUser(world, SEED_ACCOUNTS.outside);
    await world.settle();
    const org = await readOrg(world.org);
    expect(org.users.get(SEED_ACCOUNTS.outside)).toMatchObject({
      accountId: before?.accountId,
      status: 'active',
    });
    expect(requests(world, 'POST', INVITES)).toBe(1);
  });
});

describe("a product's user limit", () => {
  it('blocks the user with the fix (409), and is not retried until a change or Retry', async () => {
    const world = createWorld({ org: { userLimits: { confluence: 0 } } });
    await productGroup(world, 'confluence-users', 'confluence');
    world.policies = policiesWith({
      newUsers: { defaultGroups: [], productAccess: [{ product: 'confluence' }] },
    });
    const id = await createUser(world, 'over@example.com');
    await world.settle();

    const org = await readOrg(world.org);
    expect(org.users.get('over@example.com')?.groups ?? []).toEqual([]);
    const blocked = await logOf(world, id, 'blocked');
    expect(blocked.length).toBeGreaterThanOrEqual(1);
    expect(blocked.map((e) => `${e.result} ${e.error ?? ''}`).join('\n')).toMatch(
      /user limit .*raise the product's user tier .*or free seats/s,
    );
    expect(world.org.calls.some((c) => c.status >= 500)).toBe(false);
    // Settled: nothing left to retry, and further runs send nothing.
    const calls = world.org.calls.length;
    await world.runOnce();
    expect(world.org.calls.length).toBe(calls);
    expect(world.org.calls.filter((c) => c.status === 409).length).toBeLessThanOrEqual(2);
  });
});
