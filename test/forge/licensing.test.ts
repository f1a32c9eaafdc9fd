/**
 * Licensing through the shipped entry points on the offline runtime: the installation's
 * `license` (FORGE_LICENSE of `npm start`) decides whether SCIM writes are accepted. An
 * inactive licence keeps reads working, refuses every write with a 403 that says why, and the
 * admin resolver and page say so; no licence (free or development installation) is licensed.
 */
import type * as Tokens from '../../src/forge/tokens';
import type { AdminStatus } from '../../src/forge/admin-api';
import type { ForgeDoc, OfflineLicenceState, UiHost } from '../../src/local/forge-runtime';
import { offlineLicense } from '../../src/local/forge-runtime/installation';
import type * as UiHostModule from '../../src/local/forge-runtime/ui-host';
import fs from 'node:fs';
import { licenceStatus } from '../../src/forge/licence';
import { AdminSite, adminSite } from '../support/admin-site';
import { createTestRuntime, scimRequest, TestRuntime } from '../support/forge-runtime';

const TOKEN = 'licence-test-token';
const ADMIN = 'scim-admin-jira';
const REFUSAL =
  "This app's licence for this site is not active (expired on 2026-11-30): " +
  'SCIM writes are refused until it is renewed; reads still work.';

let test: TestRuntime | undefined;
let site: AdminSite;
let page: UiHost | undefined;
afterEach(async () => {
  page?.uninstall();
  page = undefined;
  await test?.close();
  test = undefined;
});

/** A runtime whose installation has the licence `state`, with a bearer token installed. */
async function start(state: OfflineLicenceState): Promise<TestRuntime> {
  const license = offlineLicense(state);
  site = adminSite();
  test = createTestRuntime({ installation: { license }, products: site.products });
  const tokens = await test.runtime.loadModule<typeof Tokens>('forge/tokens');
  await tokens.installToken(TOKEN);
  return test;
}

const scim = (method: string, userPath: string, body?: unknown) =>
  scimRequest(test as TestRuntime, { method, userPath, token: TOKEN, body });

const getStatus = () =>
  (test as TestRuntime).runtime.invokeResolver({
    moduleKey: ADMIN,
    functionKey: 'getStatus',
    accountId: site.adminId,
  }) as Promise<AdminStatus>;

/** Every kind of write, on a user and a group the directory holds. */
async function writes(userId: string, groupId: string): Promise<[string, number, unknown][]> {
  const calls: [string, string, unknown?][] = [
    ['POST', '/Users', { userName: 'new@example.com' }],
    ['POST', '/Groups', { displayName: 'New group' }],
    ['PUT', `/Users/${userId}`, { userName: 'ada@example.com', displayName: 'Ada L.' }],
    [
      'PATCH',
      `/Users/${userId}`,
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      },
    ],
    ['PUT', `/Groups/${groupId}`, { displayName: 'Engineering 2' }],
    [
      'PATCH',
      `/Groups/${groupId}`,
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }],
      },
    ],
    ['DELETE', `/Groups/${groupId}`],
    ['DELETE', `/Users/${userId}`],
  ];
  const results: [string, number, unknown][] = [];
  for (const [method, userPath, body] of calls) {
    const [status, answer] = await scim(method, userPath, body);
    results.push([`${method} ${userPath}`, status, answer]);
  }
  return results;
}

/** Seeds a user and a group while writes are allowed (as if the licence lapsed later). */
async function seed(): Promise<{ userId: string; groupId: string }> {
  const [userStatus, user] = await scim('POST', '/Users', { userName: 'ada@example.com' });
  const [groupStatus, group] = await scim('POST', '/Groups', { displayName: 'Engineering' });
  expect([userStatus, groupStatus]).toEqual([201, 201]);
  return { userId: user.id, groupId: group.id };
}

describe('licensing', () => {
  it.each<OfflineLicenceState>(['active', 'none'])('accepts every write with licence %s', async (state) => {
    await start(state);
    const { userId, groupId } = await seed();
    const results = await writes(userId, groupId);
    expect(results.map(([what, status]) => [what, status < 300])).toEqual(
      results.map(([what]) => [what, true]),
    );
    expect(await getStatus()).toMatchObject({
      licence: { state: state, writesAllowed: true },
    });
  });

  it('refuses every write of an inactive licence with a 403 naming the reason, and keeps reads', async () => {
    await start('active');
    const { userId, groupId } = await seed();
    // The licence lapses: the same data, a new function instance with the inactive licence.
    const dataDir = (test as TestRuntime).dataDir;
    await (test as TestRuntime).runtime.stop();
    const license = offlineLicense('inactive');
    test = createTestRuntime({ dataDir, installation: { license }, products: site.products });
    const close = test.close;
    test.close = async () => {
      await close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    };

    for (const [what, status, body] of await writes(userId, groupId)) {
      expect([what, status, body]).toEqual([
        what,
        403,
        { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '403', detail: REFUSAL },
      ]);
    }

    // Reads, POST .search included, still answer.
    const [list, users] = await scim('GET', '/Users');
    expect(list).toBe(200);
    expect(users.totalResults).toBe(1);
    expect((await scim('GET', `/Users/${userId}`))[0]).toBe(200);
    expect((await scim('GET', `/Groups/${groupId}`))[0]).toBe(200);
    const [search, found] = await scim('POST', '/Users/.search', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: 'userName eq "ada@example.com"',
    });
    expect([search, found.totalResults]).toEqual([200, 1]);
    expect((await scim('GET', '/ServiceProviderConfig'))[0]).toBe(200);

    expect(await getStatus()).toMatchObject({
      users: 1,
      groups: 1,
      licence: {
        state: 'inactive',
        writesAllowed: false,
        detail: REFUSAL,
        endDate: '2026-11-30T00:00:00.000Z',
      },
    });
  });

  it('shows a warning on the admin page while the licence is inactive, and none otherwise', async () => {
    const ui = (t: TestRuntime) => t.load<typeof UiHostModule>('../../src/local/forge-runtime/ui-host');
    const messages = (u: typeof UiHostModule, tree: ForgeDoc) =>
      u.nodes(tree).filter((n) => n.type === 'SectionMessage');

    let t = await start('inactive');
    let u = ui(t);
    page = await u.openPage(t.runtime, { moduleKey: ADMIN, accountId: site.adminId });
    const warned = await page.waitFor((tree) => u.textOf(tree).includes('SCIM base URL'));
    const [warning] = messages(u, warned);
    expect(warning.props).toMatchObject({
      appearance: 'warning',
      title: 'Licence not active: provisioning is paused',
    });
    expect(u.textOf(warning)).toContain(REFUSAL);
    page.uninstall();
    page = undefined;
    await t.close();

    t = await start('active');
    u = ui(t);
    page = await u.openPage(t.runtime, { moduleKey: ADMIN, accountId: site.adminId });
    const loaded = await page.waitFor((tree) => u.textOf(tree).includes('SCIM base URL'));
    expect(messages(u, loaded)).toEqual([]);
  });
});

describe('licenceStatus', () => {
  it('treats no licence, and a licence that says nothing, as licensed', () => {
    expect(licenceStatus(undefined)).toMatchObject({ state: 'none', writesAllowed: true });
    expect(licenceStatus({ type: 'commercial' })).toMatchObject({ state: 'active', writesAllowed: true });
  });

  it('reads the deprecated isActive only when active is absent', () => {
    expect(licenceStatus({ isActive: false })).toMatchObject({ state: 'inactive', writesAllowed: false });
    expect(licenceStatus({ active: true, isActive: false })).toMatchObject({ state: 'active' });
  });

  it('names the end of an evaluation, and says no date when Forge gives none', () => {
    expect(
      licenceStatus({ active: false, isEvaluation: true, trialEndDate: '2026-10-01T00:00:00Z' }).detail,
    ).toBe(
      "This app's licence for this site is not active (trial expired on 2026-10-01): " +
        'SCIM writes are refused until it is renewed; reads still work.',
    );
    expect(licenceStatus({ active: false }).detail).toBe(
      "This app's licence for this site is not active: SCIM writes are refused until it is renewed; reads still work.",
    );
  });
});

/**
 * The shapes Forge documents or is reported to send. Sources (docs mirror of 2026-08-22,
 * minhhai2209/forge-docs-snapshot):
 * - developer.atlassian.com/platform/forge/apis-reference/license-api/ (the License API's
 *   example: `"isEvaluation": false, "trialEndDate": null`);
 * - developer.atlassian.com/platform/forge/apis-reference/ui-api-bridge/view/ (`LicenseDetails`:
 *   `subscriptionEndDate: string | null; trialEndDate: string | null`);
 * - the string "NULL" for an absent value, and "true"/"false" for booleans, as reported for the
 *   invocation context's `license` (not in that mirror: an UNVERIFIED shape, read liberally).
 */
describe('licenceStatus with the shapes Forge sends', () => {
  const ACTIVE = "This app's licence for this site is active.";

  it('reads the License API example (null trial end date) as an active subscription', () => {
    const status = licenceStatus({
      active: true,
      type: 'commercial',
      isEvaluation: false,
      trialEndDate: null,
      subscriptionEndDate: '2027-01-01T00:00:00.000Z',
    });
    expect(status).toEqual({
      state: 'active',
      writesAllowed: true,
      detail: ACTIVE,
      isEvaluation: false,
      endDate: '2027-01-01T00:00:00.000Z',
    });
  });

  it('reads "NULL" flags and dates as absent: no "(evaluation)", no "until NULL"', () => {
    const status = licenceStatus({
      active: true,
      type: 'COMMERCIAL',
      isEvaluation: 'NULL',
      trialEndDate: 'NULL',
      subscriptionEndDate: 'NULL',
    });
    expect(status).toEqual({ state: 'active', writesAllowed: true, detail: ACTIVE });
    expect(JSON.stringify(status)).not.toContain('NULL');
  });

  it('reads "true"/"false" strings as booleans, in any case', () => {
    expect(licenceStatus({ active: 'false', isEvaluation: 'TRUE', trialEndDate: '2026-10-01' })).toEqual({
      state: 'inactive',
      writesAllowed: false,
      detail:
        "This app's licence for this site is not active (trial expired on 2026-10-01): " +
        'SCIM writes are refused until it is renewed; reads still work.',
      isEvaluation: true,
      endDate: '2026-10-01T00:00:00.000Z',
    });
    expect(licenceStatus({ active: 'true', isEvaluation: ' false ' })).toMatchObject({
      state: 'active',
      isEvaluation: false,
      detail: ACTIVE,
    });
    expect(licenceStatus({ active: 'NULL', isActive: 'false' })).toMatchObject({ state: 'inactive' });
    expect(licenceStatus({ active: 'NULL', isActive: 'NULL' })).toMatchObject({ state: 'active' });
  });

  it('falls back to the subscription end when an evaluation has no trial end date', () => {
    expect(
      licenceStatus({
        active: true,
        isEvaluation: true,
        trialEndDate: 'NULL',
        subscriptionEndDate: '2027-06-08',
      }),
    ).toMatchObject({
      detail: "This app's licence for this site is active (evaluation).",
      endDate: '2027-06-08T00:00:00.000Z',
    });
  });

  it.each([
    'NULL',
    'null',
    '',
    '  ',
    'not a date',
    '2026-13-45',
    'Tue, 01 Dec 2026 00:00:00 GMT',
    '1764547200000',
  ])('treats the date %j as absent', (date) => {
    const status = licenceStatus({ active: false, subscriptionEndDate: date });
    expect(status.endDate).toBeUndefined();
    expect(status.detail).toBe(
      "This app's licence for this site is not active: SCIM writes are refused until it is renewed; reads still work.",
    );
  });

  it('normalises an ISO date-time with an offset to UTC', () => {
    expect(licenceStatus({ active: true, subscriptionEndDate: '2026-12-08T10:00:00+10:00' }).endDate).toBe(
      '2026-12-08T00:00:00.000Z',
    );
  });
});
