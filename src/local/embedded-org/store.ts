/**
 * The embedded organization's durable state: a snapshot (DATA_DIR/embedded-org.json) plus an
 * append-only journal (DATA_DIR/embedded-org.journal). Every state-changing request appends
 * one line holding all of its changes and fsyncs it before the answer is sent, so an answer
 * the client saw is never lost and a request is applied entirely or not at all (a torn last
 * line, from a crash mid-write, is ignored on replay). The snapshot is written
 * temp-file-then-rename with fsyncs, so it is always either the old or the new one; the
 * journal is folded into it when it grows and on close. Without a directory the state is in
 * memory only (tests).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Collection, OrgState } from './types';

const SNAPSHOT = 'embedded-org.json';
const JOURNAL = 'embedded-org.journal';
/** Journal lines before the journal is folded into the snapshot. */
const COMPACT_AFTER = 2_000;
/** Its API keys and site tokens are in these files: readable by their owner only. */
const FILE_MODE = 0o600;

interface Change {
  c: Collection;
  k: string;
  /** The new value; absent for a delete. */
  v?: unknown;
}

const COLLECTIONS: Collection[] = ['meta', 'users', 'groups', 'members', 'groupRoles', 'userRoles'];

export function emptyState(): OrgState {
  return {
    meta: new Map(),
    users: new Map(),
    groups: new Map(),
    members: new Map(),
    groupRoles: new Map(),
    userRoles: new Map(),
  };
}

export class OrgStore {
  readonly state: OrgState = emptyState();
  private pending: Change[] = [];
  private journalLines = 0;
  private journalFd?: number;

  constructor(private readonly dir?: string) {
    if (!dir) return;
    fs.mkdirSync(dir, { recursive: true });
    const snapshot = path.join(dir, SNAPSHOT);
    if (fs.existsSync(snapshot)) {
      fs.chmodSync(snapshot, FILE_MODE);
      const saved = JSON.parse(fs.readFileSync(snapshot, 'utf8')) as Record<string, [string, unknown][]>;
      for (const c of COLLECTIONS) {
        for (const [k, v] of saved[c] ?? []) (this.state[c] as Map<string, unknown>).set(k, v);
      }
    }
    const journal = path.join(dir, JOURNAL);
    if (fs.existsSync(journal)) {
      for (const line of fs.readFileSync(journal, 'utf8').split('\n')) {
        if (!line) continue;
        let changes: Change[];
        try {
          changes = JSON.parse(line) as Change[];
        } catch {
          // A torn last line: the request it belonged to was never answered.
          break;
        }
        this.apply(changes);
        this.journalLines++;
      }
    }
    this.journalFd = fs.openSync(journal, 'a', FILE_MODE);
    // A file from before this rule keeps its old mode until tightened.
    fs.fchmodSync(this.journalFd, FILE_MODE);
  }

  get<C extends Collection>(c: C, key: string): ReturnType<OrgState[C]['get']> {
    return this.state[c].get(key) as ReturnType<OrgState[C]['get']>;
  }

  /** Changes the state now; the change is made durable by the next `commit`. */
  put<C extends Collection>(c: C, key: string, value: NonNullable<ReturnType<OrgState[C]['get']>>): void {
    (this.state[c] as Map<string, unknown>).set(key, value);
    this.pending.push({ c, k: key, v: structuredClone(value) });
  }

  delete(c: Collection, key: string): void {
    if (!this.state[c].delete(key)) return;
    this.pending.push({ c, k: key });
  }

  /** Writes the changes made since the last commit as one journal line, flushed to disk. */
  commit(): void {
    if (this.pending.length === 0) return;
    const changes = this.pending;
    this.pending = [];
    if (this.journalFd === undefined) return;
    fs.writeSync(this.journalFd, `${JSON.stringify(changes)}\n`);
    fs.fsyncSync(this.journalFd);
    if (++this.journalLines >= COMPACT_AFTER) this.compact();
  }

  /** Folds the journal into a new snapshot (temp file, fsync, rename, fsync of the folder). */
  compact(): void {
    if (!this.dir || this.journalFd === undefined) return;
    const snapshot = path.join(this.dir, SNAPSHOT);
    const temp = `${snapshot}.tmp`;
    const saved = Object.fromEntries(COLLECTIONS.map((c) => [c, [...this.state[c].entries()]]));
    const fd = fs.openSync(temp, 'w', FILE_MODE);
    try {
      fs.writeSync(fd, JSON.stringify(saved));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, snapshot);
    fsyncDir(this.dir);
    // Only now is the journal redundant.
    fs.ftruncateSync(this.journalFd, 0);
    fs.fsyncSync(this.journalFd);
    this.journalLines = 0;
  }

  close(): void {
    if (this.journalFd === undefined) return;
    this.commit();
    this.compact();
    fs.closeSync(this.journalFd);
    this.journalFd = undefined;
  }

  private apply(changes: Change[]): void {
    for (const change of changes) {
      const map = this.state[change.c] as Map<string, unknown> | undefined;
      if (!map) continue;
      if (change.v === undefined) map.delete(change.k);
      else map.set(change.k, change.v);
    }
  }
}

function fsyncDir(dir: string): void {
  // Not every platform can open a folder for fsync (Windows); the rename is still atomic.
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}
