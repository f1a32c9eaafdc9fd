/**
 * The HTTP client every Atlassian adapter uses: retries and backoff, 429 headers, timeouts,
 * the time and egress budgets, no blind resend of a write that is not idempotent, the
 * mapping of answers to AtlassianError kinds, and that the key never leaves in any text.
 */
import { EgressMeter, RateLimitPacer, SLOW_START_IN_FLIGHT } from '../../src/atlassian/rate-limit';
import {
  AtlassianHttpClient,
  encodePath,
  FetchInit,
  FetchResponse,
  HttpClientOptions,
  kindForStatus,
  rateLimitDelay,
  redact,
} from '../../src/atlassian/http-client';
import { AtlassianError } from '../../src/atlassian/port';
import { failure } from './fake-org';

const KEY = 'ATATT-secret-key-0123456789';
const T0 = Date.parse('2026-12-02T12:00:00Z');

type Step = FetchResponse | Error | 'hang';

export function answer(status: number, body?: unknown, headers: Record<string, string> = {}): FetchResponse {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    status,
    headers: { get: (name) => lower[name.toLowerCase()] ?? null },
    text: async () => (body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)),
  };
}

function setup(steps: Step[], options: Partial<HttpClientOptions> = {}) {
  let now = T0;
  const sleeps: number[] = [];
  const sent: Array<{ url: string; init: FetchInit }> = [];
  const logs: string[] = [];
  const client = new AtlassianHttpClient({
    baseUrl: 'https://api.atlassian.com/admin/',
    apiKey: KEY,
    clock: {
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    },
    random: () => 0.5,
    log: (m) => logs.push(m),
    fetch: (url, init) => {
      sent.push({ url, init });
      const step = steps.shift();
      if (step === undefined) throw new Error('no more scripted answers');
      if (step === 'hang') {
        return new Promise((_, reject) =>
          init.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      }
      if (step instanceof Error) return Promise.reject(step);
      return Promise.resolve(step);
    },
    ...options,
  });
  return { client, sleeps, sent, logs, advance: (ms: number) => (now += ms) };
}

const get = { method: 'GET', path: '/v2/orgs/o1/directories', idempotent: true } as const;
const invite = {
  method: 'POST',
  path: '/v2/orgs/o1/users/invite',
  body: { emails: ['a@x.com'] },
  idempotent: false,
} as const;

describe('requests', () => {
  it('sends the Bearer key, JSON headers and body, and parses the answer', async () => {
    const { client, sent } = setup([answer(200, { data: [1] })]);
    const result = await client.request({
      ...invite,
      idempotent: false,
      query: { limit: 10, skip: undefined },
    });
    expect(result).toEqual({ status: 200, body: { data: [1] } });
    expect(sent[0].url).toBe('https://api.atlassian.com/admin/v2/orgs/o1/users/invite?limit=10');
    expect(sent[0].init.method).toBe('POST');
    expect(sent[0].init.headers).toEqual({
      Authorization: `Bearer ${KEY}`,
      Accept: 'application/json',
      'Content-Type': 'application/json',
    });
    expect(sent[0].init.body).toBe('{"emails":["a@x.com"]}');
    expect(client.requests).toBe(1);
  });

  it('sends no Content-Type without a body, and answers 204 with no body', async () => {
    const { client, sent } = setup([answer(204)]);
    expect(await client.request({ method: 'DELETE', path: '/x', idempotent: true })).toEqual({
      status: 204,
      body: undefined,
    });
    expect(sent[0].init.headers['Content-Type']).toBeUndefined();
    expect(sent[0].init.body).toBeUndefined();
  });

  it('encodes path segments', () => {
    expect(encodePath`/v2/orgs/${'a/b'}/users/${'x y?'}`).toBe('/v2/orgs/a%2Fb/users/x%20y%3F');
  });

  it('refuses to be built without a key', () => {
    expect(() => new AtlassianHttpClient({ baseUrl: 'x', apiKey: '', fetch: jest.fn() })).toThrow(
      AtlassianError,
    );
  });
});

describe('retries of idempotent requests', () => {
  it('backs off with full jitter on 5xx, then succeeds', async () => {
    const { client, sleeps, logs } = setup([answer(500), answer(502), answer(200, { ok: true })], {
      baseDelayMs: 100,
    });
    expect((await client.request(get)).body).toEqual({ ok: true });
    // random() = 0.5: half of 100, then half of 200.
    expect(sleeps).toEqual([50, 100]);
    expect(client.stats).toEqual({ requests: 3, retries: 2, rateLimited: 0, pacedMs: 0 });
    expect(logs.join('\n')).toMatch(/retrying in 50 ms/);
  });

  it('caps the backoff at maxDelayMs', async () => {
    const { client, sleeps } = setup([answer(503), answer(503), answer(503), answer(200)], {
      baseDelayMs: 1000,
      maxDelayMs: 1500,
    });
    await client.request(get);
    expect(sleeps).toEqual([500, 750, 750]);
  });

  it('gives up after maxAttempts with a transient error and the status', async () => {
    const { client } = setup([answer(500), answer(500), answer(500)], { maxAttempts: 3 });
    const error = await failure(client.request(get));
    expect(error.kind).toBe('transient');
    expect(error.status).toBe(500);
    expect(error.outcomeUnknown).toBe(false);
    expect(error.message).toMatch(/gave up after 3 attempts/);
    expect(client.requests).toBe(3);
  });

  it('retries a timed-out attempt (the signal aborts it)', async () => {
    const { client, sent } = setup(['hang', answer(200, {})], { timeoutMs: 10 });
    await client.request(get);
    expect(sent).toHaveLength(2);
    expect(sent[0].init.signal?.aborted).toBe(true);
  });

  it('times out a fetch that ignores the signal', async () => {
    const never = new Promise<FetchResponse>(() => undefined);
    const client = new AtlassianHttpClient({
      baseUrl: 'https://h',
      apiKey: KEY,
      timeoutMs: 5,
      maxAttempts: 1,
      fetch: () => never,
    });
    const error = await failure(client.request(get));
    expect(error).toMatchObject({ kind: 'transient', code: 'TIMEOUT' });
    expect(error.message).toMatch(/no answer within 5 ms/);
  });

  it('retries network errors', async () => {
    const { client } = setup([new TypeError('fetch failed'), answer(200)]);
    expect((await client.request(get)).status).toBe(200);
  });

  it('honours Retry-After on a 503', async () => {
    const { client, sleeps } = setup([answer(503, undefined, { 'Retry-After': '2' }), answer(200)]);
    await client.request(get);
    expect(sleeps).toEqual([2000]);
  });
});

describe('429', () => {
  it('waits Retry-After seconds, for any method (a rate-limited call was not processed)', async () => {
    const { client, sleeps, sent } = setup([answer(429, undefined, { 'Retry-After': '3' }), answer(200, {})]);
    await client.request(invite);
    expect(sleeps).toEqual([3000]);
    expect(sent).toHaveLength(2);
    expect(client.stats.rateLimited).toBe(1);
  });

  it('waits until a Retry-After HTTP date', async () => {
    const at = new Date(T0 + 7000).toUTCString();
    const { client, sleeps } = setup([answer(429, undefined, { 'retry-after': at }), answer(200)]);
    await client.request(get);
    expect(sleeps).toEqual([7000]);
  });

  it('waits until X-RateLimit-Reset (ISO 8601 UTC, as the Organizations API documents it) when there is no Retry-After', async () => {
    const reset = new Date(T0 + 4500).toISOString();
    const { client, sleeps } = setup([answer(429, undefined, { 'X-RateLimit-Reset': reset }), answer(200)]);
    await client.request(get);
    expect(sleeps).toEqual([4500]);
  });

  it('backs off when only RateLimit-Reason is given, and logs the reason', async () => {
    const { client, sleeps, logs } = setup(
      [answer(429, undefined, { 'RateLimit-Reason': 'jira-burst-based' }), answer(200)],
      { baseDelayMs: 400 },
    );
    await client.request(get);
    expect(sleeps).toEqual([200]);
    expect(logs[0]).toMatch(/jira-burst-based/);
  });

  it('does not sleep through a wait longer than maxWaitMs: transient with retryAfterMs', async () => {
    const { client, sleeps } = setup([
      answer(429, { code: 429, message: 'Rate limit' }, { 'Retry-After': '600' }),
    ]);
    const error = await failure(client.request(get));
    expect(sleeps).toEqual([]);
    expect(error).toMatchObject({ kind: 'transient', status: 429, retryAfterMs: 600_000 });
    expect(error.message).toMatch(/Rate limit/);
  });

  it('parses the rate limit headers', () => {
    const h = (headers: Record<string, string>) => answer(429, undefined, headers).headers;
    expect(rateLimitDelay(h({}), T0)).toBeUndefined();
    expect(rateLimitDelay(h({ 'retry-after': '1.5' }), T0)).toBe(1500);
    expect(rateLimitDelay(h({ 'retry-after': new Date(T0 - 5000).toUTCString() }), T0)).toBe(0);
    expect(rateLimitDelay(h({ 'retry-after': 'soon', 'x-ratelimit-reset': '30' }), T0)).toBe(30_000);
    expect(rateLimitDelay(h({ 'x-ratelimit-reset': String(T0 / 1000 + 12) }), T0)).toBe(12_000);
    expect(rateLimitDelay(h({ 'x-ratelimit-reset': 'garbage' }), T0)).toBeUndefined();
  });
});

describe('no blind retry of a write that is not idempotent', () => {
  it.each([
    ['a 500', answer(500)],
    ['a 503 with Retry-After', answer(503, undefined, { 'Retry-After': '1' })],
    ['a network error', new TypeError('socket hang up')],
  ])('%s: sent once, transient with outcomeUnknown', async (_, step) => {
    const { client, sent, sleeps } = setup([step, answer(201)]);
    const error = await failure(client.request(invite));
    expect(sent).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(error).toMatchObject({ kind: 'transient', outcomeUnknown: true });
    expect(error.message).toMatch(/not sent again because it is not idempotent/);
  });

  it('a timeout: sent once, outcome unknown', async () => {
    const { client, sent } = setup(['hang', answer(201)], { timeoutMs: 5 });
    const error = await failure(client.request(invite));
    expect(sent).toHaveLength(1);
    expect(error).toMatchObject({ kind: 'transient', outcomeUnknown: true, code: 'TIMEOUT' });
  });
});

describe('final answers', () => {
  it.each([
    [400, 'invalid'],
    [401, 'forbidden'],
    [402, 'payment-required'],
    [403, 'forbidden'],
    [404, 'not-found'],
    [405, 'unsupported'],
    [409, 'conflict'],
    [415, 'invalid'],
    [422, 'invalid'],
  ])('%i is %s, not retried, with Atlassian code and title', async (status, kind) => {
    const body = {
      errors: [{ id: 'e1', status: String(status), code: 'ADMIN-X-1', title: 'Nope', detail: 'why' }],
    };
    const { client, sent } = setup([answer(status, body), answer(200)]);
    const error = await failure(client.request(get));
    expect(error).toMatchObject({ kind, status, code: 'ADMIN-X-1', outcomeUnknown: false });
    expect(error.message).toBe(`GET /v2/orgs/o1/directories answered ${status} ADMIN-X-1: Nope: why`);
    expect(sent).toHaveLength(1);
  });

  it('reads the gateway error shape and plain text', async () => {
    const { client } = setup([
      answer(401, { code: 401, message: 'Unauthorized' }),
      answer(403, 'Forbidden!'),
    ]);
    expect((await failure(client.request(get))).message).toMatch(/401: Unauthorized$/);
    expect((await failure(client.request(get))).message).toMatch(/403: Forbidden!$/);
  });

  it('maps statuses', () => {
    expect(kindForStatus(408)).toBe('transient');
    expect(kindForStatus(418)).toBe('invalid');
    expect(kindForStatus(504)).toBe('transient');
  });

  it('Forge refusing the host (egress) is forbidden, not retried', async () => {
    const refusal = new Error(
      'URL not included in the external fetch backend permissions: api.atlassian.com.',
    );
    const { client, sent } = setup([refusal, answer(200)]);
    expect(await failure(client.request(get))).toMatchObject({ kind: 'forbidden' });
    expect(sent).toHaveLength(1);
  });

  it('a non-JSON 2xx body is undefined', async () => {
    const { client } = setup([answer(200, '<html>')]);
    expect((await client.request(get)).body).toBeUndefined();
  });
});

describe('budgets', () => {
  it('sends nothing after the deadline', async () => {
    const { client, sent } = setup([answer(200)], { deadline: T0 });
    expect(await failure(client.request(get))).toMatchObject({ kind: 'transient', code: 'DEADLINE' });
    expect(sent).toHaveLength(0);
  });

  it('does not wait past the deadline (the request deadline wins when earlier)', async () => {
    const { client, sleeps } = setup([answer(500)], { deadline: T0 + 60_000, baseDelayMs: 10_000 });
    const error = await failure(client.request({ ...get, deadline: T0 + 1000 }));
    expect(sleeps).toEqual([]);
    expect(error).toMatchObject({ kind: 'transient', status: 500, retryAfterMs: 5000 });
    expect(error.message).toMatch(/not affordable/);
  });

  it('bounds the per-attempt timeout by the deadline', async () => {
    const { client } = setup(['hang'], { deadline: T0 + 20, timeoutMs: 60_000, maxAttempts: 1 });
    expect(await failure(client.request(get))).toMatchObject({ code: 'TIMEOUT' });
  });

  it('counts every attempt against the egress budget and stops at it', async () => {
    const { client, sent } = setup([answer(500), answer(500), answer(200)], { requestBudget: 2 });
    const error = await failure(client.request(get));
    expect(error).toMatchObject({ kind: 'transient', code: 'EGRESS_BUDGET' });
    expect(sent).toHaveLength(2);
    expect(client.remainingBudget).toBe(0);
    expect(setup([]).client.remainingBudget).toBe(Infinity);
  });
});

describe('the key never leaves', () => {
  it('is redacted from errors built from answers that echo it, and from logs', async () => {
    const echo = { errors: [{ code: 'ADMIN-401-1', title: `Bad header Authorization: Bearer ${KEY}` }] };
    const { client, logs } = setup([answer(500, `upstream said ${KEY}`), answer(401, echo)]);
    const error = await failure(client.request(get));
    const text = `${error.message} ${JSON.stringify(error)} ${String(error.stack)} ${logs.join(' ')}`;
    expect(text).not.toContain(KEY);
    expect(text).toMatch(/REDACTED/);
  });

  it('is redacted from network error messages', async () => {
    const { client } = setup([new Error(`connect failed with Bearer ${KEY}`)], { maxAttempts: 1 });
    expect((await failure(client.request(get))).message).not.toContain(KEY);
  });

  it('redacts Bearer/Basic credentials and authorization fields in any text', () => {
    expect(redact('Authorization: Bearer abc.def')).toBe('Authorization: [REDACTED]');
    expect(redact('sent Bearer abc.def')).toBe('sent Bearer [REDACTED]');
    expect(redact('{"authorization":"Basic dXNlcjpwdw=="}')).toBe('{"authorization":"[REDACTED]"}');
    expect(redact('key=ATATT-xyz1', 'ATATT-xyz1')).toBe('key=[REDACTED]');
  });
});

describe('pacing (src/atlassian/rate-limit.ts)', () => {
  const headers = (values: Record<string, string>) => ({ get: (name: string) => values[name] ?? null });

  it('spreads the last requests of a window over the time to its reset, and holds all after a 429', () => {
    const pacer = new RateLimitPacer();
    const now = 1_000_000;
    pacer.observe(
      headers({
        'x-ratelimit-limit': '20',
        'x-ratelimit-remaining': '2',
        'x-ratelimit-reset': new Date(now + 1_000).toISOString(),
      }),
      now,
    );
    // Two left (at the low-water mark of a tenth of 20): spread over the second to the reset.
    expect(pacer.acquire(now)).toBe(0);
    expect(pacer.acquire(now + 100)).toBe(350);
    expect(pacer.acquire(now + 450)).toBe(0);
    // None left: nothing before the reset.
    expect(pacer.acquire(now + 700)).toBe(300);
    expect(pacer.acquire(now + 1_000)).toBe(0);
    pacer.blockFor(2_000, now + 1_000);
    expect(pacer.acquire(now + 1_500)).toBe(1_500);
  });

  it('starts slowly: before any answer announces the limit, a few requests travel at once, more per answer', () => {
    const pacer = new RateLimitPacer();
    const now = 1_000_000;
    // Sixteen partition runs starting together: four go, the rest wait for answers.
    const first = Array.from({ length: 16 }, () => pacer.acquire(now));
    expect(first.filter((wait) => wait === 0)).toHaveLength(SLOW_START_IN_FLIGHT);
    expect(first.every((wait) => wait >= 0)).toBe(true);
    // An answer without headers ends one and widens the window by one: two more may go.
    pacer.settle();
    expect(pacer.acquire(now + 50)).toBe(0);
    expect(pacer.acquire(now + 50)).toBe(0);
    expect(pacer.acquire(now + 50)).toBeGreaterThan(0);
  });

  it('counts requests still travelling against what an answer announces, and against a new window', () => {
    const pacer = new RateLimitPacer();
    const now = 1_000_000;
    const announce = (remaining: number, at: number) =>
      pacer.observe(
        headers({
          'x-ratelimit-limit': '20',
          'x-ratelimit-remaining': String(remaining),
          'x-ratelimit-reset': new Date(at + 1_000).toISOString(),
        }),
        at,
      );
    for (let i = 0; i < 4; i++) expect(pacer.acquire(now)).toBe(0);
    // One answers "10 left"; three more are still travelling, so 7 are left: five go at once,
    // and the last two (the low-water mark, a tenth of 20) are spread over the window.
    pacer.settle();
    announce(10, now + 50);
    const next = Array.from({ length: 10 }, () => pacer.acquire(now + 50));
    expect(next.filter((wait) => wait === 0)).toHaveLength(5);
    // The window resets with eight still travelling: 12 may go before an answer says more.
    const afterReset = Array.from({ length: 20 }, () => pacer.acquire(now + 1_100));
    expect(afterReset.filter((wait) => wait === 0)).toHaveLength(12);
  });

  it('keeps an invocation within its requests per minute, waiting for the next minute', () => {
    const meter = new EgressMeter(2, 0);
    expect(meter.take(10)).toBe(0);
    expect(meter.take(20)).toBe(0);
    expect(meter.take(30)).toBe(59_970);
    expect(meter.take(60_000)).toBe(0);
  });
});
