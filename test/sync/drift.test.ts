/**
 * Drift: what someone changes by hand in Atlassian, found by the full reconcile ("reconcile
 * now", the daily schedule) and repaired or reported as `policies.drift.action` says. The hand
 * edits go through the embedded organization's REST API; a rename (an operation the
 * Organizations API adapter cannot make, see org-adapter.ts) through a port that can.
 */
import type { AtlassianPort } from '../../src/atlassian/port';
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { DEFAULT_POLICIES, Policies } from '../../src/policies/policies';
import { client } from '../embedded-org/helpers';
import {
  applied,
  createGroup,
  createUser,
  createWorld,
  provisioned,
  readOrg,
  renamable,
  World,
} from './support';

const report: Policies = { ...DEFAULT_POLICIES, drift: { action: 'report' } };

/** As an admin must in Atlassian: empty the group (ADMIN-409-5 "Group not empty"), then delete it. */
async function deleteByHand(world: World, api: ReturnType<typeof client>, groupId: string): Promise<void> {
  for (const accountId of world.org.membersOf(groupId)) {
    expect((await api.call('DELETE', `${api.d}/groups/${groupId}/memberships/${accountId}`)).status).toBe(
      204,
    );
  }
  expect((await api.call('DELETE', `${api.d}/groups/${groupId}`)).status).toBe(204);
}

async function fullReconcile(world: World, trigger: 'admin' | 'schedule' = 'schedule') {
  const started = await world.app.sync.startFullReconcile({ trigger });
  expect(started).toMatchObject({ state: 'running', trigger });
  await world.settle();
  return world.app.sync.reconcileProgress();
}

describe('the full reconcile repairs drift (drift: repair)', () => {
  it('adds back a membership removed by hand and removes members added by hand, never an admin', async () => {
    const world = createWorld();
    const { group, groupId, api, account } = await provisioned(world);
    const bobAccount = await account('bob@example.com');
    const ada = await account(SEED_ACCOUNTS.existing);
    const admin = await account(SEED_ACCOUNTS.admin);
    expect((await api.call('DELETE', `${api.d}/groups/${groupId}/memberships/${bobAccount}`)).status).toBe(
      204,
    );
    for (const accountId of [ada, admin]) {
      expect((await api.call('POST', `${api.d}/groups/${groupId}/memberships`, { accountId })).status).toBe(
        204,
      );
    }
    // A change-driven reconcile trusts its links: the drift stays until the full reconcile.
    await world.app.sync.reconcileAll();
    await world.settle();
    expect((await readOrg(world.org)).groups.get('Engineering')?.members).toContain(SEED_ACCOUNTS.existing);

    const progress = await fullReconcile(world);
    const org = await readOrg(world.org);
    expect(org.groups.get('Engineering')?.members).toEqual([
      SEED_ACCOUNTS.admin,
      'alice@example.com',
      'bob@example.com',
    ]);
    const log = (await world.app.sync.log.query({ resource: group, status: 'ok', limit: 100 })).entries;
    expect(log.map((e) => [e.operation, e.why])).toEqual(
      expect.arrayContaining([
        ['addMember', `membership missing in Atlassian (${bobAccount})`],
        ['removeMember', `drift: member added by hand in Atlassian to a group the app created (${ada})`],
      ]),
    );
    expect(progress).toMatchObject({
      state: 'done',
      trigger: 'schedule',
      users: { done: 2, total: 2 },
      groups: { done: 1, total: 1 },
      changes: 2,
      reported: 0,
      failed: 0,
    });
    expect(progress.finishedAt).toBeGreaterThanOrEqual(progress.startedAt as number);
  });

  it.each([21, 22])('repairs the same drift with 20%% of Atlassian calls failing (seed %i)', async (seed) => {
    const world = createWorld({ org: { faults: { rate: 0, seed } } });
    const { groupId, api, account } = await provisioned(world);
    const bob = await account('bob@example.com');
    const ada = await account(SEED_ACCOUNTS.existing);
    expect((await api.call('DELETE', `${api.d}/groups/${groupId}/memberships/${bob}`)).status).toBe(204);
    expect(
      (await api.call('POST', `${api.d}/groups/${groupId}/memberships`, { accountId: ada })).status,
    ).toBe(204);
    const calls = world.org.calls.length;
    // The hand edits above are made; the app's calls fail from here on.
    world.org.faults.configure({ rate: 0.2 });
    const progress = await fullReconcile(world);
    expect(world.org.calls.slice(calls).some((c) => c.fault !== undefined)).toBe(true);
    expect((await readOrg(world.org)).groups.get('Engineering')?.members).toEqual([
      'alice@example.com',
      'bob@example.com',
    ]);
    expect(progress).toMatchObject({ state: 'done', users: { done: 2 }, groups: { done: 1 } });
  });

  it('leaves a member added by hand alone when the account is protected by e-mail or accountId', async () => {
    const world = createWorld();
    const { groupId, api, account } = await provisioned(world);
    const ada = await account(SEED_ACCOUNTS.existing);
    const grace = await account(SEED_ACCOUNTS.suspended);
    for (const accountId of [ada, grace]) {
      expect((await api.call('POST', `${api.d}/groups/${groupId}/memberships`, { accountId })).status).toBe(
        204,
      );
    }
    world.policies = {
      ...DEFAULT_POLICIES,
      protectedAccounts: {
        admins: true,
        accountIds: [grace],
        emails: [SEED_ACCOUNTS.existing.toUpperCase()],
      },
    };
    await fullReconcile(world);
    expect((await readOrg(world.org)).groups.get('Engineering')?.members).toEqual([
      SEED_ACCOUNTS.existing,
      'alice@example.com',
      'bob@example.com',
      SEED_ACCOUNTS.suspended,
    ]);
  });

  it('creates again a group deleted by hand, with its members', async () => {
    const world = createWorld();
    const { groupId, api } = await provisioned(world);
    await deleteByHand(world, api, groupId);
    await fullReconcile(world);
    const org = await readOrg(world.org);
    expect(org.groups.get('Engineering')?.members).toEqual(['alice@example.com', 'bob@example.com']);
    expect(org.groups.get('Engineering')?.id).not.toBe(groupId);
  });

  it('renames back in place a group renamed by hand', async () => {
    const names = new Map<string, string>();
    const world = createWorld({ wrapPort: renamable(names) });
    const { group, groupId } = await provisioned(world);
    names.set(groupId, 'Engineering (old)');
    await fullReconcile(world);
    expect(names.get(groupId)).toBe('Engineering');
    const renamed = (await world.app.sync.log.query({ resource: group, status: 'ok' })).entries;
    expect(renamed[0]).toMatchObject({
      operation: 'renameGroup',
      why: 'drift: renamed by hand in Atlassian to "Engineering (old)"; renamed back',
    });
    expect(applied(world.org, 'DELETE', /\/groups\/[^/]+$/)).toBe(0);
  });

  it('resumes a member check the batch could not finish where it stopped', async () => {
    const checked: string[] = [];
    const counting = (port: AtlassianPort): AtlassianPort =>
      Object.assign(Object.create(port) as AtlassianPort, {
        isMember: (group: string, accountId: string) => {
          checked.push(`${group}/${accountId}`);
          return port.isMember(group, accountId);
        },
      });
    const world = createWorld({ callsPerRun: 10, wrapPort: counting });
    const users: string[] = [];
    for (let i = 0; i < 25; i++) users.push(await createUser(world, `user${i}@example.com`));
    await createGroup(world, 'Big', users);
    await world.settle();
    const api = client(world.org);
    const groupId = (await api.groupOf('Big')) as string;
    const last = (await api.accountOf('user24@example.com')) as string;
    expect((await api.call('DELETE', `${api.d}/groups/${groupId}/memberships/${last}`)).status).toBe(204);
    checked.length = 0;
    const progress = await fullReconcile(world);
    expect((await readOrg(world.org)).groups.get('Big')?.members).toHaveLength(25);
    expect(progress).toMatchObject({ groups: { done: 1, total: 1 }, changes: 1 });
    // 25 membership checks in batches of 10 calls: each member checked once, not again per batch.
    const memberChecks = checked.filter((check) => check.startsWith(`${groupId}/`));
    expect(new Set(memberChecks).size).toBe(25);
    // A check whose batch ended before its answer was recorded is made again: a few at most.
    expect(memberChecks.length).toBeLessThanOrEqual(25 + 3);
  });
});

describe('a large group', () => {
  it("pages through the group's members in Atlassian to find one added by hand", async () => {
    const pages: (string | undefined)[] = [];
    const listing = (port: AtlassianPort): AtlassianPort =>
      Object.assign(Object.create(port) as AtlassianPort, {
        listMembers: (group: string, cursor?: string) => {
          pages.push(cursor);
          return port.listMembers(group, cursor);
        },
      });
    const world = createWorld({ wrapPort: listing });
    const users: string[] = [];
    for (let i = 0; i < 104; i++) users.push(await createUser(world, `member${i}@example.com`));
    await createGroup(world, 'Everyone', users);
    await world.settle();
    const api = client(world.org);
    const groupId = (await api.groupOf('Everyone')) as string;
    const ada = (await api.accountOf(SEED_ACCOUNTS.existing)) as string;
    expect(
      (await api.call('POST', `${api.d}/groups/${groupId}/memberships`, { accountId: ada })).status,
    ).toBe(204);
    const progress = await fullReconcile(world);
    const members = (await readOrg(world.org)).groups.get('Everyone')?.members ?? [];
    expect(members).toHaveLength(104);
    expect(members).not.toContain(SEED_ACCOUNTS.existing);
    expect(progress).toMatchObject({ state: 'done', changes: 1, users: { done: 104 }, groups: { done: 1 } });
    // Two pages of 100: the second asked for with the first's cursor.
    expect(pages).toHaveLength(2);
    expect(pages[0]).toBeUndefined();
    expect(pages[1]).toEqual(expect.any(String));
  });
});

describe('the full reconcile reports drift (drift: report)', () => {
  it('reports each hand edit with what differs and how to fix it, and changes nothing', async () => {
    const world = createWorld({ policies: report });
    const { group, groupId, api, account } = await provisioned(world);
    const bobAccount = await account('bob@example.com');
    const ada = await account(SEED_ACCOUNTS.existing);
    expect((await api.call('DELETE', `${api.d}/groups/${groupId}/memberships/${bobAccount}`)).status).toBe(
      204,
    );
    expect(
      (await api.call('POST', `${api.d}/groups/${groupId}/memberships`, { accountId: ada })).status,
    ).toBe(204);
    const calls = world.org.calls.length;

    const progress = await fullReconcile(world, 'admin');
    const org = await readOrg(world.org);
    expect(org.groups.get('Engineering')?.members).toEqual([SEED_ACCOUNTS.existing, 'alice@example.com']);
    expect(
      world.org.calls.slice(calls).filter((c) => c.method === 'DELETE' || c.path.endsWith('/memberships')),
    ).toEqual([]);
    const attention = (await world.app.sync.log.query({ resource: group, status: 'attention' })).entries;
    expect(attention.map((e) => e.why).sort()).toEqual([
      `drift: member added by hand in Atlassian to a group the app created (${ada})`,
      `drift: membership removed by hand in Atlassian (${bobAccount})`,
    ]);
    for (const entry of attention)
      expect(entry.result).toMatch(/^reported, not repaired \(drift policy: report\)\. Fix: /);
    expect(progress).toMatchObject({ state: 'done', trigger: 'admin', changes: 0, reported: 2, failed: 0 });

    // Switching to repair: the next full reconcile repairs both.
    world.policies = DEFAULT_POLICIES;
    await fullReconcile(world);
    expect((await readOrg(world.org)).groups.get('Engineering')?.members).toEqual([
      'alice@example.com',
      'bob@example.com',
    ]);
  });

  it('reports a group deleted or renamed by hand, and leaves it so', async () => {
    const names = new Map<string, string>();
    const world = createWorld({ policies: report, wrapPort: renamable(names) });
    const first = await provisioned(world);
    const design = await createGroup(world, 'Design', [first.alice]);
    await world.settle();
    const designId = (await first.api.groupOf('Design')) as string;

    await deleteByHand(world, first.api, first.groupId);
    names.set(designId, 'Design by hand');
    await fullReconcile(world);
    const org = await readOrg(world.org);
    expect(org.groups.has('Engineering')).toBe(false);
    expect(names.get(designId)).toBe('Design by hand');
    const deleted = (await world.app.sync.log.query({ resource: first.group, status: 'attention' })).entries;
    expect(deleted.map((e) => e.why)).toEqual([
      'drift: the linked group "Engineering" was deleted in Atlassian by hand',
    ]);
    const renamed = (await world.app.sync.log.query({ resource: design, status: 'attention' })).entries;
    expect(renamed.map((e) => e.why)).toEqual([
      'drift: renamed by hand in Atlassian from "Design" to "Design by hand"',
    ]);
    expect(renamed[0].result).toMatch(
      /Fix: rename it back to "Design" in Atlassian, or set the drift policy to repair/,
    );
  });
});
