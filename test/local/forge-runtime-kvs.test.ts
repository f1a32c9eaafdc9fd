/**
 * The offline runtime's Key-Value Store and secrets, driven by the real @forge/kvs client:
 * the answers must be what its error handling parses (ForgeKvsAPIError with Forge's code).
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as Kvs from '@forge/kvs';
import type { ForgeEntityStore } from '../../src/forge/kvs-store';
import { CONDITION_FAILED_ANSWERS, KEY_EXISTS_ANSWERS } from '../../src/local/forge-runtime/kvs';
import { parseManifest } from '../../src/local/forge-runtime/manifest';
import { createTestRuntime, TestRuntime } from '../support/forge-runtime';

let test: TestRuntime;
let kvs: typeof Kvs;

beforeEach(() => {
  test = createTestRuntime();
  kvs = test.load<typeof Kvs>('@forge/kvs');
});
afterEach(() => test.close());

/** The code of the ForgeKvsAPIError a call throws. */
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'no error',
    (error: { code?: string }) =>
      `${error instanceof kvs.ForgeKvsAPIError ? 'ForgeKvsAPIError' : 'other'}:${error.code}`,
  );

describe('secrets', () => {
  it('stores, reads and deletes a secret; a missing one reads as undefined', async () => {
    expect(await kvs.kvs.getSecret('token')).toBeUndefined();
    await kvs.kvs.setSecret('token', ['hash-1']);
    expect(await kvs.kvs.getSecret('token')).toEqual(['hash-1']);
    await kvs.kvs.deleteSecret('token');
    expect(await kvs.kvs.getSecret('token')).toBeUndefined();
    await kvs.kvs.deleteSecret('token');
  });

  it('keeps secrets out of key queries and apart from plain keys', async () => {
    await kvs.kvs.setSecret('shared', 'secret');
    await kvs.kvs.set('shared', 'plain');
    expect(await kvs.kvs.getSecret('shared')).toBe('secret');
    const page = await kvs.kvs.query().where('key', kvs.WhereConditions.beginsWith('sh')).getMany();
    expect(page.results).toEqual([{ key: 'shared', value: 'plain' }]);
  });

  it('limits secrets to 128 KiB and checks keys', async () => {
    expect(await codeOf(kvs.kvs.setSecret('big', 'x'.repeat(128 * 1024)))).toBe('ForgeKvsAPIError:MAX_SIZE');
    expect(await codeOf(kvs.kvs.setSecret('a/b', 'x'))).toBe('ForgeKvsAPIError:INVALID_KEY');
    expect(await codeOf(kvs.kvs.getSecret(''))).toBe('ForgeKvsAPIError:KEY_TOO_SHORT');
    expect(await codeOf(kvs.kvs.getSecret('k'.repeat(501)))).toBe('ForgeKvsAPIError:KEY_TOO_LONG');
  });

  it('survives a restart of the runtime on the same DATA_DIR', async () => {
    await kvs.kvs.setSecret('token', ['hash-1']);
    const dataDir = test.dataDir;
    await test.runtime.stop();
    const again = createTestRuntime({ dataDir });
    try {
      expect(await again.load<typeof Kvs>('@forge/kvs').kvs.getSecret('token')).toEqual(['hash-1']);
      expect(fs.readFileSync(path.join(dataDir, 'store', 'snapshot.json'), 'utf8')).toContain('hash-1');
    } finally {
      await again.runtime.stop();
    }
  });
});

describe('plain keys', () => {
  it('sets any JSON value, honours FAIL_IF_EXISTS, returnValue and metadata', async () => {
    await kvs.kvs.set('n', 1);
    await kvs.kvs.set('list', [1, 'two']);
    expect(await kvs.kvs.get('list')).toEqual([1, 'two']);
    // Refused with a status and code the docs do not name (they vary): the value stays.
    expect(await codeOf(kvs.kvs.set('n', 2, { keyPolicy: 'FAIL_IF_EXISTS' }))).toMatch(/^ForgeKvsAPIError:/);
    expect(await kvs.kvs.get('n')).toBe(1);
    const previous = await kvs.kvs.set('n', 3, { keyPolicy: 'OVERRIDE', returnValue: 'PREVIOUS' });
    expect(previous).toMatchObject({ key: 'n', value: 1 });
    const latest = await kvs.kvs.set('n', 4, { keyPolicy: 'OVERRIDE', returnValue: 'LATEST' });
    expect(latest).toMatchObject({ key: 'n', value: 4 });
    const withMeta = await kvs.kvs.get('n', { metadataFields: [kvs.MetadataField.CREATED_AT] });
    expect(withMeta).toMatchObject({ key: 'n', value: 4, createdAt: expect.any(Number) });
    await kvs.kvs.delete('n');
    expect(await kvs.kvs.get('n')).toBeUndefined();
  });

  it('expires values after their TTL (with no deletion delay configured)', async () => {
    let now = 1_000_000;
    await test.close();
    test = createTestRuntime({ now: () => now });
    test.runtime.kvs.configure({ ttlGraceMs: 0 });
    kvs = test.load<typeof Kvs>('@forge/kvs');
    await kvs.kvs.set('short', 'lived', { ttl: { value: 5, unit: 'SECONDS' } });
    expect(await kvs.kvs.get('short')).toBe('lived');
    now += 5_000;
    expect(await kvs.kvs.get('short')).toBeUndefined();
    await kvs.kvs.set('short', 'again', { keyPolicy: 'FAIL_IF_EXISTS' });
    expect(await kvs.kvs.get('short')).toBe('again');
  });

  it('pages key queries with cursors and limits them to 100', async () => {
    for (let i = 0; i < 12; i++) await kvs.kvs.set(`item-${String(i).padStart(2, '0')}`, i);
    await kvs.kvs.set('other', 0);
    const first = await kvs.kvs
      .query()
      .where('key', kvs.WhereConditions.beginsWith('item-'))
      .limit(10)
      .getMany();
    expect(first.results).toHaveLength(10);
    const rest = await kvs.kvs
      .query()
      .where('key', kvs.WhereConditions.beginsWith('item-'))
      .cursor(first.nextCursor as string)
      .getMany();
    expect(rest.results.map((r) => r.value)).toEqual([10, 11]);
    expect(await codeOf(kvs.kvs.query().limit(101).getMany())).toBe(
      'ForgeKvsAPIError:LIST_QUERY_LIMIT_EXCEEDED',
    );
  });

  it('runs plain-key transactions and batches', async () => {
    await kvs.kvs.transact().set('a', 'A').set('b', 'B').execute();
    await kvs.kvs.transact().delete('a').execute();
    expect(await kvs.kvs.get('a')).toBeUndefined();
    const set = await kvs.kvs.batchSet([
      { key: 'c', value: 'C' },
      { key: 'bad/key', value: 'x' },
    ]);
    expect(set.successfulKeys).toEqual([{ key: 'c' }]);
    expect(set.failedKeys[0]).toMatchObject({ key: 'bad/key', error: { code: 'INVALID_KEY' } });
    const got = await kvs.kvs.batchGet([{ key: 'b' }, { key: 'missing' }]);
    expect(got.successfulKeys).toEqual([expect.objectContaining({ key: 'b', value: 'B' })]);
    expect(got.failedKeys[0]).toMatchObject({ key: 'missing', error: { code: 'KEY_NOT_FOUND' } });
    const deleted = await kvs.kvs.batchDelete([{ key: 'b' }, { key: 'c' }]);
    expect(deleted.successfulKeys).toHaveLength(2);
  });

  it('refuses values over 240 KiB or nested too deeply', async () => {
    expect(await codeOf(kvs.kvs.set('big', 'x'.repeat(240 * 1024)))).toBe('ForgeKvsAPIError:MAX_SIZE');
    let deep: unknown = 1;
    for (let i = 0; i < 32; i++) deep = [deep];
    expect(await codeOf(kvs.kvs.set('deep', deep))).toBe('ForgeKvsAPIError:MAX_DEPTH');
  });
});

describe('custom entities through @forge/kvs directly', () => {
  it('evaluates every filter condition in transactions and queries', async () => {
    const user = kvs.kvs.entity<{ userName: string; seq: number }>('scim-user');
    await user.set('u1', { userName: 'ada', seq: 1 });
    await user.set('u2', { userName: 'bob', seq: 2 });
    const F = kvs.FilterConditions;
    // The builders and/or return differ in type from Filter; check() takes any of them.
    const holds = async (filter: unknown) =>
      kvs.kvs
        .transact()
        .check('u1', { entityName: 'scim-user', conditions: filter as Kvs.Filter<Record<string, unknown>> })
        .execute()
        .then(
          () => true,
          () => false,
        );
    const f = () => new kvs.Filter<Record<string, unknown>>();
    expect(await holds(f().and('userName', F.beginsWith('a')).and('seq', F.lessThan(2)))).toBe(true);
    expect(await holds(f().or('userName', F.equalTo('zed')).or('seq', F.greaterThanEqualTo(1)))).toBe(true);
    expect(await holds(f().and('userName', F.contains('d')))).toBe(true);
    expect(await holds(f().and('userName', F.notContains('d')))).toBe(false);
    expect(await holds(f().and('externalId', F.notExists()))).toBe(true);
    expect(await holds(f().and('userName', F.exists()))).toBe(true);
    expect(await holds(f().and('seq', F.between(0, 1)))).toBe(true);
    expect(await holds(f().and('userName', F.notEqualTo('ada')))).toBe(false);
    expect(await holds(f().and('seq', F.greaterThan(1)))).toBe(false);
    expect(await holds(f().and('seq', F.lessThanEqualTo(1)))).toBe(true);

    const page = await user
      .query()
      .index('by-seq')
      .where(kvs.WhereConditions.greaterThanEqualTo(1))
      .filters(f().and('userName', F.equalTo('bob')))
      .getMany();
    expect(page.results.map((r) => r.key)).toEqual(['u2']);
    expect(await user.query().index('by-seq').getOne()).toMatchObject({ key: 'u1' });
    await user.delete('u1');
    expect(await user.get('u1')).toBeUndefined();
  });

  it('refuses TTL on entities (not emulated) and malformed filters', async () => {
    const user = kvs.kvs.entity('scim-user');
    expect(await codeOf(user.set('u', { seq: 1 }, { ttl: { value: 1, unit: 'SECONDS' } } as never))).toBe(
      'ForgeKvsAPIError:UNSUPPORTED_OFFLINE',
    );
    const range = user
      .query()
      .index('by-seq')
      .where({ condition: 'BETWEEN', values: [1] } as never);
    expect(await codeOf(range.getMany())).toBe('ForgeKvsAPIError:INSUFFICIENT_FILTER_VALUES');
  });
});

describe('failures Forge storage can answer', () => {
  it('turns an injected 429 or 503 into TransientStorageError, then recovers', async () => {
    const { ForgeEntityStore: Store } = test.load<{ ForgeEntityStore: typeof ForgeEntityStore }>(
      '../../src/forge/kvs-store',
    );
    const store = new Store();
    test.runtime.kvs.injectFault(429, 'RATE_LIMIT_EXCEEDED');
    await expect(store.get('scim-user', 'u')).rejects.toMatchObject({ name: 'TransientStorageError' });
    test.runtime.kvs.injectFault(503, 'SERVICE_UNAVAILABLE', 2);
    await expect(
      store.transact([{ type: 'set', entity: 'scim-user', key: 'u', value: { seq: 1 } }]),
    ).rejects.toMatchObject({ name: 'TransientStorageError' });
    await expect(store.createIfAbsent('scim-user', 'u', { seq: 1 })).rejects.toMatchObject({
      name: 'TransientStorageError',
    });
    await expect(store.createIfAbsent('scim-user', 'u', { seq: 1 })).resolves.toBe(true);
  });

  it('refuses storage to a manifest without the storage:app scope', async () => {
    await test.close();
    test = createTestRuntime({ manifest: parseManifest({ permissions: { scopes: [] } }) });
    kvs = test.load<typeof Kvs>('@forge/kvs');
    expect(await codeOf(kvs.kvs.get('k'))).toBe('ForgeKvsAPIError:SCOPE_NOT_GRANTED');
  });

  it('answers an unknown path and a malformed body with Forge-shaped errors', async () => {
    expect(await test.runtime.kvs.handle('/api/v1/nothing', {})).toMatchObject({
      status: 404,
      body: { code: 'UNKNOWN_OPERATION' },
    });
    expect(await test.runtime.kvs.handle('/api/v1/get', 'text')).toMatchObject({
      status: 400,
      body: { code: 'INVALID_REQUEST' },
    });
  });
});

/** The status and code of the ForgeKvsAPIError a call throws. */
const answerOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'no error',
    (error: { code?: string; responseDetails?: { status?: number } }) =>
      `${error.responseDetails?.status} ${error.code}`,
  );

describe("Forge's value rules for custom entities (storage-reference/entities-manifest, Values)", () => {
  it('refuses Date.now() in an integer attribute, a blank string and a non-boolean', async () => {
    const user = kvs.kvs.entity<Record<string, unknown>>('scim-user');
    expect(await answerOf(user.set('u', { seq: Date.now() }))).toBe('400 INVALID_ENTITY_VALUE');
    expect(await answerOf(user.set('u', { seq: 2 ** 31 }))).toBe('400 INVALID_ENTITY_VALUE');
    expect(await answerOf(user.set('u', { userName: '   ' }))).toBe('400 INVALID_ENTITY_VALUE');
    expect(await answerOf(user.set('u', { userName: '' }))).toBe('400 INVALID_ENTITY_VALUE');
    expect(await answerOf(user.set('u', { externalId: '\u00a0\t' }))).toBe('400 INVALID_ENTITY_VALUE');
    expect(
      await answerOf(
        kvs.kvs
          .transact()
          .set('u', { seq: -(2 ** 31) - 1 }, { entityName: 'scim-user' })
          .execute(),
      ),
    ).toBe('400 INVALID_ENTITY_VALUE');
    expect(await user.get('u')).toBeUndefined();
    await user.set('u', { seq: 2 ** 31 - 1, userName: ' ada ', doc: { blank: ' ' } });
    expect(await user.get('u')).toEqual({ seq: 2 ** 31 - 1, userName: ' ada ', doc: { blank: ' ' } });
  });

  it('holds epoch milliseconds in the float `at` attributes, and queries them by range', async () => {
    const log = kvs.kvs.entity<{ at: number; resource: string; status: string }>('sync-log');
    const at = 1_764_000_000_123;
    await log.set('l1', { at, resource: 'user:1', status: 'ok' });
    await log.set('l2', { at: at + 1, resource: 'user:1', status: 'ok' });
    const page = await log.query().index('by-at').where(kvs.WhereConditions.greaterThan(at)).getMany();
    expect(page.results).toEqual([{ key: 'l2', value: { at: at + 1, resource: 'user:1', status: 'ok' } }]);
    expect(await answerOf(log.set('l3', { at: 1e127, resource: 'r', status: 's' }))).toBe(
      '400 INVALID_ENTITY_VALUE',
    );
  });

  it('refuses an index value over 900 bytes (limits-kvs-ce)', async () => {
    const user = kvs.kvs.entity<Record<string, unknown>>('scim-user');
    expect(await answerOf(user.set('u', { userName: 'x'.repeat(901) }))).toBe('400 INDEX_VALUE_TOO_LARGE');
    await user.set('u', { userName: 'x'.repeat(900), doc: 'x'.repeat(10_000) });
  });

  it('keeps the runtime working: its own records hold epoch milliseconds', async () => {
    await kvs.kvs.set('k', 'v', { ttl: { value: 1, unit: 'DAYS' } });
    expect(await kvs.kvs.get('k', { metadataFields: [kvs.MetadataField.EXPIRE_TIME] })).toMatchObject({
      value: 'v',
      expireTime: expect.any(String),
    });
  });
});

describe('TTL (storage-reference/kvs-api): at most 1 year, and deletion is late', () => {
  it('refuses a TTL over 1 year or not positive', async () => {
    expect(await codeOf(kvs.kvs.set('k', 1, { ttl: { value: 366, unit: 'DAYS' } }))).toBe(
      'ForgeKvsAPIError:INVALID_TTL',
    );
    expect(await codeOf(kvs.kvs.set('k', 1, { ttl: { value: 0, unit: 'SECONDS' } }))).toBe(
      'ForgeKvsAPIError:INVALID_TTL',
    );
    await kvs.kvs.set('k', 1, { ttl: { value: 365, unit: 'DAYS' } });
  });

  it('keeps returning expired keys for a while that varies per key, and FAIL_IF_EXISTS fails meanwhile', async () => {
    let now = 1_000_000;
    await test.close();
    test = createTestRuntime({ now: () => now });
    test.runtime.kvs.configure({ ttlGraceMs: 60_000, seed: 7 });
    kvs = test.load<typeof Kvs>('@forge/kvs');
    const keys = Array.from({ length: 20 }, (_, i) => `lock-${i}`);
    for (const key of keys) await kvs.kvs.set(key, 'held', { ttl: { value: 5, unit: 'SECONDS' } });
    now += 5_000 + 30_000; // expired 30 s ago
    const still = [];
    for (const key of keys) if ((await kvs.kvs.get(key)) !== undefined) still.push(key);
    // Some keys are already gone, some are still returned: nothing may rely on either.
    expect(still.length).toBeGreaterThan(0);
    expect(still.length).toBeLessThan(keys.length);
    const expired = await kvs.kvs.get(still[0], { metadataFields: [kvs.MetadataField.EXPIRE_TIME] });
    expect(Date.parse(String(expired?.expireTime))).toBeLessThan(now);
    const listed = await kvs.kvs
      .query()
      .where('key', kvs.WhereConditions.beginsWith('lock-'))
      .limit(100)
      .getMany();
    expect(listed.results.map((r) => r.key).sort()).toEqual([...still].sort());
    expect(await answerOf(kvs.kvs.set(still[0], 'mine', { keyPolicy: 'FAIL_IF_EXISTS' }))).not.toBe(
      'no error',
    );
    expect(await kvs.kvs.get(still[0])).toBe('held');
    now += 60_000; // past every key's grace
    for (const key of keys) expect(await kvs.kvs.get(key)).toBeUndefined();
    await kvs.kvs.set(still[0], 'mine', { keyPolicy: 'FAIL_IF_EXISTS' });
    expect(await kvs.kvs.get(still[0])).toBe('mine');
  });
});

describe('undocumented answers vary (a failed condition, FAIL_IF_EXISTS on an existing key)', () => {
  const failures = async (times: number) => {
    const keyExists = new Set<string>();
    const conditionFailed = new Set<string>();
    const user = kvs.kvs.entity<Record<string, unknown>>('scim-user');
    await user.set('u', { seq: 1 });
    await kvs.kvs.set('plain', 1);
    for (let i = 0; i < times; i++) {
      keyExists.add(await answerOf(user.set('u', { seq: 2 }, { keyPolicy: 'FAIL_IF_EXISTS' })));
      keyExists.add(await answerOf(kvs.kvs.set('plain', 2, { keyPolicy: 'FAIL_IF_EXISTS' })));
      const condition = new kvs.Filter<Record<string, unknown>>().and('seq', kvs.FilterConditions.equalTo(9));
      conditionFailed.add(
        await answerOf(
          kvs.kvs
            .transact()
            .set('u', { seq: 3 } as Record<string, unknown>, {
              entityName: 'scim-user',
              conditions: condition,
            })
            .execute(),
        ),
      );
    }
    expect(await user.get('u')).toEqual({ seq: 1 });
    return { keyExists: [...keyExists], conditionFailed: [...conditionFailed] };
  };
  const spelled = (answers: readonly { status: number; code: string }[]) =>
    answers.map((a) => `${a.status} ${a.code}`);

  it('answers with several statuses and codes, at random', async () => {
    const seen = await failures(30);
    expect(seen.keyExists.length).toBeGreaterThan(1);
    expect(seen.conditionFailed.length).toBeGreaterThan(1);
    for (const answer of seen.keyExists) expect(spelled(KEY_EXISTS_ANSWERS)).toContain(answer);
    for (const answer of seen.conditionFailed) expect(spelled(CONDITION_FAILED_ANSWERS)).toContain(answer);
    expect(new Set(seen.keyExists.map((a) => a.split(' ')[0])).size).toBeGreaterThan(1);
  });

  it('can be pinned by a test', async () => {
    test.runtime.kvs.configure({
      keyExists: { status: 409, code: 'KEY_ALREADY_EXISTS' },
      conditionFailed: { status: 412, code: 'PRECONDITION_FAILED' },
    });
    expect(await failures(5)).toEqual({
      keyExists: ['409 KEY_ALREADY_EXISTS'],
      conditionFailed: ['412 PRECONDITION_FAILED'],
    });
  });

  it('repeats the same sequence for the same seed', async () => {
    test.runtime.kvs.configure({ seed: 42 });
    const first = await failures(10);
    test.runtime.kvs.configure({ seed: 42 });
    expect(await failures(10)).toEqual(first);
  });

  it('ForgeEntityStore decides by reading back, whatever the answer', async () => {
    const { ForgeEntityStore: Store } = test.load<{ ForgeEntityStore: typeof ForgeEntityStore }>(
      '../../src/forge/kvs-store',
    );
    const store = new Store();
    await store.transact([{ type: 'set', entity: 'scim-user', key: 'u', value: { seq: 1 } }]);
    for (const answer of [...KEY_EXISTS_ANSWERS, ...CONDITION_FAILED_ANSWERS]) {
      test.runtime.kvs.configure({ keyExists: answer, conditionFailed: answer });
      await expect(store.createIfAbsent('scim-user', 'u', { seq: 2 })).resolves.toBe(false);
      await expect(
        store.transact([
          {
            type: 'set',
            entity: 'scim-user',
            key: 'u',
            value: { seq: 3 },
            condition: { attribute: 'seq', equals: 2 },
          },
        ]),
      ).rejects.toMatchObject({ name: 'ConditionFailedError' });
    }
    // A refused write whose key is absent is the limit it broke, not "already exists".
    await expect(store.createIfAbsent('scim-user', 'v', { seq: Date.now() })).rejects.toMatchObject({
      name: 'StorageLimitError',
      code: 'INVALID_ENTITY_VALUE',
    });
    expect(await store.get('scim-user', 'u')).toEqual({ seq: 1 });
  });
});

describe('cursors (storage-reference/entities-api-query: do not persist cursors)', () => {
  const query = (cursor?: string) => ({
    entityName: 'scim-user',
    indexName: 'by-seq',
    limit: 2,
    ...(cursor ? { cursor } : {}),
  });
  const keyQuery = (after?: string) => ({ limit: 2, ...(after ? { after } : {}) });
  type Page = { status: number; body: { data: unknown[]; cursor?: string; code?: string } };

  beforeEach(async () => {
    for (let i = 0; i < 5; i++) {
      await kvs.kvs.entity('scim-user').set(`u${i}`, { seq: i });
      await kvs.kvs.set(`k${i}`, i);
    }
  });

  it.each([
    ['an entity query', '/api/v1/entity/query', query],
    ['a key query', '/api/v1/query', keyQuery],
  ])(
    'in %s, refuses a cursor from another invocation and accepts one from the same',
    async (_what, path, body) => {
      const kvsService = test.runtime.kvs;
      const first = (await kvsService.handle(path, body(), { invocationId: 'inv-1' })) as Page;
      expect(first.status).toBe(200);
      const cursor = first.body.cursor as string;
      expect(cursor).toEqual(expect.any(String));
      const same = (await kvsService.handle(path, body(cursor), { invocationId: 'inv-1' })) as Page;
      expect(same.status).toBe(200);
      expect(same.body.data).toHaveLength(2);
      expect(await kvsService.handle(path, body(cursor), { invocationId: 'inv-2' })).toMatchObject({
        status: 400,
        body: { code: 'INVALID_CURSOR' },
      });
      // Outside any invocation (tools, tests), any cursor this store issued still works.
      expect(await kvsService.handle(path, body(cursor))).toMatchObject({ status: 200 });
      const outside = (await kvsService.handle(path, body())) as Page;
      expect(
        await kvsService.handle(path, body(outside.body.cursor), { invocationId: 'inv-1' }),
      ).toMatchObject({
        status: 400,
        body: { code: 'INVALID_CURSOR' },
      });
    },
  );

  it('refuses, through @forge/kvs, a cursor kept from an earlier invocation', async () => {
    const { ForgeEntityStore: Store } = test.load<{ ForgeEntityStore: typeof ForgeEntityStore }>(
      '../../src/forge/kvs-store',
    );
    const store = new Store();
    const handle = test.runtime.kvs.handle.bind(test.runtime.kvs);
    let invocationId = 'inv-1';
    jest
      .spyOn(test.runtime.kvs, 'handle')
      .mockImplementation((path, body, context) =>
        handle(path, body, context?.invocationId ? context : { invocationId }),
      );
    const first = await store.query({ entity: 'scim-user', index: 'by-seq', limit: 2 });
    invocationId = 'inv-2';
    await expect(
      store.query({ entity: 'scim-user', index: 'by-seq', limit: 2, cursor: first.nextCursor }),
    ).rejects.toMatchObject({ name: 'StorageLimitError', code: 'INVALID_CURSOR' });
  });
});
