/**
 * Fewer Atlassian requests per change (issue 15), driven as an identity provider drives the
 * app, into the embedded organization:
 *
 * - a run reads its batch's accounts in one users search per 100 (by e-mail for new users,
 *   by account id for the invites to read back), not one request per user;
 * - an invite's placement is read back in that batched search, and an account it left out of
 *   the directory still gets no membership attempt, is logged with the fix, and is invited
 *   again naming a group once one arrives;
 * - the search's claim status spares `GET /users/{id}/manage` for accounts the organization
 *   does not manage;
 * - a new group costs one name search (its id, read back after the create), not two; a name
 *   someone else has is adopted as theirs (never deleted by the app);
 * - a change-driven reconcile trusts its links (no account or group read before the write),
 *   and a write's 404 sends the retry back to reading: a group deleted by hand is provisioned
 *   again.
 */
import type { AtlassianPort } from '../../src/atlassian/port';
import { client } from '../embedded-org/helpers';
import { applied, createGroup, createUser, createWorld, killer, Killed, readOrg } from './support';
import { entraSetActive, INVITES, logOf, plainGroup, requests, ROLE_CHECKS } from './user-policies-support';

const USER_SEARCH = /\/users\/search$/;
const GROUP_SEARCH = /\/groups\/search$/;
const ACCOUNT_READ = /\/directories\/[^/]+\/users\/[^/]+$/;
const MANAGE = /^\/users\/[^/]+\/manage$/;
const MEMBER_ADDS = /\/groups\/[^/]+\/memberships$/;

/** Records each port call by name, with the number of e-mails or ids a batch call carried. */
function recording() {
  const calls: Array<{ name: string; size?: number }> = [];
  const wrapPort = (port: AtlassianPort): AtlassianPort =>
    new Proxy(port, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        return (...args: unknown[]) => {
          calls.push({ name: property, ...(Array.isArray(args[0]) ? { size: args[0].length } : {}) });
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const named = (name: string) => calls.filter((c) => c.name === name);
  return { wrapPort, named };
}

describe('batched account reads', () => {
  it('120 new users: two e-mail searches and two read-back searches, not one request per user each', async () => {
    const record = recording();
    const world = createWorld({ wrapPort: record.wrapPort });
    await world.runOnce();
    const before = world.org.calls.length;
    for (let n = 0; n < 120; n++) await createUser(world, `hire.${n}@example.com`);
    await world.settle();

    // ceil(120 / 100) searches by e-mail, and as many by account id for the invites' read-back.
    expect(record.named('findAccountsByEmail').map((c) => c.size)).toEqual([100, 20]);
    expect(record.named('getAccounts').map((c) => c.size)).toEqual([100, 20]);
    expect(record.named('findAccountByEmail')).toHaveLength(0);
    expect(record.named('getAccount')).toHaveLength(0);
    const calls = world.org.calls.slice(before);
    expect(calls.filter((c) => USER_SEARCH.test(c.path))).toHaveLength(4);
    expect(calls.filter((c) => c.method === 'GET' && ACCOUNT_READ.test(c.path))).toHaveLength(0);
    expect(requests(world, 'POST', INVITES)).toBe(120);
    const org = await readOrg(world.org);
    for (let n = 0; n < 120; n++) expect(org.users.get(`hire.${n}@example.com`)?.status).toBe('active');
  });
});

describe('invite read-backs folded into one search', () => {
  it('three invites that placed no one: one read-back search, no membership attempt, the fix logged, re-invited naming a group', async () => {
    const world = createWorld({ org: { placeBareInvites: false } });
    await world.runOnce();
    const before = world.org.calls.length;
    const ids = [];
    for (const name of ['ann', 'bob', 'cy']) ids.push(await createUser(world, `${name}@example.com`));
    await world.settle();

    const calls = world.org.calls.slice(before);
    // One search by e-mail before the invites, one by account id after them.
    expect(calls.filter((c) => USER_SEARCH.test(c.path))).toHaveLength(2);
    expect(calls.filter((c) => c.method === 'GET' && ACCOUNT_READ.test(c.path))).toHaveLength(0);
    expect(calls.filter((c) => MEMBER_ADDS.test(c.path))).toHaveLength(0);
    for (const id of ids) {
      const link = await world.app.sync.links.user(id);
      expect(link?.accountId).toBeUndefined();
      expect(link?.placing).toBeUndefined();
      expect(link?.unplaced?.groups).toEqual([]);
      const attention = await logOf(world, id, 'attention');
      expect(attention.map((e) => e.result)).toEqual([
        expect.stringMatching(/^not in the directory: .*Fix: /),
      ]);
    }
    // A group at the identity provider: each is invited again, naming it, which places it.
    await createGroup(world, 'Crew', ids);
    await world.settle();
    expect(requests(world, 'POST', INVITES)).toBe(6);
    const org = await readOrg(world.org);
    for (const name of ['ann', 'bob', 'cy']) {
      expect(org.users.get(`${name}@example.com`)).toMatchObject({ status: 'active', groups: ['Crew'] });
    }
  });
});

describe('claim status from the search', () => {
  it('an unmanaged account costs no GET …/manage; a managed one is asked what may change', async () => {
    const world = createWorld();
    await world.runOnce();
    const partner = await createUser(world, 'pat@partner.example', { title: 'Buyer' });
    const staff = await createUser(world, 'sam@example.com', { title: 'Clerk' });
    await world.settle();
    const manageCalls = (accountId: string | undefined) =>
      world.org.calls.filter(
        (c) => MANAGE.test(c.path) && c.path.includes(encodeURIComponent(String(accountId))),
      ).length;
    const partnerLink = await world.app.sync.links.user(partner);
    const staffLink = await world.app.sync.links.user(staff);
    expect(manageCalls(partnerLink?.accountId)).toBe(0);
    expect(partnerLink?.profile?.unmanaged).toBe(true);
    expect(manageCalls(staffLink?.accountId)).toBe(1);

    // Later title changes of the unmanaged account cost no request: no account read, no
    // …/manage, no admin check (the app's own invite answered it: not an admin).
    const retitle = async (title: string) => {
      const before = world.org.calls.length;
      const patch = {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'title', value: title }],
      };
      expect((await world.scim('PATCH', `/Users/${partner}`, patch)).status).toBe(204);
      await world.settle();
      return world.org.calls
        .slice(before)
        .map((c) => `${c.method} ${c.path.replace(/^.*\/users\//, 'users/')}`);
    };
    expect(await retitle('Head buyer')).toEqual([]);
    expect(await retitle('Chief buyer')).toEqual([]);
  });
});

describe('one name search per new group', () => {
  it('creates first, and reads the new group back by name once', async () => {
    const world = createWorld();
    await world.runOnce();
    const before = world.org.calls.length;
    await createGroup(world, 'Pilots', []);
    await world.settle();
    const calls = world.org.calls.slice(before);
    expect(calls.filter((c) => GROUP_SEARCH.test(c.path))).toHaveLength(1);
    expect(calls.filter((c) => c.method === 'POST' && /\/groups$/.test(c.path))).toHaveLength(1);
    expect((await readOrg(world.org)).groups.has('Pilots')).toBe(true);
  });

  it('a name someone else has is adopted as theirs: never deleted by the app', async () => {
    const world = createWorld();
    await world.runOnce();
    const theirs = await plainGroup(world, 'Design');
    const id = await createGroup(world, 'Design', []);
    await world.settle();
    // The create was refused (409), then the name looked up once and the group linked.
    expect(applied(world.org, 'POST', /\/groups$/)).toBe(1);
    expect(await world.app.sync.links.group(id)).toMatchObject({ groupId: theirs, created: false });
    expect((await world.scim('DELETE', `/Groups/${id}`)).status).toBe(204);
    await world.settle();
    expect((await readOrg(world.org)).groups.has('Design')).toBe(true);
  });
});

describe('change-driven reconciles trust their links', () => {
  it('a deactivation reads no account: the admin check, then the suspend', async () => {
    const world = createWorld();
    await world.runOnce();
    const id = await createUser(world, 'leaver@example.com');
    await world.settle();
    const before = world.org.calls.length;
    await entraSetActive(world, id, false);
    await world.settle();
    const calls = world.org.calls.slice(before).map((c) => `${c.method} ${c.path}`);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatch(/^GET .*\/users\/[^/]+\/role-assignments$/);
    expect(calls[1]).toMatch(/^POST .*\/users\/[^/]+\/suspend$/);
    expect(requests(world, 'GET', ROLE_CHECKS)).toBeGreaterThan(0);
    expect((await readOrg(world.org)).users.get('leaver@example.com')?.status).toBe('suspended');
  });

  it('a group deleted by hand: the member add answers 404, the retry reads the group and provisions it again', async () => {
    const world = createWorld();
    await world.runOnce();
    const first = await createUser(world, 'first@example.com');
    const group = await createGroup(world, 'Crew', [first]);
    await world.settle();
    // An admin empties and deletes the group in Atlassian.
    const api = client(world.org);
    const groupId = (await api.groupOf('Crew')) as string;
    const accountId = (await api.accountOf('first@example.com')) as string;
    expect((await api.call('DELETE', `${api.d}/groups/${groupId}/memberships/${accountId}`)).status).toBe(
      204,
    );
    expect((await api.call('DELETE', `${api.d}/groups/${groupId}`)).status).toBe(204);

    const second = await createUser(world, 'second@example.com');
    const patch = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'add', path: 'members', value: [{ value: second }] }],
    };
    expect((await world.scim('PATCH', `/Groups/${group}`, patch)).status).toBe(204);
    await world.settle();
    const org = await readOrg(world.org);
    expect(org.groups.get('Crew')?.members.sort()).toEqual(['first@example.com', 'second@example.com']);
    expect((await world.app.sync.links.group(group))?.groupId).not.toBe(groupId);
  });
});

describe('an invite whose read-back has not run yet', () => {
  it('a user deleted at the identity provider meanwhile: the invited account is offboarded', async () => {
    // Killed before the run's read-back search, right after the invite (calls: the e-mail
    // search, the invite, then the read-back).
    const world = createWorld();
    await world.settle();
    const kill = killer(3, 'before');
    world.restart({ wrapPort: kill.wrapPort, wrapStore: kill.wrapStore });
    const id = await createUser(world, 'brief@example.com');
    await expect(world.settle()).rejects.toThrow(Killed);
    world.restart();
    expect((await world.app.sync.links.user(id))?.placing?.accountId).toBeDefined();

    expect((await world.scim('DELETE', `/Users/${id}`)).status).toBe(204);
    await world.settle();
    expect((await readOrg(world.org)).users.get('brief@example.com')?.status).toBe('suspended');
    expect(requests(world, 'POST', INVITES)).toBe(1);
  });
});
