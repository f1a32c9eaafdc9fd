/**
 * The policy size bounds end to end, on the offline Forge runtime (whose kvs refuses a value
 * over 240 KiB with MAX_SIZE, as Forge's does): the largest document the bounds allow is saved
 * through `savePolicies` and read back whole; an oversized one is refused with its size and
 * nothing is stored, through the resolver and through `npm start`'s policy file alike.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as PolicyStore from '../../src/forge/policy-store';
import { applyPolicyFile } from '../../src/local/policy-file';
import { DEFAULT_POLICIES } from '../../src/policies/policies';
import { validatePolicies } from '../../src/policies/validation';
import { AdminSite, adminSite } from '../support/admin-site';
import { createTestRuntime, invokeAdmin, TestRuntime } from '../support/forge-runtime';
import { largest, oversized } from '../policies/policy-documents';

let test: TestRuntime;
let site: AdminSite;
let dir: string;

beforeEach(() => {
  site = adminSite();
  test = createTestRuntime({ products: site.products });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-limits-'));
});
afterEach(async () => {
  await test.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const admin = (functionKey: string, payload?: unknown) =>
  invokeAdmin<unknown>(test, site.adminId, functionKey, payload);

const SIZE = /^The policies are \d+ KiB as JSON; at most 200 KiB can be saved/;

describe('policies at the size bounds', () => {
  it('saves the largest document the bounds allow, in one kvs value, and reads it back whole', async () => {
    const document = largest();
    expect(await admin('savePolicies', { policies: document })).toMatchObject({ ok: true });
    const expected = validatePolicies(document);
    expect(await admin('getPolicies')).toEqual({
      policies: expected.ok && expected.policies,
      source: 'admin',
    });
  });

  it('refuses an oversized document through savePolicies with its size, and stores nothing', async () => {
    expect(await admin('savePolicies', { policies: oversized() })).toEqual({
      ok: false,
      problems: [{ path: '(document)', reason: expect.stringMatching(SIZE) }],
    });
    expect(await admin('getPolicies')).toEqual({ policies: DEFAULT_POLICIES, source: 'default' });
  });

  it('refuses an oversized policy file with the same reason', async () => {
    const store = await test.runtime.loadModule<typeof PolicyStore>('forge/policy-store');
    const file = path.join(dir, 'policies.json');
    fs.writeFileSync(file, JSON.stringify(oversized(), null, 2));
    expect(await applyPolicyFile(file, store.applyPolicies)).toEqual({
      kind: 'invalid',
      file,
      lines: [expect.stringMatching(/^\(document\): The policies are \d+ KiB as JSON; at most 200 KiB/)],
    });
    expect(await admin('getPolicies')).toEqual({ policies: DEFAULT_POLICIES, source: 'default' });
  });

  it('keeps in force a stored document that predates the bounds', async () => {
    const document = largest();
    document.groups.nameMap.extra = 'beyond the bound';
    const store = await test.runtime.loadModule<typeof PolicyStore>('forge/policy-store');
    const { kvs } = test.load<typeof import('@forge/kvs')>('@forge/kvs');
    await kvs.set('provisioning-policies', { policies: document, source: 'admin', savedAt: 1 });
    const { policies, source } = await store.readPolicies();
    expect(source).toBe('admin');
    expect(policies.groups.nameMap.extra).toBe('beyond the bound');
  });
});
