/**
 * The admin resolvers as the admin page calls them: through `invoke` on the offline Forge
 * runtime, into src/forge/index.ts, with storage and secrets in @forge/kvs, the admin check
 * answered by the embedded organization's Jira site (asUser mypermissions), and the sync
 * reaching the same organization behind api.atlassian.com. Nothing of src/forge is mocked.
 */
import type { AdminStatus, TokenView } from '../../src/forge/admin-api';
import {
  EmbeddedOrganization,
  embeddedOrgBackend,
  embeddedSiteProducts,
  SEED_ACCOUNTS,
} from '../../src/local/embedded-org';
import { hashToken } from '../../src/scim/auth';
import { DEFAULT_POLICIES, Policies } from '../../src/policies/policies';
import { client } from '../embedded-org/helpers';
import { createTestRuntime, invokeAdmin, scimRequest, sweep, TestRuntime } from '../support/forge-runtime';

let test: TestRuntime;
let org: EmbeddedOrganization;
let adminId: string;
let userId: string;

beforeEach(async () => {
  org = new EmbeddedOrganization({ placeBareInvites: true, timeoutHoldMs: 5 });
  test = createTestRuntime({ external: embeddedOrgBackend(org), products: embeddedSiteProducts(org) });
  const api = client(org);
  adminId = (await api.accountOf(SEED_ACCOUNTS.admin)) as string;
  userId = (await api.accountOf(SEED_ACCOUNTS.existing)) as string;
});
afterEach(async () => {
  jest.restoreAllMocks();
  await test.close();
});

const as = <T>(accountId: string, functionKey: string, payload?: unknown) =>
  invokeAdmin<T>(test, accountId, functionKey, payload);
const admin = <T>(functionKey: string, payload?: unknown) => as<T>(adminId, functionKey, payload);

const scim = (method: string, userPath: string, token: string, body?: unknown) =>
  scimRequest(test, { method, userPath, token, body });

/** Every kvs call the app makes from now on, by Forge's storage API path. */
function countKvs(): string[] {
  const calls: string[] = [];
  const handle = test.runtime.kvs.handle.bind(test.runtime.kvs);
  jest.spyOn(test.runtime.kvs, 'handle').mockImplementation((path, body) => {
    calls.push(path);
    return handle(path, body);
  });
  return calls;
}

const RESOLVERS = [
  'getStatus',
  'listTokens',
  'generateToken',
  'revokeToken',
  'getPolicies',
  'savePolicies',
  'getSyncLog',
  'retryResource',
  'getAtlassianConnection',
  'saveAtlassianConnection',
  'testAtlassianConnection',
  'clearAtlassianConnection',
];

describe('who may call the admin resolvers', () => {
  it('refuses a signed-in user who is not an admin, on every resolver, and changes nothing', async () => {
    for (const functionKey of RESOLVERS) {
      await expect(as(userId, functionKey, { policies: { dryRun: true }, id: 'x' })).rejects.toThrow(
        'Only site and product admins can use this page: your account is not an admin of this site.',
      );
    }
    expect(await admin<{ tokens: TokenView[] }>('listTokens')).toEqual({ tokens: [] });
    expect(await admin('getPolicies')).toEqual({ policies: DEFAULT_POLICIES, source: 'default' });
  });

  it('refuses an account the site does not know, and lets the admin in', async () => {
    await expect(as('712020:nobody', 'getStatus')).rejects.toThrow(
      'Only site and product admins can use this page: Jira does not know your account on this site (401).',
    );
    expect(await admin<AdminStatus>('getStatus')).toMatchObject({ tokenConfigured: false });
  });

  it('asks Jira as the calling user, once a minute per admin', async () => {
    const asked = () => org.calls.filter((c) => c.path.includes('/rest/api/3/mypermissions')).length;
    await admin('listTokens');
    await admin('getPolicies');
    expect(asked()).toBe(1);
    await expect(as(userId, 'listTokens')).rejects.toThrow(/not an admin/);
    await expect(as(userId, 'listTokens')).rejects.toThrow(/not an admin/);
    // A refusal is not cached: a user made admin gets in at once.
    expect(asked()).toBe(3);
  });

  it('lets Forge ask for consent when the user has not allowed the app to act for them', async () => {
    await test.close();
    const products = embeddedSiteProducts(org);
    let consented = false;
    test = createTestRuntime({
      external: embeddedOrgBackend(org),
      // What Forge's proxy answers an asUser() call before the user's consent.
      products: async (request) =>
        consented
          ? products(request)
          : new Response('', { status: 401, headers: { 'forge-proxy-error': 'NEEDS_AUTHENTICATION_ERR' } }),
    });
    await expect(admin('getStatus')).rejects.toMatchObject({ name: 'NEEDS_AUTHENTICATION_ERR' });
    consented = true;
    expect(await admin<AdminStatus>('getStatus')).toMatchObject({ tokenConfigured: false });
  });

  it('refuses, saying to try again, when Jira cannot answer the check', async () => {
    org.faults.failNext('500', { path: /mypermissions/ });
    await expect(admin('getStatus')).rejects.toThrow(
      'Could not check that you are an admin: Jira answered 500 to the permission check; try again.',
    );
    expect(await admin<AdminStatus>('getStatus')).toMatchObject({ tokenConfigured: false });
  });
});

describe('SCIM bearer tokens', () => {
  it('rotates with two live tokens, then revokes the old one', async () => {
    const first = await admin<{ token: string; view: TokenView }>('generateToken');
    expect(first.token).toMatch(/^scim_[A-Za-z0-9_-]{43}$/);
    expect(first.view).toEqual({
      id: expect.stringMatching(/^tok_/),
      fingerprint: `${first.token.slice(0, 9)}…${first.view.fingerprint.slice(-8)}`,
      createdAt: expect.any(Number),
    });
    expect((await scim('GET', '/Users', first.token))[0]).toBe(200);

    const second = await admin<{ token: string; view: TokenView }>('generateToken');
    expect(second.token).not.toBe(first.token);
    expect(second.view.fingerprint).not.toBe(first.view.fingerprint);
    // Both work while the identity provider is switched over.
    expect((await scim('GET', '/Users', first.token))[0]).toBe(200);
    expect((await scim('GET', '/Users', second.token))[0]).toBe(200);
    const { tokens } = await admin<{ tokens: TokenView[] }>('listTokens');
    expect(tokens.map((t) => t.id)).toEqual([first.view.id, second.view.id]);

    await expect(admin('generateToken')).rejects.toThrow(
      '2 tokens are live already. Revoke the one the identity provider no longer uses, then generate a new one.',
    );

    const after = await admin<{ tokens: TokenView[] }>('revokeToken', { id: first.view.id });
    expect(after.tokens.map((t) => t.id)).toEqual([second.view.id]);
    expect((await scim('GET', '/Users', first.token))[0]).toBe(401);
    expect((await scim('GET', '/Users', second.token))[0]).toBe(200);
    await expect(admin('revokeToken', { id: first.view.id })).rejects.toThrow(/No live token has the id/);
    // Each change is in the sync log, by fingerprint, with who made it, newest first.
    const log = await admin<{ entries: { operation: string; why?: string; result?: string }[] }>(
      'getSyncLog',
      {},
    );
    expect(log.entries.filter((e) => e.operation === 'token').map((e) => [e.why, e.result])).toEqual([
      [`revoked on the admin page by ${adminId}`, `token ${first.view.fingerprint} refused from now on`],
      [`generated on the admin page by ${adminId}`, `token ${second.view.fingerprint} accepted`],
      [`generated on the admin page by ${adminId}`, `token ${first.view.fingerprint} accepted`],
    ]);
    // The secret holds hashes only.
    const kvs = test.load<typeof import('@forge/kvs')>('@forge/kvs').kvs;
    const stored = JSON.stringify(await kvs.getSecret('scim-tokens'));
    expect(stored).toContain(hashToken(second.token));
    expect(stored).not.toContain(second.token);
  });

  it('loses no token to two changes at once: a double-click gets one token, or a clear refusal', async () => {
    const clicks = await Promise.allSettled([
      admin<{ token: string }>('generateToken'),
      admin<{ token: string }>('generateToken'),
    ]);
    const made = clicks.flatMap((c) => (c.status === 'fulfilled' ? [c.value.token] : []));
    const refused = clicks.flatMap((c) => (c.status === 'rejected' ? [String(c.reason)] : []));
    expect(made.length).toBeGreaterThanOrEqual(1);
    for (const reason of refused) expect(reason).toMatch(/Another change to the tokens is in progress/);
    // Every token the admin was shown works, and no other is live.
    expect((await admin<{ tokens: TokenView[] }>('listTokens')).tokens).toHaveLength(made.length);
    for (const token of made) expect((await scim('GET', '/Users', token))[0]).toBe(200);

    // A change in progress (its lease) refuses another; the lease goes with the change.
    const kvs = test.load<typeof import('@forge/kvs')>('@forge/kvs').kvs;
    const leases = kvs.entity<{ owner: string; value: string; at: number }>('scim-claim');
    await leases.set('lease:scim-tokens', { owner: 'someone-else', value: 'scim-tokens', at: Date.now() });
    await expect(admin('revokeToken', { id: 'x' })).rejects.toThrow(
      'Another change to the tokens is in progress: try again in a moment.',
    );
    // Its holder died a minute ago: the lease is taken over (no TTL is relied on), then freed.
    await leases.set('lease:scim-tokens', {
      owner: 'someone-else',
      value: 'scim-tokens',
      at: Date.now() - 61_000,
    });
    await expect(admin('revokeToken', { id: 'x' })).rejects.toThrow(/No live token has the id "x"/);
    expect(await leases.get('lease:scim-tokens')).toBeUndefined();
  });

  it('records "last used" at most once per token per five minutes, with no storage write on most requests', async () => {
    const { token, view } = await admin<{ token: string; view: TokenView }>('generateToken');
    const start = Date.now();
    expect((await scim('GET', '/Users', token))[0]).toBe(200);
    const [used] = (await admin<{ tokens: TokenView[] }>('listTokens')).tokens;
    expect(used.lastUsedAt).toBeGreaterThanOrEqual(start);

    const calls = countKvs();
    for (let i = 0; i < 5; i++) expect((await scim('GET', '/Users', token))[0]).toBe(200);
    expect(calls.filter((path) => /\/(secret\/)?(set|delete)$/.test(path))).toEqual([]);
    expect(calls.filter((path) => path.startsWith('/api/v1/secret/'))).toEqual([]);
    expect((await admin<{ tokens: TokenView[] }>('listTokens')).tokens[0].lastUsedAt).toBe(used.lastUsedAt);

    // Six minutes later the next request records its time, once.
    const later = start + 6 * 60_000;
    jest.spyOn(Date, 'now').mockReturnValue(later);
    calls.length = 0;
    await scim('GET', '/Users', token);
    await scim('GET', '/Users', token);
    expect(calls.filter((path) => path === '/api/v1/set')).toHaveLength(1);
    const status = await admin<AdminStatus>('getStatus');
    expect(status.tokens).toEqual([{ ...view, lastUsedAt: later }]);
    expect(status.lastScimRequestAt).toBe(later);
  });

  it('never records a refused token', async () => {
    await admin('generateToken');
    const calls = countKvs();
    expect((await scim('GET', '/Users', 'not-the-token'))[0]).toBe(401);
    expect(calls.filter((path) => path === '/api/v1/set')).toEqual([]);
    expect((await admin<AdminStatus>('getStatus')).lastScimRequestAt).toBeUndefined();
  });

  it('keeps a token seeded as npm start does, and reads a hash stored before several tokens', async () => {
    const tokens = await test.runtime.loadModule<typeof import('../../src/forge/tokens')>('forge/tokens');
    await tokens.installToken('fixed-token');
    const [seeded] = (await admin<{ tokens: TokenView[] }>('listTokens')).tokens;
    // Seeding the same token again (every npm start) keeps it: same id, same creation time.
    await tokens.installToken('fixed-token');
    expect((await admin<{ tokens: TokenView[] }>('listTokens')).tokens).toEqual([seeded]);
    expect(seeded.fingerprint).toMatch(/^…[0-9a-f]{8}$/);
    expect((await scim('GET', '/Users', 'fixed-token'))[0]).toBe(200);

    const kvs = test.load<typeof import('@forge/kvs')>('@forge/kvs').kvs;
    await kvs.deleteSecret('scim-tokens');
    await kvs.setSecret('scim-token-hashes', [hashToken('old-token')]);
    const legacy = await test.runtime.loadModule<typeof import('../../src/forge/tokens')>('forge/tokens');
    expect(await legacy.hasToken()).toBe(true);
    const { tokens: listed } = await admin<{ tokens: TokenView[] }>('listTokens');
    expect(listed).toEqual([
      { id: 'legacy-1', fingerprint: 'set before fingerprints were kept', createdAt: 0 },
    ]);
    // Generating a token keeps the old one valid, in the new format.
    const { token } = await admin<{ token: string }>('generateToken');
    expect(await kvs.getSecret('scim-token-hashes')).toBeUndefined();
    expect((await scim('GET', '/Users', 'old-token'))[0]).toBe(200);
    expect((await scim('GET', '/Users', token))[0]).toBe(200);
  });
});

describe('policies', () => {
  it('answers the defaults, refuses a bad document with every reason, and stores a good one', async () => {
    expect(await admin('getPolicies')).toEqual({ policies: DEFAULT_POLICIES, source: 'default' });
    const refused = await admin('savePolicies', {
      policies: {
        dryrun: true,
        groups: { rewrite: { pattern: '([a-z', replacement: '' } },
        seatCap: { limit: 0 },
      },
    });
    expect(refused).toEqual({
      ok: false,
      problems: [
        { path: 'dryrun', reason: expect.stringMatching(/^unknown field/) },
        {
          path: 'groups.rewrite.pattern',
          reason: expect.stringMatching(/^does not compile: Invalid regular expression/),
        },
        { path: 'seatCap.limit', reason: expect.stringMatching(/whole number/) },
      ],
    });
    expect(await admin('getPolicies')).toMatchObject({ source: 'default' });
    expect(await admin('savePolicies', {})).toMatchObject({ ok: false, problems: [{ path: '(document)' }] });

    const wanted: Policies = {
      ...DEFAULT_POLICIES,
      deactivation: { action: 'none', restoreMemberships: false },
      groups: { ...DEFAULT_POLICIES.groups, prefix: 'idp-' },
      seatCap: { limit: 10 },
    };
    expect(await admin('savePolicies', { policies: wanted })).toEqual({ ok: true, policies: wanted });
    expect(await admin('getPolicies')).toEqual({ policies: wanted, source: 'admin' });
    // The change is in the Activity log, with who made it; the refused ones are not.
    const log = await admin<{ entries: { operation: string; why?: string; result?: string }[] }>(
      'getSyncLog',
      {},
    );
    expect(log.entries.filter((e) => e.operation === 'policies')).toEqual([
      expect.objectContaining({
        status: 'ok',
        why: `saved on the admin page by ${adminId}`,
        result: 'apply from the next sync run',
      }),
    ]);
  });

  it('falls back to the default of a stored section that no longer validates, keeping the rest', async () => {
    const kvs = test.load<typeof import('@forge/kvs')>('@forge/kvs').kvs;
    await kvs.set('provisioning-policies', {
      source: 'admin',
      savedAt: 1,
      policies: { ...DEFAULT_POLICIES, dryRun: true, deletion: { action: 'delete-account' } },
    });
    expect(await admin('getPolicies')).toEqual({
      policies: { ...DEFAULT_POLICIES, dryRun: true },
      source: 'admin',
    });
    expect(test.logs.join('\n')).toContain(
      'Stored policies no longer validate; these sections use their defaults',
    );
  });

  it('reaches the sync: a saved dry run plans instead of writing to Atlassian', async () => {
    const { token } = await admin<{ token: string }>('generateToken');
    await admin('saveAtlassianConnection', {
      orgId: org.orgId,
      directoryId: org.directoryId,
      apiKey: org.apiKey,
    });
    expect(await admin('savePolicies', { policies: { dryRun: true } })).toMatchObject({ ok: true });
    expect((await scim('POST', '/Users', token, { userName: 'planned@example.com' }))[0]).toBe(201);
    await sweep(test);
    expect(await client(org).accountOf('planned@example.com')).toBeUndefined();
    const log = await admin<{ entries: { status: string; operation: string }[] }>('getSyncLog', {
      status: 'planned',
    });
    expect(log.entries.map((e) => e.operation)).toContain('invite');
  });
});

describe('retryResource', () => {
  it('marks one user for a forced reconcile, and refuses what does not exist', async () => {
    const { token } = await admin<{ token: string }>('generateToken');
    const [, user] = await scim('POST', '/Users', token, { userName: 'retry@example.com' });
    await expect(admin('retryResource', { resourceType: 'user', resource: 'nope' })).rejects.toThrow(
      'No user with the SCIM id "nope": it may have been deleted.',
    );
    await expect(admin('retryResource', { resourceType: 'account', resource: user.id })).rejects.toThrow(
      /resourceType "user" or "group"/,
    );
    expect(await admin('retryResource', { resourceType: 'user', resource: user.id })).toEqual({
      queued: true,
    });
    const job = await test.runtime.store.get<{ doc: { id: string; force?: boolean } }>(
      'sync-job',
      `user:${user.id}`,
    );
    expect(job?.doc).toMatchObject({ id: user.id, force: true });

    // Connected, the consumer is queued and provisions the user.
    await admin('saveAtlassianConnection', {
      orgId: org.orgId,
      directoryId: org.directoryId,
      apiKey: org.apiKey,
    });
    await admin('retryResource', { resourceType: 'user', resource: user.id });
    expect(await test.runtime.events.pending()).toBeGreaterThan(0);
    await test.runtime.events.drain();
    expect(await client(org).accountOf('retry@example.com')).toBeDefined();
  });
});

describe('getStatus', () => {
  it('tells the base URL whole and split, the tokens, counts, pending, failures and health', async () => {
    const idle = await admin<AdminStatus>('getStatus');
    expect(idle).toEqual({
      scimBaseUrl: 'http://127.0.0.1:8787/scim/v2',
      scimHost: '127.0.0.1:8787',
      scimPath: '/scim/v2',
      tokenConfigured: false,
      tokens: [],
      users: 0,
      groups: 0,
      pending: 0,
      failed: 0,
      health: {
        state: 'idle',
        message: 'No token yet: generate one and paste it into the identity provider.',
      },
      licence: expect.objectContaining({ state: 'none', writesAllowed: true }),
    });

    const { token, view } = await admin<{ token: string; view: TokenView }>('generateToken');
    expect((await admin<AdminStatus>('getStatus')).health).toEqual({
      state: 'warning',
      message: 'Atlassian is not connected: changes wait until it is.',
    });
    await admin('saveAtlassianConnection', {
      orgId: org.orgId,
      directoryId: org.directoryId,
      apiKey: org.apiKey,
    });
    expect((await admin<AdminStatus>('getStatus')).health).toEqual({
      state: 'idle',
      message: 'Waiting for the first request from the identity provider.',
    });

    await scim('POST', '/Users', token, { userName: 'a@example.com' });
    await scim('POST', '/Groups', token, { displayName: 'Team' });
    const busy = await admin<AdminStatus>('getStatus');
    expect(busy).toMatchObject({
      tokenConfigured: true,
      tokens: [{ id: view.id, fingerprint: view.fingerprint }],
      users: 1,
      groups: 1,
      pending: 2,
      failed: 0,
      health: {
        state: 'ok',
        message: 'Provisioning works: the identity provider last called 0 minutes ago.',
      },
    });
    expect(busy.lastScimRequestAt).toBe(busy.tokens[0].lastUsedAt);

    await sweep(test);
    expect(await admin<AdminStatus>('getStatus')).toMatchObject({ pending: 0, failed: 0 });

    // A day and more of silence is an error.
    jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 25 * 3600_000);
    expect((await admin<AdminStatus>('getStatus')).health).toEqual({
      state: 'error',
      message: 'Nothing has arrived from the identity provider for 25 hours: check its provisioning job.',
    });
  });

  it('warns from 14 days before the Atlassian key expires, as saved with the connection', async () => {
    const { token } = await admin<{ token: string }>('generateToken');
    await scim('GET', '/Users', token);
    const inDays = (days: number) => new Date(Date.now() + days * 24 * 3600_000).toISOString().slice(0, 10);
    const connection = { orgId: org.orgId, directoryId: org.directoryId, apiKey: org.apiKey };
    await admin('saveAtlassianConnection', { ...connection, expiresOn: inDays(10) });
    expect((await admin<AdminStatus>('getStatus')).health).toEqual({
      state: 'warning',
      message: `The Atlassian credential (API key or token) expires on ${inDays(10)}: create a new one before then.`,
    });
    await admin('saveAtlassianConnection', { ...connection, expiresOn: inDays(90) });
    expect((await admin<AdminStatus>('getStatus')).health.state).toBe('ok');
  });

  it('counts the day’s failures and turns red when they pile up', async () => {
    const { token } = await admin<{ token: string }>('generateToken');
    // A directory the organization does not have: every call Atlassian gets fails (404).
    await admin('saveAtlassianConnection', {
      orgId: org.orgId,
      directoryId: 'not-a-directory',
      apiKey: org.apiKey,
    });
    let created = 0;
    const failing = async (users: number) => {
      for (let i = 0; i < users; i++)
        await scim('POST', '/Users', token, { userName: `u${created++}@example.com` });
      await sweep(test);
      return admin<AdminStatus>('getStatus');
    };
    // Each user's failed reconcile logs its failed call(s): a few is a warning...
    const few = await failing(2);
    expect(few).toMatchObject({ users: 2, pending: 2 });
    expect(few.failed).toBeGreaterThanOrEqual(2);
    expect(few.failed).toBeLessThan(10);
    expect(few.health).toEqual({
      state: 'warning',
      message: `${few.failed} failures in the sync log in the last 24 hours: see Activity.`,
    });
    // ... ten or more in a day is an error.
    const many = await failing(10);
    expect(many.failed).toBeGreaterThanOrEqual(10);
    expect(many.health).toEqual({
      state: 'error',
      message: `${many.failed} failures in the sync log in the last 24 hours: see Activity.`,
    });
  });
});

describe('secrets', () => {
  it('are never in any resolver answer: not a token, not its hash, not the API key', async () => {
    const answers: [string, unknown][] = [];
    const call = async <T>(functionKey: string, payload?: unknown) => {
      const answer = await admin<T>(functionKey, payload);
      answers.push([functionKey, answer]);
      return answer;
    };
    const first = await admin<{ token: string; view: TokenView }>('generateToken');
    const second = await admin<{ token: string; view: TokenView }>('generateToken');
    const secrets = [first.token, second.token, hashToken(first.token), hashToken(second.token), org.apiKey];
    await scim('POST', '/Users', first.token, { userName: 'a@example.com' });
    await call('saveAtlassianConnection', {
      orgId: org.orgId,
      directoryId: org.directoryId,
      apiKey: org.apiKey,
    });
    await call('getAtlassianConnection');
    await call('testAtlassianConnection');
    await call('getStatus');
    await call('listTokens');
    await call('getPolicies');
    await call('savePolicies', { policies: DEFAULT_POLICIES });
    await call('savePolicies', { policies: { x: org.apiKey } });
    await sweep(test);
    await call('getSyncLog', {});
    await call('revokeToken', { id: first.view.id });
    await call('getStatus');
    for (const [functionKey, answer] of answers) {
      const text = JSON.stringify(answer);
      for (const secret of secrets)
        expect({ functionKey, leaks: text.includes(secret) }).toEqual({ functionKey, leaks: false });
    }
    // A new token is answered once, by the call that made it, and holds nothing else secret.
    for (const [own, other] of [
      [first, second],
      [second, first],
    ]) {
      const text = JSON.stringify(own);
      expect(text).toContain(own.token);
      for (const secret of [other.token, hashToken(own.token), hashToken(other.token), org.apiKey])
        expect(text.includes(secret)).toBe(false);
    }
  });
});
