/**
 * The group policies through identity-provider lifecycles, against the embedded organization:
 * names (map, rewrite, prefix; refused names reported, never sent), creating unknown groups
 * or not, adopting an existing name or reporting it, and a policy change reaching groups
 * already linked on the next full reconcile (renamed in place, never deleted and recreated).
 */
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { DEFAULT_POLICIES, Policies } from '../../src/policies/policies';
import { client } from '../embedded-org/helpers';
import { applied, createUser, createWorld, readOrg, renamable, World } from './support';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTRA = { 'User-Agent': 'Azure Active Directory SCIM client' };
const OKTA = { 'User-Agent': 'Okta SCIM Client 1.0.0' };
const GROUP_CREATES = /\/directories\/[^/]+\/groups$/;
const GROUP_DELETES = /\/directories\/[^/]+\/groups\/[^/]+$/;

function withGroups(patch: Partial<Policies['groups']>, more: Partial<Policies> = {}): Policies {
  return { ...DEFAULT_POLICIES, ...more, groups: { ...DEFAULT_POLICIES.groups, ...patch } };
}

/** Entra: the group is created empty, then its members are added with a PATCH. */
async function entraGroup(world: World, name: string, members: string[]): Promise<string> {
  const created = await world.scim(
    'POST',
    '/Groups',
    { schemas: [GROUP_SCHEMA], externalId: name, displayName: name, members: [] },
    ENTRA,
  );
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  if (members.length > 0) {
    const add = {
      schemas: [PATCH],
      Operations: [{ op: 'Add', path: 'members', value: members.map((value) => ({ value })) }],
    };
    expect((await world.scim('PATCH', `/Groups/${id}`, add, ENTRA)).status).toBe(204);
  }
  return id;
}

/** Okta: POST with the members, then PATCHes (`replace` with a value object to rename). */
async function oktaGroup(world: World, name: string, members: string[]): Promise<string> {
  const body = {
    schemas: [GROUP_SCHEMA],
    displayName: name,
    members: members.map((value) => ({ value, display: value })),
  };
  const created = await world.scim('POST', '/Groups', body, OKTA);
  expect(created.status).toBe(201);
  return created.body.id as string;
}

const oktaRename = async (world: World, id: string, name: string) =>
  expect(
    (
      await world.scim(
        'PATCH',
        `/Groups/${id}`,
        { schemas: [PATCH], Operations: [{ op: 'replace', value: { id, displayName: name } }] },
        OKTA,
      )
    ).status,
  ).toBeLessThan(300);

const entraRename = async (world: World, id: string, name: string) =>
  expect(
    (
      await world.scim(
        'PATCH',
        `/Groups/${id}`,
        { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: name }] },
        ENTRA,
      )
    ).status,
  ).toBeLessThan(300);

async function entries(world: World, resource: string, status: 'attention' | 'ok' | 'planned') {
  return (await world.app.sync.log.query({ resource, status, limit: 100 })).entries;
}

/** Runs a full reconcile (what "reconcile now" and the daily schedule start) to its end. */
async function fullReconcile(world: World): Promise<void> {
  await world.app.sync.startFullReconcile({ trigger: 'admin' });
  await world.settle();
  expect((await world.app.sync.reconcileProgress()).state).toBe('done');
}

describe('group names', () => {
  it('Entra: map, rewrite and prefix through create, members, rename, member removal and delete', async () => {
    const world = createWorld({
      policies: withGroups({
        nameMap: { 'All Sales': 'sales' },
        rewrite: { pattern: '^sg[-_ ]', replacement: '', flags: 'i' },
        prefix: 'idp-',
      }),
    });
    const alice = await createUser(world, 'alice@example.com');
    const bob = await createUser(world, 'bob@example.com');
    const engineering = await entraGroup(world, 'SG-Engineering', [alice, bob]);
    const sales = await entraGroup(world, 'All Sales', [bob]);
    await world.settle();
    let org = await readOrg(world.org);
    expect(org.groups.get('idp-Engineering')?.members).toEqual(['alice@example.com', 'bob@example.com']);
    expect(org.groups.get('sales')?.members).toEqual(['bob@example.com']);
    expect(org.groups.has('SG-Engineering')).toBe(false);
    expect(org.groups.has('idp-All Sales')).toBe(false);
    const engineeringId = org.groups.get('idp-Engineering')?.id;

    // A rename at the identity provider goes through the same policies; this adapter cannot
    // rename, so it is reported with the names the policies give, and nothing is recreated.
    await entraRename(world, engineering, 'SG-Platform');
    await world.settle();
    org = await readOrg(world.org);
    expect(org.groups.get('idp-Engineering')?.id).toBe(engineeringId);
    expect(org.groups.has('idp-Platform')).toBe(false);
    expect((await entries(world, engineering, 'attention')).map((e) => e.result)).toEqual([
      expect.stringMatching(/^rename needed: rename "idp-Engineering" to "idp-Platform"/),
    ]);

    const remove = {
      schemas: [PATCH],
      Operations: [{ op: 'Remove', path: 'members', value: [{ value: bob }] }],
    };
    expect((await world.scim('PATCH', `/Groups/${engineering}`, remove, ENTRA)).status).toBe(204);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.groups.get('idp-Engineering')?.members).toEqual(['alice@example.com']);

    expect((await world.scim('DELETE', `/Groups/${engineering}`, undefined, ENTRA)).status).toBe(204);
    expect((await world.scim('DELETE', `/Groups/${sales}`, undefined, ENTRA)).status).toBe(204);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.groups.has('idp-Engineering')).toBe(false);
    expect(org.groups.has('sales')).toBe(false);
    expect(applied(world.org, 'POST', GROUP_CREATES)).toBe(2);
  });

  it('Okta: a name Atlassian would refuse is reported, never sent; the group is created once renamed', async () => {
    const world = createWorld({
      policies: withGroups({ rewrite: { pattern: '^Temp-.*$', replacement: '' }, prefix: 'okta-' }),
    });
    const alice = await createUser(world, 'alice@example.com');
    const temp = await oktaGroup(world, 'Temp-Contractors', [alice]);
    const long = await oktaGroup(world, 'L'.repeat(253), [alice]);
    await world.settle();
    expect(applied(world.org, 'POST', GROUP_CREATES)).toBe(0);
    expect((await readOrg(world.org)).users.get('alice@example.com')?.groups).toEqual([]);
    const refused = await entries(world, temp, 'attention');
    expect(refused).toHaveLength(1);
    expect(refused[0].result).toMatch(
      /^not sent: "Temp-Contractors" is empty after the group-name rewrite\. Fix: /,
    );
    expect((await entries(world, long, 'attention'))[0].result).toMatch(/Atlassian allows at most 255/);

    // Another change to the group does not report the same problem again.
    await oktaGroup(world, 'Other', []);
    await world.scim(
      'PATCH',
      `/Groups/${temp}`,
      { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [] }] },
      OKTA,
    );
    await world.settle();
    expect(await entries(world, temp, 'attention')).toHaveLength(1);

    await oktaRename(world, temp, 'Contractors');
    await world.settle();
    const org = await readOrg(world.org);
    expect(org.groups.get('okta-Contractors')?.members).toEqual(['alice@example.com']);
    expect(org.groups.get('okta-Other')?.members).toEqual([]);
  });
});

describe('unknown groups and existing names', () => {
  it('createUnknown off: a missing group is reported with the fix, its members wait, and it is linked once it appears', async () => {
    const world = createWorld({ policies: withGroups({ createUnknown: false }) });
    const alice = await createUser(world, 'alice@example.com');
    const finance = await oktaGroup(world, 'Finance', [alice]);
    await world.settle();
    expect(applied(world.org, 'POST', GROUP_CREATES)).toBe(0);
    const missing = await entries(world, finance, 'attention');
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({
      operation: 'createGroup',
      why: 'no group named "Finance" in Atlassian',
    });
    expect(missing[0].result).toMatch(/its members wait\. Fix: create "Finance" in Atlassian/);

    // The admin creates it in Atlassian by hand; the next full reconcile links it.
    const api = client(world.org);
    expect((await api.call('POST', `${api.d}/groups`, { name: 'Finance' })).status).toBe(201);
    await fullReconcile(world);
    let org = await readOrg(world.org);
    expect(org.groups.get('Finance')?.members).toEqual(['alice@example.com']);
    expect(applied(world.org, 'POST', GROUP_CREATES)).toBe(1); // the admin's own

    // Not the app's group: deleting it at the identity provider only takes back the membership.
    expect((await world.scim('DELETE', `/Groups/${finance}`, undefined, OKTA)).status).toBe(204);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.groups.get('Finance')?.members).toEqual([]);
    expect(applied(world.org, 'DELETE', GROUP_DELETES)).toBe(0);
  });

  it('onExistingName report: a group of that name the app did not create is left alone and reported', async () => {
    const world = createWorld({ policies: withGroups({ onExistingName: 'report' }) });
    const api = client(world.org);
    expect((await api.call('POST', `${api.d}/groups`, { name: 'Existing Team' })).status).toBe(201);
    const teamId = (await api.groupOf('Existing Team')) as string;
    const ada = (await api.accountOf(SEED_ACCOUNTS.existing)) as string;
    expect((await api.call('POST', `${api.d}/groups/${teamId}/memberships`, { accountId: ada })).status).toBe(
      204,
    );

    const alice = await createUser(world, 'alice@example.com');
    const team = await entraGroup(world, 'Existing Team', [alice]);
    await entraGroup(world, 'Fresh Team', [alice]);
    await world.settle();
    let org = await readOrg(world.org);
    expect(org.groups.get('Existing Team')?.members).toEqual([SEED_ACCOUNTS.existing]);
    expect(org.groups.get('Fresh Team')?.members).toEqual(['alice@example.com']);
    const conflict = await entries(world, team, 'attention');
    expect(conflict).toHaveLength(1);
    expect(conflict[0].why).toBe(
      'a group named "Existing Team" exists in Atlassian and the app did not create it',
    );
    expect(conflict[0].result).toMatch(/^left alone \(policy: report existing names\)\. Fix: /);

    // Adopting instead: the next full reconcile links it and adds the members.
    world.policies = withGroups({ onExistingName: 'adopt' });
    await fullReconcile(world);
    org = await readOrg(world.org);
    expect(org.groups.get('Existing Team')).toMatchObject({
      id: teamId,
      members: [SEED_ACCOUNTS.existing, 'alice@example.com'],
    });
  });
});

describe('a policy change', () => {
  it('renames linked groups in place through renameGroup where the connection can rename', async () => {
    const names = new Map<string, string>();
    const world = createWorld({ wrapPort: renamable(names) });
    const alice = await createUser(world, 'alice@example.com');
    const group = await oktaGroup(world, 'Design', [alice]);
    await world.settle();
    const designId = (await readOrg(world.org)).groups.get('Design')?.id as string;

    world.policies = withGroups({ nameMap: { Design: 'Product Design' } });
    await fullReconcile(world);
    expect(names.get(designId)).toBe('Product Design');
    expect((await readOrg(world.org)).groups.get('Design')?.members).toEqual(['alice@example.com']);
    const renamed = await entries(world, group, 'ok');
    expect(renamed[0]).toMatchObject({
      operation: 'renameGroup',
      why: 'renamed at the identity provider or by the group-name policies, from "Design"',
    });
    expect(applied(world.org, 'DELETE', GROUP_DELETES)).toBe(0);
    expect(applied(world.org, 'POST', GROUP_CREATES)).toBe(1);
  });

  it('reaches linked groups on the next full reconcile: renamed in place, never deleted and recreated', async () => {
    const world = createWorld();
    const alice = await createUser(world, 'alice@example.com');
    const group = await oktaGroup(world, 'Design', [alice]);
    await world.settle();
    const designId = (await readOrg(world.org)).groups.get('Design')?.id;

    world.policies = withGroups({ prefix: 'idp-' });
    // Nothing changes until a reconcile reaches the group.
    await world.settle();
    expect((await readOrg(world.org)).groups.has('Design')).toBe(true);
    await fullReconcile(world);
    const org = await readOrg(world.org);
    expect(org.groups.get('Design')).toMatchObject({ id: designId, members: ['alice@example.com'] });
    expect(org.groups.has('idp-Design')).toBe(false);
    expect(applied(world.org, 'DELETE', GROUP_DELETES)).toBe(0);
    expect(applied(world.org, 'POST', GROUP_CREATES)).toBe(1);
    const attention = await entries(world, group, 'attention');
    expect(attention.map((e) => e.result)).toEqual([
      expect.stringMatching(/^rename needed: rename "Design" to "idp-Design"/),
    ]);
  });
});
