/**
 * The offline runtime's Key-Value Store and secrets, driven by the real @forge/kvs client:
 * the answers must be what its error handling parses (ForgeKvsAPIError with Forge's code).
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as Kvs from '@forge/kvs';
import type { ForgeEntityStore } from '../../src/forge/kvs-store';
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
    expect(await codeOf(kvs.kvs.set('n', 2, { keyPolicy: 'FAIL_IF_EXISTS' }))).toBe(
      'ForgeKvsAPIError:KEY_ALREADY_EXISTS',
    );
    const previous = await kvs.kvs.set('n', 3, { keyPolicy: 'OVERRIDE', returnValue: 'PREVIOUS' });
    expect(previous).toMatchObject({ key: 'n', value: 1 });
    const latest = await kvs.kvs.set('n', 4, { keyPolicy: 'OVERRIDE', returnValue: 'LATEST' });
    expect(latest).toMatchObject({ key: 'n', value: 4 });
    const withMeta = await kvs.kvs.get('n', { metadataFields: [kvs.MetadataField.CREATED_AT] });
    expect(withMeta).toMatchObject({ key: 'n', value: 4, createdAt: expect.any(Number) });
    await kvs.kvs.delete('n');
    expect(await kvs.kvs.get('n')).toBeUndefined();
  });

  it('expires values after their TTL', async () => {
    let now = 1_000_000;
    await test.close();
    test = createTestRuntime({ now: () => now });
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
