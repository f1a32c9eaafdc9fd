/**
 * One server per DATA_DIR. Two servers on one directory each replay the journal, then append
 * to it and fold it into the snapshot on their own: each acknowledges writes the other then
 * overwrites (a 201 lost after a restart, and the account it invited with it).
 *
 * The lock is a file, DATA_DIR/server.lock, created with O_EXCL (`wx`: the create fails if it
 * exists, atomically, on every local file system) holding who holds it: pid, host, start time
 * and, once listening, the URL. A server that stops removes it; one that crashed leaves it
 * behind, so a lock whose process is gone is stale and taken over:
 * - `process.kill(pid, 0)` says whether the pid lives (ESRCH: gone; EPERM: alive, another user);
 * - a pid can be reused (containers restart their numbering), so on Linux the lock also
 *   records the process's start time from /proc/<pid>/stat and a live pid that started at
 *   another time is not the holder; a zombie (killed, not yet reaped) is not alive either;
 * - a lock written on another host (a shared directory) cannot be checked and counts as held.
 * Why not an OS lock (flock): Node has none without a native module, and a file that names
 * its holder lets the refusal say which process to stop.
 *
 * Taking a stale lock over: it is renamed away first (only one of two racing starters can
 * rename that file), then created again with O_EXCL, so two starters never both hold it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const LOCK_FILE = 'server.lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder started. */
  startedAt: string;
  /** Linux: the process's start time in clock ticks since boot (/proc/<pid>/stat field 22). */
  processStart?: string;
  /** Where it serves, once it listens. */
  url?: string;
}

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.url ? `, serving ${holder.url}` : '';
    const host = holder.host !== os.hostname() ? ` on host ${holder.host}` : '';
    super(
      `DATA_DIR ${dataDir} is in use by process ${holder.pid}${host} (npm start since ${holder.startedAt}${where}). ` +
        `One DATA_DIR belongs to one server: stop that one (kill ${holder.pid}), or give this one its own (DATA_DIR=<another directory>).`,
    );
  }
}

export interface DataDirLock {
  readonly file: string;
  /** Records where this server listens, for the refusal a second start prints. */
  describe(url: string): void;
  /** Removes the lock if it is still this process's (idempotent). */
  release(): void;
}

/** Takes DATA_DIR's lock (creating DATA_DIR, 0700, if needed); throws DataDirLockedError when held. */
export function lockDataDir(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, LOCK_FILE);
  const mine: LockHolder = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    ...optional('processStart', processStartOf(process.pid)),
  };
  // A stale lock is moved away and the create tried again; a second stale one (another crash
  // in between) is unlikely, a third would be a loop.
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(file, mine)) return held(file, mine);
    const holder = readHolder(file);
    if (holder === 'gone') continue;
    if (holder !== 'unreadable' && isAlive(holder)) throw new DataDirLockedError(dataDir, holder);
    removeStale(file, holder);
  }
  throw new Error(`Could not take the lock ${file}: it keeps reappearing. Is another server starting?`);
}

function held(file: string, mine: LockHolder): DataDirLock {
  let current = mine;
  let released = false;
  return {
    file,
    describe(url) {
      current = { ...current, url };
      // Rewritten in place: the file is ours, and a reader sees the old or the new JSON line.
      const temp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, `${JSON.stringify(current)}\n`, { mode: 0o600 });
      fs.renameSync(temp, file);
    },
    release() {
      if (released) return;
      released = true;
      const holder = readHolder(file);
      if (typeof holder === 'object' && holder.pid === mine.pid && holder.startedAt === mine.startedAt)
        fs.rmSync(file, { force: true });
    },
  };
}

/** O_EXCL create: false when the file exists. */
function create(file: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    fs.writeSync(fd, `${JSON.stringify(holder)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

function readHolder(file: string): LockHolder | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    return Number.isInteger(holder.pid) && typeof holder.host === 'string' ? holder : 'unreadable';
  } catch {
    // Torn by a crash between create and write: its writer never served.
    return 'unreadable';
  }
}

function isAlive(holder: LockHolder): boolean {
  if (holder.host !== os.hostname()) return true;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(holder.pid);
  // A zombie (killed, its parent not yet done with it) still answers kill(pid, 0).
  if (stat?.[0] === 'Z') return false;
  const started = stat?.[19];
  return !(holder.processStart && started && started !== holder.processStart);
}

/** Moves the stale lock aside (only one racing starter can), then deletes it. */
function removeStale(file: string, seen: LockHolder | 'unreadable'): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readHolder(aside);
  const same =
    seen === 'unreadable' ? moved === 'unreadable' : typeof moved === 'object' && moved.pid === seen.pid;
  // A starter that took it over between our read and our rename: give its lock back.
  if (!same) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // Someone holds a newer lock already; the create below will find it.
    }
  }
  fs.rmSync(aside, { force: true });
}

/** Linux: field 22 of /proc/<pid>/stat (start time since boot); undefined elsewhere. */
function processStartOf(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/** Linux: the fields of /proc/<pid>/stat from the third (the state) on; undefined elsewhere. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
