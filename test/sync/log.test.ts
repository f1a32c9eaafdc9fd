/**
 * The sync log: SCIM requests recorded at no extra round trip for writes, failures recorded
 * (throttled), reads not; queries by resource, status and time with cursor paging; retention.
 */
import { ENTITIES } from '../../src/entities';
import { LocalEntityStore } from '../../src/local/entity-store';
import { guessIdp, LOG_RETENTION_MS, LogEntry, SyncLog } from '../../src/sync/log';
import { createTestApp, TOKEN } from '../support/harness';
import { START } from './support';

describe('SCIM requests in the sync log', () => {
  it('writes are recorded inside their own transaction, with the identity provider and no secrets', async () => {
    const t = createTestApp();
    t.store.reset();
    const created = await t.request('POST', '/Users', {
      body: {
        userName: 'ada@example.com',
        password: 'hunter2-secret',
        emails: [{ value: 'ada@example.com' }],
      },
      headers: { 'User-Agent': 'Okta SCIM Client 1.0.0' },
    });
    expect(created.status).toBe(201);
    // The entry rode in the create's transaction: still one transaction.
    expect(t.store.counts.transact).toBe(1);
    const { entries } = await t.app.sync.log.query();
    expect(entries).toEqual([
      expect.objectContaining({
        source: 'scim',
        operation: 'POST /Users',
        status: 'ok',
        resource: created.body.id,
        resourceType: 'user',
        httpStatus: 201,
        idp: 'okta',
      }),
    ]);
    const text = JSON.stringify(entries);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('hunter2');

    await t.request('PATCH', `/Users/${created.body.id}`, {
      body: { Operations: [{ op: 'replace', path: 'active', value: false }] },
    });
    await t.request('DELETE', `/Users/${created.body.id}`);
    const byResource = await t.app.sync.log.query({ resource: created.body.id });
    expect(byResource.entries.map((e) => [e.operation.split(' ')[0], e.httpStatus])).toEqual([
      ['DELETE', 204],
      ['PATCH', 204],
      ['POST', 201],
    ]);
  });

  it('reads are not recorded; failures are, at most one per status every few seconds', async () => {
    const t = createTestApp();
    expect((await t.request('GET', '/Users')).status).toBe(200);
    expect((await t.app.sync.log.query()).entries).toEqual([]);

    // Refused for a wrong token: counted, not logged (test/sync/refused-requests.test.ts).
    expect((await t.request('GET', '/Users', { token: 'wrong' })).status).toBe(401);
    expect((await t.request('GET', '/Users/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await t.request('GET', '/Users/00000000-0000-4000-8000-000000000001')).status).toBe(404);
    const failed = await t.app.sync.log.query({ status: 'failed' });
    expect(failed.entries.map((e) => [e.operation, e.httpStatus])).toEqual([
      ['GET /Users/00000000-0000-4000-8000-000000000000', 404],
    ]);
    expect(failed.entries[0].resource).toBe('00000000-0000-4000-8000-000000000000');
    expect(JSON.stringify(failed.entries)).not.toContain('wrong');
  });

  it('guesses the identity provider from User-Agent', () => {
    expect(guessIdp('Okta SCIM Client 1.0.0')).toBe('okta');
    expect(guessIdp('Microsoft Azure AD SCIM client')).toBe('entra');
    expect(guessIdp('miniOrange-SCIM/1.0')).toBe('miniorange');
    expect(guessIdp('SomethingElse/2')).toBe('other');
    expect(guessIdp(undefined)).toBe('unknown');
  });
});

describe('querying and pruning the log', () => {
  let now: number;
  let log: SyncLog;
  let store: LocalEntityStore;

  beforeEach(async () => {
    now = START;
    store = new LocalEntityStore(ENTITIES);
    log = new SyncLog(store, () => now);
    for (let i = 0; i < 130; i++) {
      now = START + i * 60_000;
      await log.write({
        source: 'atlassian',
        operation: i % 2 === 0 ? 'invite' : 'addMember',
        status: i % 10 === 0 ? 'failed' : 'ok',
        resource: i % 3 === 0 ? 'user-a' : 'user-b',
        error: i % 10 === 0 ? 'x'.repeat(2_000) : undefined,
      });
    }
  });

  async function all(query: Parameters<SyncLog['query']>[0]): Promise<LogEntry[]> {
    const entries: LogEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await log.query({ ...query, cursor });
      entries.push(...page.entries);
      cursor = page.cursor;
    } while (cursor);
    return entries;
  }

  it('pages newest first with a cursor, without gaps or repeats', async () => {
    const first = await log.query({ limit: 50 });
    expect(first.entries).toHaveLength(50);
    expect(first.cursor).toBeDefined();
    const entries = await all({ limit: 50 });
    expect(entries).toHaveLength(130);
    expect(new Set(entries.map((e) => e.id)).size).toBe(130);
    expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort((a, b) => b - a));
    // Long texts are cut.
    expect(entries.find((e) => e.status === 'failed')?.error?.length).toBeLessThanOrEqual(501);
  });

  it("pages with a position of its own, not the store's cursor, through a millisecond of many entries", async () => {
    // 30 entries written in one millisecond (a batch's entries share a clock reading).
    now = START + 200 * 60_000;
    for (let i = 0; i < 30; i++)
      await log.write({ source: 'sync', operation: `same-${i}`, status: 'ok', resource: 'user-a' });
    const first = await log.query({ limit: 7 });
    // The cursor says where, in time, the page ended: no store cursor crosses invocations.
    expect(first.cursor).toBe(`${now}.7`);
    const pages: LogEntry[][] = [];
    let cursor: string | undefined;
    do {
      const page = await log.query({ limit: 7, cursor });
      pages.push(page.entries);
      cursor = page.cursor;
    } while (cursor);
    const entries = pages.flat();
    expect(entries).toHaveLength(160);
    expect(new Set(entries.map((e) => e.id)).size).toBe(160);
    // By resource, with a status filter checked on the page: still every entry once.
    const ofA = await all({ resource: 'user-a', status: 'ok', limit: 9 });
    expect(ofA).toHaveLength(30 + 44 - 5);
    expect(new Set(ofA.map((e) => e.id)).size).toBe(ofA.length);
    // A cursor it did not make (an old store cursor) starts from the newest.
    expect((await log.query({ limit: 3, cursor: 'opaque-store-cursor' })).entries).toEqual(
      (await log.query({ limit: 3 })).entries,
    );
  });

  it('filters by resource, status and time, alone and together', async () => {
    expect(await all({ resource: 'user-a' })).toHaveLength(44);
    expect(await all({ status: 'failed' })).toHaveLength(13);
    // Failed entries of user-a: i divisible by 30.
    expect((await all({ resource: 'user-a', status: 'failed' })).map((e) => e.at)).toEqual(
      [120, 90, 60, 30, 0].map((i) => START + i * 60_000),
    );
    const recent = await all({ since: START + 100 * 60_000 });
    expect(recent).toHaveLength(30);
    expect(
      await all({ since: START + 100 * 60_000, until: START + 109 * 60_000, status: 'ok' }),
    ).toHaveLength(9);
  });

  it('prunes what is older than the retention window', async () => {
    now = START + LOG_RETENTION_MS + 100 * 60_000;
    expect(await log.prune()).toBe(100);
    const left = await all({});
    expect(left).toHaveLength(30);
    expect(Math.min(...left.map((e) => e.at))).toBe(START + 100 * 60_000);
    expect(await log.prune()).toBe(0);
  });
});
