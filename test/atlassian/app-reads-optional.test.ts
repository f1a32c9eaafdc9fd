/**
 * AppReadsPort, the decorator every production connection goes through, forwards the port's
 * optional reads when its credential's adapter has them (groupRoles for the privilege check,
 * remainingAccess for the site-admin mode's deactivation), and lacks them when it does not,
 * so callers keep telling "cannot answer" apart. Against the embedded organization.
 */
import {
  appReadsClient,
  AppReadsPort,
  ORG_MODE_APP_READS,
  SITE_MODE_APP_READS,
} from '../../src/atlassian/app-reads';
import { EmbeddedOrganization, SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { client } from '../embedded-org/helpers';
import { appProductFetch, FAST, siteAdapterFor } from '../site-mode/support';
import { portFor } from '../sync/support';

function wrap(
  org: EmbeddedOrganization,
  inner: ConstructorParameters<typeof AppReadsPort>[0],
  site: boolean,
) {
  return new AppReadsPort(
    inner,
    appReadsClient(appProductFetch(org), FAST),
    site ? SITE_MODE_APP_READS : ORG_MODE_APP_READS,
  );
}

describe('AppReadsPort forwards the optional reads', () => {
  it('site-admin mode: remainingAccess and groupRoles answer as the site adapter does', async () => {
    const org = new EmbeddedOrganization();
    const inner = siteAdapterFor(org);
    const port = wrap(org, inner, true);
    const ada = org.findUserByEmail(SEED_ACCOUNTS.existing)?.accountId as string;
    // The seed gives Ada Jira directly (a user role, no group).
    expect(await port.remainingAccess?.(ada)).toEqual(['jira-software']);
    const admins = await inner.findGroupByName('site-admins');
    expect(admins).toBeDefined();
    const roles = await port.groupRoles?.(admins!.id);
    expect(roles).toEqual(await inner.groupRoles(admins!.id));
    expect(roles?.length).toBeGreaterThan(0);
  });

  it('org mode: groupRoles forwarded; no remainingAccess, as the org adapter has none', async () => {
    const org = new EmbeddedOrganization();
    const inner = portFor(org);
    const port = wrap(org, inner, false);
    expect(port.remainingAccess).toBeUndefined();
    expect(typeof port.groupRoles).toBe('function');
    // A group an admin gave Jira admin, through the organization's API.
    const api = client(org);
    expect((await api.call('POST', `${api.d}/groups`, { name: 'jira-admins' })).status).toBe(201);
    const groupId = (await api.groupOf('jira-admins')) as string;
    const grant = await api.call('POST', `${api.d}/groups/${groupId}/role-assignments/assign`, {
      resourceId: `ari:cloud:jira-software::site/${org.meta.cloudId}`,
      roleId: 'atlassian/admin',
    });
    expect(grant.status).toBe(204);
    const roles = await port.groupRoles?.(groupId);
    expect(roles).toEqual(await inner.groupRoles!(groupId));
    expect(roles).toContainEqual(expect.objectContaining({ role: 'atlassian/admin' }));
  });

  it('a credential adapter without them leaves them undefined', () => {
    const org = new EmbeddedOrganization();
    const inner = siteAdapterFor(org);
    const bare = Object.create(inner) as typeof inner & { groupRoles?: unknown; remainingAccess?: unknown };
    // Hide both methods of the prototype chain: an adapter that predates them.
    Object.defineProperty(bare, 'groupRoles', { value: undefined });
    Object.defineProperty(bare, 'remainingAccess', { value: undefined });
    const port = wrap(org, bare, true);
    expect(port.groupRoles).toBeUndefined();
    expect(port.remainingAccess).toBeUndefined();
  });
  it('org mode: every optional capability the adapter has reaches the worker, batched reads and pages included', async () => {
    const org = new EmbeddedOrganization();
    const inner = portFor(org);
    const port = wrap(org, inner, false);
    // The capabilities the sync tests for (a missing one silently costs a request per user
    // or per membership): whatever the org adapter offers, the wrapper the worker gets offers.
    const optional = [
      'findAccountsByEmail',
      'getAccounts',
      'pages',
      'groupRoles',
      'profileControls',
      'updateProfile',
      'setEmail',
    ] as const;
    for (const name of optional) {
      expect({ name, present: inner[name] !== undefined }).toEqual({ name, present: true });
      expect({ name, forwarded: port[name] !== undefined }).toEqual({ name, forwarded: true });
    }
    const ada = org.findUserByEmail(SEED_ACCOUNTS.existing)!;
    expect((await port.findAccountsByEmail!([SEED_ACCOUNTS.existing])).map((a) => a.accountId)).toEqual([
      ada.accountId,
    ]);
    expect((await port.getAccounts!([ada.accountId])).map((a) => a.email)).toEqual([SEED_ACCOUNTS.existing]);
  });

  it('site-admin mode: asked to create, a taken name is a conflict for the caller, not an adoption', async () => {
    const org = new EmbeddedOrganization();
    const port = wrap(org, siteAdapterFor(org), true);
    await expect(port.createGroup('site-admins', undefined, { takenIsConflict: true })).rejects.toMatchObject(
      {
        kind: 'conflict',
      },
    );
    const fresh = await port.createGroup('brand-new', undefined, { takenIsConflict: true });
    expect(fresh.name).toBe('brand-new');
  });
});
