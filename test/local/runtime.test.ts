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
});
