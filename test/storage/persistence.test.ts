/**
 * The local store's on-disk journal and snapshot: `npm start` must not lose provisioned
 * users when the process stops, whether it is shut down (close) or killed (no close).
 * A restart is simulated by opening a new LocalEntityStore on the same directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENTITIES } from '../../src/entities';
import { CLAIM, MEMBER } from '../../src/directory/entities';
import { LocalEntityStore } from '../../src/local/entity-store';

const JOURNAL = 'journal.jsonl';
const SNAPSHOT = 'snapshot.json';

let directory: string;
/** Stores opened by a test; closed afterwards so no file descriptor leaks between tests. */
let opened: LocalEntityStore[];

beforeEach(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-store-'));
  opened = [];
});

afterEach(() => {
  // Closing compacts into the directory, so it goes before the directory is removed. A store
  // "killed" by a test is closed here too, after the test has looked at what survived.
  for (const store of opened.reverse()) store.close();
  fs.rmSync(directory, { recursive: true, force: true });
});

function open(): LocalEntityStore {
  const store = new LocalEntityStore(ENTITIES, directory);
  opened.push(store);
  return store;
}

const claim = (owner: string) => ({ owner, value: `value-of-${owner}`, at: 1 });
const membership = (group: string, user: string) => ({
  group,
  user,
  slot: `000000000001:${user}`,
});

/** Writes of every kind: a createIfAbsent, a multi-operation transaction, an overwrite, a delete. */
async function writeSomeRecords(store: LocalEntityStore): Promise<void> {
  await store.createIfAbsent(CLAIM, 'c1', claim('one'));
  await store.transact([
    { type: 'set', entity: CLAIM, key: 'c2', value: claim('two') },
    { type: 'set', entity: CLAIM, key: 'c3', value: claim('three') },
    { type: 'set', entity: MEMBER, key: 'g:u1', value: membership('g', 'u1') },
    { type: 'set', entity: MEMBER, key: 'g:u2', value: membership('g', 'u2') },
  ]);
  await store.transact([{ type: 'set', entity: CLAIM, key: 'c2', value: claim('two-again') }]);
  await store.transact([{ type: 'delete', entity: CLAIM, key: 'c3' }]);
}

async function expectSomeRecords(store: LocalEntityStore): Promise<void> {
  expect(await store.get(CLAIM, 'c1')).toEqual(claim('one'));
  expect(await store.get(CLAIM, 'c2')).toEqual(claim('two-again'));
  expect(await store.get(CLAIM, 'c3')).toBeUndefined();
  expect(store.size(CLAIM)).toBe(2);
  // The indexes are rebuilt from the stored records, not only the records themselves.
  const members = await store.query<{ user: string }>({
    entity: MEMBER,
    index: 'by-slot',
    where: { op: 'beginsWith', value: '000000000001:' },
  });
  expect(members.results.map((r) => r.value.user)).toEqual(['u1', 'u2']);
  const byUser = await store.query({
    entity: MEMBER,
    index: 'by-user',
    where: { op: 'equalTo', value: 'u2' },
  });
  expect(byUser.results.map((r) => r.key)).toEqual(['g:u2']);
}

describe('persistence of the local store', () => {
  it('keeps writes across a clean restart (close, then open again)', async () => {
    const first = open();
    await writeSomeRecords(first);
    first.close();

    await expectSomeRecords(open());
  });

  it('keeps writes across a crash (no close): every answered write is already on disk', async () => {
    const first = open();
    await writeSomeRecords(first);
    // No close(): the process was killed. Only what reached the disk counts.

    await expectSomeRecords(open());
  });

  it('keeps writes across several restarts, crashed and clean, with writes in between', async () => {
    const first = open();
    await first.createIfAbsent(CLAIM, 'a', claim('a'));
    // Crash.
    const second = open();
    await second.createIfAbsent(CLAIM, 'b', claim('b'));
    second.close();
    const third = open();
    await third.transact([{ type: 'delete', entity: CLAIM, key: 'a' }]);
    // Crash.
    const fourth = open();
    expect(await fourth.get(CLAIM, 'a')).toBeUndefined();
    expect(await fourth.get(CLAIM, 'b')).toEqual(claim('b'));
    expect(fourth.size(CLAIM)).toBe(1);
  });

  it('does not persist a transaction that failed', async () => {
    const first = open();
    await first.createIfAbsent(CLAIM, 'a', claim('a'));
    await expect(
      first.transact([
        { type: 'set', entity: CLAIM, key: 'b', value: claim('b') },
        {
          type: 'delete',
          entity: CLAIM,
          key: 'a',
          condition: { attribute: 'owner', equals: 'someone else' },
        },
      ]),
    ).rejects.toThrow();

    const second = open();
    expect(await second.get(CLAIM, 'a')).toEqual(claim('a'));
    expect(await second.get(CLAIM, 'b')).toBeUndefined();
  });

  it('ignores a torn last journal line and keeps every earlier write', async () => {
    const first = open();
    await writeSomeRecords(first);
    // The process died while appending one more transaction: half a JSON line, no newline.
    const torn = JSON.stringify([{ e: CLAIM, k: 'torn', v: claim('torn') }]);
    fs.appendFileSync(path.join(directory, JOURNAL), torn.slice(0, Math.floor(torn.length / 2)));

    const second = open();
    await expectSomeRecords(second);
    expect(await second.get(CLAIM, 'torn')).toBeUndefined();
  });

  it('keeps working after recovering from a torn line: later writes survive the next restart', async () => {
    const first = open();
    await first.createIfAbsent(CLAIM, 'before', claim('before'));
    fs.appendFileSync(path.join(directory, JOURNAL), '[{"e":"scim-claim","k":"torn","v":{"own');

    const second = open();
    await second.createIfAbsent(CLAIM, 'after', claim('after'));
    // Crash again: the torn fragment must not swallow the write made after recovery.

    const third = open();
    expect(await third.get(CLAIM, 'before')).toEqual(claim('before'));
    expect(await third.get(CLAIM, 'after')).toEqual(claim('after'));
    expect(await third.get(CLAIM, 'torn')).toBeUndefined();
  });

  it('holds everything in the snapshot after close(), with an empty journal', async () => {
    const store = open();
    await writeSomeRecords(store);
    store.close();

    expect(fs.statSync(path.join(directory, JOURNAL)).size).toBe(0);
    const snapshot = JSON.parse(fs.readFileSync(path.join(directory, SNAPSHOT), 'utf8')) as Record<
      string,
      [string, unknown][]
    >;
    expect(Object.fromEntries(snapshot[CLAIM])).toEqual({ c1: claim('one'), c2: claim('two-again') });
    expect(Object.fromEntries(snapshot[MEMBER])).toEqual({
      'g:u1': membership('g', 'u1'),
      'g:u2': membership('g', 'u2'),
    });
    // No temporary file is left behind.
    expect(fs.readdirSync(directory).sort()).toEqual([JOURNAL, SNAPSHOT]);
  });

  it('journals each answered write before it returns', async () => {
    const store = open();
    await store.createIfAbsent(CLAIM, 'a', claim('a'));
    const journal = fs.readFileSync(path.join(directory, JOURNAL), 'utf8');
    expect(journal.endsWith('\n')).toBe(true);
    expect(journal.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(journal)).toEqual([{ e: CLAIM, k: 'a', v: claim('a') }]);
  });

  it('starts empty in a new directory', () => {
    const fresh = path.join(directory, 'nested', 'data');
    const store = new LocalEntityStore(ENTITIES, fresh);
    opened.push(store);
    expect(store.size(CLAIM)).toBe(0);
    expect(fs.existsSync(path.join(fresh, SNAPSHOT))).toBe(true);
  });
});
