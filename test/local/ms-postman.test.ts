/**
 * Microsoft's SCIM test collection (run unmodified by its runner) against `npm start` on an
 * empty DATA_DIR: every assertion must pass.
 *
 * The collection is not part of this repository: it is found through MS_SCIM_POSTMAN_DIR
 * (a folder holding run.sh) or in ../shared/conformance/ms-scim-postman beside the repository.
 * Without it the suite is reported as skipped, with the reason in its title, so a fresh clone
 * still passes `npm ci && npm test`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalServer, ROOT, startLocalServer } from './run-local';

const runner = locateRunner();
if (runner.missing) console.log(`Microsoft's SCIM Postman collection ${runner.missing}`);
const maybe = runner.missing ? describe.skip : describe;

maybe(`Microsoft's SCIM Postman collection${runner.missing ? ` (${runner.missing})` : ''}`, () => {
  let server: LocalServer | undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-postman-'));

  beforeAll(async () => {
    server = await startLocalServer({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: 'postman-token' });
  });

  afterAll(async () => {
    // When the server did not start, beforeAll's error is the one worth reading.
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('passes every assertion against the local runtime', () => {
    const run = spawnSync('bash', [runner.script, (server as LocalServer).baseUrl, 'postman-token'], {
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

describe("locating Microsoft's collection", () => {
  it('looks only in MS_SCIM_POSTMAN_DIR when it is set, and says so when run.sh is not there', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-postman-dir-'));
    try {
      expect(locateRunner(dir).missing).toBe(
        `skipped: MS_SCIM_POSTMAN_DIR=${dir} has no run.sh; point it at the folder holding run.sh`,
      );
      fs.writeFileSync(path.join(dir, 'run.sh'), '');
      expect(locateRunner(dir)).toEqual({ dir, script: path.join(dir, 'run.sh') });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('otherwise looks in ../shared/conformance/ms-scim-postman beside the repository', () => {
    const located = locateRunner('');
    expect(located.dir).toBe(path.resolve(ROOT, '../shared/conformance/ms-scim-postman'));
    expect(located.missing === undefined).toBe(fs.existsSync(located.script));
  });
});

/**
 * Where run.sh is, the same way test/conformance/ms-postman.sh looks: MS_SCIM_POSTMAN_DIR when
 * set (and then only there: a wrong setting is reported, not papered over by the default),
 * else ../shared/conformance/ms-scim-postman beside the repository.
 */
function locateRunner(configured = process.env.MS_SCIM_POSTMAN_DIR): {
  dir: string;
  script: string;
  missing?: string;
} {
  const dir = configured
    ? path.resolve(configured)
    : path.resolve(ROOT, '../shared/conformance/ms-scim-postman');
  const script = path.join(dir, 'run.sh');
  if (fs.existsSync(script)) return { dir, script };
  const where = configured ? `MS_SCIM_POSTMAN_DIR=${configured}` : '../shared/conformance/ms-scim-postman';
  const hint = configured ? 'point it at the folder holding run.sh' : 'set MS_SCIM_POSTMAN_DIR';
  return { dir, script, missing: `skipped: ${where} has no run.sh; ${hint}` };
}
