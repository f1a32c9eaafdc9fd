/**
 * The embedded organization over HTTP: mounted by the local server under /atlassian (so
 * https://api.atlassian.com/admin/... is http://127.0.0.1:$PORT/atlassian/admin/...), with
 * timeouts that drop the connection; and `npm start`, which creates it, prints its org ID and
 * API key, keeps it across restarts, and does not start it when ATLASSIAN_ORG_* name another.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  EMBEDDED_ORG_MOUNT,
  EmbeddedOrganization,
  embeddedOrgFetch,
  serveEmbeddedOrg,
} from '../../src/local/embedded-org';
import { createLocalServer } from '../../src/local/server';
import { startLocalServer } from '../local/run-local';
import { newOrg } from './helpers';

describe('mounted on the local server', () => {
  let org: EmbeddedOrganization;
  let server: http.Server;
  let base: string;
  beforeEach(async () => {
    org = newOrg({ timeoutHoldMs: 200 });
    server = createLocalServer(
      async () => ({ statusCode: 404, headers: {}, body: 'scim' }),
      [
        {
          prefix: EMBEDDED_ORG_MOUNT,
          serve: (request, response) => serveEmbeddedOrg(org, request, response),
        },
      ],
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${EMBEDDED_ORG_MOUNT}/admin`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const auth = () => ({ authorization: `Bearer ${org.apiKey}`, 'content-type': 'application/json' });

  it('answers like api.atlassian.com/admin, status codes, headers and bodies', async () => {
    const orgs = await fetch(`${base}/v1/orgs`, { headers: auth() });
    expect(orgs.status).toBe(200);
    expect(orgs.headers.get('content-type')).toBe('application/json');
    expect(((await orgs.json()) as { data: { id: string }[] }).data[0].id).toBe(org.orgId);
    expect((await fetch(`${base}/v1/orgs`)).status).toBe(401);
    const dir = `${base}/v2/orgs/${org.orgId}/directories/${org.directoryId}`;
    const created = await fetch(`${dir}/groups`, {
      method: 'POST',
      headers: auth(),
      body: '{"name":"Over HTTP"}',
    });
    expect(created.status).toBe(201);
    expect(await created.text()).toBe('');
    const found = await fetch(`${dir}/groups/search`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ groupNames: ['over http'] }),
    });
    expect(((await found.json()) as { data: { name: string }[] }).data[0].name).toBe('Over HTTP');
    // Only /atlassian is the organization's; the rest is the local server's as before.
    const other = await fetch(base.replace(`${EMBEDDED_ORG_MOUNT}/admin`, '/atlassianx/admin/v1/orgs'));
    expect(await other.text()).toMatch(/The SCIM base URL is \/scim\/v2/);
  });

  it('holds a timed-out call, then drops the connection without an answer (after applying it)', async () => {
    org.faults.failNext('timeout-after');
    const dir = `${base}/v2/orgs/${org.orgId}/directories/${org.directoryId}`;
    const started = Date.now();
    await expect(
      fetch(`${dir}/groups`, { method: 'POST', headers: auth(), body: '{"name":"Lost"}' }),
    ).rejects.toThrow(/fetch failed/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(org.findGroupByName('Lost')).toBeDefined();
    // A client with a shorter patience gives up first.
    org.faults.failNext('timeout-before');
    await expect(
      fetch(`${base}/v1/orgs`, { headers: auth(), signal: AbortSignal.timeout(50) }),
    ).rejects.toThrow(/timeout|abort/i);
  });
});

describe('npm start', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-org-start-'))));
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('creates the organization, prints its ID and key, serves it under /atlassian, keeps it on restart', async () => {
    const first = await startLocalServer({ DATA_DIR: dataDir, EMBEDDED_ORG_API_KEY: 'local-key' });
    let orgId: string;
    try {
      const match = /Atlassian org: (\S+) \(embedded: (\S+)\)/.exec(first.output());
      expect(match).not.toBeNull();
      orgId = String(match?.[1]);
      const apiBase = String(match?.[2]);
      expect(apiBase).toBe(first.baseUrl.replace('/scim/v2', '/atlassian/admin'));
      expect(first.output()).toMatch(/Org API key: +local-key/);
      const orgs = await fetch(`${apiBase}/v1/orgs`, { headers: { authorization: 'Bearer local-key' } });
      expect(((await orgs.json()) as { data: { id: string }[] }).data[0].id).toBe(orgId);
      const created = await fetch(`${apiBase}/v2/orgs/${orgId}/workspaces`, {
        method: 'POST',
        headers: { authorization: 'Bearer local-key', 'content-type': 'application/json' },
        body: '{}',
      });
      expect(((await created.json()) as { meta: { total: number } }).meta.total).toBe(4);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    expect(fs.existsSync(path.join(dataDir, 'embedded-org.json'))).toBe(true);
    const second = await startLocalServer({ DATA_DIR: dataDir });
    try {
      expect(second.output()).toContain(`Atlassian org: ${orgId} (embedded:`);
      expect(second.output()).toMatch(/Org API key: +local-key/);
    } finally {
      await second.stop();
    }
  }, 60_000);

  it('does not start it when ATLASSIAN_ORG_* point at another organization', async () => {
    const server = await startLocalServer({
      DATA_DIR: dataDir,
      ATLASSIAN_ORG_API_BASE: 'http://127.0.0.1:9/admin',
      ATLASSIAN_ORG_API_KEY: 'other-key',
      ATLASSIAN_ORG_ID: 'other-org',
    });
    try {
      expect(server.output()).toContain(
        'Atlassian org: other-org at http://127.0.0.1:9/admin (ATLASSIAN_ORG_*)',
      );
      expect(server.output()).not.toContain('Org API key');
      const answer = await fetch(server.baseUrl.replace('/scim/v2', '/atlassian/admin/v1/orgs'));
      expect(answer.status).toBe(404);
      expect(fs.existsSync(path.join(dataDir, 'embedded-org.json'))).toBe(false);
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe('embeddedOrgFetch', () => {
  it('answers any host from the organization, for unit tests of a client without the runtime', async () => {
    const org = newOrg({ timeoutHoldMs: 50 });
    const fetchOrg = embeddedOrgFetch(org);
    const answer = await fetchOrg('https://api.atlassian.com/admin/v1/orgs', {
      headers: { Authorization: `Bearer ${org.apiKey}` },
    });
    expect(answer.status).toBe(200);
    const removed = await fetchOrg(
      `https://api.atlassian.com/admin/v2/orgs/${org.orgId}/directories/${org.directoryId}/groups/nope`,
      { method: 'DELETE', headers: { Authorization: `Bearer ${org.apiKey}` } },
    );
    expect(removed.status).toBe(404);
    org.faults.failNext('timeout-before');
    await expect(fetchOrg('https://api.atlassian.com/admin/v1/orgs')).rejects.toThrow(/fetch failed/);
    const aborted = new AbortController();
    aborted.abort();
    await expect(
      fetchOrg('https://api.atlassian.com/admin/v1/orgs', { signal: aborted.signal }),
    ).rejects.toThrow();
  });
});
