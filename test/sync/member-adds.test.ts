/**
 * A member add reads first only where the read's answer decides something (issue 15, item 1).
 * In a group the app created, the add itself tells the outcome (an add of a member already
 * there answers as a new one does, Organizations REST API, Groups: add user to group), so no `isMember` precedes it. In a
 * group the app found, a member already there is not the app's: the read tells, and removing
 * that user at the identity provider later leaves the membership alone.
 */
import type { AtlassianPort } from '../../src/atlassian/port';
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { client } from '../embedded-org/helpers';
import { createGroup, createUser, createWorld, readOrg } from './support';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

function countingMembershipCalls() {
  const calls = { isMember: 0, addMember: 0 };
  const wrapPort = (port: AtlassianPort): AtlassianPort =>
    Object.assign(Object.create(port) as AtlassianPort, {
      isMember: (groupId: string, accountId: string) => {
        calls.isMember++;
        return port.isMember(groupId, accountId);
      },
      addMember: (groupId: string, accountId: string) => {
        calls.addMember++;
        return port.addMember(groupId, accountId);
      },
    });
  return { calls, wrapPort };
}

describe('member adds', () => {
  it('adds the members of a group the app created without asking isMember first', async () => {
    const { calls, wrapPort } = countingMembershipCalls();
    const world = createWorld({ wrapPort });
    const ids = [];
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) {
      ids.push(await createUser(world, email));
    }
    await world.settle();
    calls.isMember = 0;
    const group = await createGroup(world, 'Fresh', ids);
    await world.settle();
    expect((await readOrg(world.org)).groups.get('Fresh')?.members).toEqual([
      'a@example.com',
      'b@example.com',
      'c@example.com',
    ]);
    expect(calls).toEqual({ isMember: 0, addMember: 3 });

    // The app's memberships: taken back when the identity provider takes them back.
    const put = await world.scim('PUT', `/Groups/${group}`, {
      schemas: [GROUP_SCHEMA],
      displayName: 'Fresh',
      members: [{ value: ids[0] }],
    });
    expect(put.status).toBe(200);
    await world.settle();
    expect((await readOrg(world.org)).groups.get('Fresh')?.members).toEqual(['a@example.com']);
  });

  it('in a group the app found, asks first and leaves a membership that was there before alone', async () => {
    const { calls, wrapPort } = countingMembershipCalls();
    const world = createWorld({ wrapPort });
    const api = client(world.org);
    expect((await api.call('POST', `${api.d}/groups`, { name: 'Found' })).status).toBe(201);
    const foundId = (await api.groupOf('Found')) as string;
    const existing = (await api.accountOf(SEED_ACCOUNTS.existing)) as string;
    const added = await api.call('POST', `${api.d}/groups/${foundId}/memberships`, { accountId: existing });
    expect(added.status).toBe(204);

    const user = await createUser(world, SEED_ACCOUNTS.existing);
    const alice = await createUser(world, 'alice@example.com');
    await world.settle();
    calls.isMember = 0;
    calls.addMember = 0;
    const group = await createGroup(world, 'Found', [user, alice]);
    await world.settle();
    expect(calls.isMember).toBe(2);
    expect(calls.addMember).toBe(1);

    // Both leave at the identity provider: only the app's membership is taken back.
    const put = await world.scim('PUT', `/Groups/${group}`, {
      schemas: [GROUP_SCHEMA],
      displayName: 'Found',
      members: [],
    });
    expect(put.status).toBe(200);
    await world.settle();
    expect((await readOrg(world.org)).groups.get('Found')?.members).toEqual([SEED_ACCOUNTS.existing]);
  });
});
