/**
 * The local store's group commit: transactions that arrive while the journal is being flushed
 * share the next flush, and still nothing is answered, a write or a read that may have seen
 * one, before that write is on disk.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENTITIES } from '../../src/entities';
import { CLAIM } from '../../src/directory/entities';
import { LocalEntityStore } from '../../src/local/entity-store';

let directory: string;
let opened: LocalEntityStore[];

beforeEach(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-group-commit-'));
  opened = [];
});

afterEach(() => {
  jest.restoreAllMocks();
  for (const store of opened.reverse()) store.close();
  fs.rmSync(directory, { recursive: true, force: true });
});

function open(): LocalEntityStore {
  const store = new LocalEntityStore(ENTITIES, directory);
  opened.push(store);
  return store;
}

const claim = (owner: string) => ({ owner, value: `value-of-${owner}`, at: 1 });
const set = (key: string) => ({ type: 'set' as const, entity: CLAIM, key, value: claim(key) });

/** Holds every fdatasync until `release` is called: the disk is busy. */
function holdFlushes() {
  const held: (() => void)[] = [];
  const real = fs.fdatasync;
  jest.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, callback: fs.NoParamCallback) => {
    held.push(() => real(fd, callback));
  }) as typeof fs.fdatasync);
  return {
    get count() {
      return held.length;
    },
    release() {
      for (const flush of held.splice(0)) flush();
    },
  };
}

/** Whether a promise has settled after the event loop had a few turns to settle it. */
async function settledYet(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('group commit of the local store', () => {
  it('lets concurrent transactions share flushes, and keeps every one of them', async () => {
    const store = open();
    const before = store.syncs;
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.transact([set(`c${i}`)])));
    // One flush for the first arrivals, one for those that came while it ran: far fewer than 50.
    expect(store.syncs - before).toBeGreaterThanOrEqual(1);
    expect(store.syncs - before).toBeLessThanOrEqual(3);
    // No close: a crash. Every answered transaction is there.
    const reopened = open();
    expect(reopened.size(CLAIM)).toBe(50);
  });

  it('answers a write, and a read that saw it, only once its flush has ended', async () => {
    const store = open();
    await store.transact([set('before')]);
    const disk = holdFlushes();

    const write = store.transact([set('a')]);
    expect(await settledYet(write)).toBe(false);
    expect(disk.count).toBe(1);
    // The record is in memory (a later transaction's condition sees it), but a read of it is
    // not answered while a crash could still take it back; nor is a read of another record,
    // which cannot tell what the pending write changed.
    const read = store.get(CLAIM, 'a');
    const other = store.get(CLAIM, 'before');
    const refused = store.createIfAbsent(CLAIM, 'a', claim('again'));
    expect(await settledYet(read)).toBe(false);
    expect(await settledYet(other)).toBe(false);
    expect(await settledYet(refused)).toBe(false);

    disk.release();
    await write;
    expect(await read).toEqual(claim('a'));
    expect(await other).toEqual(claim('before'));
    expect(await refused).toBe(false);
  });

  it('answers a transaction that arrived during a flush only after a flush of its own', async () => {
    const store = open();
    const disk = holdFlushes();
    const first = store.transact([set('first')]);
    expect(await settledYet(first)).toBe(false);
    const second = store.transact([set('second')]);
    const third = store.transact([set('third')]);
    expect(await settledYet(second)).toBe(false);

    disk.release(); // the first flush began before the second and third were written
    await first;
    expect(await settledYet(second)).toBe(false);
    expect(disk.count).toBe(1); // one flush for both of them
    disk.release();
    await Promise.all([second, third]);
  });

  it('answers a read at once when nothing is waiting for the disk', async () => {
    const store = open();
    await store.transact([set('a')]);
    const disk = holdFlushes();
    expect(await store.get(CLAIM, 'a')).toEqual(claim('a'));
    expect(disk.count).toBe(0);
  });

  it('refuses everything after a flush failed, rather than answer what the disk may not hold', async () => {
    const store = open();
    jest.spyOn(fs, 'fdatasync').mockImplementation(((_fd: number, callback: fs.NoParamCallback) => {
      const error = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      setImmediate(() => callback(error));
    }) as typeof fs.fdatasync);

    await expect(store.transact([set('a')])).rejects.toThrow(/could not be flushed.*EIO/);
    await expect(store.get(CLAIM, 'a')).rejects.toThrow(/could not be flushed/);
  });

  it('loses no answered write when the process is killed (kill -9) under concurrent writes', async () => {
    const writer = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(__dirname, 'fixtures/acknowledging-writer.ts'), directory],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const answered: string[] = [];
    let pending = '';
    await new Promise<void>((resolve, reject) => {
      writer.stdout.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        answered.push(...lines);
        if (answered.length >= 300 && !writer.killed) {
          writer.kill('SIGKILL');
          resolve();
        }
      });
      writer.on('exit', (code) => reject(new Error(`the writer stopped by itself (${code})`)));
    });
    await new Promise((resolve) => writer.once('close', resolve));
    // Everything it printed before it died, including lines read after the kill was sent.
    answered.push(...pending.split('\n').filter(Boolean));

    const reopened = open();
    const missing: string[] = [];
    for (const key of answered) {
      if ((await reopened.get(CLAIM, key)) === undefined) missing.push(key);
    }
    expect(missing).toEqual([]);
    expect(answered.length).toBeGreaterThanOrEqual(300);
  }, 60_000);
});
