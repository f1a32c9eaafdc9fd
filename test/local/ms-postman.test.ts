/**
 * Microsoft's SCIM test collection, run unmodified by `npm run conformance`
 * (test/conformance/ms-postman.sh) against `npm start` on an empty DATA_DIR: every assertion
 * must pass.
 *
 * The collection (PostmanCollection.json) is not part of this repository: it is found through
 * MS_SCIM_COLLECTION (the file) or MS_SCIM_POSTMAN_DIR (a folder holding it), else in
 * ../shared/conformance/ms-scim-postman beside the repository. Without it the suite is
 * reported as skipped, with the reason in its title, so a fresh clone still passes
 * `npm ci && npm test`; and the script itself says where to get it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalServer, ROOT, startLocalServer } from './run-local';

const SCRIPT = path.join(ROOT, 'test/conformance/ms-postman.sh');
const collection = locateCollection();
if (collection.missing) console.log(`Microsoft's SCIM Postman collection ${collection.missing}`);
const maybe = collection.missing ? describe.skip : describe;

/** `npm run conformance -- args`, as from a fresh clone: none of the collection's variables set. */
function conformance(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('MS_SCIM_') && name !== 'SCIM_BEARER_TOKEN',
    ),
  );
  return spawnSync('bash', [SCRIPT, ...args], {
    cwd: ROOT,
    env: { ...clean, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

maybe(`Microsoft's SCIM Postman collection${collection.missing ? ` (${collection.missing})` : ''}`, () => {
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

  it("passes every assertion against the local runtime, given only the collection's path", () => {
    // Copied away from everything else beside it: the script needs the file alone.
    const alone = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'collection-')), 'PostmanCollection.json');
    fs.copyFileSync(collection.file, alone);
    const run = conformance(['--collection', alone, (server as LocalServer).baseUrl, 'postman-token']);
    fs.rmSync(path.dirname(alone), { recursive: true, force: true });
    const summary = run.stdout.trim().split('\n').pop();
    if (run.status !== 0) console.error(run.stdout.slice(-6000), run.stderr);
    expect(run.stderr).not.toMatch(/not the copy/);
    expect(summary).toMatch(/^\d+ passed, 0 failed$/);
    expect(run.status).toBe(0);
  }, 150_000);
});

describe('npm run conformance without the collection', () => {
  it('says where to get it and how to pass it, and exits 2', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-postman-dir-'));
    try {
      const run = conformance(['http://127.0.0.1:9/scim/v2', 't'], { MS_SCIM_POSTMAN_DIR: empty });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`Microsoft's SCIM collection is not at ${empty}/PostmanCollection.json.`);
      expect(run.stderr).toMatch(
        /curl -fLo PostmanCollection\.json https:\/\/raw\.githubusercontent\.com\/AzureAD\/SCIMReferenceCode\/[0-9a-f]{40}\/PostmanCollection\.json/,
      );
      expect(run.stderr).toContain('npm run conformance -- --collection PostmanCollection.json');
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('looks in MS_SCIM_COLLECTION, then MS_SCIM_POSTMAN_DIR, then ../shared beside the repository', () => {
    expect(locateCollection({ MS_SCIM_COLLECTION: '/x/c.json' }).file).toBe('/x/c.json');
    expect(locateCollection({ MS_SCIM_POSTMAN_DIR: '/y' }).file).toBe('/y/PostmanCollection.json');
    const located = locateCollection({});
    expect(located.file).toBe(
      path.resolve(ROOT, '../shared/conformance/ms-scim-postman/PostmanCollection.json'),
    );
    expect(located.missing === undefined).toBe(fs.existsSync(located.file));
  });
});

/** Where the collection is, the way test/conformance/ms-postman.sh looks. */
function locateCollection(env: NodeJS.ProcessEnv = process.env): { file: string; missing?: string } {
  const file = env.MS_SCIM_COLLECTION
    ? path.resolve(env.MS_SCIM_COLLECTION)
    : env.MS_SCIM_POSTMAN_DIR
      ? path.resolve(env.MS_SCIM_POSTMAN_DIR, 'PostmanCollection.json')
      : path.resolve(ROOT, '../shared/conformance/ms-scim-postman/PostmanCollection.json');
  if (fs.existsSync(file)) return { file };
  return {
    file,
    missing: `skipped: no ${file}; set MS_SCIM_COLLECTION to Microsoft's PostmanCollection.json`,
  };
}
