/**
 * Two customers, one warm process (`tenant-data-isolation`): the app's modules are loaded
 * once and serve installation A and installation B, each with its own storage, secrets,
 * queue, web trigger URL, licence, admins and Atlassian organization. Every entry point (web
 * trigger, queue consumer, both schedules, resolvers) is driven for both, interleaved, and
 * nothing one customer has reaches the other.
 */
import type { SyncLogEntryView } from '../../src/forge/admin-api';
import { EmbeddedOrganization, embeddedOrgBackend } from '../../src/local/embedded-org';
import type { ProductBackend } from '../../src/local/forge-runtime/network';
import { AdminSite, adminSite } from '../support/admin-site';
import { createTestInstallations, invokeAdmin, scimRequest, TestRuntime } from '../support/forge-runtime';
import { readOrg } from '../sync/support';

interface Customer {
  test: TestRuntime;
  org: EmbeddedOrganization;
  site: AdminSite;
  token: string;
}

let a: Customer;
let b: Customer;

/** B's Jira site knows A's admin as an ordinary user: account IDs are global across sites. */
const asPlainUserOn = (site: AdminSite, stranger: () => string): ProductBackend => {
  return (request) =>
    site.products(request.accountId === stranger() ? { ...request, accountId: site.userId } : request);
};

beforeEach(async () => {
  const orgs = [0, 1].map(
    (seed) => new EmbeddedOrganization({ placeBareInvites: true, timeoutHoldMs: 5, faults: { seed } }),
  );
  const sites = orgs.map((org) => adminSite(org));
  const [ta, tb] = createTestInstallations(2, (index) => ({
    external: embeddedOrgBackend(orgs[index]),
    products: index === 0 ? sites[0].products : asPlainUserOn(sites[1], () => sites[0].adminId),
  }));
  a = { test: ta, org: orgs[0], site: sites[0], token: '' };
  b = { test: tb, org: orgs[1], site: sites[1], token: '' };
  for (const customer of [a, b]) {
    const tokens =
      await customer.test.runtime.loadModule<typeof import('../../src/forge/tokens')>('forge/tokens');
    customer.token = await customer.test.runtime.run(() => tokens.rotateToken());
  }
});
afterEach(async () => {
  await a.test.close();
  await b.test.close();
});

const scim = (customer: Customer, method: string, userPath: string, body?: unknown, token = customer.token) =>
  scimRequest(customer.test, { method, userPath, token, body });

const admin = <T>(
  customer: Customer,
  functionKey: string,
  payload?: unknown,
  accountId = customer.site.adminId,
) => invokeAdmin<T>(customer.test, accountId, functionKey, payload);

const connect = (customer: Customer) =>
  admin(customer, 'saveAtlassianConnection', {
    orgId: customer.org.orgId,
    directoryId: customer.org.directoryId,
    apiKey: customer.org.apiKey,
  });

describe('two installations served by one loaded app', () => {
  it('shares the app modules between them, as one warm process does', async () => {
    const fromA = await a.test.runtime.loadModule<typeof import('../../src/forge/index')>('forge/index');
    const fromB = await b.test.runtime.loadModule<typeof import('../../src/forge/index')>('forge/index');
    expect(fromA).toBe(fromB);
    expect(a.test.runtime.installation.installationId).not.toBe(b.test.runtime.installation.installationId);
  });

  it("answers each trigger with its own customer's tokens only, interleaved", async () => {
    // Warm both caches first: the token list an instance remembers is the installation's.
    expect((await scim(a, 'GET', '/Users'))[0]).toBe(200);
    expect((await scim(b, 'GET', '/Users'))[0]).toBe(200);
    const answers = await Promise.all([
      scim(b, 'POST', '/Users', { userName: 'mallory@a.example' }, a.token),
      scim(b, 'GET', '/Users'),
      scim(a, 'GET', '/Users', undefined, b.token),
      scim(a, 'GET', '/Users'),
    ]);
    expect(answers.map(([status]) => status)).toEqual([401, 200, 401, 200]);
  });

  it('keeps users, totals and base URLs apart', async () => {
    const created = await Promise.all([
      scim(a, 'POST', '/Users', { userName: 'ada@a.example' }),
      scim(b, 'POST', '/Users', { userName: 'bo@b.example' }),
      scim(a, 'POST', '/Users', { userName: 'alan@a.example' }),
    ]);
    expect(created.map(([status]) => status)).toEqual([201, 201, 201]);
    expect(created[0][1].meta.location).toMatch(/\/i0\/scim\/v2\/Users\//);
    expect(created[1][1].meta.location).toMatch(/\/i1\/scim\/v2\/Users\//);

    const [[, listA], [, listB]] = await Promise.all([scim(a, 'GET', '/Users'), scim(b, 'GET', '/Users')]);
    expect(listA.totalResults).toBe(2);
    expect(listB.totalResults).toBe(1);
    expect(listB.Resources.map((u: { userName: string }) => u.userName)).toEqual(['bo@b.example']);
    // A's user is not B's to read, even by its id.
    expect((await scim(b, 'GET', `/Users/${created[0][1].id}`))[0]).toBe(404);
    // The same userName is free on the other site.
    expect((await scim(b, 'POST', '/Users', { userName: 'ada@a.example' }))[0]).toBe(201);
  });

  it("refuses A's admin on B, where the account is an ordinary user", async () => {
    const status = await admin<{ scimBaseUrl: string }>(a, 'getStatus');
    expect(status.scimBaseUrl).toMatch(/\/i0\/scim\/v2$/);
    // Just checked as admin on A (and cached there): B asks its own site, which says no.
    await expect(admin(b, 'getStatus', undefined, a.site.adminId)).rejects.toThrow(/not an admin/);
    const own = await admin<{ scimBaseUrl: string }>(b, 'getStatus');
    expect(own.scimBaseUrl).toMatch(/\/i1\/scim\/v2$/);
  });

  it("provisions each customer's users into its own organization, through consumers and schedules", async () => {
    await Promise.all([connect(a), connect(b)]);
    // Connecting queues a run of each installation's own consumer.
    expect(await a.test.runtime.events.pending()).toBe(1);
    expect(await b.test.runtime.events.pending()).toBe(1);
    await Promise.all([a.test.runtime.events.drain(), b.test.runtime.events.drain()]);
    const [[, ada], [, bo]] = await Promise.all([
      scim(a, 'POST', '/Users', { userName: 'ada@a.example', emails: [{ value: 'ada@a.example' }] }),
      scim(b, 'POST', '/Users', { userName: 'bo@b.example', emails: [{ value: 'bo@b.example' }] }),
    ]);
    // The push was queued before the trigger answered (nothing is left fire-and-forget).
    expect(await a.test.runtime.events.pending()).toBe(1);
    expect(await b.test.runtime.events.pending()).toBe(1);
    await Promise.all([a.test.runtime.events.drain(), b.test.runtime.events.drain()]);
    await Promise.all([
      a.test.runtime.fireScheduledTrigger('directory-sweep'),
      b.test.runtime.fireScheduledTrigger('daily-full-reconcile'),
    ]);
    await Promise.all([a.test.runtime.events.drain(), b.test.runtime.events.drain()]);

    const [orgA, orgB] = await Promise.all([readOrg(a.org), readOrg(b.org)]);
    expect(orgA.users.get('ada@a.example')?.status).toBe('active');
    expect(orgA.users.has('bo@b.example')).toBe(false);
    expect(orgB.users.get('bo@b.example')?.status).toBe('active');
    expect(orgB.users.has('ada@a.example')).toBe(false);

    const logA = await admin<{ entries: SyncLogEntryView[] }>(a, 'getSyncLog', { resource: ada.id });
    expect(logA.entries.some((e) => e.operation === 'invite' && e.status === 'ok')).toBe(true);
    const logB = await admin<{ entries: SyncLogEntryView[] }>(b, 'getSyncLog', { resource: ada.id });
    expect(logB.entries).toEqual([]);
    expect(bo.id).toBeDefined();
  });

  it('scheduled triggers answer a status code (events-reference/scheduled-trigger)', async () => {
    const index = await a.test.runtime.loadModule<typeof import('../../src/forge/index')>('forge/index');
    await expect(a.test.runtime.run(() => index.sweep())).resolves.toEqual({ statusCode: 204 });
    await expect(b.test.runtime.run(() => index.fullReconcile())).resolves.toEqual({ statusCode: 204 });
  });
});

describe('Forge variables belong to an environment, not a customer', () => {
  it('ignores an organization named in the variables outside development', async () => {
    const org = new EmbeddedOrganization({ placeBareInvites: true, timeoutHoldMs: 5 });
    const site = adminSite(org);
    const saved = { ...process.env };
    process.env.ATLASSIAN_ORG_ID = org.orgId;
    process.env.ATLASSIAN_ORG_API_KEY = org.apiKey;
    const [dev, prod] = createTestInstallations(2, (index) => ({
      external: embeddedOrgBackend(org),
      products: site.products,
      installation: {
        cloudId: `00000000-0000-4000-8000-00000000d00${index}`,
        siteUrl: `https://env-${index}.offline.atlassian.net`,
        environmentType: index === 0 ? 'DEVELOPMENT' : 'PRODUCTION',
      },
    }));
    try {
      const connection = (test: TestRuntime) =>
        invokeAdmin<{ configured: boolean }>(test, site.adminId, 'getAtlassianConnection');
      expect(await connection(dev)).toMatchObject({ configured: true });
      expect(await connection(prod)).toMatchObject({ configured: false });
    } finally {
      process.env = saved;
      await dev.close();
      await prod.close();
    }
  });
});
