/**
 * The storage port's contract, run against every adapter: LocalEntityStore (what unit tests
 * use) and ForgeEntityStore through the real @forge/kvs client on the offline Forge runtime
 * (what ships). Both must give the same answers for conditions, createIfAbsent
 * (FAIL_IF_EXISTS), Forge's limits (the same error codes), index queries and cursors.
 */
import {
  ConditionFailedError,
  EntityDefinition,
  EntityStore,
  FORGE_LIMITS,
  IndexQuery,
  StorageLimitError,
  WriteOperation,
} from '../../src/storage/port';

export const THING = 'thing';
export const CONTRACT_ENTITIES: EntityDefinition[] = [
  {
    name: THING,
    attributes: { name: 'string', n: 'integer', score: 'float', team: 'string', flag: 'boolean', doc: 'any' },
    indexes: [
      { name: 'by-name', range: ['name'] },
      { name: 'by-n', range: ['n'] },
      { name: 'by-team-n', range: ['n'], partition: ['team'] },
      { name: 'by-score', range: ['score'] },
    ],
  },
  { name: 'other', attributes: { name: 'string' }, indexes: [] },
  { name: 'loose', attributes: { r: 'any' }, indexes: [{ name: 'by-r', range: ['r'] }] },
];

export interface ContractSubject {
  store: EntityStore;
  /** Records of an entity actually stored (read behind the adapter). */
  size(entity: string): number;
  close(): Promise<void>;
}

const set = (key: string, value: object, entity = THING): WriteOperation => ({
  type: 'set',
  entity,
  key,
  value,
});

function nest(levels: number): object {
  let value: object = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

/**
 * Asserts a StorageLimitError with Forge's error code. Errors are matched by name: each
 * runtime loads its adapter in a fresh module registry, with its own copy of the classes.
 */
async function expectLimit(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ name: StorageLimitError.name, code });
}

const conditionFailed = { name: ConditionFailedError.name };

async function allKeys(store: EntityStore, query: IndexQuery): Promise<string[]> {
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

export function describeEntityStoreContract(name: string, open: () => Promise<ContractSubject>): void {
  describe(`${name}: the storage contract`, () => {
    let subject: ContractSubject;
    let store: EntityStore;
    beforeEach(async () => {
      subject = await open();
      store = subject.store;
    });
    afterEach(() => subject.close());

    describe('keys', () => {
      it('accepts 500 characters and rejects 501 with KEY_TOO_LONG everywhere', async () => {
        const longest = 'k'.repeat(FORGE_LIMITS.maxKeyLength);
        const tooLong = 'k'.repeat(FORGE_LIMITS.maxKeyLength + 1);
        await store.transact([set(longest, { name: 'x' })]);
        expect(await store.get(THING, longest)).toEqual({ name: 'x' });
        await expectLimit(store.transact([set(tooLong, { name: 'x' })]), 'KEY_TOO_LONG');
        await expectLimit(store.get(THING, tooLong), 'KEY_TOO_LONG');
        await expectLimit(store.transact([{ type: 'delete', entity: THING, key: tooLong }]), 'KEY_TOO_LONG');
        await expectLimit(store.createIfAbsent(THING, tooLong, { name: 'x' }), 'KEY_TOO_LONG');
      });

      it('accepts every character class Forge allows', async () => {
        await store.transact([set('AZaz09:._-# with spaces', { name: 'x' })]);
        expect(await store.get(THING, 'AZaz09:._-# with spaces')).toEqual({ name: 'x' });
      });

      it.each([
        ['a slash', 'a/b', 'INVALID_KEY'],
        ['an at sign', 'alice@example.com', 'INVALID_KEY'],
        ['a non-ASCII letter', 'ключ', 'INVALID_KEY'],
        ['only whitespace', '   ', 'INVALID_KEY'],
        ['nothing', '', 'EMPTY_KEY'],
      ])('rejects a key with %s (%s)', async (_what, key, code) => {
        await expectLimit(store.transact([set(key, { name: 'x' })]), code);
        await expectLimit(store.createIfAbsent(THING, key, { name: 'x' }), code);
        expect(subject.size(THING)).toBe(0);
      });
    });

    describe('values', () => {
      const framing = JSON.stringify({ doc: '' }).length;

      it('accepts exactly 240 KiB and rejects one byte more with MAX_SIZE', async () => {
        await store.transact([set('exact', { doc: 'x'.repeat(FORGE_LIMITS.maxValueBytes - framing) })]);
        const over = { doc: 'x'.repeat(FORGE_LIMITS.maxValueBytes - framing + 1) };
        await expectLimit(store.transact([set('over', over)]), 'MAX_SIZE');
        await expectLimit(store.createIfAbsent(THING, 'over', over), 'MAX_SIZE');
        expect(subject.size(THING)).toBe(1);
      });

      it('accepts 31 levels of nesting and rejects 32 with MAX_DEPTH', async () => {
        await store.transact([set('deep', { doc: nest(30) })]);
        expect(await store.get(THING, 'deep')).toEqual({ doc: nest(30) });
        await expectLimit(store.transact([set('deeper', { doc: nest(31) })]), 'MAX_DEPTH');
      });
    });

    describe('entities and attributes', () => {
      it('rejects an entity the manifest does not declare', async () => {
        await expectLimit(store.transact([set('k', { name: 'x' }, 'undeclared')]), 'ENTITY_NOT_DECLARED');
        await expectLimit(store.get('undeclared', 'k'), 'ENTITY_NOT_DECLARED');
        await expectLimit(store.createIfAbsent('undeclared', 'k', { name: 'x' }), 'ENTITY_NOT_DECLARED');
        await expectLimit(store.query({ entity: 'undeclared', index: 'by-name' }), 'ENTITY_NOT_DECLARED');
      });

      it.each([
        ['an undeclared attribute', { name: 'x', colour: 'red' }],
        ['a number for a string', { name: 42 }],
        ['a fraction for an integer', { n: 1.5 }],
        ['a string for a boolean', { flag: 'true' }],
        ['an array for the value', [] as object],
      ])('rejects %s with INVALID_ENTITY_VALUE', async (_what, value) => {
        await expectLimit(store.transact([set('k', value)]), 'INVALID_ENTITY_VALUE');
        expect(subject.size(THING)).toBe(0);
      });

      it.each([
        ['Date.now() in an integer', { n: 1_764_000_000_000 }],
        ['2^31 in an integer', { n: 2 ** 31 }],
        ['-2^31 - 1 in an integer', { n: -(2 ** 31) - 1 }],
        ['an empty string', { name: '' }],
        ['a blank string', { name: ' \t\n ' }],
        ['1E-131 in a float', { score: 1e-131 }],
        ['-1E-131 in a float', { score: -1e-131 }],
        ['1E+127 in a float', { score: 1e127 }],
        ['Infinity in a float', { score: Infinity }],
        ['NaN in a float', { score: NaN }],
        ['null in a boolean', { flag: null }],
        ['0 in a boolean', { flag: 0 }],
      ])('refuses %s with INVALID_ENTITY_VALUE (entities-manifest, "Values")', async (_what, value) => {
        await expectLimit(store.transact([set('k', value)]), 'INVALID_ENTITY_VALUE');
        await expectLimit(store.createIfAbsent(THING, 'k', value), 'INVALID_ENTITY_VALUE');
        expect(subject.size(THING)).toBe(0);
      });

      it('accepts the bounds of integer and float, and blank strings inside "any"', async () => {
        const values = [
          { n: 2147483647, score: 1e126 /* 9.99...E+125 as a double */ },
          { n: -2147483648, score: -1e-130 },
          { n: 0, score: 0 },
          { score: Date.now(), name: ' x ', doc: { blank: ' ', empty: '' } },
        ];
        await store.transact(values.map((value, i) => set(`k${i}`, value)));
        for (const [i, value] of values.entries()) expect(await store.get(THING, `k${i}`)).toEqual(value);
      });

      it('keeps values of the declared types, and anything for "any"', async () => {
        const value = { name: 'x', n: 3, score: 1.5, flag: false, doc: { deep: [1, 'two', null] } };
        await store.transact([set('k', value)]);
        expect(await store.get(THING, 'k')).toEqual(value);
        expect(await store.get(THING, 'missing')).toBeUndefined();
      });
    });

    describe('queries', () => {
      it.each([0, 101, -1, 1.5])(
        'rejects limit %p with COMPLEX_QUERY_PAGE_LIMIT_NOT_IN_RANGE',
        async (limit) => {
          await expectLimit(
            store.query({ entity: THING, index: 'by-name', limit }),
            'COMPLEX_QUERY_PAGE_LIMIT_NOT_IN_RANGE',
          );
        },
      );

      it('returns 10 by default with a cursor to the rest, and no cursor after a full last page', async () => {
        await store.transact(
          Array.from({ length: 20 }, (_, i) => set(`k${String(i).padStart(2, '0')}`, { n: i })),
        );
        const first = await store.query<{ n: number }>({ entity: THING, index: 'by-n' });
        expect(first.results.map((r) => r.value.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        const second = await store.query<{ n: number }>({
          entity: THING,
          index: 'by-n',
          cursor: first.nextCursor,
        });
        expect(second.results.map((r) => r.value.n)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
        expect(second.nextCursor).toBeUndefined();
      });

      it('rejects an undeclared index and a wrong number of partition values', async () => {
        await expectLimit(store.query({ entity: THING, index: 'by-colour' }), 'INVALID_ENTITY_INDEX');
        await expectLimit(store.query({ entity: THING, index: 'by-team-n' }), 'INVALID_PARTITION');
        await expectLimit(
          store.query({ entity: THING, index: 'by-n', partition: ['a'] }),
          'INVALID_PARTITION',
        );
      });

      it('rejects a cursor it did not issue', async () => {
        await expectLimit(store.query({ entity: THING, index: 'by-name', cursor: '%%%' }), 'INVALID_CURSOR');
      });
    });

    describe('transactions', () => {
      it('accepts 25 operations and rejects 26, applying none', async () => {
        const ops = (n: number, prefix: string) =>
          Array.from({ length: n }, (_, i) => set(`${prefix}${i}`, { n: i }));
        await store.transact(ops(25, 'ok'));
        await expectLimit(store.transact(ops(26, 'no')), 'TRANSACTION_TOO_MANY_OPERATIONS');
        expect(subject.size(THING)).toBe(25);
      });

      it('rejects a key twice, an empty transaction and more than 4 MB, applying nothing', async () => {
        await expectLimit(
          store.transact([set('a', { n: 1 }), { type: 'delete', entity: THING, key: 'a' }]),
          'TRANSACTION_DUPLICATE_KEY',
        );
        await expectLimit(store.transact([]), 'EMPTY_TRANSACTION');
        const big = Array.from({ length: 20 }, (_, i) => set(`big${i}`, { doc: 'x'.repeat(230 * 1024) }));
        await expectLimit(store.transact(big), 'TRANSACTION_PAYLOAD_TOO_LARGE');
        expect(subject.size(THING)).toBe(0);
      });

      it('allows the same key in two entities', async () => {
        await store.transact([set('same', { name: 'a' }), set('same', { name: 'b' }, 'other')]);
        expect(await store.get('other', 'same')).toEqual({ name: 'b' });
      });
    });

    describe('conditions', () => {
      it('applies a write whose condition holds, and refuses one whose condition does not', async () => {
        await store.transact([set('a', { n: 1 })]);
        await store.transact([{ ...set('a', { n: 2 }), condition: { attribute: 'n', equals: 1 } }]);
        expect(await store.get(THING, 'a')).toEqual({ n: 2 });
        await expect(
          store.transact([{ ...set('a', { n: 3 }), condition: { attribute: 'n', equals: 1 } }]),
        ).rejects.toMatchObject(conditionFailed);
        expect(await store.get(THING, 'a')).toEqual({ n: 2 });
      });

      it('fails a condition on a missing record, and a check that does not hold', async () => {
        await expect(
          store.transact([
            { type: 'delete', entity: THING, key: 'missing', condition: { attribute: 'n', equals: 1 } },
          ]),
        ).rejects.toMatchObject(conditionFailed);
        await store.transact([set('a', { n: 1 })]);
        await expect(
          store.transact([
            set('b', { n: 1 }),
            { type: 'check', entity: THING, key: 'a', condition: { attribute: 'n', equals: 2 } },
          ]),
        ).rejects.toMatchObject(conditionFailed);
        expect(await store.get(THING, 'b')).toBeUndefined();
      });

      it('compares strictly: 1 is not "1" and true is not 1', async () => {
        await store.transact([set('a', { n: 1, flag: true })]);
        await expect(
          store.transact([{ ...set('a', { n: 2 }), condition: { attribute: 'n', equals: '1' } }]),
        ).rejects.toMatchObject(conditionFailed);
        await expect(
          store.transact([{ ...set('a', { n: 2 }), condition: { attribute: 'flag', equals: 1 } }]),
        ).rejects.toMatchObject(conditionFailed);
      });

      it('applies nothing when one condition of several fails', async () => {
        await store.transact([set('a', { n: 1 }), set('b', { n: 1 }), set('c', { n: 1 })]);
        await expect(
          store.transact([
            { ...set('a', { n: 2 }), condition: { attribute: 'n', equals: 1 } },
            set('new', { n: 2 }),
            { type: 'delete', entity: THING, key: 'b' },
            { ...set('c', { n: 2 }), condition: { attribute: 'n', equals: 99 } },
          ]),
        ).rejects.toMatchObject(conditionFailed);
        expect(await store.get(THING, 'a')).toEqual({ n: 1 });
        expect(await store.get(THING, 'b')).toEqual({ n: 1 });
        expect(await store.get(THING, 'new')).toBeUndefined();
        expect(
          await allKeys(store, { entity: THING, index: 'by-n', where: { op: 'equalTo', value: 2 } }),
        ).toEqual([]);
      });

      it('refuses a condition on an undeclared attribute, applying nothing', async () => {
        await store.transact([set('a', { n: 1 })]);
        const error = await store
          .transact([{ ...set('a', { n: 2 }), condition: { attribute: 'version', equals: 1 } }])
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        // The local store names the broken limit (INVALID_FILTER_ATTRIBUTE). On Forge the
        // adapter decides by reading back, whatever the answer's code, and the record read
        // back has no such attribute: the condition did not hold.
        expect([StorageLimitError.name, ConditionFailedError.name]).toContain((error as Error)?.name);
        expect(await store.get(THING, 'a')).toEqual({ n: 1 });
      });

      it('lets exactly one of two racing conditional writers win', async () => {
        await store.transact([set('a', { n: 1 })]);
        const write = (n: number) =>
          store.transact([{ ...set('a', { n }), condition: { attribute: 'n', equals: 1 } }]);
        const results = await Promise.allSettled([write(2), write(3)]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(rejected.reason).toMatchObject(conditionFailed);
      });
    });

    describe('createIfAbsent (FAIL_IF_EXISTS)', () => {
      it('stores the first value and refuses later ones', async () => {
        await expect(store.createIfAbsent(THING, 'k', { name: 'first' })).resolves.toBe(true);
        await expect(store.createIfAbsent(THING, 'k', { name: 'second' })).resolves.toBe(false);
        expect(await store.get(THING, 'k')).toEqual({ name: 'first' });
      });

      it('lets exactly one of ten concurrent callers create the record', async () => {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.createIfAbsent(THING, 'k', { n: i })),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.get(THING, 'k')).toEqual({ n: results.indexOf(true) });
      });

      it('creates again after a delete, and indexes what it creates', async () => {
        await store.createIfAbsent(THING, 'k', { name: 'one' });
        await store.transact([{ type: 'delete', entity: THING, key: 'k' }]);
        await expect(store.createIfAbsent(THING, 'k', { name: 'two' })).resolves.toBe(true);
        expect(
          await allKeys(store, { entity: THING, index: 'by-name', where: { op: 'equalTo', value: 'two' } }),
        ).toEqual(['k']);
      });
    });

    describe('index value sizes (limits-kvs-ce: 900 bytes of range, 1700 of partition values)', () => {
      const refused = async (promise: Promise<unknown>) =>
        expect(
          await promise.then(
            () => undefined,
            (e: unknown) => (e as Error).name,
          ),
        ).toBe(StorageLimitError.name);

      it('accepts 900 bytes of range value and refuses 901, counting UTF-8 bytes', async () => {
        await store.transact([set('a', { name: 'x'.repeat(900) })]);
        await refused(store.transact([set('b', { name: 'x'.repeat(901) })]));
        await refused(store.createIfAbsent(THING, 'b', { name: 'x'.repeat(901) }));
        // 300 three-byte characters are 900 bytes; one more is 903.
        await store.transact([set('c', { name: '€'.repeat(300) })]);
        await refused(store.transact([set('d', { name: '€'.repeat(301) })]));
        expect(subject.size(THING)).toBe(2);
        expect(
          await allKeys(store, { entity: THING, index: 'by-name', where: { op: 'beginsWith', value: 'x' } }),
        ).toEqual(['a']);
      });

      it('accepts 1700 bytes of partition value and refuses 1701', async () => {
        await store.transact([set('a', { team: 'x'.repeat(1700), n: 1 })]);
        await refused(store.transact([set('b', { team: 'x'.repeat(1701), n: 1 })]));
        // Only indexed attributes count: an unindexed string may be longer.
        await store.transact([set('c', { name: 'short', doc: 'x'.repeat(5000) })]);
        expect(subject.size(THING)).toBe(2);
      });
    });

    describe('float range indexes (epoch milliseconds)', () => {
      it('orders, bounds and pages floats holding Date.now() exactly', async () => {
        const base = 1_764_000_000_000;
        await store.transact(
          Array.from({ length: 12 }, (_, i) => set(`t${i}`, { score: base + (i % 2 ? i : -i) * 1000 + 0.5 })),
        );
        const page = await store.query<{ score: number }>({
          entity: THING,
          index: 'by-score',
          where: { op: 'between', from: base - 4000, to: base + 3000.5 },
          limit: 2,
        });
        expect(page.results.map((r) => r.value.score)).toEqual([base - 4000 + 0.5, base - 2000 + 0.5]);
        expect(
          await allKeys(store, {
            entity: THING,
            index: 'by-score',
            where: { op: 'greaterThan', value: base },
          }),
        ).toEqual(['t0', 't1', 't3', 't5', 't7', 't9', 't11']);
        expect(await store.get(THING, 't11')).toEqual({ score: base + 11_000 + 0.5 });
      });
    });

    describe('index queries', () => {
      const names = ['a', 'ab', 'abc', 'abd', 'b', 'ba', 'c', 'aab', 'a b'];
      const seed = () => store.transact(names.map((name, i) => set(`key-${i}`, { name, n: i * 5 })));
      const namesOf = async (query: Omit<IndexQuery, 'entity' | 'index'>) =>
        (
          await store.query<{ name: string }>({ entity: THING, index: 'by-name', limit: 100, ...query })
        ).results.map((r) => r.value.name);

      it('answers every range condition, in both orders', async () => {
        await seed();
        expect(await namesOf({})).toEqual([...names].sort());
        expect(await namesOf({ where: { op: 'equalTo', value: 'ab' } })).toEqual(['ab']);
        expect(await namesOf({ where: { op: 'beginsWith', value: 'ab' } })).toEqual(['ab', 'abc', 'abd']);
        expect(await namesOf({ where: { op: 'between', from: 'ab', to: 'b' } })).toEqual([
          'ab',
          'abc',
          'abd',
          'b',
        ]);
        expect(await namesOf({ where: { op: 'greaterThanEqualTo', value: 'b' } })).toEqual(['b', 'ba', 'c']);
        expect(await namesOf({ where: { op: 'greaterThan', value: 'b' } })).toEqual(['ba', 'c']);
        expect(await namesOf({ where: { op: 'lessThan', value: 'ab' } })).toEqual(['a', 'a b', 'aab']);
        expect(await namesOf({ where: { op: 'lessThanEqualTo', value: 'ab' } })).toEqual([
          'a',
          'a b',
          'aab',
          'ab',
        ]);
        expect(await namesOf({ sort: 'DESC', where: { op: 'beginsWith', value: 'ab' } })).toEqual([
          'abd',
          'abc',
          'ab',
        ]);
      });

      it('orders numbers numerically and keeps partitions apart', async () => {
        await store.transact([
          set('r1', { team: 'red', n: 10 }),
          set('r2', { team: 'red', n: 2 }),
          set('b1', { team: 'blue', n: 1 }),
          set('b3', { team: 'blue', n: 3 }),
        ]);
        expect(await allKeys(store, { entity: THING, index: 'by-n' })).toEqual(['b1', 'r2', 'b3', 'r1']);
        expect(await allKeys(store, { entity: THING, index: 'by-team-n', partition: ['red'] })).toEqual([
          'r2',
          'r1',
        ]);
        expect(
          await allKeys(store, { entity: THING, index: 'by-team-n', partition: ['blue'], sort: 'DESC' }),
        ).toEqual(['b3', 'b1']);
      });

      it.each([1, 7, 100])('pages through ties with cursors, %i per page, both ways', async (limit) => {
        const records = Array.from({ length: 60 }, (_, i) => ({ key: `k${(i * 7919) % 1000}`, n: i % 7 }));
        for (let i = 0; i < records.length; i += 25) {
          await store.transact(records.slice(i, i + 25).map((r) => set(r.key, { n: r.n })));
        }
        const expected = [...records].sort((a, b) => a.n - b.n || (a.key < b.key ? -1 : 1)).map((r) => r.key);
        expect(await allKeys(store, { entity: THING, index: 'by-n', limit })).toEqual(expected);
        expect(await allKeys(store, { entity: THING, index: 'by-n', limit, sort: 'DESC' })).toEqual(
          [...expected].reverse(),
        );
      });

      it('continues after the record the cursor points at was deleted', async () => {
        await store.transact(
          Array.from({ length: 20 }, (_, i) => set(`k${String(i).padStart(2, '0')}`, { n: i })),
        );
        const first = await store.query({ entity: THING, index: 'by-n', limit: 5 });
        await store.transact([{ type: 'delete', entity: THING, key: first.results[4].key }]);
        const rest = await allKeys(store, {
          entity: THING,
          index: 'by-n',
          limit: 5,
          cursor: first.nextCursor,
        });
        expect(rest).toHaveLength(15);
        expect(rest[0]).toBe('k05');
      });

      it('leaves records without the range attribute, or with a non-scalar one, out of the index', async () => {
        await store.transact([set('named', { name: 'x', n: 1 }), set('anonymous', { n: 2 })]);
        expect(await allKeys(store, { entity: THING, index: 'by-name' })).toEqual(['named']);
        await store.transact([
          set('object', { r: { nested: 1 } }, 'loose'),
          set('scalar', { r: 'x' }, 'loose'),
        ]);
        expect(await allKeys(store, { entity: 'loose', index: 'by-r' })).toEqual(['scalar']);
      });

      it('moves a record when its range value changes and drops it when the value goes', async () => {
        await store.transact([set('k', { name: 'old' })]);
        await store.transact([set('k', { name: 'new' })]);
        expect(await namesOf({})).toEqual(['new']);
        await store.transact([set('k', { n: 1 })]);
        expect(await namesOf({})).toEqual([]);
      });
    });
  });
}
