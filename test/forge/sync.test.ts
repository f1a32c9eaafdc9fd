/**
 * The sync as it ships, on the offline Forge runtime: the connection saved through the admin
 * resolver (the API key a kvs secret), SCIM requests to the web trigger, the queue consumer
 * and the hourly sweep reconciling into the embedded organization behind api.atlassian.com
 * (through Forge fetch and the manifest's egress rule), and getSyncLog / reconcileNow.
 */
import type { SyncLogEntryView } from '../../src/forge/admin-api';
import { EmbeddedOrganization, embeddedOrgBackend } from '../../src/local/embedded-org';
import { AdminSite, adminSite } from '../support/admin-site';
import { createTestRuntime, invokeAdmin, scimRequest, sweep, TestRuntime } from '../support/forge-runtime';
import { readOrg } from '../sync/support';

let test: TestRuntime;
let org: EmbeddedOrganization;
let site: AdminSite;
const TOKEN = 'sync-token';

beforeEach(async () => {
  org = new EmbeddedOrganization({ placeBareInvites: true, timeoutHoldMs: 5, faults: { seed: 3 } });
  site = adminSite(org);
  test = createTestRuntime({ external: embeddedOrgBackend(org), products: site.products });
  const tokens = await test.runtime.loadModule<typeof import('../../src/forge/tokens')>('forge/tokens');
  await tokens.installToken(TOKEN);
});
afterEach(() => test.close());

const admin = <T>(functionKey: string, payload?: unknown) =>
  invokeAdmin<T>(test, site.adminId, functionKey, payload);

const scim = (method: string, userPath: string, body?: unknown) =>
  scimRequest(test, {
    method,
    userPath,
    token: TOKEN,
    body,
    headers: { 'User-Agent': ['Okta SCIM Client 1.0.0'] },
  });

async function createUser(email: string): Promise<string> {
  const [status, user] = await scim('POST', '/Users', { userName: email, emails: [{ value: email }] });
  expect(status).toBe(201);
  return user.id;
}

/**
 * Lets the web trigger's fire-and-forget push land: it first looks the connection up (kvs
 * and secret reads), so it takes a few turns of the event loop, not one. Stops at the first
 * queued event, or after a while when none comes (not connected).
 */
const settle = async () => {
  for (let turn = 0; turn < 40 && (await test.runtime.events.pending()) === 0; turn++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('the sync on the offline Forge runtime', () => {
  it('waits while not connected, then provisions through the consumer once the key is saved', async () => {
    const alice = await createUser('alice@example.com');
    await settle();
    // Not connected: nothing is queued for the sync; the sweep records it once.
    expect(await test.runtime.events.pending()).toBe(0);
    await test.runtime.fireScheduledTrigger('directory-sweep');
    await test.runtime.fireScheduledTrigger('directory-sweep');
    const notConnected = await admin<{ entries: SyncLogEntryView[] }>('getSyncLog', { status: 'attention' });
    expect(notConnected.entries.map((e) => e.operation)).toEqual(['connection']);
    // Nothing reached the organization (the site only answered the admin check).
    expect(org.calls.filter((c) => !c.path.startsWith('/site/'))).toHaveLength(0);

    await admin('saveAtlassianConnection', {
      orgId: org.orgId,
      directoryId: org.directoryId,
      apiKey: org.apiKey,
    });
    // The next write queues a consumer run.
    const [status] = await scim('POST', '/Groups', {
      displayName: 'Engineering',
      members: [{ value: alice }],
    });
    expect(status).toBe(201);
    await settle();
    // The dispatcher (connecting, the write) wakes a run of each partition with jobs.
    expect(await test.runtime.events.pending()).toBeGreaterThan(0);
    await test.runtime.events.drain();
    expect(await test.runtime.events.pending()).toBe(0);
    const state = await readOrg(org);
    expect(state.users.get('alice@example.com')).toMatchObject({ status: 'active', groups: ['Engineering'] });

    const log = await admin<{ entries: SyncLogEntryView[] }>('getSyncLog', { resource: alice });
    expect(log.entries.map((e) => [e.source, e.operation, e.status])).toEqual(
      expect.arrayContaining([
        ['atlassian', 'invite', 'ok'],
        ['scim', 'POST /Users', 'ok'],
      ]),
    );
    const scimEntry = log.entries.find((e) => e.source === 'scim');
    expect(scimEntry).toMatchObject({ idp: 'okta', httpStatus: 201 });
  });

  it('reconcileNow queues every resource, and the sweep prunes and reconciles', async () => {
    await admin('saveAtlassianConnection', {
      orgId: org.orgId,
      directoryId: org.directoryId,
      apiKey: org.apiKey,
    });
    await createUser('bob@example.com');
    await settle();
    await test.runtime.events.drain();
    expect((await readOrg(org)).users.get('bob@example.com')?.status).toBe('active');

    expect(await admin('reconcileNow', {})).toMatchObject({ state: 'running', trigger: 'admin' });
    await test.runtime.events.drain();
    await sweep(test);
    expect(test.runtime.store.size('sync-job')).toBe(0);
    // One invite only, however many times it was reconciled.
    expect(org.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/users/invite'))).toHaveLength(1);

    // The admin page's query is checked: unknown statuses and odd types are ignored.
    const page = await admin<{ entries: SyncLogEntryView[]; cursor?: string }>('getSyncLog', {
      status: 'nonsense',
      limit: 2,
      since: 'yesterday',
      resource: 42,
    });
    expect(page.entries).toHaveLength(2);
    expect(page.cursor).toBeDefined();
    const next = await admin<{ entries: SyncLogEntryView[] }>('getSyncLog', {
      limit: 2,
      cursor: page.cursor,
    });
    expect(next.entries[0].at).toBeLessThanOrEqual(page.entries[1].at);
    expect(await admin<{ entries: unknown[] }>('getSyncLog')).toMatchObject({ entries: expect.any(Array) });
  });

  it('queues the consumer again when a batch leaves work, or a retry is due', async () => {
    await admin('saveAtlassianConnection', {
      orgId: org.orgId,
      directoryId: org.directoryId,
      apiKey: org.apiKey,
    });
    // Connecting queued the dispatcher; it wakes the partition of the full reconcile's walks.
    expect(await test.runtime.events.pending()).toBe(1);
    await test.runtime.events.drain();
    expect(await test.runtime.events.pending()).toBe(0);
    // Every call is rate limited for two minutes: the run reschedules its job past that, and
    // queues its partition again for when it is due.
    org.faults.configure({ rate: 1, kinds: ['429'], retryAfterSeconds: 120 });
    await createUser('carol@example.com');
    await settle();
    // The dispatcher wakes the user's partition; its run fails, reschedules the job and
    // queues a run for when it is due.
    await test.runtime.events.drain(1);
    expect(await test.runtime.events.pending()).toBe(1);
    await test.runtime.events.drain(1);
    expect(test.runtime.store.size('sync-job')).toBeGreaterThan(0);
    expect(await test.runtime.events.pending()).toBe(1);
    // That run, delivered early by the drain, finds the job not due yet and queues its
    // partition again for when it is: one event still, never a second chain.
    await test.runtime.events.drain(1);
    expect(await test.runtime.events.pending()).toBe(1);
    const failed = await admin<{ entries: SyncLogEntryView[] }>('getSyncLog', { status: 'failed' });
    expect(failed.entries[0]).toMatchObject({ source: 'atlassian', errorKind: 'transient' });

    // The drain delivers delayed events early, before the retry is due: the admin's
    // "reconcile now" makes it due now.
    org.faults.configure({ rate: 0 });
    await admin('reconcileNow', {});
    await test.runtime.events.drain();
    expect((await readOrg(org)).users.get('carol@example.com')?.status).toBe('active');
  });
});
