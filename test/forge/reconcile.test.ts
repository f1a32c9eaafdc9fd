/**
 * "Reconcile now" and the daily drift check as they ship, on the offline Forge runtime: the
 * admin resolvers reconcileNow / getReconcileProgress, the `daily-full-reconcile` scheduled
 * trigger, and the queue consumer doing the work against the embedded organization behind
 * api.atlassian.com. Hand edits go through the organization's REST API.
 */
import type { ReconcileProgress } from '../../src/forge/admin-api';
import { EmbeddedOrganization, embeddedOrgBackend, SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { client } from '../embedded-org/helpers';
import { AdminSite, adminSite } from '../support/admin-site';
import { createTestRuntime, invokeAdmin, scimRequest, sweep, TestRuntime } from '../support/forge-runtime';
import { readOrg } from '../sync/support';

let test: TestRuntime;
let org: EmbeddedOrganization;
let site: AdminSite;
const TOKEN = 'reconcile-token';

beforeEach(async () => {
  org = new EmbeddedOrganization({ placeBareInvites: true, timeoutHoldMs: 5 });
  site = adminSite(org);
  test = createTestRuntime({ external: embeddedOrgBackend(org), products: site.products });
  const tokens = await test.runtime.loadModule<typeof import('../../src/forge/tokens')>('forge/tokens');
  await tokens.installToken(TOKEN);
});
afterEach(() => test.close());

const as = <T>(accountId: string, functionKey: string, payload?: unknown) =>
  invokeAdmin<T>(test, accountId, functionKey, payload);
const admin = <T>(functionKey: string, payload?: unknown) => as<T>(site.adminId, functionKey, payload);
const progress = () => admin<ReconcileProgress>('getReconcileProgress');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- SCIM answers are arbitrary JSON
async function scim(method: string, userPath: string, body?: unknown): Promise<any> {
  const [status, answer] = await scimRequest(test, { method, userPath, token: TOKEN, body });
  expect(status).toBeLessThan(300);
  return answer;
}

/** Connected, with alice and bob in Engineering (which the app created). */
async function provisioned() {
  await admin('saveAtlassianConnection', {
    orgId: org.orgId,
    directoryId: org.directoryId,
    apiKey: org.apiKey,
  });
  const users: string[] = [];
  for (const email of ['alice@example.com', 'bob@example.com']) {
    users.push(
      (await scim('POST', '/Users', { userName: email, emails: [{ value: email, primary: true }] })).id,
    );
  }
  await scim('POST', '/Groups', { displayName: 'Engineering', members: users.map((value) => ({ value })) });
  // The sweep runs what the web trigger's fire-and-forget push may not have queued yet.
  await sweep(test);
  await test.runtime.events.drain();
  const api = client(org);
  expect((await readOrg(org)).groups.get('Engineering')?.members).toEqual([
    'alice@example.com',
    'bob@example.com',
  ]);
  return { api, groupId: (await api.groupOf('Engineering')) as string };
}

describe('reconcile now', () => {
  it('is refused, with the reason, while not connected, to a non-admin, and with a dryRun that is not a boolean', async () => {
    await expect(admin('reconcileNow', {})).rejects.toThrow(/No Atlassian organization is connected/);
    await expect(as(site.userId, 'reconcileNow', {})).rejects.toThrow(/not an admin/);
    await expect(as(site.userId, 'getReconcileProgress')).rejects.toThrow(/not an admin/);
    await admin('saveAtlassianConnection', {
      orgId: org.orgId,
      directoryId: org.directoryId,
      apiKey: org.apiKey,
    });
    await expect(admin('reconcileNow', { dryRun: 'yes' })).rejects.toThrow(/dryRun is true/);
    expect(await progress()).toMatchObject({ state: 'idle', users: { done: 0, total: 0 } });
  });

  it('previews as a dry run, then repairs, with progress, through the consumer', async () => {
    const { api, groupId } = await provisioned();
    const bob = (await api.accountOf('bob@example.com')) as string;
    expect((await api.call('DELETE', `${api.d}/groups/${groupId}/memberships/${bob}`)).status).toBe(204);

    const preview = await admin<ReconcileProgress>('reconcileNow', { dryRun: true });
    expect(preview).toMatchObject({
      state: 'running',
      trigger: 'admin',
      dryRun: true,
      users: { done: 0, total: 2 },
      groups: { done: 0, total: 1 },
    });
    // Asked again while it runs: the one running is answered.
    expect(await admin('reconcileNow', {})).toEqual(preview);
    expect(await test.runtime.events.pending()).toBeGreaterThan(0);
    await test.runtime.events.drain();
    expect(await progress()).toMatchObject({
      state: 'done',
      dryRun: true,
      users: { done: 2, total: 2 },
      groups: { done: 1, total: 1 },
      changes: 1,
      reported: 0,
      failed: 0,
    });
    expect((await readOrg(org)).groups.get('Engineering')?.members).toEqual(['alice@example.com']);

    const real = await admin<ReconcileProgress>('reconcileNow', {});
    expect(real).toMatchObject({ state: 'running', dryRun: false });
    await test.runtime.events.drain();
    const done = await progress();
    expect(done).toMatchObject({
      state: 'done',
      trigger: 'admin',
      changes: 1,
      users: { done: 2 },
      groups: { done: 1 },
    });
    expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt as number);
    expect((await readOrg(org)).groups.get('Engineering')?.members).toEqual([
      'alice@example.com',
      'bob@example.com',
    ]);
  });
});

describe('the daily full reconcile', () => {
  it('removes a member added by hand to a group the app created', async () => {
    const { api, groupId } = await provisioned();
    const ada = (await api.accountOf(SEED_ACCOUNTS.existing)) as string;
    expect(
      (await api.call('POST', `${api.d}/groups/${groupId}/memberships`, { accountId: ada })).status,
    ).toBe(204);

    await test.runtime.fireScheduledTrigger('daily-full-reconcile');
    expect(await progress()).toMatchObject({ state: 'running', trigger: 'schedule' });
    await test.runtime.events.drain();
    expect(await progress()).toMatchObject({ state: 'done', trigger: 'schedule', changes: 1 });
    expect((await readOrg(org)).groups.get('Engineering')?.members).toEqual([
      'alice@example.com',
      'bob@example.com',
    ]);
  });

  it('does nothing while not connected', async () => {
    await test.runtime.fireScheduledTrigger('daily-full-reconcile');
    expect(await test.runtime.events.pending()).toBe(0);
    expect(await progress()).toMatchObject({ state: 'idle' });
  });
});
