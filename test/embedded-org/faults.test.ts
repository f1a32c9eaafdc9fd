/**
 * Faults, latency and the rate limit: 429 and 500 come before any state change, a timeout
 * either before or after applying (the lost answer), draws are reproducible from a seed, and
 * the EMBEDDED_ORG_* variables configure all of it.
 */
import {
  EmbeddedOrgOptions,
  embeddedOrgOptionsFromEnv,
  externalOrgFromEnv,
  FaultKind,
  FaultPlan,
  RateLimiter,
} from '../../src/local/embedded-org';
import { client, newOrg } from './helpers';

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('random faults', () => {
  it('fail about the configured share of calls, with every kind, reproducibly from a seed', async () => {
    const run = async (seed: number) => {
      const org = newOrg({ faults: { rate: 0.3, seed } });
      const api = client(org);
      const outcomes: string[] = [];
      for (let i = 0; i < 1000; i++) {
        const answer = await api.call('GET', '/v1/orgs');
        outcomes.push(answer.timeout ? `timeout-${answer.timeout.applied}` : String(answer.status));
      }
      return outcomes;
    };
    const outcomes = await run(42);
    const failed = outcomes.filter((o) => o !== '200');
    expect(failed.length).toBeGreaterThan(240);
    expect(failed.length).toBeLessThan(360);
    expect(new Set(failed)).toEqual(new Set(['429', '500', 'timeout-false', 'timeout-true']));
    expect(await run(42)).toEqual(outcomes);
    expect(await run(43)).not.toEqual(outcomes);
  });

  it('draw only the configured kinds, and none at rate 0', () => {
    const plan = new FaultPlan({ rate: 1, kinds: ['500'], seed: 1 });
    const request = { method: 'GET', path: '/admin/v1/orgs' };
    expect(new Set(Array.from({ length: 50 }, () => plan.draw(request)))).toEqual(new Set(['500']));
    plan.configure({ rate: 0 });
    expect(Array.from({ length: 50 }, () => plan.draw(request)).filter(Boolean)).toEqual([]);
  });
});

describe('each fault', () => {
  const createGroup = async (kind: FaultKind, options: EmbeddedOrgOptions = {}) => {
    const org = newOrg(options);
    const api = client(org);
    org.faults.failNext(kind, { method: 'POST', path: /\/groups$/ });
    // A read first: the scripted fault waits for the request it matches.
    expect((await api.call('GET', '/v1/orgs')).status).toBe(200);
    const answer = await api.call('POST', `${api.d}/groups`, { name: 'Faulty' });
    return { org, api, answer, exists: org.findGroupByName('Faulty') !== undefined };
  };

  it('429 without Retry-After: only X-RateLimit-* (reset in ISO 8601), as the Organizations API documents', async () => {
    const { answer, exists } = await createGroup('429', { retryAfterOn429: false });
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBeUndefined();
    expect(Date.parse(answer.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() - 1000);
    expect(answer.headers['x-ratelimit-reset']).toMatch(ISO_8601);
    expect(exists).toBe(false);
  });

  it('429: Retry-After is drawn (seeded), since the Organizations API does not promise it', async () => {
    const org = newOrg({ answerSeed: 7 });
    const api = client(org);
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 20; i++) {
      org.faults.failNext('429');
      const answer = await api.call('GET', '/v1/orgs');
      expect(answer.headers['x-ratelimit-reset']).toMatch(ISO_8601);
      seen.add(answer.headers['retry-after']);
    }
    expect(seen).toEqual(new Set(['1', undefined]));
  });

  it('429: Retry-After and X-RateLimit-* (reset in ISO 8601), nothing applied', async () => {
    const { answer, exists, api } = await createGroup('429', { retryAfterOn429: true });
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.headers['x-ratelimit-remaining']).toBe('0');
    expect(answer.headers['x-ratelimit-limit']).toMatch(/^\d+$/);
    expect(answer.headers['x-ratelimit-reset']).toMatch(ISO_8601);
    expect(answer.body.errors[0]).toMatchObject({ status: '429', code: 'ADMIN-429-1' });
    expect(exists).toBe(false);
    // The retry succeeds.
    expect((await api.call('POST', `${api.d}/groups`, { name: 'Faulty' })).status).toBe(201);
  });

  it('500: nothing applied', async () => {
    const { answer, exists } = await createGroup('500');
    expect(answer.status).toBe(500);
    expect(answer.body.errors[0].code).toBe('ADMIN-500-1');
    expect(exists).toBe(false);
  });

  it('timeout before applying: no answer, nothing applied', async () => {
    const { answer, exists } = await createGroup('timeout-before');
    expect(answer.timeout).toEqual({ applied: false });
    expect(exists).toBe(false);
  });

  it('timeout after applying: the answer is lost, the change is made (a retry meets 409)', async () => {
    const { answer, exists, api, org } = await createGroup('timeout-after');
    expect(answer.timeout).toEqual({ applied: true });
    expect(exists).toBe(true);
    expect((await api.call('POST', `${api.d}/groups`, { name: 'Faulty' })).status).toBe(409);
    expect(org.calls.slice(-2).map((c) => [c.status, c.fault])).toEqual([
      [504, 'timeout-after'],
      [409, undefined],
    ]);
  });
});

describe('rate limit and latency', () => {
  it('answers 429 with Retry-After beyond the requests per second, and recovers', async () => {
    let now = 1_000_000;
    const org = newOrg({ rateLimit: 5, now: () => now, retryAfterOn429: true });
    const api = client(org);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await api.call('GET', '/v1/orgs')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await api.call('GET', '/v1/orgs');
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.headers['x-ratelimit-limit']).toBe('5');
    expect(limited.headers['x-ratelimit-reset']).toMatch(ISO_8601);
    now += 1000;
    const after = await api.call('GET', '/v1/orgs');
    expect(after.status).toBe(200);
    expect(after.headers['x-ratelimit-remaining']).toBe('4');
    org.setRateLimit(undefined);
    for (let i = 0; i < 20; i++) expect((await api.call('GET', '/v1/orgs')).status).toBe(200);
  });

  it('the token bucket refills continuously', () => {
    let now = 0;
    const bucket = new RateLimiter(10, () => now);
    for (let i = 0; i < 10; i++) expect(bucket.take().allowed).toBe(true);
    expect(bucket.take()).toMatchObject({ allowed: false, resetMs: 100 });
    now += 100;
    expect(bucket.take().allowed).toBe(true);
  });

  it('adds the configured latency', async () => {
    const org = newOrg({ latencyMs: 60 });
    const started = Date.now();
    await client(org).call('GET', '/v1/orgs');
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });
});

describe('configuration from the environment', () => {
  it('reads EMBEDDED_ORG_*', () => {
    expect(
      embeddedOrgOptionsFromEnv({
        EMBEDDED_ORG_API_KEY: 'k',
        EMBEDDED_ORG_PAID: '0',
        EMBEDDED_ORG_FAULT_RATE: '0.25',
        EMBEDDED_ORG_FAULT_KINDS: '429, timeout',
        EMBEDDED_ORG_FAULT_SEED: '7',
        EMBEDDED_ORG_LATENCY_MS: '20',
        EMBEDDED_ORG_RATE_LIMIT: '50',
        EMBEDDED_ORG_TIMEOUT_MS: '1500',
        EMBEDDED_ORG_USER_LIMITS: 'jira-software=10, confluence=0',
      }),
    ).toEqual({
      apiKey: 'k',
      paid: false,
      faults: { rate: 0.25, kinds: ['429', 'timeout-before', 'timeout-after'], seed: 7 },
      latencyMs: 20,
      rateLimit: 50,
      timeoutHoldMs: 1500,
      userLimits: { 'jira-software': 10, confluence: 0 },
    });
    expect(() => embeddedOrgOptionsFromEnv({ EMBEDDED_ORG_USER_LIMITS: 'jira=lots' })).toThrow(
      /not product=limit/,
    );
    expect(embeddedOrgOptionsFromEnv({})).toEqual({ paid: true, faults: {} });
    expect(() => embeddedOrgOptionsFromEnv({ EMBEDDED_ORG_FAULT_RATE: '2' })).toThrow(/0 to 1/);
    expect(() => embeddedOrgOptionsFromEnv({ EMBEDDED_ORG_FAULT_KINDS: '503' })).toThrow(/unknown kind 503/);
  });

  it('reads ATLASSIAN_ORG_* (key and id together, base by default the real one)', () => {
    expect(externalOrgFromEnv({})).toBeUndefined();
    expect(externalOrgFromEnv({ ATLASSIAN_ORG_API_KEY: 'k', ATLASSIAN_ORG_ID: 'o' })).toEqual({
      baseUrl: 'https://api.atlassian.com/admin',
      apiKey: 'k',
      orgId: 'o',
    });
    expect(
      externalOrgFromEnv({
        ATLASSIAN_ORG_API_BASE: 'http://127.0.0.1:9999/admin/',
        ATLASSIAN_ORG_API_KEY: 'k',
        ATLASSIAN_ORG_ID: 'o',
      })?.baseUrl,
    ).toBe('http://127.0.0.1:9999/admin');
    expect(() => externalOrgFromEnv({ ATLASSIAN_ORG_API_KEY: 'k' })).toThrow(/together/);
  });
});
