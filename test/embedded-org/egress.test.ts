/**
 * The app's egress on the offline Forge runtime: a function's fetch to api.atlassian.com is
 * answered by the embedded organization (the runtime's ExternalBackend), the manifest's
 * egress allow-list is still enforced first, faults reach the function as a client sees them,
 * and with ATLASSIAN_ORG_* pointing at a local host the runtime admits that host and fetches
 * it for real.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  EMBEDDED_ORG_MOUNT,
  EmbeddedOrganization,
  embeddedOrgBackend,
  embeddedOrgConnection,
  httpBackend,
  serveEmbeddedOrg,
  startLocalOrganization,
} from '../../src/local/embedded-org';
import { egressAllows } from '../../src/local/forge-runtime/network';
import { parseManifest, readManifest } from '../../src/local/forge-runtime/manifest';
import type { ForgeRuntimeOptions } from '../../src/local/forge-runtime';
import { createTestRuntime, ROOT, TestRuntime } from '../support/forge-runtime';
import { newOrg } from './helpers';

const realFetch = globalThis.fetch;

const manifestWith = (backend: (string | { address: string })[]) =>
  parseManifest({
    app: { id: 'ari:cloud:ecosystem::app/11111111-2222-4333-8444-555555555555' },
    modules: {
      webtrigger: [{ key: 'hook', function: 'call' }],
      function: [{ key: 'call', handler: 'egress.call' }],
    },
    permissions: { scopes: ['storage:app'], external: { fetch: { backend } } },
  });

let test: TestRuntime | undefined;
let org: EmbeddedOrganization;
const open = (options: Partial<ForgeRuntimeOptions>) => {
  test = createTestRuntime({
    manifest: manifestWith([{ address: 'api.atlassian.com' }]),
    sourceRoot: path.join(__dirname, 'fixtures'),
    webTriggerPaths: {},
    ...options,
  });
  return test;
};
beforeEach(() => (org = newOrg({ timeoutHoldMs: 150, retryAfterOn429: true })));
afterEach(async () => {
  await test?.close();
  test = undefined;
});

interface Seen {
  status?: number;
  body?: string;
  retryAfter?: string | null;
  error?: string;
  name?: string;
}
async function call(request: Record<string, unknown>): Promise<Seen> {
  const result = await test?.runtime.invokeWebTrigger('hook', {
    method: 'POST',
    headers: {},
    userPath: '/',
    body: JSON.stringify(request),
  });
  return JSON.parse(result?.body ?? '{}') as Seen;
}
const auth = () => ({ authorization: `Bearer ${org.apiKey}`, 'content-type': 'application/json' });
const API = 'https://api.atlassian.com/admin';

it('the app manifest declares api.atlassian.com for external fetch', () => {
  const manifest = readManifest(path.join(ROOT, 'manifest.yml'));
  expect(egressAllows(manifest.egress, new URL(`${API}/v1/orgs`))).toBe(true);
});

it('routes fetch to api.atlassian.com to the embedded organization', async () => {
  open({ external: embeddedOrgBackend(org) });
  const orgs = await call({ url: `${API}/v1/orgs`, headers: auth() });
  expect(orgs.status).toBe(200);
  expect((JSON.parse(orgs.body ?? '{}') as { data: { id: string }[] }).data[0].id).toBe(org.orgId);
  const created = await call({
    url: `${API}/v2/orgs/${org.orgId}/directories/${org.directoryId}/groups`,
    method: 'POST',
    headers: auth(),
    body: JSON.stringify({ name: 'From Forge' }),
  });
  expect(created).toMatchObject({ status: 201, body: '' });
  expect(org.findGroupByName('from forge')).toBeDefined();
  expect(org.calls.map((c) => `${c.method} ${c.status}`)).toEqual(['GET 200', 'POST 201']);
  expect((await call({ url: `${API}/v1/orgs` })).status).toBe(401);
});

it('still enforces the egress allow-list before the backend', async () => {
  open({ external: embeddedOrgBackend(org) });
  const refused = await call({ url: 'https://evil.example.org/admin/v1/orgs', headers: auth() });
  expect(refused.error).toMatch(
    /URL not included in the external fetch backend permissions: evil.example.org/,
  );
  await test?.close();
  open({ external: embeddedOrgBackend(org), manifest: manifestWith([]) });
  const undeclared = await call({ url: `${API}/v1/orgs`, headers: auth() });
  expect(undeclared.error).toMatch(
    /not included in the external fetch backend permissions: api.atlassian.com/,
  );
  expect(org.calls).toEqual([]);
});

it('delivers faults as a client sees them: 429 with Retry-After, a timeout after applying', async () => {
  open({ external: embeddedOrgBackend(org) });
  org.faults.failNext('429');
  const limited = await call({ url: `${API}/v1/orgs`, headers: auth() });
  expect(limited).toMatchObject({ status: 429, retryAfter: '1' });
  const groups = `${API}/v2/orgs/${org.orgId}/directories/${org.directoryId}/groups`;
  org.faults.failNext('timeout-after');
  const impatient = await call({
    url: groups,
    method: 'POST',
    headers: auth(),
    body: '{"name":"Lost"}',
    timeoutMs: 50,
  });
  expect(impatient.name).toMatch(/TimeoutError|AbortError/);
  expect(org.findGroupByName('Lost')).toBeDefined();
  org.faults.failNext('timeout-before');
  const dropped = await call({ url: groups, method: 'POST', headers: auth(), body: '{"name":"Never"}' });
  expect(dropped.error).toMatch(/fetch failed/);
  expect(org.findGroupByName('Never')).toBeUndefined();
});

it('with ATLASSIAN_ORG_* naming a local host, admits that host and fetches it over HTTP', async () => {
  const server = http.createServer((request, response) => void serveEmbeddedOrg(org, request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${EMBEDDED_ORG_MOUNT}/admin`;
    const published: Record<string, string | undefined> = {};
    const local = startLocalOrganization({
      env: { ATLASSIAN_ORG_API_BASE: base, ATLASSIAN_ORG_API_KEY: org.apiKey, ATLASSIAN_ORG_ID: org.orgId },
      publish: published,
    });
    expect(local.embedded).toBeUndefined();
    // The installation's Jira site stays local (its own organization, not the one provisioned).
    expect(local.site.orgId).not.toBe(org.orgId);
    local.site.close();
    expect(local.extraEgress).toEqual(['127.0.0.1']);
    expect(published).toEqual({
      ATLASSIAN_ORG_API_BASE: base,
      ATLASSIAN_ORG_API_KEY: org.apiKey,
      ATLASSIAN_ORG_ID: org.orgId,
    });
    open({ external: httpBackend(realFetch), extraEgress: local.extraEgress });
    const orgs = await call({ url: `${base}/v1/orgs`, headers: auth() });
    expect(orgs.status).toBe(200);
    await test?.close();
    open({ external: httpBackend(realFetch) });
    expect((await call({ url: `${base}/v1/orgs`, headers: auth() })).error).toMatch(/not included/);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

it('publishes the embedded connection for the app (and embeddedOrgConnection)', async () => {
  const published: Record<string, string | undefined> = {};
  const local = startLocalOrganization({
    env: { EMBEDDED_ORG_API_KEY: 'k1', EMBEDDED_ORG_SITE_TOKEN: 't1' },
    publish: published,
  });
  try {
    expect(local.embedded?.apiKey).toBe('k1');
    expect(published).toEqual({
      ATLASSIAN_ORG_API_BASE: 'https://api.atlassian.com/admin',
      ATLASSIAN_ORG_API_KEY: 'k1',
      ATLASSIAN_ORG_ID: local.embedded?.orgId,
      ATLASSIAN_ORG_DIRECTORY_ID: local.embedded?.directoryId,
      // The site-admin mode's credential, used when ATLASSIAN_MODE=site.
      ATLASSIAN_SITE_URL: 'https://offline.atlassian.net',
      ATLASSIAN_SITE_EMAIL: 'admin@offline.example',
      ATLASSIAN_SITE_API_TOKEN: 't1',
    });
    expect(embeddedOrgConnection()).toEqual(local.connection);
  } finally {
    local.embedded?.close();
  }
});
