/**
 * `npm start` pointed at another organization (ATLASSIAN_ORG_API_BASE/KEY/ID): a second
 * embedded organization on its own port stands in for it. The admin page still works, since
 * the installation's Jira site (which answers the admin's own permission check) is served
 * locally whichever organization the app provisions into; and the page's connection test
 * reaches the other organization, not a local one.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EMBEDDED_ORG_MOUNT, EmbeddedOrganization, serveEmbeddedOrg } from '../../src/local/embedded-org';
import { startLocalServer, type LocalServer } from './run-local';

let other: EmbeddedOrganization;
let otherServer: http.Server;
let otherBase: string;
let server: LocalServer;
let dataDir: string;

beforeAll(async () => {
  other = new EmbeddedOrganization({ apiKey: 'other-org-key' });
  otherServer = http.createServer((request, response) => void serveEmbeddedOrg(other, request, response));
  await new Promise<void>((resolve) => otherServer.listen(0, '127.0.0.1', resolve));
  otherBase = `http://127.0.0.1:${(otherServer.address() as AddressInfo).port}${EMBEDDED_ORG_MOUNT}/admin`;
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'external-org-'));
  server = await startLocalServer({
    DATA_DIR: dataDir,
    ATLASSIAN_ORG_API_BASE: otherBase,
    ATLASSIAN_ORG_API_KEY: other.apiKey,
    ATLASSIAN_ORG_ID: other.orgId,
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  otherServer?.closeAllConnections();
  await new Promise((resolve) => otherServer?.close(resolve));
  other?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

/** What the admin page's bridge answers to `invoke(functionKey)`. */
async function invoke(functionKey: string, payload?: unknown): Promise<{ result?: unknown; error?: string }> {
  const answer = await fetch(new URL('/admin/bridge', server.baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ command: 'invoke', data: { functionKey, payload } }),
  });
  expect(answer.status).toBe(200);
  return (await answer.json()) as { result?: unknown; error?: string };
}

it('answers the admin page, whose admin check the local Jira site answers', async () => {
  const status = await invoke('getStatus');
  expect(status.error).toBeUndefined();
  expect(status.result).toMatchObject({ scimBaseUrl: server.baseUrl });
  const policies = await invoke('getPolicies');
  expect(policies.error).toBeUndefined();
});

it("tests the connection against the other organization, and says it is the other one's", async () => {
  const connection = await invoke('getAtlassianConnection');
  expect(connection.result).toMatchObject({ orgId: other.orgId });
  const tested = await invoke('testAtlassianConnection');
  expect(tested.error).toBeUndefined();
  expect(tested.result).toMatchObject({ ok: true });
  // The check reached the stand-in over HTTP (not an organization of this process).
  expect(other.calls.some((call) => call.path.startsWith('/admin/v1/orgs'))).toBe(true);
});

it('serves the local site only: its admin API is not mounted, its state is not the embedded org', async () => {
  expect(server.output()).toMatch(/Jira site: +https:\/\/offline\.atlassian\.net \(local:/);
  const adminApi = await fetch(server.baseUrl.replace('/scim/v2', '/atlassian/admin/v1/orgs'));
  expect(adminApi.status).toBe(404);
  expect(fs.existsSync(path.join(dataDir, 'embedded-org.json'))).toBe(false);
});
