/**
 * The offline Forge runtime beyond storage: web trigger invocations and their limits,
 * webTrigger.getUrl, async events (delivery, retries, delays, limits), scheduled triggers,
 * product and external fetch (scopes, egress), and resolver invocation with its context.
 * The handlers (fixtures/functions.ts) use the real @forge/* packages.
 */
import path from 'node:path';
import type * as Events from '@forge/events';
import { parseManifest } from '../../src/local/forge-runtime/manifest';
import { createTestRuntime, TestRuntime } from '../support/forge-runtime';
import type * as Fixture from './fixtures/functions';

const fixtureManifest = parseManifest({
  app: { id: 'ari:cloud:ecosystem::app/11111111-2222-4333-8444-555555555555' },
  modules: {
    webtrigger: [{ key: 'hook', function: 'hook' }],
    consumer: [{ key: 'work-consumer', queue: 'work', function: 'consume' }],
    scheduledTrigger: [{ key: 'ticker', function: 'tick', interval: 'fiveMinute' }],
    'jira:adminPage': [{ key: 'admin', resource: 'page', resolver: { function: 'resolver' } }],
    function: [
      { key: 'hook', handler: 'functions.hook' },
      { key: 'consume', handler: 'functions.consume', timeoutSeconds: 900 },
      { key: 'tick', handler: 'functions.tick' },
      { key: 'resolver', handler: 'functions.resolver' },
      { key: 'broken', handler: 'functions.notAFunction' },
    ],
  },
  resources: [{ key: 'page', path: 'src/frontend/index.tsx' }],
  permissions: {
    scopes: ['storage:app', 'read:jira-user'],
    external: { fetch: { backend: ['api.example.com', { address: '*.allowed.test' }] } },
  },
});

let test: TestRuntime;
let fixture: typeof Fixture;
const open = (options: Parameters<typeof createTestRuntime>[0] = {}) => {
  test = createTestRuntime({
    manifest: fixtureManifest,
    sourceRoot: path.join(__dirname, 'fixtures'),
    webTriggerPaths: {},
    timeouts: { webtrigger: 200, consumer: 200, resolver: 200, scheduledTrigger: 200 },
    retryDelayMs: () => 10,
    ...options,
  });
  fixture = test.load<typeof Fixture>('../local/fixtures/functions');
};
beforeEach(() => open());
afterEach(() => test.close());

const callsOf = (fn: string) => fixture.calls.filter((c) => c.fn === fn);
const trigger = (userPath: string, body?: unknown) =>
  test.runtime.invokeWebTrigger('hook', {
    method: 'POST',
    headers: {},
    userPath,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const bodyOf = (result: { body?: string }) => JSON.parse(result.body ?? 'null') as Record<string, unknown>;

describe('web triggers', () => {
  it('calls the function the manifest names with the event and Forge context', async () => {
    const result = await trigger('/echo');
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ url: 'http://127.0.0.1:8787/x1/hook', moduleKey: 'hook' });
    expect(bodyOf(result).remaining).toBeGreaterThan(0);
    expect(callsOf('hook')[0].args[1]).toEqual({
      installContext: test.runtime.installContext,
      principal: undefined,
    });
  });

  it('answers 500 for a throw or a response Forge cannot send, 504 past the time limit', async () => {
    expect((await trigger('/throw')).statusCode).toBe(500);
    expect((await trigger('/invalid')).statusCode).toBe(500);
    expect((await trigger('/big')).statusCode).toBe(500);
    const slow = await trigger('/slow');
    expect(slow.statusCode).toBe(504);
    // The timed-out invocation keeps running in this process, but the platform refuses it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const kvs = test.load<typeof import('@forge/kvs')>('@forge/kvs');
    expect(await kvs.kvs.get('after-timeout')).toBeUndefined();
    expect(test.warnings.join('\n')).toMatch(/boom/);
  });

  it('refuses requests over 5 MB, unknown triggers and deleted URLs', async () => {
    expect((await trigger('/echo', 'x'.repeat(5 * 1024 * 1024))).statusCode).toBe(413);
    expect((await test.runtime.invokeWebTrigger('nope', { method: 'GET' })).statusCode).toBe(404);
    const { webTrigger } = test.load<typeof import('@forge/api')>('@forge/api');
    const url = await webTrigger.getUrl('hook');
    expect(await webTrigger.queryUrls('hook')).toEqual([{ moduleKey: 'hook', url }]);
    await webTrigger.deleteUrl(url);
    expect(await webTrigger.queryUrls()).toEqual([]);
    expect((await trigger('/echo')).statusCode).toBe(404);
    await expect(webTrigger.getUrl('nope')).rejects.toThrow(/Failed to get web trigger URL/);
  });

  it('fails getUrl until the base URL is known, and routes console output of functions', async () => {
    await test.close();
    open({ baseUrl: undefined });
    const { webTrigger } = test.load<typeof import('@forge/api')>('@forge/api');
    await expect(webTrigger.getUrl('hook')).rejects.toThrow(/Failed to get web trigger URL/);
    test.runtime.setBaseUrl('http://127.0.0.1:9999/');
    expect(await webTrigger.getUrl('hook')).toBe('http://127.0.0.1:9999/x1/hook');
    await test.runtime.invoke('webtrigger', 'hook', 'hook', [{ userPath: '/nothing' }]);
    await expect(test.runtime.invoke('webtrigger', 'broken', 'hook', [])).rejects.toThrow(
      /not an exported function/,
    );
    await expect(test.runtime.invoke('webtrigger', 'missing', 'hook', [])).rejects.toThrow(
      /No function missing/,
    );
  });
});

describe('what a function did not await', () => {
  it('is dropped when the function returns: its platform calls are refused', async () => {
    expect((await trigger('/unawaited')).statusCode).toBe(200);
    for (let i = 0; i < 50 && callsOf('dropped').length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(callsOf('dropped')[0].args[0]).toMatch(/has returned; work it did not await is dropped/);
    const kvs = test.load<typeof import('@forge/kvs')>('@forge/kvs').kvs;
    expect(await kvs.get('unawaited')).toBeUndefined();
  });
});

describe('async events', () => {
  it('delivers pushed events to the consumer with jobId, eventId and queueName', async () => {
    const pushed = bodyOf(await trigger('/push', [{ body: { mode: 'ok' } }, { body: { mode: 'ok', n: 2 } }]));
    expect(pushed.jobId).toEqual(expect.any(String));
    await test.runtime.events.drain();
    const events = callsOf('consume').map((c) => c.args[0] as Events.AsyncEvent);
    expect(events).toHaveLength(2);
    // Like Forge, the queue promises no order between events.
    expect(events.find((e) => e.body.n === 2)).toMatchObject({ queueName: 'work', jobId: pushed.jobId });
    expect(events[0].eventId).not.toBe(events[1].eventId);
    expect(events[0].retryContext).toBeUndefined();
    expect(test.runtime.events.stats(String(pushed.jobId))).toMatchObject({ success: 2, inProgress: 0 });
    expect(await test.runtime.events.pending()).toBe(0);
  });

  it('retries a failed or timed-out delivery with a retryContext, and an InvocationError after retryAfter', async () => {
    await trigger('/push', [
      { body: { mode: 'fail-once' } },
      { body: { mode: 'slow' } },
      { body: { mode: 'retry' } },
    ]);
    await test.runtime.events.drain();
    const retried = callsOf('consume')
      .map((c) => c.args[0] as Events.AsyncEvent<{ mode: string }>)
      .filter((e) => e.retryContext);
    const byMode = Object.fromEntries(retried.map((e) => [e.body.mode, e.retryContext]));
    expect(byMode['fail-once']).toMatchObject({ retryCount: 1, retryReason: 'FUNCTION_UNHANDLED_ERROR' });
    expect(byMode.slow).toMatchObject({ retryCount: 1, retryReason: 'FUNCTION_TIME_OUT' });
    expect(byMode.retry).toMatchObject({
      retryCount: 1,
      retryReason: 'FUNCTION_UPSTREAM_RATE_LIMITED',
      retryData: { attempt: 1 },
      retentionWindow: { remainingTimeMs: expect.any(Number) },
    });
  });

  it('waits for delayInSeconds unless drained, and keeps events across a restart', async () => {
    let now = 1_000_000;
    await test.close();
    open({ now: () => now });
    await trigger('/push', [{ body: { mode: 'ok' }, delayInSeconds: 60 }]);
    expect(await test.runtime.events.runDue()).toBe(0);
    const dataDir = test.dataDir;
    await test.runtime.stop();
    test = createTestRuntime({
      manifest: fixtureManifest,
      sourceRoot: path.join(__dirname, 'fixtures'),
      dataDir,
      now: () => now,
    });
    fixture = test.load<typeof Fixture>('../local/fixtures/functions');
    now += 60_000;
    expect(await test.runtime.events.runDue()).toBe(1);
    expect(callsOf('consume')).toHaveLength(1);
  });

  it('drops an event that keeps failing past the 24 h retention window', async () => {
    let now = 1_000_000;
    await test.close();
    open({ now: () => now, retryDelayMs: () => 13 * 60 * 60 * 1000 });
    await trigger('/push', [{ body: { mode: 'always-fail' } }]);
    expect(await test.runtime.events.runDue()).toBe(1);
    expect(await test.runtime.events.pending()).toBe(1);
    now += 13 * 60 * 60 * 1000;
    expect(await test.runtime.events.runDue()).toBe(1);
    expect(await test.runtime.events.pending()).toBe(0);
    expect(callsOf('consume')).toHaveLength(2);
    expect(test.warnings.join('\n')).toMatch(/retention window/);
  });

  it("enforces Forge's push limits", async () => {
    const { Queue } = test.load<typeof Events>('@forge/events');
    const events = test.runtime.events;
    const push = (payload: unknown[], queueName = 'work') =>
      events.handle('/webhook/queue/publish/x', { queueName, payload });
    expect((await push([])).status).toBe(400);
    expect((await push(Array.from({ length: 51 }, () => ({ body: {} })))).status).toBe(400);
    expect((await push([{ body: { blob: 'x'.repeat(201 * 1024) } }])).status).toBe(413);
    expect((await push([{ body: { blob: 'x'.repeat(101 * 1024) } }])).status).toBe(413);
    expect((await push([{ body: {}, delayInSeconds: 901 }])).status).toBe(400);
    expect((await push([{ body: {} }], 'unknown')).status).toBe(400);
    await expect(new Queue({ key: 'unknown' }).push({ body: {} })).rejects.toThrow(/No consumer/);
    expect(await events.handle('/webhook/queue/stats/x', { jobId: 'nope' })).toMatchObject({ status: 404 });
    expect(await events.handle('/webhook/queue/other', {})).toMatchObject({ status: 404 });
  });

  it('answers getStats and cancel, and skips events of a cancelled job', async () => {
    const { Queue } = test.load<typeof Events>('@forge/events');
    const queue = new Queue({ key: 'work' });
    const { jobId } = await queue.push([{ body: { mode: 'ok' } }, { body: { mode: 'ok' } }]);
    expect(await queue.getStats(jobId)).toEqual({ success: 0, inProgress: 2, failed: 0 });
    await queue.cancel(jobId);
    await test.runtime.events.drain();
    expect(callsOf('consume')).toHaveLength(0);
    expect(await queue.getStats(jobId)).toEqual({ success: 0, inProgress: 0, failed: 2 });
    await expect(queue.getStats('missing')).rejects.toThrow(/not found/);
  });

  it('stops a consumer that pushes to itself after 1,000 pushes in a chain', async () => {
    await trigger('/push', [{ body: { mode: 'chain', n: 0 } }]);
    await test.runtime.events.drain(1100);
    const last = callsOf('consume').at(-1)?.args[0] as Events.AsyncEvent<{ n: number }>;
    expect(callsOf('consume').length).toBeGreaterThanOrEqual(1000);
    expect(last.body.n).toBeLessThan(1001);
  }, 30_000);

  it('delivers on its own once started', async () => {
    test.runtime.start();
    await trigger('/push', [{ body: { mode: 'ok' } }]);
    for (let i = 0; i < 50 && callsOf('consume').length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(callsOf('consume')).toHaveLength(1);
  });
});

describe('scheduled triggers', () => {
  it('fire on demand with the installation context; a failure is logged, not retried', async () => {
    await test.runtime.fireScheduledTrigger('ticker');
    expect(callsOf('tick')[0].args[0]).toEqual({
      context: { cloudId: test.runtime.installation.cloudId, moduleKey: 'ticker' },
    });
    (globalThis as { failTick?: boolean }).failTick = true;
    try {
      await test.runtime.fireScheduledTrigger('ticker');
    } finally {
      delete (globalThis as { failTick?: boolean }).failTick;
    }
    expect(test.warnings.join('\n')).toMatch(/tick failed/);
    // events-reference/scheduled-trigger: the function answers { statusCode }; tick answers nothing.
    expect(test.warnings.join('\n')).toMatch(
      /ticker answered nothing; Forge expects \{ statusCode \} \(204 for success\)/,
    );
    await expect(test.runtime.fireScheduledTrigger('nope')).rejects.toThrow(/No scheduled trigger/);
  });

  it('fire on their interval once started', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    try {
      test.runtime.start();
      jest.advanceTimersByTime(5 * 60_000);
    } finally {
      jest.useRealTimers();
    }
    for (let i = 0; i < 50 && callsOf('tick').length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(callsOf('tick')).toHaveLength(1);
  });
});

describe('product and external fetch', () => {
  it('refuses a product the manifest grants no scope for, and says no site is attached otherwise', async () => {
    const confluence = await trigger('/confluence');
    expect(confluence.statusCode).toBe(401);
    expect(bodyOf(confluence)).toEqual({ code: 401, message: 'Unauthorized; scope does not match' });
    const jira = await trigger('/jira');
    expect(jira.statusCode).toBe(503);
    expect(bodyOf(jira).message).toMatch(/No Atlassian site is attached.*\/rest\/api\/3\/myself/);
  });

  it('routes product calls to a plugged-in backend', async () => {
    await test.close();
    open({
      products: async (request) =>
        new Response(
          JSON.stringify({ product: request.product, provider: request.provider, path: request.path }),
          {
            status: 200,
          },
        ),
    });
    expect(bodyOf(await trigger('/jira'))).toEqual({
      product: 'jira',
      provider: 'app',
      path: '/rest/api/3/myself',
    });
  });

  it('refuses hosts outside permissions.external.fetch.backend, as Forge does', async () => {
    const refused = await trigger('/fetch', { url: 'https://evil.example.org/x' });
    expect(bodyOf(refused).error).toMatch(/URL not included in the external fetch backend permissions: evil/);
    const allowed = await trigger('/fetch', { url: 'https://api.example.com/x' });
    expect(allowed.statusCode).toBe(503);
    expect(bodyOf(allowed).message).toMatch(/nothing answers for api.example.com/);
    const wildcard = await trigger('/fetch', { url: 'https://eu.allowed.test/x' });
    expect(wildcard.statusCode).toBe(503);
    // Outside an invocation (this test itself), fetch is untouched.
    await expect(fetch('http://127.0.0.1:1/')).rejects.toThrow();
  });
});

describe('resolvers', () => {
  it('reach the UI module’s resolver function with the context Forge gives', async () => {
    await test.close();
    open({ installation: { license: { isActive: true } } });
    const context = (await test.runtime.invokeResolver({
      moduleKey: 'admin',
      functionKey: 'whoami',
      accountId: 'user-1',
    })) as Record<string, unknown>;
    expect(context).toMatchObject({
      accountId: 'user-1',
      cloudId: test.runtime.installation.cloudId,
      moduleKey: 'admin',
      extension: { type: 'jira:adminPage' },
      installContext: test.runtime.installContext,
      license: { isActive: true },
    });
    expect(
      await test.runtime.invokeResolver({
        moduleKey: 'admin',
        functionKey: 'echo',
        payload: { text: 'hi' },
        accountId: 'u',
      }),
    ).toEqual({ text: 'hi' });
  });

  it('enforce 25 s (here shortened), a 500 KB request and a 5 MB response, and refuse modules without a resolver', async () => {
    await expect(
      test.runtime.invokeResolver({ moduleKey: 'admin', functionKey: 'slow', accountId: 'u' }),
    ).rejects.toThrow(/timed out/);
    // limits-invocation: "Front-end invocation request payload size: 500KB".
    const echo = (bytes: number) =>
      test.runtime.invokeResolver({
        moduleKey: 'admin',
        functionKey: 'echo',
        payload: { text: 'x'.repeat(bytes) },
        accountId: 'u',
      });
    await expect(echo(490_000)).resolves.toEqual({ text: 'x'.repeat(490_000) });
    await expect(echo(500_000)).rejects.toThrow(/500 KB/);
    await expect(
      test.runtime.invokeResolver({ moduleKey: 'nope', functionKey: 'echo', accountId: 'u' }),
    ).rejects.toThrow(/no resolver/);
  });
});

describe('the manifest', () => {
  it('reads manifest.yml: functions, triggers, queues, resources, scopes and entities', () => {
    const { manifest } = createTestRuntimeManifest();
    expect(manifest.webtriggers).toEqual([{ key: 'scim-endpoint', function: 'scim' }]);
    expect(manifest.consumers).toEqual([
      { key: 'directory-jobs-consumer', queue: 'directory-jobs', function: 'jobs' },
    ]);
    expect(manifest.scheduledTriggers).toEqual(
      expect.arrayContaining([{ key: 'directory-sweep', function: 'sweep', interval: 'hour' }]),
    );
    expect(manifest.functions.get('jobs')).toMatchObject({
      handler: 'forge/index.jobs',
      timeoutSeconds: 900,
    });
    expect(manifest.uiModules.map((m) => m.resolverFunction)).toEqual(['admin-resolver', 'admin-resolver']);
    expect(manifest.resources.get('admin-page')).toBe('src/frontend/index.tsx');
    expect(manifest.scopes).toEqual(expect.arrayContaining(['storage:app', 'read:jira-user']));
    expect(manifest.entities.map((e) => e.name)).toContain('scim-user');
  });

  it('rejects modules that name undeclared functions and handlers without an export', () => {
    expect(() => parseManifest({ modules: { webtrigger: [{ key: 'w', function: 'missing' }] } })).toThrow(
      /names no declared function/,
    );
    expect(() => parseManifest({ modules: { function: [{ key: 'f' }] } })).toThrow(/no handler/);
    const { resolveHandler } = test.load<typeof import('../../src/local/forge-runtime/manifest')>(
      '../../src/local/forge-runtime/manifest',
    );
    expect(() => resolveHandler('/src', 'index')).toThrow(/<module>.<export>/);
  });
});

function createTestRuntimeManifest() {
  const { readManifest } = test.load<typeof import('../../src/local/forge-runtime/manifest')>(
    '../../src/local/forge-runtime/manifest',
  );
  return { manifest: readManifest(path.resolve(__dirname, '../../manifest.yml')) };
}
