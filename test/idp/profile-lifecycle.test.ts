/**
 * Profile changes at the identity provider, replayed as Entra ID (PATCH with "Replace" and the
 * enterprise extension's full path, as in Microsoft's SCIM endpoint tutorial) and Okta (a full PUT of the
 * profile) send them, end to end into the embedded organization: a rename and a new
 * department show in the account's Atlassian profile, each change costing one profile write.
 */
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { createWorld, World } from '../sync/support';

/** A seed account of the embedded organization (suspended there: provisioning restores it). */
const SEEDED_GRACE = SEED_ACCOUNTS.suspended;

const ENTRA = { 'User-Agent': 'Azure Active Directory SCIM client' };
const OKTA = { 'User-Agent': 'Okta SCIM Client 1.0.0' };
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The profile writes the app sent (PATCH .../manage/profile, PUT .../manage/email). */
const profileWrites = (world: World) =>
  world.org.calls.filter((c) => c.path.startsWith('/users/') && c.method !== 'GET').length;

describe('identity-provider lifecycle: profile changes reach Atlassian', () => {
  it('Entra ID: a rename and a new department PATCHed at the identity provider show in the profile', async () => {
    const world = createWorld();
    const created = await world.scim(
      'POST',
      '/Users',
      {
        schemas: [USER, ENTERPRISE],
        externalId: 'b7d2c1e0',
        userName: 'grace.hopper@example.com',
        active: true,
        displayName: 'Grace Hopper',
        emails: [{ primary: true, type: 'work', value: SEEDED_GRACE }],
        name: { formatted: 'Grace Hopper', givenName: 'Grace', familyName: 'Hopper' },
        title: 'Rear Admiral',
        [ENTERPRISE]: { department: 'Navy' },
      },
      ENTRA,
    );
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await world.settle();
    const accountId = world.org.findUserByEmail(SEEDED_GRACE)?.accountId;
    expect(world.org.findUserByEmail(SEEDED_GRACE)).toMatchObject({
      name: 'Grace Hopper',
      extendedProfile: { department: 'Navy', job_title: 'Rear Admiral' },
    });

    const before = profileWrites(world);
    const renamed = await world.scim(
      'PATCH',
      `/Users/${id}`,
      {
        schemas: [PATCH],
        Operations: [
          { op: 'Replace', path: 'name.familyName', value: 'Murray Hopper' },
          { op: 'Replace', path: 'name.formatted', value: 'Grace Murray Hopper' },
          { op: 'Replace', path: 'displayName', value: 'Amazing Grace' },
          { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Computing' },
        ],
      },
      ENTRA,
    );
    expect(renamed.status).toBeLessThan(300);
    await world.settle();
    expect(world.org.findUserByEmail(SEEDED_GRACE)).toMatchObject({
      accountId,
      name: 'Grace Murray Hopper',
      nickname: 'Amazing Grace',
      extendedProfile: { department: 'Computing', job_title: 'Rear Admiral' },
    });
    expect(profileWrites(world) - before).toBe(1);
  });

  it('Okta: a full PUT with a new name and department shows in the profile; a PUT of the same profile writes nothing', async () => {
    const world = createWorld();
    const body = (familyName: string, department: string) => ({
      schemas: [USER, ENTERPRISE],
      userName: 'katherine@example.com',
      name: { givenName: 'Katherine', familyName },
      emails: [{ primary: true, value: 'katherine@example.com', type: 'work' }],
      displayName: `Katherine ${familyName}`,
      locale: 'en-US',
      active: true,
      [ENTERPRISE]: { department },
    });
    const created = await world.scim('POST', '/Users', body('Coleman', 'Flight Research'), OKTA);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await world.settle();
    expect(world.org.findUserByEmail('katherine@example.com')).toMatchObject({
      name: 'Katherine Coleman',
      locale: 'en-US',
      extendedProfile: { department: 'Flight Research' },
    });

    const before = profileWrites(world);
    expect((await world.scim('PUT', `/Users/${id}`, body('Johnson', 'Analysis'), OKTA)).status).toBe(200);
    await world.settle();
    expect(world.org.findUserByEmail('katherine@example.com')).toMatchObject({
      name: 'Katherine Johnson',
      nickname: 'Katherine Johnson',
      extendedProfile: { department: 'Analysis' },
    });
    expect(profileWrites(world) - before).toBe(1);

    // Okta PUTs the whole profile again on every push: unchanged, it costs no profile call.
    world.org.calls.length = 0;
    expect((await world.scim('PUT', `/Users/${id}`, body('Johnson', 'Analysis'), OKTA)).status).toBe(200);
    await world.settle();
    expect(world.org.calls.filter((c) => c.path.startsWith('/users/'))).toEqual([]);
  });
});
