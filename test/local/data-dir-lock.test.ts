/**
 * DATA_DIR's lock (src/local/data-dir-lock.ts): held while its process lives, taken over when
 * its process is gone, its pid now someone else's, or the file torn by a crash.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../../src/local/data-dir-lock';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lock-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const lockFile = () => path.join(dir, LOCK_FILE);
const write = (holder: object | string) =>
  fs.writeFileSync(lockFile(), typeof holder === 'string' ? holder : JSON.stringify(holder));
const holder = (pid: number, extra: object = {}) => ({
  pid,
  host: os.hostname(),
  startedAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});
/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

it('is held while its process lives, and says who holds it', () => {
  write(holder(process.ppid, { url: 'http://127.0.0.1:8787' }));
  expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
  expect(() => lockDataDir(dir)).toThrow(`is in use by process ${process.ppid}`);
  expect(() => lockDataDir(dir)).toThrow('serving http://127.0.0.1:8787');
});

it('is taken over when its process is gone, and released only by its holder', () => {
  write(holder(deadPid()));
  const lock = lockDataDir(dir);
  const mine = JSON.parse(fs.readFileSync(lockFile(), 'utf8')) as { pid: number };
  expect(mine.pid).toBe(process.pid);
  lock.describe('http://127.0.0.1:1234');
  expect(fs.readFileSync(lockFile(), 'utf8')).toContain('http://127.0.0.1:1234');
  lock.release();
  expect(fs.existsSync(lockFile())).toBe(false);
  // Nothing left beside it (the stale lock moved aside is gone too).
  expect(fs.readdirSync(dir)).toEqual([]);
});

it('is taken over when torn by a crash, or when its pid now belongs to a process started later', () => {
  write('{"pid":12');
  lockDataDir(dir).release();
  if (fs.existsSync(`/proc/${process.ppid}/stat`)) {
    write(holder(process.ppid, { processStart: '1' }));
    lockDataDir(dir).release();
  }
});

it('counts a lock written on another host as held (it cannot be checked from here)', () => {
  write({ ...holder(deadPid()), host: 'another-host' });
  expect(() => lockDataDir(dir)).toThrow(/on host another-host/);
});

it('creates DATA_DIR for the owner only', () => {
  const data = path.join(dir, 'new');
  lockDataDir(data).release();
  expect(fs.statSync(data).mode & 0o777).toBe(0o700);
});
