/**
 * The site-admin mode end to end: SCIM requests from an identity provider go through the app,
 * the reconcile worker provisions through the site adapter (Jira REST v3, Basic auth) with
 * its reads served as the app, into the embedded organization's site, and the tests read the
 * result back through the Organizations API (one state). Under one Atlassian request in five
 * failing (429, 5xx, timeouts with and without the write applied) it converges: users,
 * groups, memberships, deactivation by removing product-access groups (Jira has no
 * suspension), reactivation giving them back, each account created once.
 */
import { AppReadsPort } from '../../src/atlassian/app-reads';
import { SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { applied, createGroup, createWorld, readOrg, World } from '../sync/support';
import {
  entraCreate,
  entraDelete,
  entraSetActive,
  policiesWith,
  productGroup,
} from '../sync/user-policies-support';
import { sitePortWithAppReads } from './support';

const PEOPLE = ['amy', 'ben', 'cat', 'dev'];

function siteWorld(): { world: World; ports: AppReadsPort[] } {
  const ports: AppReadsPort[] = [];
  const world = createWorld({
    policies: policiesWith({ newUsers: { defaultGroups: ['jira-users'], productAccess: [] } }),
    // The org adapter the world offers is replaced: this world provisions through the site.
    wrapPort: () => {
      const port = sitePortWithAppReads(world.org);
      ports.push(port);
      return port;
    },
  });
  return { world, ports };
}

describe.each([5, 17, 29])('the site-admin mode under a 20%% fault rate (seed %i)', (seed) => {
  it('converges through an identity provider lifecycle', async () => {
    const { world, ports } = siteWorld();
    await productGroup(world, 'jira-users', 'jira-software');
    world.org.faults.configure({ rate: 0.2, seed });

    const ids: Record<string, string> = {};
    for (const name of PEOPLE) ids[name] = await entraCreate(world, `${name}@example.com`);
    const admin = await entraCreate(world, SEED_ACCOUNTS.admin);
    await createGroup(world, 'Engineering', [ids.amy, ids.ben, ids.cat, admin]);
    await createGroup(world, 'Design', [ids.dev]);
    await world.settle();

    let org = await readOrg(world.org);
    for (const name of PEOPLE) expect(org.users.get(`${name}@example.com`)?.status).toBe('active');
    // The admin is protected: never added to a group by the app.
    expect(org.groups.get('Engineering')?.members).toHaveLength(3);
    expect(org.users.get('amy@example.com')?.groups).toEqual(['Engineering', 'jira-users']);
    expect(org.users.get('dev@example.com')?.groups).toEqual(['Design', 'jira-users']);
    // Each account created once, whatever answers were lost.
    expect(applied(world.org, 'POST', /^\/site\/rest\/api\/3\/user$/)).toBe(PEOPLE.length);
    expect(applied(world.org, 'POST', /^\/site\/rest\/api\/3\/group$/)).toBe(2);

    // Deactivated at the identity provider: Jira cannot suspend, so product access goes.
    await entraSetActive(world, ids.ben, false);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get('ben@example.com')).toMatchObject({ status: 'active', groups: ['Engineering'] });

    // Reactivated: the product-access group comes back.
    await entraSetActive(world, ids.ben, true);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get('ben@example.com')?.groups).toEqual(['Engineering', 'jira-users']);

    // Deleted: the account stays (never deleted), without product access.
    await entraDelete(world, ids.cat);
    await world.settle();
    org = await readOrg(world.org);
    expect(org.users.get('cat@example.com')?.status).toBe('active');
    expect(org.users.get('cat@example.com')?.groups).not.toContain('jira-users');

    // The admin is never touched; no account was ever deleted or suspended through the site.
    expect(org.users.get(SEED_ACCOUNTS.admin)?.groups).toEqual(['org-admins', 'site-admins']);
    expect(
      world.org.calls.some((c) => c.method === 'DELETE' && c.path.startsWith('/site/rest/api/3/user?')),
    ).toBe(false);
    expect(
      world.org.calls.filter((c) => !c.path.startsWith('/site/') && /suspend|restore/.test(c.path)),
    ).toEqual([]);
    // The faults hit the site's calls, the app's reads among them.
    expect(world.org.calls.filter((c) => c.fault && c.as === 'basic').length).toBeGreaterThan(0);
    expect(world.org.calls.filter((c) => c.fault && c.as === 'app').length).toBeGreaterThan(0);
    // Reads went as the app: the credential was spared them.
    const appReads = ports.reduce((n, p) => n + p.stats.app, 0);
    expect(appReads).toBeGreaterThan(0);
    expect(world.org.calls.filter((c) => c.as === 'app').every((c) => c.method === 'GET')).toBe(true);
  });
});

it('reads as the app spare the credential, and a failed read as the app is retried as the app', async () => {
  const { world, ports } = siteWorld();
  await productGroup(world, 'jira-users', 'jira-software');
  const id = await entraCreate(world, 'eve@example.com');
  await createGroup(world, 'Ops', [id]);
  await world.settle();
  const calls = world.org.calls.filter((c) => c.path.startsWith('/site/'));
  const byApp = calls.filter((c) => c.as === 'app');
  const byToken = calls.filter((c) => c.as === 'basic');
  expect(byApp.length).toBeGreaterThan(0);
  // The token made the writes and the lookups the app cannot make (admin check, product access,
  // and the privilege check's group/bulk?accessType=site-admin|admin, an admin-only question).
  const tokenGets = byToken.filter((c) => c.method === 'GET');
  const tokenReads = tokenGets
    .filter((c) => !/[?&]accessType=/.test(c.path))
    .map((c) => c.path.split('?')[0]);
  expect(tokenReads).not.toContain('/site/rest/api/3/group/bulk');
  expect(tokenReads).not.toContain('/site/rest/api/3/user/search');
  expect(tokenReads).not.toContain('/site/rest/api/3/user/groups');
  expect(ports.every((p) => !p.appReadsUnavailable)).toBe(true);

  // A 500 to the app's read is retried as the app (as the shared client retries a read):
  // the credential is not used for it, and all converges. (A refusal, a scope missing, turns
  // the app's reads off: test/atlassian/app-reads-rate-limit.test.ts.)
  world.org.calls.length = 0;
  world.org.faults.failNext('500', (request) => request.caller?.kind === 'app');
  const next = await entraCreate(world, 'fay@example.com');
  await createGroup(world, 'Support', [next]);
  await world.settle();
  const appCalls = world.org.calls.filter((c) => c.as === 'app');
  expect(appCalls.some((c) => c.status === 500)).toBe(true);
  expect(ports.every((p) => !p.appReadsUnavailable && p.stats.fallback === 0)).toBe(true);
  const org = await readOrg(world.org);
  expect(org.users.get('fay@example.com')?.groups).toEqual(['Support', 'jira-users']);
});
