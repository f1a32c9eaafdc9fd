/**
 * What ships, run end to end on the offline Forge runtime: the web trigger, the queue
 * consumer, the hourly sweep and the admin resolvers of src/forge/index.ts, with storage and
 * the token secret going through @forge/kvs. Nothing of src/forge is mocked.
 */
import type * as Tokens from '../../src/forge/tokens';
import type { AdminStatus } from '../../src/forge/admin-api';
import { hashToken } from '../../src/scim/auth';
import { AdminSite, adminSite } from '../support/admin-site';
import { createTestRuntime, invokeAdmin, scimRequest, TestRuntime } from '../support/forge-runtime';

let test: TestRuntime;
let tokens: typeof Tokens;
let site: AdminSite;

beforeEach(async () => {
  site = adminSite();
  test = createTestRuntime({ products: site.products });
  tokens = await test.runtime.loadModule<typeof Tokens>('forge/tokens');
});
afterEach(() => test.close());

const scim = (method: string, userPath: string, token: string, body?: unknown) =>
  scimRequest(test, { method, userPath, token, body });

const admin = <T>(functionKey: string, payload?: unknown) =>
  invokeAdmin<T>(test, site.adminId, functionKey, payload);

describe('the admin resolvers and the token secret', () => {
  it('reports status and rotates the token through kvs.setSecret, revoking the old one', async () => {
    const before = await admin<AdminStatus>('getStatus');
    expect(before).toMatchObject({
      scimBaseUrl: 'http://127.0.0.1:8787/scim/v2',
      tokenConfigured: false,
      users: 0,
      groups: 0,
      licence: expect.objectContaining({ state: 'none', writesAllowed: true }),
    });
    expect((await scim('GET', '/Users', 'anything'))[0]).toBe(401);

    const { token: first, view } = await admin<{ token: string; view: { id: string } }>('generateToken');
    expect(first).toMatch(/^scim_/);
    const kvs = test.load<typeof import('@forge/kvs')>('@forge/kvs');
    expect(await kvs.kvs.getSecret('scim-tokens')).toEqual([
      expect.objectContaining({ hash: hashToken(first) }),
    ]);
    expect((await scim('GET', '/Users', first))[0]).toBe(200);

    const { token: second } = await admin<{ token: string }>('generateToken');
    await admin('revokeToken', { id: view.id });
    expect((await scim('GET', '/Users', second))[0]).toBe(200);
    expect((await scim('GET', '/Users', first))[0]).toBe(401);
    expect(await admin<AdminStatus>('getStatus')).toMatchObject({ tokenConfigured: true });
  });

  it('fails getStatus while the trigger URL is unknown, and looks it up again later', async () => {
    await test.close();
    test = createTestRuntime({ baseUrl: undefined, products: site.products });
    await expect(admin('getStatus')).rejects.toThrow(/Failed to get web trigger URL/);
    test.runtime.setBaseUrl('http://127.0.0.1:4321');
    expect(await admin<AdminStatus>('getStatus')).toMatchObject({
      scimBaseUrl: 'http://127.0.0.1:4321/scim/v2',
    });
  });

  it('seeds a fixed token as npm start does with SCIM_BEARER_TOKEN', async () => {
    await tokens.installToken('fixed-token');
    expect(await tokens.hasToken()).toBe(true);
    const [status, created] = await scim('POST', '/Users', 'fixed-token', { userName: 'ada@example.com' });
    expect(status).toBe(201);
    expect(created.meta.location).toBe(`http://127.0.0.1:8787/scim/v2/Users/${created.id}`);
    expect(await admin<AdminStatus>('getStatus')).toMatchObject({ users: 1, groups: 0 });
  });

  it('answers 503 with Retry-After when Forge storage is rate limited', async () => {
    await tokens.installToken('t');
    await scim('GET', '/Users', 't');
    test.runtime.kvs.injectFault(429, 'RATE_LIMIT_EXCEEDED', 5);
    const result = await test.runtime.invokeWebTrigger('scim-endpoint', {
      method: 'GET',
      userPath: '/Users',
      headers: { Authorization: ['Bearer t'] },
    });
    expect(result.statusCode).toBe(503);
    expect(result.headers['Retry-After']).toBeDefined();
  });
});

describe('background jobs', () => {
  async function groupWithMembers(token: string, members: number): Promise<string> {
    const ids: string[] = [];
    for (let i = 0; i < members; i++) {
      const [, user] = await scim('POST', '/Users', token, { userName: `user${i}@example.com` });
      ids.push(user.id);
    }
    const [status, group] = await scim('POST', '/Groups', token, {
      displayName: 'Engineering',
      members: ids.map((value) => ({ value })),
    });
    expect(status).toBe(201);
    return group.id;
  }

  it('purges a deleted group’s memberships in the consumer of the job Queue.push queued', async () => {
    await tokens.installToken('t');
    const group = await groupWithMembers('t', 3);
    expect(test.runtime.store.size('scim-member')).toBe(3);
    expect((await scim('DELETE', `/Groups/${group}`, 't'))[0]).toBe(204);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await test.runtime.events.pending()).toBe(1);
    await test.runtime.events.drain();
    expect(test.runtime.store.size('scim-member')).toBe(0);
    expect(test.runtime.store.size('scim-job')).toBe(0);
    expect(await test.runtime.events.pending()).toBe(0);
  });

  it('leaves a job whose event was lost to the hourly sweep', async () => {
    await tokens.installToken('t');
    const group = await groupWithMembers('t', 2);
    await scim('DELETE', `/Groups/${group}`, 't');
    await new Promise((resolve) => setImmediate(resolve));
    // The event is lost (cancelled before delivery); the job record is still there.
    const { Queue } = test.load<typeof import('@forge/events')>('@forge/events');
    const pending = await test.runtime.store.query<{ doc: { jobId: string } }>({
      entity: '$event',
      index: 'by-at',
      limit: 10,
    });
    await new Queue({ key: 'directory-jobs' }).cancel(pending.results[0].value.doc.jobId);
    await test.runtime.events.drain();
    expect(test.runtime.store.size('scim-job')).toBe(1);

    await test.runtime.fireScheduledTrigger('directory-sweep');
    expect(test.runtime.store.size('scim-member')).toBe(0);
    expect(test.runtime.store.size('scim-job')).toBe(0);
  });

  it('warns when the queue refuses the push, and the sweep still finishes the job', async () => {
    await tokens.installToken('t');
    const group = await groupWithMembers('t', 1);
    const events = test.runtime.events as unknown as {
      handle: (path: string, body: unknown) => Promise<unknown>;
    };
    const handle = events.handle.bind(events);
    events.handle = async () => ({ status: 500, body: { message: 'queue down' } });
    await scim('DELETE', `/Groups/${group}`, 't');
    await new Promise((resolve) => setTimeout(resolve, 20));
    events.handle = handle;
    expect(test.logs.join('\n')).toMatch(/Could not queue background jobs/);
    await test.runtime.fireScheduledTrigger('directory-sweep');
    expect(test.runtime.store.size('scim-member')).toBe(0);
  });
});
