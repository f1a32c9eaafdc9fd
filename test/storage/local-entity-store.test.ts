/**
 * LocalEntityStore must reject everything Forge's Custom Entity Store rejects, so that a
 * directory bug shows up in a local test instead of in a customer's site, and must give
 * Forge's semantics for conditions, createIfAbsent and index queries.
 */
import { ENTITIES } from '../../src/entities';
import { CLAIM, COUNTER, USER } from '../../src/directory/entities';
import { LocalEntityStore } from '../../src/local/entity-store';
import {
  ConditionFailedError,
  EntityDefinition,
  FORGE_LIMITS,
  IndexQuery,
  StorageLimitError,
  WriteOperation,
} from '../../src/storage/port';

/** A small schema of our own so the index tests control every attribute. */
const THING = 'thing';
const TEST_ENTITIES: EntityDefinition[] = [
  {
    name: THING,
    attributes: {
      name: 'string',
      n: 'integer',
      score: 'float',
      team: 'string',
      flag: 'boolean',
      doc: 'any',
    },
    indexes: [
      { name: 'by-name', range: ['name'] },
      { name: 'by-n', range: ['n'] },
      { name: 'by-team-n', range: ['n'], partition: ['team'] },
    ],
  },
  { name: 'other', attributes: { name: 'string' }, indexes: [] },
];

const newStore = () => new LocalEntityStore(TEST_ENTITIES);

const set = (key: string, value: object, entity = THING): WriteOperation => ({
  type: 'set',
  entity,
  key,
  value,
});

/** An object nested `levels` deep, counting itself: nest(1) is {}. */
function nest(levels: number): object {
  let value: object = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

/** All keys of a query, following nextCursor to the end. */
async function allKeys(store: LocalEntityStore, query: IndexQuery): Promise<string[]> {
  const keys: string[] = [];
  let cursor = query.cursor;
  let pages = 0;
  do {
    const page = await store.query<unknown>({ ...query, cursor });
    keys.push(...page.results.map((r) => r.key));
    cursor = page.nextCursor;
    if (++pages > 10_000) throw new Error('paging does not terminate');
  } while (cursor);
  return keys;
}

describe('Forge limits are enforced', () => {
  describe('keys', () => {
    it('accepts a key of exactly 500 characters and rejects 501 (on set, get, delete and createIfAbsent)', async () => {
      const store = newStore();
      const longest = 'k'.repeat(FORGE_LIMITS.maxKeyLength);
      const tooLong = 'k'.repeat(FORGE_LIMITS.maxKeyLength + 1);
      await store.transact([set(longest, { name: 'x' })]);
      expect(await store.get(THING, longest)).toEqual({ name: 'x' });

      await expect(store.transact([set(tooLong, { name: 'x' })])).rejects.toThrow(StorageLimitError);
      await expect(store.get(THING, tooLong)).rejects.toThrow(StorageLimitError);
      await expect(store.transact([{ type: 'delete', entity: THING, key: tooLong }])).rejects.toThrow(
        StorageLimitError,
      );
      await expect(store.createIfAbsent(THING, tooLong, { name: 'x' })).rejects.toThrow(StorageLimitError);
    });

    it('accepts every character class Forge allows', async () => {
      const store = newStore();
      const key = 'AZaz09:._-# with spaces';
      await store.transact([set(key, { name: 'x' })]);
      expect(await store.get(THING, key)).toEqual({ name: 'x' });
    });

    it.each([
      ['a slash', 'a/b'],
      ['an at sign', 'alice@example.com'],
      ['a non-ASCII letter', 'ключ'],
      ['an accented letter', 'café'],
      ['a question mark', 'what?'],
      ['an emoji', 'key😀'],
      ['only whitespace', '   '],
      ['nothing', ''],
    ])('rejects a key with %s', async (_what, key) => {
      const store = newStore();
      await expect(store.transact([set(key, { name: 'x' })])).rejects.toThrow(StorageLimitError);
      await expect(store.get(THING, key)).rejects.toThrow(StorageLimitError);
      await expect(store.createIfAbsent(THING, key, { name: 'x' })).rejects.toThrow(StorageLimitError);
      expect(store.size(THING)).toBe(0);
    });
  });

  describe('values', () => {
    // {"doc":"…"} adds 10 bytes of JSON around the string.
    const framing = JSON.stringify({ doc: '' }).length;

    it('accepts a value of exactly 240 KiB and rejects one byte more', async () => {
      const store = newStore();
      const exact = { doc: 'x'.repeat(FORGE_LIMITS.maxValueBytes - framing) };
      expect(Buffer.byteLength(JSON.stringify(exact))).toBe(240 * 1024);
      await store.transact([set('exact', exact)]);
      expect(store.size(THING)).toBe(1);

      const over = { doc: 'x'.repeat(FORGE_LIMITS.maxValueBytes - framing + 1) };
      await expect(store.transact([set('over', over)])).rejects.toThrow(StorageLimitError);
      await expect(store.createIfAbsent(THING, 'over', over)).rejects.toThrow(StorageLimitError);
      expect(await store.get(THING, 'over')).toBeUndefined();
    });

    it('measures the limit in UTF-8 bytes, not characters', async () => {
      const store = newStore();
      // 130,000 characters, 260,000 bytes.
      const value = { doc: 'é'.repeat(130_000) };
      await expect(store.transact([set('wide', value)])).rejects.toThrow(StorageLimitError);
    });

    it('accepts nesting 31 levels deep and rejects 32', async () => {
      const store = newStore();
      // The stored value itself is the first level.
      await store.transact([set('deep', { doc: nest(30) })]);
      expect(await store.get(THING, 'deep')).toEqual({ doc: nest(30) });
      await expect(store.transact([set('deeper', { doc: nest(31) })])).rejects.toThrow(StorageLimitError);
    });

    it('counts arrays as nesting levels too', async () => {
      const store = newStore();
      let value: unknown = [];
      for (let i = 1; i < 31; i++) value = [value];
      await expect(store.transact([set('arrays', { doc: value })])).rejects.toThrow(StorageLimitError);
    });

    it('rejects values that are not objects', async () => {
      const store = newStore();
      await expect(store.transact([set('array', [] as object)])).rejects.toThrow(StorageLimitError);
    });
  });

  describe('entities and attributes', () => {
    it('rejects an entity the manifest does not declare, on every operation', async () => {
      const store = newStore();
      await expect(store.transact([set('k', { name: 'x' }, 'undeclared')])).rejects.toThrow(
        StorageLimitError,
      );
      await expect(store.get('undeclared', 'k')).rejects.toThrow(StorageLimitError);
      await expect(store.createIfAbsent('undeclared', 'k', { name: 'x' })).rejects.toThrow(StorageLimitError);
      await expect(store.transact([{ type: 'delete', entity: 'undeclared', key: 'k' }])).rejects.toThrow(
        StorageLimitError,
      );
      await expect(store.query({ entity: 'undeclared', index: 'by-name' })).rejects.toThrow(
        StorageLimitError,
      );
    });

    it('rejects an undeclared attribute', async () => {
      const store = newStore();
      await expect(store.transact([set('k', { name: 'x', colour: 'red' })])).rejects.toThrow(
        StorageLimitError,
      );
      await expect(store.createIfAbsent(THING, 'k', { nickname: 'x' })).rejects.toThrow(StorageLimitError);
      expect(store.size(THING)).toBe(0);
    });

    it.each([
      ['a number for a string', { name: 42 }],
      ['a string for an integer', { n: '42' }],
      ['a fraction for an integer', { n: 1.5 }],
      ['a string for a float', { score: '1.5' }],
      ['a number for a boolean', { flag: 1 }],
      ['a string for a boolean', { flag: 'true' }],
      ['undefined', { name: undefined }],
    ])('rejects an attribute of the wrong type: %s', async (_what, value) => {
      const store = newStore();
      await expect(store.transact([set('k', value)])).rejects.toThrow(StorageLimitError);
      expect(store.size(THING)).toBe(0);
    });

    it('accepts values of the declared types, and anything for "any"', async () => {
      const store = newStore();
      const value = { name: 'x', n: 3, score: 1.5, flag: false, doc: { deep: [1, 'two', null] } };
      await store.transact([set('k', value)]);
      expect(await store.get(THING, 'k')).toEqual(value);
    });

    it('validates the directory entities the manifest declares', async () => {
      const store = new LocalEntityStore(ENTITIES);
      await expect(store.transact([set('u', { userName: 'a', seq: 'one' }, USER)])).rejects.toThrow(
        StorageLimitError,
      );
      // `at` holds epoch milliseconds: a float; Forge's integer is 32-bit (entities-manifest).
      await expect(store.createIfAbsent(CLAIM, 'c', { owner: 'o', value: 'v', at: 'now' })).rejects.toThrow(
        StorageLimitError,
      );
      await expect(store.transact([set('u', { userName: 'a', seq: Date.now() }, USER)])).rejects.toThrow(
        StorageLimitError,
      );
      await expect(store.transact([set('u', { userName: ' ', seq: 1 }, USER)])).rejects.toThrow(
        StorageLimitError,
      );
      await expect(
        store.createIfAbsent(CLAIM, 'c', { owner: 'o', value: 'v', at: Date.now() }),
      ).resolves.toBe(true);
      await expect(store.createIfAbsent(COUNTER, 'c', { v: 0, doc: {} })).resolves.toBe(true);
    });
  });

  describe('queries', () => {
    it.each([0, 101, -1, 1.5, Number.NaN])('rejects limit %p', async (limit) => {
      const store = newStore();
      await expect(store.query({ entity: THING, index: 'by-name', limit })).rejects.toThrow(
        StorageLimitError,
      );
    });

    it('accepts limits 1 and 100', async () => {
      const store = newStore();
      await store.transact([set('a', { name: 'a' }), set('b', { name: 'b' })]);
      expect((await store.query({ entity: THING, index: 'by-name', limit: 1 })).results).toHaveLength(1);
      expect((await store.query({ entity: THING, index: 'by-name', limit: 100 })).results).toHaveLength(2);
    });

    it('returns 10 results by default, with a cursor to the rest', async () => {
      const store = newStore();
      for (let i = 0; i < 25; i += 5) {
        await store.transact(
          Array.from({ length: 5 }, (_, j) => set(`k${String(i + j).padStart(2, '0')}`, { n: i + j })),
        );
      }
      const first = await store.query<{ n: number }>({ entity: THING, index: 'by-n' });
      expect(first.results.map((r) => r.value.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await store.query<{ n: number }>({
        entity: THING,
        index: 'by-n',
        cursor: first.nextCursor,
      });
      expect(second.results.map((r) => r.value.n)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
      const third = await store.query<{ n: number }>({
        entity: THING,
        index: 'by-n',
        cursor: second.nextCursor,
      });
      expect(third.results.map((r) => r.value.n)).toEqual([20, 21, 22, 23, 24]);
      expect(third.nextCursor).toBeUndefined();
    });

    it('gives no cursor when a page is exactly full and nothing follows', async () => {
      const store = newStore();
      await store.transact(Array.from({ length: 10 }, (_, i) => set(`k${i}`, { n: i })));
      const page = await store.query({ entity: THING, index: 'by-n' });
      expect(page.results).toHaveLength(10);
      expect(page.nextCursor).toBeUndefined();
    });

    it('rejects an undeclared index and a wrong number of partition values', async () => {
      const store = newStore();
      await expect(store.query({ entity: THING, index: 'by-colour' })).rejects.toThrow(StorageLimitError);
      await expect(store.query({ entity: THING, index: 'by-team-n' })).rejects.toThrow(StorageLimitError);
      await expect(store.query({ entity: THING, index: 'by-n', partition: ['a'] })).rejects.toThrow(
        StorageLimitError,
      );
    });
  });

  describe('transactions', () => {
    it('accepts 25 operations and rejects 26, applying none of them', async () => {
      const store = newStore();
      const ops = (n: number, prefix: string) =>
        Array.from({ length: n }, (_, i) => set(`${prefix}${i}`, { n: i }));
      await store.transact(ops(25, 'ok'));
      expect(store.size(THING)).toBe(25);
      await expect(store.transact(ops(26, 'no'))).rejects.toThrow(StorageLimitError);
      expect(store.size(THING)).toBe(25);
      expect(await store.get(THING, 'no0')).toBeUndefined();
    });

    it('rejects a key that appears twice in one transaction, applying nothing', async () => {
      const store = newStore();
      await expect(
        store.transact([set('a', { n: 1 }), set('b', { n: 2 }), { type: 'delete', entity: THING, key: 'a' }]),
      ).rejects.toThrow(StorageLimitError);
      expect(store.size(THING)).toBe(0);
    });

    it('allows the same key in two different entities', async () => {
      const store = newStore();
      await store.transact([set('same', { name: 'a' }), set('same', { name: 'b' }, 'other')]);
      expect(await store.get(THING, 'same')).toEqual({ name: 'a' });
      expect(await store.get('other', 'same')).toEqual({ name: 'b' });
    });

    it('rejects an empty transaction', async () => {
      await expect(newStore().transact([])).rejects.toThrow(StorageLimitError);
    });

    it('rejects a transaction that breaks one limit in its last operation, applying nothing', async () => {
      const store = newStore();
      await expect(store.transact([set('a', { n: 1 }), set('b', { n: 2, colour: 'red' })])).rejects.toThrow(
        StorageLimitError,
      );
      expect(store.size(THING)).toBe(0);
    });

    it('rejects a transaction carrying more than 4 MB', async () => {
      const store = newStore();
      // 20 values of 230 KiB of ASCII: 4.6 MB.
      const big = Array.from({ length: 20 }, (_, i) => set(`big${i}`, { doc: 'x'.repeat(230 * 1024) }));
      await expect(store.transact(big)).rejects.toThrow(StorageLimitError);
      expect(store.size(THING)).toBe(0);
    });

    it('measures the 4 MB transaction limit in bytes, not characters', async () => {
      const store = newStore();
      // 20 values of 115,000 "é": each 230,000 bytes (under 240 KiB), 4.6 MB in all, but
      // only 2.3 million UTF-16 code units.
      const wide = Array.from({ length: 20 }, (_, i) => set(`wide${i}`, { doc: 'é'.repeat(115_000) }));
      await expect(store.transact(wide)).rejects.toThrow(StorageLimitError);
      expect(store.size(THING)).toBe(0);
    });
  });
});

describe('conditions', () => {
  it('applies a write whose condition holds', async () => {
    const store = newStore();
    await store.transact([set('a', { n: 1 })]);
    await store.transact([{ ...set('a', { n: 2 }), condition: { attribute: 'n', equals: 1 } }]);
    expect(await store.get(THING, 'a')).toEqual({ n: 2 });
  });

  it('throws ConditionFailedError when the stored value differs', async () => {
    const store = newStore();
    await store.transact([set('a', { n: 1 })]);
    await expect(
      store.transact([{ ...set('a', { n: 3 }), condition: { attribute: 'n', equals: 2 } }]),
    ).rejects.toThrow(ConditionFailedError);
    expect(await store.get(THING, 'a')).toEqual({ n: 1 });
  });

  it('throws ConditionFailedError when there is no record under the key', async () => {
    const store = newStore();
    await expect(
      store.transact([
        { type: 'delete', entity: THING, key: 'missing', condition: { attribute: 'n', equals: 1 } },
      ]),
    ).rejects.toThrow(ConditionFailedError);
  });

  it('compares strictly: 1 is not "1" and true is not 1', async () => {
    const store = newStore();
    await store.transact([set('a', { n: 1, flag: true })]);
    await expect(
      store.transact([{ ...set('a', { n: 2 }), condition: { attribute: 'n', equals: '1' } }]),
    ).rejects.toThrow(ConditionFailedError);
    await expect(
      store.transact([{ ...set('a', { n: 2 }), condition: { attribute: 'flag', equals: 1 } }]),
    ).rejects.toThrow(ConditionFailedError);
  });

  it('applies nothing when one condition of several fails (atomicity)', async () => {
    const store = newStore();
    await store.transact([set('a', { n: 1 }), set('b', { n: 1 }), set('c', { n: 1 })]);
    await expect(
      store.transact([
        { ...set('a', { n: 2 }), condition: { attribute: 'n', equals: 1 } },
        set('new', { n: 2 }),
        { type: 'delete', entity: THING, key: 'b' },
        // The last condition fails: none of the writes before it may be visible.
        { ...set('c', { n: 2 }), condition: { attribute: 'n', equals: 99 } },
      ]),
    ).rejects.toThrow(ConditionFailedError);
    expect(await store.get(THING, 'a')).toEqual({ n: 1 });
    expect(await store.get(THING, 'b')).toEqual({ n: 1 });
    expect(await store.get(THING, 'c')).toEqual({ n: 1 });
    expect(await store.get(THING, 'new')).toBeUndefined();
    // The indexes did not move either.
    expect(
      await allKeys(store, { entity: THING, index: 'by-n', where: { op: 'equalTo', value: 2 } }),
    ).toEqual([]);
  });

  it('rejects a condition on an undeclared attribute as a limit, not as a failed condition', async () => {
    const store = newStore();
    await store.transact([set('a', { n: 1 })]);
    await expect(
      store.transact([{ ...set('a', { n: 2 }), condition: { attribute: 'version', equals: 1 } }]),
    ).rejects.toThrow(StorageLimitError);
  });

  it('lets exactly one of two racing conditional writers win', async () => {
    const store = newStore();
    await store.transact([set('a', { n: 1 })]);
    const write = (n: number) =>
      store.transact([{ ...set('a', { n }), condition: { attribute: 'n', equals: 1 } }]);
    const results = await Promise.allSettled([write(2), write(3)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect((rejected as PromiseRejectedResult).reason).toBeInstanceOf(ConditionFailedError);
  });
});

describe('createIfAbsent', () => {
  it('stores the first value and refuses later ones, keeping the first', async () => {
    const store = newStore();
    await expect(store.createIfAbsent(THING, 'k', { name: 'first' })).resolves.toBe(true);
    await expect(store.createIfAbsent(THING, 'k', { name: 'second' })).resolves.toBe(false);
    expect(await store.get(THING, 'k')).toEqual({ name: 'first' });
  });

  it('lets exactly one of ten concurrent callers create the record', async () => {
    const store = newStore();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.createIfAbsent(THING, 'k', { n: i })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await store.get(THING, 'k')).toEqual({ n: winner });
  });

  it('creates again after the record was deleted', async () => {
    const store = newStore();
    await store.createIfAbsent(THING, 'k', { n: 1 });
    await store.transact([{ type: 'delete', entity: THING, key: 'k' }]);
    await expect(store.createIfAbsent(THING, 'k', { n: 2 })).resolves.toBe(true);
    expect(await store.get(THING, 'k')).toEqual({ n: 2 });
  });

  it('indexes what it creates', async () => {
    const store = newStore();
    await store.createIfAbsent(THING, 'k', { name: 'indexed' });
    expect(
      await allKeys(store, { entity: THING, index: 'by-name', where: { op: 'equalTo', value: 'indexed' } }),
    ).toEqual(['k']);
  });
});

describe('index queries', () => {
  const names = ['a', 'ab', 'abc', 'abd', 'b', 'ba', 'c', 'aab', 'a b'];

  async function seededStore(): Promise<LocalEntityStore> {
    const store = newStore();
    await store.transact(names.map((name, i) => set(`key-${i}`, { name, n: i * 5 })));
    return store;
  }

  const namesOf = async (store: LocalEntityStore, query: Omit<IndexQuery, 'entity' | 'index'>) => {
    const page = await store.query<{ name: string }>({
      entity: THING,
      index: 'by-name',
      limit: 100,
      ...query,
    });
    return page.results.map((r) => r.value.name);
  };

  it('lists the whole index in ascending order without a condition', async () => {
    const store = await seededStore();
    expect(await namesOf(store, {})).toEqual([...names].sort());
  });

  it('equalTo', async () => {
    const store = await seededStore();
    expect(await namesOf(store, { where: { op: 'equalTo', value: 'ab' } })).toEqual(['ab']);
    expect(await namesOf(store, { where: { op: 'equalTo', value: 'zz' } })).toEqual([]);
  });

  it('equalTo returns every record with the value, in key order', async () => {
    const store = newStore();
    await store.transact(['k3', 'k1', 'k2'].map((key) => set(key, { name: 'same' })));
    await store.transact([set('k0', { name: 'other' })]);
    expect(
      await allKeys(store, { entity: THING, index: 'by-name', where: { op: 'equalTo', value: 'same' } }),
    ).toEqual(['k1', 'k2', 'k3']);
  });

  it('beginsWith', async () => {
    const store = await seededStore();
    expect(await namesOf(store, { where: { op: 'beginsWith', value: 'ab' } })).toEqual(['ab', 'abc', 'abd']);
    expect(await namesOf(store, { where: { op: 'beginsWith', value: 'a' } })).toEqual([
      'a',
      'a b',
      'aab',
      'ab',
      'abc',
      'abd',
    ]);
    expect(await namesOf(store, { where: { op: 'beginsWith', value: 'b' } })).toEqual(['b', 'ba']);
  });

  it('between includes both ends', async () => {
    const store = await seededStore();
    expect(await namesOf(store, { where: { op: 'between', from: 'ab', to: 'b' } })).toEqual([
      'ab',
      'abc',
      'abd',
      'b',
    ]);
  });

  it('greaterThanEqualTo, greaterThan, lessThan, lessThanEqualTo', async () => {
    const store = await seededStore();
    expect(await namesOf(store, { where: { op: 'greaterThanEqualTo', value: 'b' } })).toEqual([
      'b',
      'ba',
      'c',
    ]);
    expect(await namesOf(store, { where: { op: 'greaterThan', value: 'b' } })).toEqual(['ba', 'c']);
    expect(await namesOf(store, { where: { op: 'lessThan', value: 'ab' } })).toEqual(['a', 'a b', 'aab']);
    expect(await namesOf(store, { where: { op: 'lessThanEqualTo', value: 'ab' } })).toEqual([
      'a',
      'a b',
      'aab',
      'ab',
    ]);
  });

  it('orders numbers numerically, not as text', async () => {
    const store = newStore();
    await store.transact([2, 10, 1, 100, 20].map((n) => set(`n${n}`, { n })));
    const page = await store.query<{ n: number }>({
      entity: THING,
      index: 'by-n',
      where: { op: 'greaterThanEqualTo', value: 2 },
      limit: 100,
    });
    expect(page.results.map((r) => r.value.n)).toEqual([2, 10, 20, 100]);
    const between = await store.query<{ n: number }>({
      entity: THING,
      index: 'by-n',
      where: { op: 'between', from: 2, to: 20 },
    });
    expect(between.results.map((r) => r.value.n)).toEqual([2, 10, 20]);
  });

  it('returns descending order with sort DESC, also under a condition', async () => {
    const store = await seededStore();
    expect(await namesOf(store, { sort: 'DESC' })).toEqual([...names].sort().reverse());
    expect(await namesOf(store, { sort: 'DESC', where: { op: 'beginsWith', value: 'ab' } })).toEqual([
      'abd',
      'abc',
      'ab',
    ]);
    expect(await namesOf(store, { sort: 'DESC', where: { op: 'lessThan', value: 'ab' } })).toEqual([
      'aab',
      'a b',
      'a',
    ]);
  });

  it('keeps partitions apart', async () => {
    const store = newStore();
    await store.transact([
      set('r1', { team: 'red', n: 1 }),
      set('r2', { team: 'red', n: 2 }),
      set('b1', { team: 'blue', n: 1 }),
      set('b3', { team: 'blue', n: 3 }),
    ]);
    const red = await allKeys(store, { entity: THING, index: 'by-team-n', partition: ['red'] });
    expect(red).toEqual(['r1', 'r2']);
    const blue = await allKeys(store, {
      entity: THING,
      index: 'by-team-n',
      partition: ['blue'],
      where: { op: 'greaterThan', value: 1 },
    });
    expect(blue).toEqual(['b3']);
    const blueDesc = await allKeys(store, {
      entity: THING,
      index: 'by-team-n',
      partition: ['blue'],
      sort: 'DESC',
    });
    expect(blueDesc).toEqual(['b3', 'b1']);
  });

  describe('cursor paging returns every record exactly once', () => {
    // 237 records with many equal range values, so the cursor has to break ties by key.
    async function bigStore(): Promise<{ store: LocalEntityStore; expected: string[] }> {
      const store = newStore();
      const records = Array.from({ length: 237 }, (_, i) => ({ key: `k${(i * 7919) % 1000}`, n: i % 13 }));
      for (let i = 0; i < records.length; i += 25) {
        await store.transact(records.slice(i, i + 25).map((r) => set(r.key, { n: r.n })));
      }
      const expected = [...records].sort((a, b) => a.n - b.n || (a.key < b.key ? -1 : 1)).map((r) => r.key);
      return { store, expected };
    }

    it.each([1, 7, 10, 100])('ascending, %i per page', async (limit) => {
      const { store, expected } = await bigStore();
      const keys = await allKeys(store, { entity: THING, index: 'by-n', limit });
      expect(keys).toEqual(expected);
    });

    it.each([1, 7, 100])('descending, %i per page', async (limit) => {
      const { store, expected } = await bigStore();
      const keys = await allKeys(store, { entity: THING, index: 'by-n', limit, sort: 'DESC' });
      expect(keys).toEqual([...expected].reverse());
    });

    it('under a range condition', async () => {
      const { store, expected } = await bigStore();
      const keys = await allKeys(store, {
        entity: THING,
        index: 'by-n',
        limit: 9,
        where: { op: 'between', from: 3, to: 5 },
      });
      const values = new Map<string, number>();
      for (const key of expected)
        values.set(key, ((await store.get<{ n: number }>(THING, key)) as { n: number }).n);
      expect(keys).toEqual(
        expected.filter((k) => (values.get(k) as number) >= 3 && (values.get(k) as number) <= 5),
      );
    });

    it('continues after the record the cursor points at was deleted', async () => {
      const { store, expected } = await bigStore();
      const first = await store.query({ entity: THING, index: 'by-n', limit: 50 });
      const last = first.results[first.results.length - 1].key;
      await store.transact([{ type: 'delete', entity: THING, key: last }]);
      const rest = await allKeys(store, {
        entity: THING,
        index: 'by-n',
        limit: 50,
        cursor: first.nextCursor,
      });
      expect([...first.results.map((r) => r.key), ...rest]).toEqual(expected);
    });
  });

  it('leaves records without the range attribute out of the index', async () => {
    const store = newStore();
    await store.transact([set('named', { name: 'x', n: 1 }), set('anonymous', { n: 2 })]);
    expect(await allKeys(store, { entity: THING, index: 'by-name' })).toEqual(['named']);
    expect(await allKeys(store, { entity: THING, index: 'by-n' })).toEqual(['named', 'anonymous']);
  });

  it('leaves values that are not scalars out of the index', async () => {
    const store = new LocalEntityStore([
      { name: 'loose', attributes: { r: 'any' }, indexes: [{ name: 'by-r', range: ['r'] }] },
    ]);
    await store.transact([
      { type: 'set', entity: 'loose', key: 'object', value: { r: { nested: 1 } } },
      { type: 'set', entity: 'loose', key: 'scalar', value: { r: 'x' } },
    ]);
    expect(await allKeys(store, { entity: 'loose', index: 'by-r' })).toEqual(['scalar']);
  });

  it('moves a record in the index when its range value changes, and drops it when the value goes', async () => {
    const store = newStore();
    await store.transact([set('k', { name: 'old' })]);
    await store.transact([set('k', { name: 'new' })]);
    expect(await namesOf(store, {})).toEqual(['new']);
    await store.transact([set('k', { n: 1 })]);
    expect(await namesOf(store, {})).toEqual([]);
    await store.transact([{ type: 'delete', entity: THING, key: 'k' }]);
    expect(await allKeys(store, { entity: THING, index: 'by-n' })).toEqual([]);
  });

  it('rejects a cursor that is not one', async () => {
    const store = await seededStore();
    await expect(store.query({ entity: THING, index: 'by-name', cursor: '%%%not-a-cursor' })).rejects.toThrow(
      StorageLimitError,
    );
  });
});

describe('values are copies', () => {
  it('mutating what get returns does not change the store', async () => {
    const store = newStore();
    await store.transact([set('k', { name: 'x', doc: { list: [1, 2] } })]);
    const got = (await store.get<{ name: string; doc: { list: number[] } }>(THING, 'k'))!;
    got.name = 'changed';
    got.doc.list.push(3);
    expect(await store.get(THING, 'k')).toEqual({ name: 'x', doc: { list: [1, 2] } });
  });

  it('mutating what a query returns does not change the store or its index', async () => {
    const store = newStore();
    await store.transact([set('k', { name: 'x', doc: { list: [1] } })]);
    const page = await store.query<{ name: string; doc: { list: number[] } }>({
      entity: THING,
      index: 'by-name',
    });
    page.results[0].value.name = 'y';
    page.results[0].value.doc.list.length = 0;
    expect(await store.get(THING, 'k')).toEqual({ name: 'x', doc: { list: [1] } });
    expect(await namesOfIndex(store)).toEqual(['x']);
  });

  it('mutating a value after writing it does not change the store', async () => {
    const store = newStore();
    const value = { name: 'x', doc: { list: [1] } };
    await store.transact([set('k', value)]);
    const created = { name: 'y', doc: { list: [1] } };
    await store.createIfAbsent(THING, 'c', created);
    value.name = 'changed';
    value.doc.list.push(2);
    created.doc.list.push(2);
    expect(await store.get(THING, 'k')).toEqual({ name: 'x', doc: { list: [1] } });
    expect(await store.get(THING, 'c')).toEqual({ name: 'y', doc: { list: [1] } });
  });

  async function namesOfIndex(store: LocalEntityStore): Promise<string[]> {
    const page = await store.query<{ name: string }>({ entity: THING, index: 'by-name' });
    return page.results.map((r) => r.value.name);
  }
});
