/**
 * Profile sync (src/sync/profile.ts) driven over SCIM into the embedded organization's User
 * management API: what is pushed, when, and what it costs; unmanaged and protected accounts
 * left alone; e-mail changes keeping the link; dry run; a worker killed after the PATCH.
 */
import type { AtlassianPort } from '../../src/atlassian/port';
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { client } from '../embedded-org/helpers';
import { createWorld, World } from './support';
import { byHand, logOf, plainGroup, policiesWith } from './user-policies-support';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The requests the app sent to the User management API, as "METHOD suffix". */
function profileCalls(world: World): string[] {
  return world.org.calls
    .filter((c) => c.path.startsWith('/users/'))
    .map((c) => `${c.method} ${c.path.replace(/^\/users\/[^/]+\/manage/, '') || '/'}`);
}

async function createPerson(
  world: World,
  email: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const response = await world.scim('POST', '/Users', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    userName: email,
    emails: [{ value: email, primary: true, type: 'work' }],
    name: { givenName: 'Alice', familyName: 'Liddell' },
    displayName: 'Alice',
    title: 'Engineer',
    timezone: 'Europe/London',
    locale: 'en-GB',
    addresses: [{ type: 'work', locality: 'Oxford', region: 'OXF', country: 'GB' }],
    [ENTERPRISE]: { department: 'Engineering', organization: 'Wonderland Ltd' },
    active: true,
    ...extra,
  });
  expect(response.status).toBe(201);
  return response.body.id;
}

function patchUser(world: World, id: string, operations: unknown[]) {
  return world.scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: operations });
}

const profileOf = (world: World, email: string) => world.org.findUserByEmail(email);

describe('profile sync', () => {
  it('pushes the mapped attributes once, nothing on an unchanged reconcile, one PATCH per change', async () => {
    const world = createWorld();
    const alice = await createPerson(world, 'alice@example.com');
    await world.settle();
    expect(profileOf(world, 'alice@example.com')).toMatchObject({
      name: 'Alice Liddell',
      nickname: 'Alice',
      zoneinfo: 'Europe/London',
      locale: 'en-GB',
      extendedProfile: {
        job_title: 'Engineer',
        department: 'Engineering',
        organization: 'Wonderland Ltd',
        location: 'Oxford, OXF',
      },
    });
    // The invite, then what may be changed, then one PATCH with every field.
    expect(profileCalls(world)).toEqual(['GET /', 'PATCH /profile']);

    // An unchanged user, reconciled again (a full reconcile): no profile call at all.
    world.org.calls.length = 0;
    await world.app.sync.reconcileAll({ force: true });
    await world.settle();
    expect(profileCalls(world)).toEqual([]);

    // A rename and a new department at the identity provider: one read, one PATCH with both.
    const renamed = await patchUser(world, alice, [
      { op: 'replace', path: 'name.givenName', value: 'Alicia' },
      { op: 'replace', path: `${ENTERPRISE}:department`, value: 'Research' },
    ]);
    expect(renamed.status).toBeLessThan(300);
    await world.settle();
    expect(profileCalls(world)).toEqual(['GET /', 'PATCH /profile']);
    expect(profileOf(world, 'alice@example.com')).toMatchObject({
      name: 'Alicia Liddell',
      extendedProfile: { department: 'Research', job_title: 'Engineer' },
    });
    const patches = (await logOf(world, alice, 'ok')).filter((e) => e.operation === 'updateProfile');
    expect(patches.map((e) => e.why)).toEqual([
      expect.stringMatching(/^profile of a newly linked account: name, nickname, zoneinfo, locale/),
      'profile changed at the identity provider: name, extended_profile.department',
    ]);

    // A department removed at the identity provider is cleared; the name is never cleared.
    world.org.calls.length = 0;
    await patchUser(world, alice, [{ op: 'remove', path: `${ENTERPRISE}:department` }]);
    await world.settle();
    expect(profileCalls(world)).toEqual(['GET /', 'PATCH /profile']);
    expect(profileOf(world, 'alice@example.com')?.extendedProfile?.department).toBeUndefined();
  });

  it('changes the e-mail with one PUT and keeps the link; an unverified domain is refused and logged once', async () => {
    const world = createWorld();
    const alice = await createPerson(world, 'alice@example.com');
    await world.settle();
    const accountId = profileOf(world, 'alice@example.com')?.accountId;
    world.org.calls.length = 0;
    await patchUser(world, alice, [
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'alice.liddell@example.com' },
    ]);
    await world.settle();
    expect(profileCalls(world)).toEqual(['GET /', 'PUT /email']);
    expect(profileOf(world, 'alice.liddell@example.com')?.accountId).toBe(accountId);
    expect(profileOf(world, 'alice@example.com')).toBeUndefined();

    world.org.calls.length = 0;
    await patchUser(world, alice, [
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'alice@looking-glass.example' },
    ]);
    await world.settle();
    await world.app.sync.reconcileAll({ force: true });
    await world.settle();
    expect(profileCalls(world)).toEqual(['GET /', 'PUT /email']);
    const refused = (await logOf(world, alice, 'attention')).filter((e) => e.operation === 'setEmail');
    expect(refused).toEqual([
      expect.objectContaining({
        result: expect.stringMatching(
          /the account stays linked\. the domain of alice@looking-glass\.example is not verified/,
        ),
      }),
    ]);
    // Still linked: deactivation suspends the same account.
    await patchUser(world, alice, [{ op: 'replace', path: 'active', value: false }]);
    await world.settle();
    expect(profileOf(world, 'alice.liddell@example.com')).toMatchObject({
      accountId,
      membership: 'suspended',
    });
  });

  it('leaves an account the organization does not manage alone, and says so once', async () => {
    const world = createWorld();
    const bob = await createPerson(world, 'bob@partner.example');
    await world.settle();
    await patchUser(world, bob, [{ op: 'replace', path: 'title', value: 'Lead' }]);
    await world.settle();
    await world.app.sync.reconcileAll({ force: true });
    await world.settle();
    const account = profileOf(world, 'bob@partner.example');
    expect(account?.name).toBe('bob');
    expect(account?.extendedProfile).toBeUndefined();
    // The invite's read-back and every later account read say unmanaged (claimStatus), so
    // the User management API is never asked, and never written to.
    expect(profileCalls(world)).toEqual([]);
    const notes = (await logOf(world, bob)).filter((e) => e.operation === 'updateProfile');
    expect(notes).toEqual([
      expect.objectContaining({
        status: 'skipped',
        result: expect.stringMatching(/is not managed by your organization.*verify the e-mail's domain/),
      }),
    ]);
  });

  it('writes the fields Atlassian allows and logs a locked name once', async () => {
    const world = createWorld({ org: { profileLockRate: 1 } });
    const alice = await createPerson(world, 'alice@example.com');
    await world.settle();
    await world.app.sync.reconcileAll({ force: true });
    await world.settle();
    const account = profileOf(world, 'alice@example.com');
    expect(account?.name).toBe('alice');
    expect(account?.extendedProfile?.department).toBe('Engineering');
    const locked = (await logOf(world, alice, 'attention')).filter((e) => e.operation === 'updateProfile');
    expect(locked.map((e) => e.result)).toEqual([
      expect.stringMatching(
        /^not changed in Atlassian: name \(externalDirectory\.scim\), nickname \(externalDirectory\.scim\)/,
      ),
    ]);
    expect(profileCalls(world).filter((c) => c.startsWith('PATCH'))).toHaveLength(1);
  });

  it('plans the PATCH in a dry run and changes nothing', async () => {
    const world = createWorld({ policies: policiesWith({ dryRun: true }) });
    const ada = await createPerson(world, SEED_ACCOUNTS.existing);
    await world.settle();
    expect((await logOf(world, ada, 'planned')).map((e) => e.operation)).toContain('updateProfile');
    expect(profileOf(world, SEED_ACCOUNTS.existing)?.name).toBe('Ada Lovelace');
    expect(profileCalls(world).filter((c) => !c.startsWith('GET'))).toEqual([]);
  });

  it("never changes an admin's profile, even one made admin after it was linked", async () => {
    const world = createWorld();
    const admin = await createPerson(world, SEED_ACCOUNTS.admin);
    const alice = await createPerson(world, 'alice@example.com');
    await world.settle();
    expect(profileOf(world, SEED_ACCOUNTS.admin)?.name).toBe('Org Admin');

    // Alice becomes a Jira admin by hand; then the identity provider renames her.
    const api = client(world.org);
    const groupId = await plainGroup(world, 'jira-admins');
    const jira = world.org.workspaces.find((w) => w.typeKey === 'jira-software')?.id;
    const assign = await api.call('POST', `${api.d}/groups/${groupId}/role-assignments/assign`, {
      resourceId: jira,
      roleId: 'atlassian/admin',
    });
    expect(assign.status).toBe(204);
    await byHand(world, { add: 'alice@example.com', to: 'jira-admins' });
    world.org.calls.length = 0;
    await patchUser(world, alice, [{ op: 'replace', path: 'name.givenName', value: 'Queen' }]);
    await patchUser(world, admin, [{ op: 'replace', path: 'name.givenName', value: 'Mallory' }]);
    await world.settle();
    expect(profileOf(world, 'alice@example.com')?.name).toBe('Alice Liddell');
    expect(profileOf(world, SEED_ACCOUNTS.admin)?.name).toBe('Org Admin');
    expect(profileCalls(world).filter((c) => !c.startsWith('GET'))).toEqual([]);
  });

  it('a worker killed between the PATCH and saving the link sends the same PATCH again, nothing else', async () => {
    let kill = true;
    const wrapPort = (port: AtlassianPort): AtlassianPort => {
      const wrapped = Object.create(port) as AtlassianPort;
      wrapped.updateProfile = async (accountId, changes) => {
        await port.updateProfile!(accountId, changes);
        if (kill) {
          kill = false;
          throw new Error('worker killed after the PATCH');
        }
      };
      return wrapped;
    };
    const world = createWorld({ wrapPort });
    const alice = await createPerson(world, 'alice@example.com');
    await world.settle();
    expect(kill).toBe(false);
    const bodies = world.org.calls.filter((c) => c.method === 'PATCH' && c.path.startsWith('/users/'));
    expect(bodies).toHaveLength(2);
    expect(profileOf(world, 'alice@example.com')?.name).toBe('Alice Liddell');
    // Settled now: a later reconcile sends nothing.
    world.org.calls.length = 0;
    await world.app.sync.reconcileAll({ force: true });
    await world.settle();
    expect(profileCalls(world)).toEqual([]);
    expect(alice).toBeDefined();
  });

  it('says once, for the whole app, that a connection without profile writes does not sync profiles', async () => {
    const wrapPort = (port: AtlassianPort): AtlassianPort => {
      const wrapped = Object.create(port) as AtlassianPort;
      wrapped.profileControls = undefined;
      wrapped.updateProfile = undefined;
      wrapped.setEmail = undefined;
      return wrapped;
    };
    const world = createWorld({ wrapPort });
    const alice = await createPerson(world, 'alice@example.com');
    const carol = await createPerson(world, 'carol@example.com');
    await world.settle();
    await patchUser(world, alice, [{ op: 'replace', path: 'title', value: 'Lead' }]);
    await world.settle();
    const notes = [...(await logOf(world, alice)), ...(await logOf(world, carol))].filter(
      (e) => e.operation === 'updateProfile',
    );
    expect(notes).toEqual([
      expect.objectContaining({
        status: 'skipped',
        result: expect.stringMatching(/profiles are not synced in site-admin mode/),
      }),
    ]);
    expect(profileCalls(world)).toEqual([]);
  });
});
