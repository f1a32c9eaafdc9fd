/**
 * `npm start`: serves SCIM under /scim/v2, keeps state in DATA_DIR across restarts, keeps
 * only a hash of a generated token, and stops cleanly on SIGINT and SIGTERM.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashToken } from '../../src/scim/auth';
import { startLocalServer } from './run-local';

const filesUnder = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
    );

const json = (token: string) => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/scim+json',
});

describe('the local runtime', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-local-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('keeps users across a restart and stops cleanly on SIGINT and SIGTERM', async () => {
    const first = await startLocalServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: 'fixed' });
    expect(first.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/scim\/v2$/);
    const created = await fetch(`${first.baseUrl}/Users`, {
      method: 'POST',
      headers: json('fixed'),
      body: JSON.stringify({ userName: 'persisted@example.com' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(await first.stop('SIGINT')).toBe(0);

    const second = await startLocalServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: 'fixed' });
    const again = await fetch(`${second.baseUrl}/Users/${id}`, { headers: json('fixed') });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { userName: string }).userName).toBe('persisted@example.com');
    expect(await second.stop('SIGTERM')).toBe(0);
  }, 60_000);

  it('generates a token, prints it once and stores only its hash', async () => {
    const first = await startLocalServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: '' });
    const token = /Bearer token:\s+(scim_\S+)/.exec(first.output())?.[1] as string;
    expect(token).toBeDefined();
    // As on Forge, only the token's hash is kept, in a kvs secret (here in DATA_DIR's store).
    const stored = filesUnder(dataDir).map((file) => fs.readFileSync(file, 'utf8'));
    expect(stored.some((text) => text.includes(hashToken(token)))).toBe(true);
    expect(stored.some((text) => text.includes(token))).toBe(false);
    const ok = await fetch(`${first.baseUrl}/Users`, { headers: json(token) });
    expect(ok.status).toBe(200);
    const denied = await fetch(`${first.baseUrl}/Users`, { headers: json('wrong') });
    expect(denied.status).toBe(401);
    await first.stop();

    const second = await startLocalServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: '' });
    expect(second.output()).not.toContain(token);
    expect((await fetch(`${second.baseUrl}/Users`, { headers: json(token) })).status).toBe(200);
    await second.stop();
  }, 60_000);

  it('answers 404 outside the SCIM base path', async () => {
    const server = await startLocalServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: 'fixed' });
    expect((await fetch(server.baseUrl.replace('/scim/v2', '/other'))).status).toBe(404);
    await server.stop();
  }, 30_000);
  it('stops within seconds on Ctrl-C while a sync run is busy, and that work resumes at the next start', async () => {
    const env = { DATA_DIR: dataDir, SCIM_BEARER_TOKEN: 'fixed', EMBEDDED_ORG_API_KEY: 'org-key' };
    // Every Atlassian answer takes 20 s: a consumer run that has sent its first request is
    // still waiting for it when Ctrl-C's few seconds are up.
    const first = await startLocalServer({ ...env, EMBEDDED_ORG_LATENCY_MS: '20000' });
    const orgId = /org (\S+)/.exec(first.output())?.[1] as string;
    const emails = Array.from({ length: 40 }, (_, i) => `busy${i}@example.com`);
    for (const email of emails) {
      const created = await fetch(`${first.baseUrl}/Users`, {
        method: 'POST',
        headers: json('fixed'),
        body: JSON.stringify({ userName: email, emails: [{ value: email, primary: true }] }),
      });
      expect(created.status).toBe(201);
    }
    // The web trigger queues the sync 10 s after a change (src/forge/index.ts, SYNC_DELAY_S);
    // its runs then send their first requests, answered 20 s later: Ctrl-C falls in between.
    await new Promise((resolve) => setTimeout(resolve, 16_000));
    const stopping = Date.now();
    expect(await first.stop('SIGINT')).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(15_000);
    expect(first.output()).toMatch(/sync run\(s\) stopped mid-way; their work stays queued/);

    const second = await startLocalServer(env);
    const inOrg = async () => {
      const search = await fetch(
        `${new URL(second.baseUrl).origin}/atlassian/admin/v2/orgs/${orgId}/directories/-/users/search`,
        {
          method: 'POST',
          headers: { authorization: 'Bearer org-key', 'content-type': 'application/json' },
          body: JSON.stringify({ emails, limit: 100 }),
        },
      );
      return ((await search.json()) as { data: unknown[] }).data.length;
    };
    for (let waited = 0; (await inOrg()) < emails.length; waited += 250) {
      expect(waited).toBeLessThan(45_000);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(await second.stop('SIGTERM')).toBe(0);
  }, 120_000);
});
