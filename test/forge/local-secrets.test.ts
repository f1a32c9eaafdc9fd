/**
 * Secrets on the offline runtime's disk (issue 13, case 10): the local store under
 * DATA_DIR/store is readable by its owner only (directory 0700, files 0600), and a secret
 * deleted with kvs.deleteSecret (Disconnect deletes the org API key) is gone from every file
 * under DATA_DIR at once, not left in the journal until the next compaction. Driven through
 * the admin page's resolvers, as an admin saves and clears the Atlassian connection.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AtlassianConnectionView } from '../../src/forge/atlassian-connection';
import { embeddedOrgBackend } from '../../src/local/embedded-org';
import { AdminSite, adminSite } from '../support/admin-site';
import { createTestRuntime, invokeAdmin, TestRuntime } from '../support/forge-runtime';

const API_KEY = 'ATCTT3xFfGN0-local-secret-probe-7f3c9a1e5b';

let test: TestRuntime;
let site: AdminSite;

beforeEach(() => {
  site = adminSite();
  test = createTestRuntime({ external: embeddedOrgBackend(site.org), products: site.products });
});
afterEach(() => test.close());

const admin = <T>(functionKey: string, payload?: unknown) =>
  invokeAdmin<T>(test, site.adminId, functionKey, payload);

/** Every file under a directory, recursively. */
function filesUnder(directory: string): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

/** The files under DATA_DIR whose bytes hold the text. */
const holding = (text: string) =>
  filesUnder(test.dataDir).filter((file) => fs.readFileSync(file).includes(Buffer.from(text, 'utf8')));

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('local secrets', () => {
  it('keeps the store owner-only and forgets a deleted key on disk at once', async () => {
    const saved = await admin<AtlassianConnectionView>('saveAtlassianConnection', {
      orgId: 'a1b2c3d4-0000-4000-8000-000000000001',
      apiKey: API_KEY,
    });
    expect(saved.apiKeySet).toBe(true);

    const store = path.join(test.dataDir, 'store');
    expect(mode(store)).toBe(0o700);
    const files = filesUnder(store);
    expect(files.map((file) => path.basename(file)).sort()).toEqual(['journal.jsonl', 'snapshot.json']);
    for (const file of files) expect([file, mode(file)]).toEqual([file, 0o600]);
    // The key is on disk while it is saved (the journal makes the write durable)...
    expect(holding(API_KEY)).not.toEqual([]);

    expect((await admin<AtlassianConnectionView>('clearAtlassianConnection')).apiKeySet).toBe(false);
    // ...and in no file once Disconnect deleted it, with the runtime still running.
    expect(holding(API_KEY)).toEqual([]);
    for (const file of filesUnder(store)) expect([file, mode(file)]).toEqual([file, 0o600]);

    await test.runtime.stop();
    expect(holding(API_KEY)).toEqual([]);
  });
});
