/**
 * The Atlassian connection on the offline Forge runtime: the API key (org mode) or API token
 * (site mode) kept with kvs.setSecret and never answered back, the connection record, the
 * expiry warning, "Test connection" and the reasons it names, the environment fallback, and
 * the adapter it builds calling out through Forge fetch and the manifest's egress rule (to a
 * fake organization standing behind api.atlassian.com, or the embedded organization's site).
 */
import path from 'node:path';
import { readManifest } from '../../src/local/forge-runtime/manifest';
import { ExternalBackend, noProducts, ProductBackend } from '../../src/local/forge-runtime/network';
import type { ConnectionTestResult, AtlassianConnectionView } from '../../src/forge/atlassian-connection';
import { EGRESS_HOSTS } from '../../src/forge/atlassian-connection';
import {
  EmbeddedOrganization,
  SEED_ACCOUNTS,
  embeddedOrgBackend,
  embeddedSiteProducts,
} from '../../src/local/embedded-org';
import { FakeOrg, KEY, ORG } from '../atlassian/fake-org';

const EGRESS_REFUSAL =
  /host the app may reach \(manifest\.yml egress: api\.atlassian\.com, \*\.atlassian\.net\)/;
import { createTestRuntime, ROOT, TestRuntime } from '../support/forge-runtime';

const MODULE = 'atlassian-connection-test';
let test: TestRuntime;
let org: FakeOrg;
let external: ExternalBackend;
let products: ProductBackend;

/** Forwards what Forge fetch sends to api.atlassian.com to the fake organization. */
const toFake: ExternalBackend = async (url, init) => {
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, name) => {
    // The fake reads the canonical names the adapter sends.
    headers[name === 'authorization' ? 'Authorization' : name === 'content-type' ? 'Content-Type' : name] =
      value;
  });
  const answer = await org.fetch(url.toString(), {
    method: init?.method ?? 'GET',
    headers,
    ...(typeof init?.body === 'string' ? { body: init.body } : {}),
  });
  const text = await answer.text();
  return new Response(answer.status === 204 || !text ? null : text, {
    status: answer.status,
    headers: text ? { 'content-type': 'application/json' } : {},
  });
};

beforeEach(() => {
  org = new FakeOrg();
  external = toFake;
  products = noProducts;
  const manifest = readManifest(path.join(ROOT, 'manifest.yml'));
  manifest.functions.set('connection-test', {
    key: 'connection-test',
    handler: '../test/forge/fixtures/connection-entry.resolver',
  });
  manifest.uiModules.push({ key: MODULE, type: 'jira:adminPage', resolverFunction: 'connection-test' });
  test = createTestRuntime({
    manifest,
    external: (url, init) => external(url, init),
    products: (request) => products(request),
  });
});
afterEach(async () => {
  delete process.env.ATLASSIAN_ORG_ID;
  delete process.env.ATLASSIAN_ORG_API_KEY;
  delete process.env.ATLASSIAN_ORG_API_BASE;
  await test.close();
});

const call = <T>(functionKey: string, payload?: unknown) =>
  test.runtime.invokeResolver({
    moduleKey: MODULE,
    functionKey,
    accountId: 'admin-1',
    payload,
  }) as Promise<T>;

const kvs = () => test.load<typeof import('@forge/kvs')>('@forge/kvs').kvs;

describe('the connection record and the key secret', () => {
  it('stores the key as a secret and never answers it back', async () => {
    expect(await call<AtlassianConnectionView>('getAtlassianConnection')).toEqual({
      configured: false,
      apiKeySet: false,
      mode: 'org',
    });
    const saved = await call<AtlassianConnectionView>('saveAtlassianConnection', {
      orgId: ` ${ORG} `,
      apiKey: KEY,
    });
    expect(saved).toEqual({ configured: true, apiKeySet: true, mode: 'org', source: 'admin', orgId: ORG });
    expect(JSON.stringify(saved)).not.toContain(KEY);
    expect(await kvs().getSecret('atlassian-org-api-key')).toBe(KEY);
    const read = await call<AtlassianConnectionView>('getAtlassianConnection');
    expect(read).toEqual(saved);

    // Changing the org or directory keeps the key.
    const moved = await call<AtlassianConnectionView>('saveAtlassianConnection', {
      orgId: 'org-2',
      directoryId: 'dir-2',
      baseUrl: 'https://api.atlassian.com/admin/',
    });
    expect(moved).toEqual({
      configured: true,
      apiKeySet: true,
      mode: 'org',
      source: 'admin',
      orgId: 'org-2',
      directoryId: 'dir-2',
    });
    expect(await kvs().getSecret('atlassian-org-api-key')).toBe(KEY);

    expect(await call<AtlassianConnectionView>('clearAtlassianConnection')).toEqual({
      configured: false,
      apiKeySet: false,
      mode: 'org',
    });
    expect(await kvs().getSecret('atlassian-org-api-key')).toBeUndefined();
  });

  it.each([
    [{ apiKey: KEY }, /organization ID is required/],
    [{ orgId: 'a/b', apiKey: KEY }, /organization ID is required/],
    [{ orgId: ORG }, /API key is required/],
    [{ orgId: ORG, apiKey: 'two words' }, /cannot contain spaces/],
    [{ orgId: ORG, directoryId: 'x/y', apiKey: KEY }, /directory ID is not valid/],
    [{ orgId: ORG, baseUrl: 'http://evil.example.com/admin', apiKey: KEY }, /must be an https URL/],
    [{ orgId: ORG, baseUrl: 'not a url', apiKey: KEY }, /must be an https URL/],
    // Hosts outside manifest.yml's egress: Forge would refuse every request to them.
    [{ orgId: ORG, baseUrl: 'https://admin.example.com', apiKey: KEY }, EGRESS_REFUSAL],
    [{ orgId: ORG, baseUrl: 'https://api.atlassian.com.evil.example/admin', apiKey: KEY }, EGRESS_REFUSAL],
    [{ orgId: ORG, baseUrl: 'https://evil-atlassian.net/admin', apiKey: KEY }, EGRESS_REFUSAL],
    [
      { mode: 'site', siteUrl: 'https://jira.example.com', email: SEED_ACCOUNTS.admin, apiToken: 't' },
      EGRESS_REFUSAL,
    ],
    [
      {
        mode: 'site',
        siteUrl: 'https://acme.atlassian.net.example.com',
        email: SEED_ACCOUNTS.admin,
        apiToken: 't',
      },
      EGRESS_REFUSAL,
    ],
    [
      { mode: 'site', siteUrl: 'https://atlassian.net', email: SEED_ACCOUNTS.admin, apiToken: 't' },
      EGRESS_REFUSAL,
    ],
  ])('refuses %j', async (input, message) => {
    await expect(call('saveAtlassianConnection', input)).rejects.toThrow(message);
    expect(await kvs().get('atlassian-org-connection')).toBeUndefined();
  });

  it('draws the line at the manifest egress: api.atlassian.com, *.atlassian.net, this machine', async () => {
    const site = (siteUrl: string) => ({ mode: 'site', siteUrl, email: SEED_ACCOUNTS.admin, apiToken: 't' });
    const org = (baseUrl: string) => ({ orgId: ORG, apiKey: KEY, baseUrl });
    const cases: [Record<string, unknown>, boolean][] = [
      [org('https://api.atlassian.com/admin'), true],
      [org('https://API.atlassian.com/admin/'), true],
      [org('https://api.atlassian.com.evil.example/admin'), false],
      [site('https://acme.atlassian.net'), true],
      [site('acme.atlassian.net'), true],
      [site('http://localhost:8787'), true],
      [site('https://acme.atlassian.net.example.com'), false],
    ];
    for (const [input, allowed] of cases) {
      const saving = call<AtlassianConnectionView>('saveAtlassianConnection', input);
      if (allowed) await expect(saving).resolves.toMatchObject({ configured: true });
      else await expect(saving).rejects.toThrow(EGRESS_REFUSAL);
    }
  });

  it("mirrors manifest.yml's egress in EGRESS_HOSTS", () => {
    const manifest = readManifest(path.join(ROOT, 'manifest.yml'));
    expect([...manifest.egress].sort()).toEqual([...EGRESS_HOSTS].sort());
  });

  it('accepts plain http to this machine only (a local stand-in organization)', async () => {
    const saved = await call<AtlassianConnectionView>('saveAtlassianConnection', {
      orgId: ORG,
      apiKey: KEY,
      baseUrl: 'http://127.0.0.1:9999/atlassian',
    });
    expect(saved.baseUrl).toBe('http://127.0.0.1:9999/atlassian');
  });

  it('falls back to environment variables (forge variables, or the local runner)', async () => {
    process.env.ATLASSIAN_ORG_ID = ORG;
    process.env.ATLASSIAN_ORG_API_KEY = KEY;
    process.env.ATLASSIAN_ORG_API_BASE = 'https://api.atlassian.com/admin/';
    expect(await call<AtlassianConnectionView>('getAtlassianConnection')).toEqual({
      configured: true,
      apiKeySet: true,
      mode: 'org',
      source: 'environment',
      orgId: ORG,
      baseUrl: 'https://api.atlassian.com/admin',
    });
    expect(await call<ConnectionTestResult>('testAtlassianConnection')).toMatchObject({
      ok: true,
      orgId: ORG,
    });
    // A connection stored on the admin page wins.
    await call('saveAtlassianConnection', { orgId: 'org-2', apiKey: KEY });
    expect(await call<AtlassianConnectionView>('getAtlassianConnection')).toMatchObject({
      source: 'admin',
      orgId: 'org-2',
    });
  });
});

describe('Test connection', () => {
  it('says what to do when nothing is configured', async () => {
    expect(await call<ConnectionTestResult>('testAtlassianConnection')).toEqual({
      ok: false,
      mode: 'org',
      kind: 'not-configured',
      message: 'Enter the organization ID and an API key first.',
    });
  });

  it('checks the org through Forge fetch and keeps the discovered directory', async () => {
    await call('saveAtlassianConnection', { orgId: ORG, apiKey: KEY });
    expect(await call<ConnectionTestResult>('testAtlassianConnection')).toEqual({
      ok: true,
      mode: 'org',
      orgId: ORG,
      orgName: 'Acme',
      directoryId: 'dir-1',
      directoryName: 'Main directory',
      products: expect.arrayContaining(['jira-software']),
      // No Jira site is attached to this runtime: the key reads instead.
      appReads: { available: false, detail: expect.stringMatching(/503/) },
    });
    const sent = org.requests.map((r) => `${r.method} ${r.path}`);
    expect(sent.slice(0, 2)).toEqual(['GET /v1/orgs', `GET /v2/orgs/${ORG}/directories`]);
    // Then the products, page by page.
    expect(new Set(sent.slice(2))).toEqual(
      new Set([`POST /v2/orgs/${ORG}/directories/dir-1/groups/search`, `POST /v2/orgs/${ORG}/workspaces`]),
    );
    // The adapter built later uses the kept directory without asking again.
    org.requests.length = 0;
    const probe = await call<{ connected: boolean; email: string; remainingBudget: number }>(
      'probe',
      'new@example.com',
    );
    expect(probe).toMatchObject({ connected: true, email: 'new@example.com' });
    expect(org.requests.some((r) => r.path.endsWith('/directories'))).toBe(false);
    // A resolver runs for 25 s: the first minute's 100 egress requests.
    expect(probe.remainingBudget).toBe(100);
  });

  it('reports a wrong key as forbidden without the key in the message', async () => {
    await call('saveAtlassianConnection', { orgId: ORG, apiKey: 'ATATT-not-the-key' });
    const result = await call<ConnectionTestResult>('testAtlassianConnection');
    expect(result).toMatchObject({
      ok: false,
      kind: 'forbidden',
      message: expect.stringMatching(/^The API key is wrong, revoked or expired/),
      missing: 'a valid organization API key',
    });
    expect(JSON.stringify(result)).not.toContain('ATATT-not-the-key');
  });

  it('reports a host outside the manifest egress as Forge refuses it', async () => {
    // Saving refuses such a host; environment variables are not checked when they are set.
    process.env.ATLASSIAN_ORG_ID = ORG;
    process.env.ATLASSIAN_ORG_API_KEY = KEY;
    process.env.ATLASSIAN_ORG_API_BASE = 'https://admin.example.com';
    const result = await call<ConnectionTestResult>('testAtlassianConnection');
    expect(result).toMatchObject({ ok: false, kind: 'forbidden' });
    expect(result.ok === false && result.message).toMatch(/external fetch backend permissions/);
  });

  it('names what is missing: group rights, a directory, products', async () => {
    await call('saveAtlassianConnection', { orgId: ORG, apiKey: KEY });
    org.fault = (request) =>
      request.path.endsWith('/groups/search') ? { when: 'before', status: 403 } : undefined;
    expect(await call<ConnectionTestResult>('testAtlassianConnection')).toMatchObject({
      ok: false,
      kind: 'forbidden',
      message: expect.stringMatching(/cannot read the organization's groups/),
      missing: 'organization admin rights over users and groups for this key',
    });
    org.fault = () => undefined;
    org.workspaces = [];
    expect(await call<ConnectionTestResult>('testAtlassianConnection')).toMatchObject({
      ok: false,
      kind: 'not-found',
      missing: 'a product in the organization',
    });
    org.directories = [];
    await call('saveAtlassianConnection', { orgId: ORG, apiKey: KEY, directoryId: '' });
    await kvs().set('atlassian-org-connection', { orgId: ORG });
    expect(await call<ConnectionTestResult>('testAtlassianConnection')).toMatchObject({
      ok: false,
      kind: 'not-found',
      missing: 'the organization or its directory (check the IDs)',
    });
  });

  it('lets other failures through', async () => {
    await call('saveAtlassianConnection', { orgId: ORG, apiKey: KEY });
    let attempts = 0;
    external = async () => {
      attempts++;
      throw new Error('boom');
    };
    // The client retries a network error with full-jitter backoff (Math.random by default):
    // pin the jitter to no wait, so the retries run without seconds of real sleep.
    const jitter = jest.spyOn(Math, 'random').mockReturnValue(0);
    try {
      const result = await call<ConnectionTestResult>('testAtlassianConnection');
      expect(result).toMatchObject({ ok: false, kind: 'transient' });
      expect(attempts).toBeGreaterThan(1);
    } finally {
      jitter.mockRestore();
    }
  });

  it('the adapter is undefined while not connected', async () => {
    expect(await call('probe', 'x@example.com')).toEqual({ connected: false });
  });
});

describe('the site-admin mode', () => {
  let site: EmbeddedOrganization;
  beforeEach(() => {
    site = new EmbeddedOrganization({ placeBareInvites: true, faults: { seed: 3 } });
    external = embeddedOrgBackend(site);
    products = embeddedSiteProducts(site);
  });
  afterEach(() => {
    delete process.env.ATLASSIAN_MODE;
    delete process.env.ATLASSIAN_SITE_URL;
    delete process.env.ATLASSIAN_SITE_EMAIL;
    delete process.env.ATLASSIAN_SITE_API_TOKEN;
  });
  const SITE_URL = 'https://offline.atlassian.net';
  const saveSite = (apiToken?: string, extra: Record<string, unknown> = {}) =>
    call<AtlassianConnectionView>('saveAtlassianConnection', {
      mode: 'site',
      siteUrl: `${SITE_URL}/jira/your-work`,
      email: SEED_ACCOUNTS.admin,
      ...(apiToken ? { apiToken } : {}),
      ...extra,
    });

  it('stores the API token as a secret, never answers it, and keeps it when saved again', async () => {
    const token = site.siteApiToken;
    const saved = await saveSite(token);
    expect(saved).toEqual({
      configured: true,
      apiKeySet: true,
      mode: 'site',
      source: 'admin',
      siteUrl: SITE_URL,
      email: SEED_ACCOUNTS.admin,
    });
    expect(JSON.stringify(saved)).not.toContain(token);
    expect(JSON.stringify(await call('getAtlassianConnection'))).not.toContain(token);
    expect(await kvs().getSecret('atlassian-site-api-token')).toBe(token);
    // The stored record holds no secret either.
    expect(JSON.stringify(await kvs().get('atlassian-org-connection'))).not.toContain(token);
    expect(await saveSite(undefined, { expiresOn: '2099-01-31' })).toMatchObject({
      configured: true,
      expiresOn: '2099-01-31',
    });
    expect(await kvs().getSecret('atlassian-site-api-token')).toBe(token);
  });

  it.each([
    [{ mode: 'site', email: SEED_ACCOUNTS.admin, apiToken: 't' }, /site URL is required/],
    [
      { mode: 'site', siteUrl: 'http://evil.example.com', email: SEED_ACCOUNTS.admin, apiToken: 't' },
      /https URL/,
    ],
    [{ mode: 'site', siteUrl: 'https://x.atlassian.net', apiToken: 't' }, /e-mail address is required/],
    [
      { mode: 'site', siteUrl: 'https://x.atlassian.net', email: SEED_ACCOUNTS.admin },
      /API token is required/,
    ],
    [
      { mode: 'site', siteUrl: 'https://x.atlassian.net', email: SEED_ACCOUNTS.admin, apiToken: 'a b' },
      /cannot contain spaces/,
    ],
    [
      {
        mode: 'site',
        siteUrl: 'https://x.atlassian.net',
        email: SEED_ACCOUNTS.admin,
        apiToken: 't',
        expiresOn: '31/01/2099',
      },
      /YYYY-MM-DD/,
    ],
    [{ mode: 'cloud', orgId: ORG, apiKey: KEY }, /mode must be org or site/],
  ])('refuses %j', async (input, message) => {
    await expect(call('saveAtlassianConnection', input)).rejects.toThrow(message);
  });

  it('warns from 14 days before the credential expires, and once it has', async () => {
    const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
    expect((await saveSite(site.siteApiToken, { expiresOn: inDays(30) })).expiryWarning).toBeUndefined();
    const soon = await saveSite(undefined, { expiresOn: inDays(10) });
    expect(soon).toMatchObject({ expiresInDays: 10, expiryWarning: expect.stringMatching(/in 10 days/) });
    const past = await saveSite(undefined, { expiresOn: inDays(-2) });
    expect(past).toMatchObject({ expiresInDays: -2, expiryWarning: expect.stringMatching(/expired on/) });
    expect((await saveSite(undefined, { expiresOn: '' })).expiresOn).toBeUndefined();
  });

  it('Test connection: who the token is, the products, and reads as the app', async () => {
    await saveSite(site.siteApiToken);
    const result = await call<ConnectionTestResult>('testAtlassianConnection');
    expect(result).toEqual({
      ok: true,
      mode: 'site',
      siteUrl: SITE_URL,
      cloudId: site.meta.cloudId,
      accountId: site.findUserByEmail(SEED_ACCOUNTS.admin)?.accountId,
      displayName: 'Org Admin',
      products: ['jira-software', 'jira-servicedesk'],
      appReads: { available: true },
    });
    expect(site.calls.map((c) => c.as)).toContain('app');
  });

  it('Test connection names what is missing: a wrong or expired token, a user who is not a site admin', async () => {
    await saveSite('ATATT-wrong-token', { expiresOn: '2020-01-01' });
    const wrong = await call<ConnectionTestResult>('testAtlassianConnection');
    expect(wrong).toMatchObject({
      ok: false,
      mode: 'site',
      kind: 'forbidden',
      message: expect.stringMatching(
        /e-mail or the API token is wrong, revoked or expired \(it expired on 2020-01-01\)/,
      ),
      missing: 'a valid API token of this e-mail',
    });
    expect(JSON.stringify(wrong)).not.toContain('ATATT-wrong-token');

    const adaToken = site.createSiteApiToken(SEED_ACCOUNTS.existing);
    await call('saveAtlassianConnection', {
      mode: 'site',
      siteUrl: SITE_URL,
      email: SEED_ACCOUNTS.existing,
      apiToken: adaToken,
      expiresOn: '',
    });
    const notAdmin = await call<ConnectionTestResult>('testAtlassianConnection');
    expect(notAdmin).toMatchObject({
      ok: false,
      kind: 'forbidden',
      message: expect.stringMatching(/is not a site admin/),
      missing: 'site admin (Administer Jira) for this account',
    });
  });

  it('takes the site from environment variables, and provisions through the site adapter', async () => {
    process.env.ATLASSIAN_MODE = 'site';
    process.env.ATLASSIAN_SITE_URL = SITE_URL;
    process.env.ATLASSIAN_SITE_EMAIL = SEED_ACCOUNTS.admin;
    process.env.ATLASSIAN_SITE_API_TOKEN = site.siteApiToken;
    expect(await call<AtlassianConnectionView>('getAtlassianConnection')).toEqual({
      configured: true,
      apiKeySet: true,
      mode: 'site',
      source: 'environment',
      siteUrl: SITE_URL,
      email: SEED_ACCOUNTS.admin,
    });
    type Probe = { connected: boolean; email: string; appReads: number; status: string };
    // An account already on the site is found as the app: the token is not used at all.
    const existing = await call<Probe>('siteProbe', SEED_ACCOUNTS.existing);
    expect(existing).toMatchObject({ connected: true, email: SEED_ACCOUNTS.existing, status: 'active' });
    expect(existing.appReads).toBeGreaterThan(0);
    expect(new Set(site.calls.map((c) => c.as))).toEqual(new Set(['app']));
    // A new one is looked up as the app, then created with the token.
    site.calls.length = 0;
    const probe = await call<Probe>('siteProbe', 'new.hire@example.com');
    expect(probe).toMatchObject({ connected: true, email: 'new.hire@example.com', status: 'active' });
    const byCaller = site.calls.map((c) => `${c.as} ${c.method} ${c.path.split('?')[0]}`);
    expect(byCaller[0]).toBe('app GET /site/rest/api/3/user/search');
    expect(byCaller).toContain('basic POST /site/rest/api/3/user');
    expect(site.findUserByEmail('new.hire@example.com')?.membership).toBe('active');
  });
});
