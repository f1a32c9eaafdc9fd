/**
 * The privilege boundary (src/sync/privilege.ts), issue 13 cases 1 and 2: an identity provider,
 * or an admin's policy mistake, never makes anyone an admin through the app. Driven over SCIM
 * into the embedded organization, and read back through its REST API.
 */
import type { AtlassianPort, ProductRole } from '../../src/atlassian/port';
import { GroupRoleCache } from '../../src/sync/group-role-cache';
import { allPartitions, SYNC_PARTITIONS } from '../../src/sync/partitions';
import { client } from '../embedded-org/helpers';
import { createGroup, createUser, createWorld, readOrg, World } from './support';
import { entraCreate, logOf, plainGroup, policiesWith } from './user-policies-support';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A group made by an admin in Atlassian, holding these roles on these products. */
async function groupWithRoles(
  world: World,
  name: string,
  roles: { product: string; role: ProductRole }[],
): Promise<string> {
  const api = client(world.org);
  expect((await api.call('POST', `${api.d}/groups`, { name })).status).toBe(201);
  const groupId = (await api.groupOf(name)) as string;
  for (const { product, role } of roles) await grant(world, groupId, product, role);
  return groupId;
}

/** An admin gives a group a role on a product, by hand in Atlassian. */
async function grant(world: World, groupId: string, product: string, role: ProductRole): Promise<void> {
  const api = client(world.org);
  const workspaces = await api.call('POST', `${api.o}/workspaces`, {});
  const workspace = (workspaces.body.data as { id: string; attributes: { typeKey: string } }[]).find(
    (w) => w.attributes.typeKey === product,
  );
  expect(workspace).toBeDefined();
  const answer = await api.call('POST', `${api.d}/groups/${groupId}/role-assignments/assign`, {
    resourceId: workspace?.id,
    roleId: role,
  });
  expect(answer.status).toBe(204);
}

/** The roles an account holds, as the organization's API reports them (groups included). */
async function rolesOf(world: World, email: string): Promise<string[]> {
  const api = client(world.org);
  const accountId = (await api.accountOf(email)) as string;
  const answer = await api.call('GET', `${api.d}/users/${accountId}/role-assignments`);
  expect(answer.status).toBe(200);
  return (answer.body.data as { roles: string[] }[]).flatMap((a) => a.roles).sort();
}

describe('product access for new users', () => {
  it('grants exactly the role the policy names, through a group holding that role and nothing more (case 1)', async () => {
    const world = createWorld({
      policies: policiesWith({
        newUsers: {
          defaultGroups: [],
          productAccess: [{ product: 'jira-software', role: 'atlassian/user' }],
        },
      }),
    });
    // First by name: the old choice, which made every new user a Jira admin.
    await groupWithRoles(world, 'jira-admins-offline', [
      { product: 'jira-software', role: 'atlassian/admin' },
    ]);
    await groupWithRoles(world, 'jira-software-users-offline', [
      { product: 'jira-software', role: 'atlassian/user' },
    ]);

    const alice = await entraCreate(world, 'alice@example.com');
    await world.settle();

    const org = await readOrg(world.org);
    expect(org.users.get('alice@example.com')?.groups).toEqual(['jira-software-users-offline']);
    expect(org.groups.get('jira-admins-offline')?.members).toEqual([]);
    expect(await rolesOf(world, 'alice@example.com')).toEqual(['atlassian/user']);
    expect(await logOf(world, alice, 'attention')).toEqual([]);
  });

  it('uses no group that holds more than the role, even one not named like an admin group, and says how to fix it', async () => {
    const world = createWorld({
      policies: policiesWith({
        newUsers: {
          defaultGroups: ['Release Managers'],
          productAccess: [{ product: 'jira-software', role: 'atlassian/user' }],
        },
      }),
    });
    // A group an admin made for leads: Jira use and Jira admin in one.
    await groupWithRoles(world, 'jira-everything', [
      { product: 'jira-software', role: 'atlassian/user' },
      { product: 'jira-software', role: 'atlassian/admin' },
    ]);
    await groupWithRoles(world, 'Release Managers', [{ product: 'confluence', role: 'atlassian/admin' }]);

    const alice = await entraCreate(world, 'alice@example.com');
    await world.settle();

    const org = await readOrg(world.org);
    expect(org.users.get('alice@example.com')).toMatchObject({ status: 'active', groups: [] });
    expect(await rolesOf(world, 'alice@example.com')).toEqual([]);
    const attention = (await logOf(world, alice, 'attention')).map((e) => e.result);
    expect(attention).toEqual([
      expect.stringMatching(
        /"Release Managers" holds the admin role atlassian\/admin on confluence: not added .*Fix: remove it from the new-user default groups/,
      ),
      expect.stringMatching(
        /no group grants exactly atlassian\/user on jira-software and nothing more \(jira-everything grant .*\): give a group only atlassian\/user on jira-software/,
      ),
    ]);
  });
});

describe('SCIM groups', () => {
  it('never adopt an existing admin group: the SCIM group stays unlinked, its members are not added (case 2)', async () => {
    const world = createWorld();
    const adminGroupId = await groupWithRoles(world, 'jira-admins-offline', [
      { product: 'jira-software', role: 'atlassian/admin' },
    ]);
    // An admin group by its role only: the name gives nothing away.
    await groupWithRoles(world, 'Release Managers', [{ product: 'jira-software', role: 'atlassian/admin' }]);
    // An ordinary group an admin made: still adopted, as before.
    await plainGroup(world, 'All Staff');
    const bob = await createUser(world, 'bob@example.com');
    await world.settle();

    const admins = await createGroup(world, 'jira-admins-offline', [bob]);
    const managers = await createGroup(world, 'Release Managers', [bob]);
    const staff = await createGroup(world, 'All Staff', [bob]);
    await world.settle();

    const org = await readOrg(world.org);
    expect(org.users.get('bob@example.com')?.groups).toEqual(['All Staff']);
    expect(org.groups.get('jira-admins-offline')).toMatchObject({ id: adminGroupId, members: [] });
    expect(org.groups.get('Release Managers')?.members).toEqual([]);
    expect(await rolesOf(world, 'bob@example.com')).toEqual([]);
    // Not created again under the same name either: one group of each name.
    expect([...org.groups.keys()].filter((n) => n === 'jira-admins-offline')).toHaveLength(1);

    const fix =
      /Fix: rename the group at the identity provider, or map it with groups\.nameMap to a group without admin roles/;
    for (const [group, reason] of [
      [admins, /"jira-admins-offline" is one of Atlassian's admin groups/],
      [managers, /"Release Managers" holds the admin role atlassian\/admin on jira-software/],
    ] as const) {
      const attention = await logOf(world, group, 'attention');
      expect(attention).toEqual([
        expect.objectContaining({
          operation: 'link',
          why: expect.stringMatching(reason),
          result: expect.stringMatching(fix),
        }),
      ]);
      expect(await world.app.sync.links.group(group)).not.toHaveProperty('groupId');
    }
    expect(await logOf(world, staff, 'attention')).toEqual([]);

    // More members later: still none added, and the problem is not logged again.
    const carol = await createUser(world, 'carol@example.com');
    await world.settle();
    const patch = await world.scim('PATCH', `/Groups/${admins}`, {
      schemas: [PATCH],
      Operations: [{ op: 'add', path: 'members', value: [{ value: carol }] }],
    });
    expect([200, 204]).toContain(patch.status);
    await world.settle();
    expect((await readOrg(world.org)).groups.get('jira-admins-offline')?.members).toEqual([]);
    expect(await logOf(world, admins, 'attention')).toHaveLength(1);
  });

  it('stop adding members to a linked group once an admin gives it an admin role', async () => {
    const world = createWorld();
    const alice = await createUser(world, 'alice@example.com');
    const group = await createGroup(world, 'Engineering', [alice]);
    await world.settle();
    const api = client(world.org);
    const groupId = (await api.groupOf('Engineering')) as string;
    expect((await readOrg(world.org)).groups.get('Engineering')?.members).toEqual(['alice@example.com']);

    await grant(world, groupId, 'jira-software', 'atlassian/admin');
    const bob = await createUser(world, 'bob@example.com');
    const patch = await world.scim('PATCH', `/Groups/${group}`, {
      schemas: [PATCH],
      Operations: [{ op: 'add', path: 'members', value: [{ value: bob }] }],
    });
    expect([200, 204]).toContain(patch.status);
    await world.settle();

    const org = await readOrg(world.org);
    expect(org.groups.get('Engineering')?.members).toEqual(['alice@example.com']);
    expect(await rolesOf(world, 'bob@example.com')).toEqual([]);
    expect(await logOf(world, group, 'attention')).toEqual([
      expect.objectContaining({
        operation: 'addMember',
        why: expect.stringMatching(/"Engineering" holds the admin role atlassian\/admin on jira-software/),
        result: expect.stringMatching(/members not added .*Fix: take the admin role off the group/),
      }),
    ]);
  });
});

describe('group roles shared by the runs going on at once (src/sync/group-role-cache.ts)', () => {
  /** Every partition's run at once, as the dispatcher wakes them. */
  const runAllPartitions = async (world: World) => {
    await world.app.directory.jobs.runPending();
    await world.app.sync.checkConnection();
    await Promise.all(
      allPartitions().map((index) =>
        world.app.sync.run(Number.POSITIVE_INFINITY, { index, count: SYNC_PARTITIONS }),
      ),
    );
  };
  const roleReads = (world: World, groupId: string) =>
    world.org.calls.filter(
      (c) => c.method === 'GET' && c.path.endsWith(`/groups/${groupId}/role-assignments`),
    ).length;

  it('read a default group once for new users in every partition, and again in the next round', async () => {
    const world = createWorld({
      policies: policiesWith({ newUsers: { defaultGroups: ['All Staff'], productAccess: [] } }),
    });
    const staff = await plainGroup(world, 'All Staff');
    for (let n = 0; n < 40; n++) await createUser(world, `user${n}@example.com`);
    await runAllPartitions(world);
    expect(roleReads(world, staff)).toBe(1);
    expect((await readOrg(world.org)).groups.get('All Staff')?.members).toHaveLength(40);

    // A run that begins later never trusts a read sent before it: an admin may have given the
    // group an admin role meanwhile, and the next new users must not get it.
    await grant(world, staff, 'jira-software', 'atlassian/admin');
    for (let n = 40; n < 60; n++) await createUser(world, `user${n}@example.com`);
    await runAllPartitions(world);
    expect(roleReads(world, staff)).toBe(2);
    expect((await readOrg(world.org)).groups.get('All Staff')?.members).toHaveLength(40);
    expect(await rolesOf(world, 'user59@example.com')).toEqual([]);
  });

  it("forget a group's roles when the app itself grants or revokes the group's access", async () => {
    const reads: string[] = [];
    const cache = new GroupRoleCache(() => 0);
    const port = cache.watching({
      grantGroupAccess: async () => undefined,
      revokeGroupAccess: async () => undefined,
    } as unknown as AtlassianPort);
    const run = cache.beginRun();
    const read = (groupId: string) => () => {
      reads.push(groupId);
      return Promise.resolve([]);
    };
    await run.roles('g1', read('g1'));
    await run.roles('g1', read('g1'));
    expect(reads).toEqual(['g1']);
    await port.grantGroupAccess('g1', 'resource', 'atlassian/user');
    await run.roles('g1', read('g1'));
    await port.revokeGroupAccess('g1', 'resource', 'atlassian/user');
    await run.roles('g1', read('g1'));
    // A failed read is not kept either.
    await expect(run.roles('g2', () => Promise.reject(new Error('500')))).rejects.toThrow('500');
    await run.roles('g2', read('g2'));
    expect(reads).toEqual(['g1', 'g1', 'g1', 'g2']);
  });
});
