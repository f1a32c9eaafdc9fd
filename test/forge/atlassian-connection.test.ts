/**
 * The Atlassian connection on the offline Forge runtime: the API key kept with
 * kvs.setSecret and never answered back, the connection record, "Test connection", the
 * environment fallback, and the adapter it builds calling out through Forge fetch and the
 * manifest's egress rule (to a fake organization standing behind api.atlassian.com).
 */
import path from 'node:path';
import { readManifest } from '../../src/local/forge-runtime/manifest';
import { ExternalBackend } from '../../src/local/forge-runtime/network';
import type { ConnectionTestResult, OrgConnectionView } from '../../src/forge/atlassian-connection';
import { FakeOrg, KEY, ORG } from '../atlassian/fake-org';
import { createTestRuntime, ROOT, TestRuntime } from '../support/forge-runtime';

const MODULE = 'atlassian-connection-test';
let test: TestRuntime;
let org: FakeOrg;
let external: ExternalBackend;

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
  const manifest = readManifest(path.join(ROOT, 'manifest.yml'));
  manifest.functions.set('connection-test', {
    key: 'connection-test',
    handler: '../test/forge/fixtures/connection-entry.resolver',
  });
  manifest.uiModules.push({ key: MODULE, type: 'jira:adminPage', resolverFunction: 'connection-test' });
  test = createTestRuntime({ manifest, external: (url, init) => external(url, init) });
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
    expect(await call<OrgConnectionView>('getAtlassianConnection')).toEqual({
      configured: false,
      apiKeySet: false,
    });
    const saved = await call<OrgConnectionView>('saveAtlassianConnection', {
      orgId: ` ${ORG} `,
      apiKey: KEY,
    });
    expect(saved).toEqual({ configured: true, apiKeySet: true, source: 'admin', orgId: ORG });
    expect(JSON.stringify(saved)).not.toContain(KEY);
    expect(await kvs().getSecret('atlassian-org-api-key')).toBe(KEY);
    const read = await call<OrgConnectionView>('getAtlassianConnection');
    expect(read).toEqual(saved);

    // Changing the org or directory keeps the key.
    const moved = await call<OrgConnectionView>('saveAtlassianConnection', {
      orgId: 'org-2',
      directoryId: 'dir-2',
      baseUrl: 'https://api.atlassian.com/admin/',
    });
    expect(moved).toEqual({
      configured: true,
      apiKeySet: true,
      source: 'admin',
      orgId: 'org-2',
      directoryId: 'dir-2',
    });
    expect(await kvs().getSecret('atlassian-org-api-key')).toBe(KEY);

    expect(await call<OrgConnectionView>('clearAtlassianConnection')).toEqual({
      configured: false,
      apiKeySet: false,
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
  ])('refuses %j', async (input, message) => {
    await expect(call('saveAtlassianConnection', input)).rejects.toThrow(message);
  });

  it('accepts plain http to this machine only (a local stand-in organization)', async () => {
    const saved = await call<OrgConnectionView>('saveAtlassianConnection', {
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
    expect(await call<OrgConnectionView>('getAtlassianConnection')).toEqual({
      configured: true,
      apiKeySet: true,
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
    expect(await call<OrgConnectionView>('getAtlassianConnection')).toMatchObject({
      source: 'admin',
      orgId: 'org-2',
    });
  });
});

describe('Test connection', () => {
  it('says what to do when nothing is configured', async () => {
    expect(await call<ConnectionTestResult>('testAtlassianConnection')).toEqual({
      ok: false,
      kind: 'not-configured',
      message: 'Enter the organization ID and an API key first.',
    });
  });

  it('checks the org through Forge fetch and keeps the discovered directory', async () => {
    await call('saveAtlassianConnection', { orgId: ORG, apiKey: KEY });
    expect(await call<ConnectionTestResult>('testAtlassianConnection')).toEqual({
      ok: true,
      orgId: ORG,
      orgName: 'Acme',
      directoryId: 'dir-1',
      directoryName: 'Main directory',
    });
    expect(org.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/orgs',
      `GET /v2/orgs/${ORG}/directories`,
    ]);
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
    expect(result).toMatchObject({ ok: false, kind: 'forbidden' });
    expect(JSON.stringify(result)).not.toContain('ATATT-not-the-key');
  });

  it('reports a host outside the manifest egress as Forge refuses it', async () => {
    await call('saveAtlassianConnection', { orgId: ORG, apiKey: KEY, baseUrl: 'https://admin.example.com' });
    const result = await call<ConnectionTestResult>('testAtlassianConnection');
    expect(result).toMatchObject({ ok: false, kind: 'forbidden' });
    expect(result.ok === false && result.message).toMatch(/external fetch backend permissions/);
  });

  it('lets other failures through', async () => {
    await call('saveAtlassianConnection', { orgId: ORG, apiKey: KEY });
    external = async () => {
      throw new Error('boom');
    };
    const result = await call<ConnectionTestResult>('testAtlassianConnection');
    expect(result).toMatchObject({ ok: false, kind: 'transient' });
  });

  it('the adapter is undefined while not connected', async () => {
    expect(await call('probe', 'x@example.com')).toEqual({ connected: false });
  });
});
