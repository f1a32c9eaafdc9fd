/**
 * `npm start -- --installations 2`: two installations (customers) served by one process, as
 * Forge serves them from one warm process. Each has its own SCIM URL, bearer token, storage,
 * embedded organization (and its connection), admin page and organization mount: nothing one
 * customer does shows at the other's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalServer, startLocalServer } from './run-local';

jest.setTimeout(60_000);

interface Banner {
  k: number;
  heading: string;
  scimBaseUrl: string;
  token: string;
  adminPage: string;
  orgId: string;
  orgApiKey: string;
  orgAdminApi: string;
  data: string;
}

let server: LocalServer;
let dataDir: string;
let a: Banner;
let b: Banner;

/** Each "Installation k (...)" section of the output, with the lines the single banner prints. */
function banners(output: string): Banner[] {
  const sections = output.split(/^(?=Installation \d+ \()/m).filter((s) => s.startsWith('Installation '));
  return sections.map((section) => {
    const line = (label: string): string => {
      const match = new RegExp(`^ +${label}: +(.+)$`, 'm').exec(section);
      if (!match) throw new Error(`no "${label}:" line in\n${section}`);
      return match[1].trim();
    };
    const org = /^(\S+) \(embedded: (\S+)\)$/.exec(line('Atlassian org'));
    if (!org) throw new Error(`unexpected org line in\n${section}`);
    return {
      k: Number(/^Installation (\d+)/.exec(section)?.[1]),
      heading: section.split('\n')[0],
      scimBaseUrl: line('SCIM base URL'),
      token: line('Bearer token'),
      adminPage: line('Admin page'),
      orgId: org[1],
      orgApiKey: line('Org API key'),
      orgAdminApi: org[2],
      data: line('Data'),
    };
  });
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'installations-'));
  server = await startLocalServer({ DATA_DIR: dataDir }, ['--installations', '2']);
  // startLocalServer returns at the first banner's token line; wait for the whole output.
  for (let i = 0; i < 200 && !/^Serving 2 installations/m.test(server.output()); i++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  [a, b] = banners(server.output());
}, 45_000);

afterAll(async () => {
  if (server) expect(await server.stop('SIGINT')).toBe(0);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const scim = (banner: Banner, token: string, pathname: string, init: RequestInit = {}) =>
  fetch(`${banner.scimBaseUrl}${pathname}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
  });

it('prints a banner per installation: its own site, URL, token, admin page, organization and data', () => {
  expect(a).toBeDefined();
  expect(b).toBeDefined();
  expect(a.heading).toMatch(/^Installation 1 \(offline\.atlassian\.net/);
  expect(b.heading).toMatch(/^Installation 2 \(site-2\.offline\.atlassian\.net/);
  expect(a.scimBaseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/scim\/v2$/);
  expect(b.scimBaseUrl).toBe(a.scimBaseUrl.replace(/\/scim\/v2$/, '/installations/2/scim/v2'));
  expect(a.adminPage).toBe(a.scimBaseUrl.replace(/\/scim\/v2$/, '/admin'));
  expect(b.adminPage).toBe(a.scimBaseUrl.replace(/\/scim\/v2$/, '/installations/2/admin'));
  expect(a.token).toMatch(/^scim_/);
  expect(b.token).toMatch(/^scim_/);
  expect(b.token).not.toBe(a.token);
  expect(b.orgId).not.toBe(a.orgId);
  expect(a.orgAdminApi).toMatch(/\/atlassian\/admin$/);
  expect(b.orgAdminApi).toMatch(/\/installations\/2\/atlassian\/admin$/);
  expect(a.data).toBe(dataDir);
  expect(b.data).toBe(path.join(dataDir, 'installations', '2'));
});

it("accepts each installation's token at its own SCIM URL only", async () => {
  expect((await scim(b, a.token, '/Users')).status).toBe(401);
  expect((await scim(a, b.token, '/Users')).status).toBe(401);
  expect((await scim(b, b.token, '/Users')).status).toBe(200);
  expect((await scim(a, a.token, '/Users')).status).toBe(200);
});

it('answers /ServiceProviderConfig for each installation', async () => {
  for (const banner of [a, b]) {
    const answer = await scim(banner, banner.token, '/ServiceProviderConfig');
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    });
  }
});

it("keeps a user created on one installation out of the other's directory", async () => {
  const created = await scim(a, a.token, '/Users', {
    method: 'POST',
    body: JSON.stringify({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'ada@example.com',
      emails: [{ value: 'ada@example.com', primary: true }],
    }),
  });
  expect(created.status).toBe(201);
  const user = (await created.json()) as { id: string; meta: { location: string } };
  expect(user.meta.location).toBe(`${a.scimBaseUrl}/Users/${user.id}`);

  const onA = (await (await scim(a, a.token, '/Users')).json()) as { totalResults: number };
  expect(onA.totalResults).toBe(1);
  const onB = (await (await scim(b, b.token, '/Users')).json()) as { totalResults: number };
  expect(onB.totalResults).toBe(0);
  const filtered = (await (
    await scim(b, b.token, `/Users?filter=${encodeURIComponent('userName eq "ada@example.com"')}`)
  ).json()) as { totalResults: number };
  expect(filtered.totalResults).toBe(0);
  expect((await scim(b, b.token, `/Users/${user.id}`)).status).toBe(404);
});

it("serves each installation's embedded organization at its own mount, with its own key", async () => {
  const orgs = (banner: Banner, key: string) =>
    fetch(`${banner.orgAdminApi}/v1/orgs`, { headers: { authorization: `Bearer ${key}` } });
  const own = await orgs(b, b.orgApiKey);
  expect(own.status).toBe(200);
  expect(JSON.stringify(await own.json())).toContain(b.orgId);
  expect((await orgs(b, a.orgApiKey)).status).toBe(401);
});

it("opens each installation's admin page as that installation, connected to its own organization", async () => {
  const page = await fetch(b.adminPage);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('src="/installations/2/admin/assets/host.js"');
  expect(html).not.toContain('"/admin/');
  // The host calls the bridge beside the page it is on (static/admin/host/bridge.ts).
  const host = await fetch(`${b.adminPage}/assets/host.js`);
  expect(host.status).toBe(200);
  expect(await host.text()).toContain('/bridge');

  const bridge = async (banner: Banner, command: string, data: Record<string, unknown> = {}) => {
    const answer = await fetch(`${banner.adminPage}/bridge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command, data }),
    });
    expect(answer.status).toBe(200);
    return ((await answer.json()) as { result?: Record<string, unknown>; error?: string }).result;
  };
  expect(await bridge(b, 'getContext')).toMatchObject({
    cloudId: '00000000-0000-4000-8000-0000000c1002',
    siteUrl: 'https://site-2.offline.atlassian.net',
  });
  expect(await bridge(a, 'getContext')).toMatchObject({ cloudId: '00000000-0000-4000-8000-0000000c1001' });
  // Saved in each installation's storage (not Forge variables, which every installation shares).
  for (const banner of [a, b]) {
    expect(await bridge(banner, 'invoke', { functionKey: 'getAtlassianConnection' })).toMatchObject({
      configured: true,
      source: 'admin',
      orgId: banner.orgId,
    });
  }
  const status = await bridge(b, 'invoke', { functionKey: 'getStatus' });
  expect(status).toMatchObject({ scimBaseUrl: b.scimBaseUrl });
});
