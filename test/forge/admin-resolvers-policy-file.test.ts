/**
 * The local policy file (POLICIES_FILE, or $DATA_DIR/policies.json): applied at `npm start`
 * through the same validation and storage as the savePolicies resolver, visible to the admin
 * page as coming from the file; an invalid file stops the start with every problem printed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as PolicyStore from '../../src/forge/policy-store';
import { applyPolicyFile, policyFilePath } from '../../src/local/policy-file';
import { DEFAULT_POLICIES } from '../../src/policies/policies';
import { ROOT, startLocalServer } from '../local/run-local';
import { AdminSite, adminSite } from '../support/admin-site';
import { createTestRuntime, invokeAdmin, TestRuntime } from '../support/forge-runtime';

let test: TestRuntime;
let site: AdminSite;
let dir: string;

beforeEach(() => {
  site = adminSite();
  test = createTestRuntime({ products: site.products });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policies-'));
});
afterEach(async () => {
  await test.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const getPolicies = () => invokeAdmin<unknown>(test, site.adminId, 'getPolicies');

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

describe('the policy file', () => {
  it('is POLICIES_FILE, else the data directory’s policies.json when there is one', () => {
    expect(policyFilePath({ POLICIES_FILE: 'x.json' }, dir)).toBe(path.resolve('x.json'));
    expect(policyFilePath({}, dir)).toBeUndefined();
    const inData = write('policies.json', '{}');
    expect(policyFilePath({}, dir)).toBe(inData);
  });

  it('is applied through the resolver’s validation and storage, and the page sees where it came from', async () => {
    const store = await test.runtime.loadModule<typeof PolicyStore>('forge/policy-store');
    const file = write('p.json', JSON.stringify({ deletion: { action: 'none' }, seatCap: { limit: 5 } }));
    expect(await applyPolicyFile(file, store.applyPolicies)).toEqual({ kind: 'applied', file });
    expect(await getPolicies()).toEqual({
      policies: { ...DEFAULT_POLICIES, deletion: { action: 'none' }, seatCap: { limit: 5 } },
      source: 'file',
    });
  });

  it('refuses a bad file with each reason, and leaves the stored policies alone', async () => {
    const store = await test.runtime.loadModule<typeof PolicyStore>('forge/policy-store');
    const bad = write(
      'bad.json',
      JSON.stringify({ groups: { rewrite: { pattern: '*', replacement: '' } }, dryRun: 'no' }),
    );
    const outcome = await applyPolicyFile(bad, store.applyPolicies);
    expect(outcome).toEqual({
      kind: 'invalid',
      file: bad,
      lines: [
        expect.stringMatching(
          /^groups\.rewrite\.pattern: does not compile: Invalid regular expression: \/\*\/: Nothing to repeat/,
        ),
        'dryRun: must be true or false, not "no"',
      ],
    });
    expect(await applyPolicyFile(write('broken.json', '{"dryRun": tru'), store.applyPolicies)).toMatchObject({
      kind: 'invalid',
      lines: [expect.stringMatching(/^is not JSON: /)],
    });
    expect(await applyPolicyFile(path.join(dir, 'missing.json'), store.applyPolicies)).toMatchObject({
      kind: 'invalid',
      lines: [expect.stringMatching(/^cannot be read: ENOENT/)],
    });
    expect(await getPolicies()).toEqual({ policies: DEFAULT_POLICIES, source: 'default' });
  });
});

describe('npm start with a policy file', () => {
  it('stops with the problems and a non-zero exit when the file is invalid', () => {
    const bad = write('bad.json', JSON.stringify({ seatCap: { limit: -1 }, linking: { byEmail: true } }));
    const run = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/local/main.ts'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: '0',
          SCIM_QUIET: '1',
          DATA_DIR: path.join(dir, 'data'),
          POLICIES_FILE: bad,
        },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      `Policies file ${bad} is not valid; nothing was applied and DATA_DIR is unchanged. Fix these and start again`,
    );
    expect(run.stderr).toContain('  seatCap.limit: must be a whole number of seats, 1 or more');
    expect(run.stderr).toContain('  linking.byEmail: unknown field; known here: linkExistingByEmail');
  });

  it('applies $DATA_DIR/policies.json and says so', async () => {
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    fs.writeFileSync(path.join(data, 'policies.json'), JSON.stringify({ dryRun: true }));
    const server = await startLocalServer({ DATA_DIR: data });
    try {
      expect(server.output()).toContain(
        `Policies:      from ${path.join(data, 'policies.json')}; not the default: dryRun true`,
      );
    } finally {
      await server.stop();
    }
  });
});
