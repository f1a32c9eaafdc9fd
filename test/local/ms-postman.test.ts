/**
 * Microsoft's SCIM test collection (../shared/conformance/ms-scim-postman, run unmodified by
 * its runner) against `npm start` on an empty DATA_DIR: every assertion must pass.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalServer, ROOT, startLocalServer } from './run-local';

const RUNNER = path.resolve(ROOT, '../shared/conformance/ms-scim-postman/run.sh');

describe("Microsoft's SCIM Postman collection", () => {
  let server: LocalServer;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-postman-'));

  beforeAll(async () => {
    server = await startLocalServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: 'postman-token' });
  });

  afterAll(async () => {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('passes every assertion against the local runtime', () => {
    expect(fs.existsSync(RUNNER)).toBe(true);
    const run = spawnSync('bash', [RUNNER, server.baseUrl, 'postman-token'], {
      cwd: ROOT,
      env: { ...process.env, NEWMAN: path.join(ROOT, 'node_modules/.bin/newman') },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const summary = run.stdout.trim().split('\n').pop();
    if (run.status !== 0) console.error(run.stdout.slice(-6000), run.stderr);
    expect(summary).toMatch(/^\d+ passed, 0 failed$/);
    expect(run.status).toBe(0);
  }, 150_000);
});
