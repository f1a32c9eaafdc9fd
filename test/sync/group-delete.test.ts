/**
 * Deleting at the identity provider a group the app created, while it still has members in
 * Atlassian: the Organizations API refuses (409 ADMIN-409-5 "Group not empty"), so the app
 * takes out the members it added and deletes again; a member added by hand in Atlassian is
 * not the app's to remove, so the group is kept and the log says what to do.
 */
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { applied, createWorld, provisioned, readOrg } from './support';

const GROUP_DELETES = /\/groups\/[^/]+$/;

describe('DELETE /Groups of a group the app created', () => {
  it('empties it of the members the app added, then deletes it in the organization', async () => {
    const world = createWorld();
    const { group, groupId } = await provisioned(world);
    expect(world.org.membersOf(groupId)).toHaveLength(2);

    expect((await world.scim('DELETE', `/Groups/${group}`)).status).toBe(204);
    await world.settle();

    const org = await readOrg(world.org);
    expect(org.groups.has('Engineering')).toBe(false);
    expect(org.users.get('alice@example.com')?.groups).toEqual([]);
    expect(applied(world.org, 'DELETE', GROUP_DELETES)).toBe(1);
    const log = (await world.app.sync.log.query({ resource: group, limit: 100 })).entries;
    expect(log.filter((e) => e.status === 'failed' || e.status === 'attention')).toEqual([]);
    expect(log.filter((e) => e.operation === 'removeMember' && e.status === 'ok')).toHaveLength(2);
  });

  it('keeps it, with attention and the fix, when a member added by hand in Atlassian remains', async () => {
    const world = createWorld();
    const { group, groupId, api, account } = await provisioned(world);
    const ada = await account(SEED_ACCOUNTS.existing);
    expect(
      (await api.call('POST', `${api.d}/groups/${groupId}/memberships`, { accountId: ada })).status,
    ).toBe(204);

    expect((await world.scim('DELETE', `/Groups/${group}`)).status).toBe(204);
    await world.settle();

    // The app's own members are out; the hand-added one is left, and so is the group.
    expect(world.org.membersOf(groupId)).toEqual([ada]);
    expect((await readOrg(world.org)).groups.get('Engineering')?.members).toEqual([SEED_ACCOUNTS.existing]);
    const attention = (await world.app.sync.log.query({ resource: group, status: 'attention' })).entries;
    expect(attention).toHaveLength(1);
    expect(attention[0]).toMatchObject({ operation: 'deleteGroup' });
    expect(attention[0].result).toContain(ada);
    expect(attention[0].result).toMatch(/ADMIN-409-5/);
    expect(attention[0].result).toMatch(/Fix: remove them from the group in Atlassian administration/);
    expect((await world.app.sync.log.query({ resource: group, status: 'failed' })).entries).toEqual([]);
  });
});
