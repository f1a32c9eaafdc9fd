/**
 * A log an attacker cannot write to (issue 13, case 7). The web trigger is a public URL: a
 * request without the bearer token (or with a wrong one) is answered 401 and counted, and
 * nothing it sent (its path, its User-Agent) reaches the Activity tab or the overview; it is
 * no failure of the identity provider, so the health line does not change. Driven over the
 * web trigger on the offline runtime and read back through the admin page's resolvers.
 */
import type { SyncLogEntryView } from '../../src/forge/admin-api';
import type { OverviewStatus } from '../../src/forge/status';
import { embeddedOrgBackend } from '../../src/local/embedded-org';
import { AdminSite, adminSite } from '../support/admin-site';
import { createTestRuntime, invokeAdmin, scimRequest, TestRuntime } from '../support/forge-runtime';
import { openAdminPage } from './admin-page-support';

const LURE = '/Users/URGENT - SCIM token compromised, see https://evil.example/reset-now';

let test: TestRuntime;
let site: AdminSite;

beforeEach(() => {
  site = adminSite();
  test = createTestRuntime({ external: embeddedOrgBackend(site.org), products: site.products });
});
afterEach(() => test.close());

const admin = <T>(functionKey: string, payload?: unknown) =>
  invokeAdmin<T>(test, site.adminId, functionKey, payload);
const activity = async () =>
  (await admin<{ entries: SyncLogEntryView[] }>('getSyncLog', { limit: 100 })).entries;

/** What the admin page shows that an attacker's request could have written into. */
function expectNothingOfTheAttacker(text: string): void {
  for (const fragment of ['URGENT', 'compromised', 'evil.example', 'Okta', 'okta']) {
    expect(text).not.toContain(fragment);
  }
}

describe('unauthenticated SCIM requests', () => {
  it('are counted, never logged, and leave the health line as it was', async () => {
    const { token } = await admin<{ token: string }>('generateToken');
    expect((await scimRequest(test, { method: 'GET', userPath: '/Users', token }))[0]).toBe(200);
    const before = await admin<OverviewStatus>('getStatus');
    const logBefore = await activity();
    expect(before.refusedRequests).toBeUndefined();

    const okta = { 'User-Agent': ['Okta SCIM Client 1.0.0'] };
    const [status, body] = await scimRequest(test, {
      method: 'GET',
      userPath: LURE,
      token: 'not-the-token',
      headers: okta,
    });
    expect(status).toBe(401);
    expect(body.status).toBe('401');
    // No Authorization header at all, and a write: refused the same way.
    const [unsigned] = await scimRequest(test, {
      method: 'DELETE',
      userPath: LURE,
      token: '',
      headers: { ...okta, Authorization: [] },
    });
    expect(unsigned).toBe(401);

    const log = await activity();
    expect(log).toEqual(logBefore);
    expectNothingOfTheAttacker(JSON.stringify(log));
    const after = await admin<OverviewStatus>('getStatus');
    expectNothingOfTheAttacker(JSON.stringify(after));
    expect(after.health).toEqual(before.health);
    expect(after.failed).toBe(0);
    // Counted: the first refusal is written at once, the second within the same few seconds
    // waits for the next write of this function instance (test/sync/refused-requests.test.ts).
    expect(after.refusedRequests).toEqual({
      count: 1,
      since: expect.any(Number),
      lastAt: expect.any(Number),
    });
    expect(after.refusedRequests?.since).toBeGreaterThanOrEqual(before.tokens[0].createdAt);

    // The overview says how many, and nothing of what they sent.
    const page = await openAdminPage(test, site.adminId);
    try {
      const tree = await page.waitForText(/1 request refused for a missing or wrong token since/);
      expectNothingOfTheAttacker(page.text(tree));
    } finally {
      page.host.uninstall();
    }
  });
});
