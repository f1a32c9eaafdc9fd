/**
 * The overview's health line (src/forge/status.ts), for each reason it can give: the worst
 * severity wins and names every reason of that severity. (getStatus end to end, with the
 * counts, the tokens and the last request, is in admin-resolvers.test.ts.)
 */
import type { AdminLicence, AdminStatus, TokenView } from '../../src/forge/admin-api';
import {
  ago,
  buildStatus,
  countPending,
  health,
  STATUS_COUNT_CAP,
  StatusInputs,
} from '../../src/forge/status';
import type { EntityStore, IndexQuery } from '../../src/storage/port';
import { adminSite } from '../support/admin-site';
import { createTestRuntime } from '../support/forge-runtime';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const licensed: AdminLicence = { state: 'active', writesAllowed: true, detail: 'active' };
const token = (createdAt: number, lastUsedAt?: number): TokenView => ({
  id: `tok_${createdAt}`,
  fingerprint: '…00000000',
  createdAt,
  ...(lastUsedAt !== undefined ? { lastUsedAt } : {}),
});

function inputs(overrides: Partial<StatusInputs> = {}): StatusInputs {
  return {
    scimBaseUrl: 'https://x.hello.atlassian-dev.net/x1/abc/scim/v2',
    tokens: [token(NOW - 2 * DAY, NOW - HOUR)],
    users: 3,
    groups: 1,
    pending: { count: 0, capped: false },
    failed: { count: 0, capped: false },
    licence: licensed,
    connected: true,
    now: NOW,
    ...overrides,
  };
}

describe('the health line', () => {
  it('is ok while the identity provider calls and nothing fails', () => {
    expect(health(inputs())).toEqual({
      state: 'ok',
      message: 'Provisioning works: the identity provider last called 1 hour ago.',
    });
  });

  it('is idle before a token, and while a new token waits for its first request', () => {
    expect(health(inputs({ tokens: [] })).state).toBe('idle');
    expect(health(inputs({ tokens: [token(NOW - 2 * HOUR)] }))).toEqual({
      state: 'idle',
      message: 'Waiting for the first request from the identity provider.',
    });
  });

  it('turns red when nothing arrived for a day, even from a token never used', () => {
    expect(health(inputs({ tokens: [token(NOW - 5 * DAY, NOW - 3 * DAY)] }))).toEqual({
      state: 'error',
      message: 'Nothing has arrived from the identity provider for 3 days: check its provisioning job.',
    });
    expect(health(inputs({ tokens: [token(NOW - 30 * HOUR)] }))).toEqual({
      state: 'error',
      message:
        'The identity provider has not called in the 30 hours since the token was generated: check the base URL and token it uses.',
    });
    // The newer of two tokens decides, and the latest use of either.
    expect(
      health(inputs({ tokens: [token(NOW - 9 * DAY, NOW - 8 * DAY), token(NOW - DAY, NOW - 60_000)] })).state,
    ).toBe('ok');
  });

  it('warns for a few failures and turns red when they pile up, saying when counting stopped', () => {
    expect(health(inputs({ failed: { count: 1, capped: false } }))).toEqual({
      state: 'warning',
      message: '1 failure in the sync log in the last 24 hours: see Activity.',
    });
    expect(health(inputs({ failed: { count: 500, capped: true } }))).toEqual({
      state: 'error',
      message: '500 or more failures in the sync log in the last 24 hours: see Activity.',
    });
  });

  it('warns before the licence ends and turns red once writes are refused', () => {
    const ending = { ...licensed, endDate: '2026-12-10T00:00:00.000Z' };
    expect(health(inputs({ licence: ending }))).toEqual({
      state: 'warning',
      message: "The app's licence ends on 2026-12-10: renew it to keep provisioning.",
    });
    expect(health(inputs({ licence: { ...licensed, endDate: '2027-06-01' } })).state).toBe('ok');
    const inactive: AdminLicence = { state: 'inactive', writesAllowed: false, detail: 'Licence inactive.' };
    expect(health(inputs({ licence: inactive }))).toEqual({ state: 'error', message: 'Licence inactive.' });
  });

  it('warns 14 days before the Atlassian key expires, and turns red once it has', () => {
    expect(health(inputs({ credentialExpiresAt: '2026-12-12' }))).toEqual({
      state: 'warning',
      message:
        'The Atlassian credential (API key or token) expires on 2026-12-12: create a new one before then.',
    });
    expect(health(inputs({ credentialExpiresAt: '2027-01-30' })).state).toBe('ok');
    expect(health(inputs({ credentialExpiresAt: '2026-12-01' }))).toEqual({
      state: 'error',
      message:
        'The Atlassian credential (API key or token) expired on 2026-12-01: create a new one and save it.',
    });
  });

  it('names every reason of the worst severity, and only those', () => {
    const result = health(
      inputs({
        tokens: [token(NOW - 9 * DAY, NOW - 2 * DAY)],
        failed: { count: 12, capped: false },
        connected: false,
      }),
    );
    expect(result.state).toBe('error');
    expect(result.message).toBe(
      'Nothing has arrived from the identity provider for 2 days: check its provisioning job. 12 failures in the sync log in the last 24 hours: see Activity.',
    );
    expect(health(inputs({ connected: false }))).toEqual({
      state: 'warning',
      message: 'Atlassian is not connected: changes wait until it is.',
    });
  });
});

describe('the status', () => {
  it('splits the base URL into host and path, and says when a count stopped', () => {
    const status = buildStatus(inputs({ pending: { count: 500, capped: true } }));
    expect(status).toMatchObject({
      scimBaseUrl: 'https://x.hello.atlassian-dev.net/x1/abc/scim/v2',
      scimHost: 'x.hello.atlassian-dev.net',
      scimPath: '/x1/abc/scim/v2',
      pending: 500,
      pendingAtLeast: true,
      lastScimRequestAt: NOW - HOUR,
    });
    expect(status).not.toHaveProperty('failedAtLeast');
  });

  it('says how long ago in words', () => {
    expect([ago(0), ago(60_000), ago(59 * 60_000), ago(HOUR), ago(47 * HOUR), ago(3 * DAY)]).toEqual([
      '0 minutes',
      '1 minute',
      '59 minutes',
      '1 hour',
      '47 hours',
      '3 days',
    ]);
  });
});

describe('counting what waits', () => {
  it('reads at most five index pages, whatever is marked, and says so when it stops', async () => {
    const site = adminSite();
    const test = createTestRuntime({ products: site.products });
    try {
      const marks = (from: number, count: number, kind = 'user') =>
        Array.from({ length: count }, (_, i) => ({
          type: 'set' as const,
          entity: 'sync-job',
          key: `${kind}:u${from + i}`,
          value: { kind, at: NOW + from + i, n: 'x', doc: { id: `u${from + i}` } },
        }));
      const store = test.runtime.store;
      // A full reconcile's walk jobs are not users or groups; a group with member slices
      // queued (src/sync/member-slices.ts) counts once, with or without its own job.
      const slices = ['g1:0', 'g1:1', 'g2:0'].map((id, i) => ({
        type: 'set' as const,
        entity: 'sync-job',
        key: `members:${id}`,
        value: { kind: 'members', at: NOW + i, n: 'x', doc: { id, until: 'z' } },
      }));
      const g1 = {
        type: 'set' as const,
        entity: 'sync-job',
        key: 'group:g1',
        value: { kind: 'group', at: NOW, n: 'x', doc: { id: 'g1' } },
      };
      await store.transact([...marks(0, 18), ...marks(0, 2, 'all'), ...slices, g1]);
      const queries: IndexQuery[] = [];
      const counting: EntityStore = Object.create(store, {
        query: { value: (query: IndexQuery) => (queries.push(query), store.query(query)) },
      });
      expect(await countPending(counting)).toEqual({ count: 20, capped: false });
      expect(queries).toHaveLength(1);

      for (let i = 18; i < STATUS_COUNT_CAP + 40; i += 25) await store.transact(marks(i, 25));
      queries.length = 0;
      // Of the first 500 marks read: 2 walks, and 4 jobs (g1, its 2 slices, g2's) that are 2 groups.
      expect(await countPending(counting)).toEqual({ count: STATUS_COUNT_CAP - 4, capped: true });
      expect(queries).toHaveLength(5);
      const status = (await test.runtime.invokeResolver({
        moduleKey: 'scim-admin-jira',
        functionKey: 'getStatus',
        accountId: site.adminId,
      })) as AdminStatus;
      expect(status).toMatchObject({ pending: STATUS_COUNT_CAP - 4, pendingAtLeast: true });
    } finally {
      await test.close();
    }
  });
});
