/**
 * `npm run log`: the sync log of a local DATA_DIR, newest first.
 *
 *   npm run log                                  the last 50 entries
 *   npm run log -- --status failed --since 1h    failures of the last hour
 *   npm run log -- --resource <scim id>          one user's or group's history
 *   npm run log -- --resource ada@example.com    the same, by userName, e-mail or group name
 *   npm run log -- --limit 200 --json            as JSON lines
 *
 * --since/--until take 30s, 15m, 1h, 2d or an ISO date. DATA_DIR as for npm start.
 *
 * A name is looked up in the directory, so it also finds the entries written before the log
 * carried names; a name the directory no longer holds (a deleted user) is looked for in the
 * names of the newest NAME_SCAN_LIMIT entries.
 *
 * It reads a copy of the store (snapshot and journal), so it can run beside `npm start`:
 * opening the live store would compact the journal the server is writing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isResourceId } from '../directory/collection';
import { Directory } from '../directory/directory';
import { fold } from '../directory/keys';
import { ENTITIES } from '../entities';
import { LOG_STATUSES, LogEntry, LogQuery, LogStatus, SyncLog } from '../sync/log';
import { logResourceIds } from '../sync/log-resource';
import { LocalEntityStore } from './entity-store';
import { EVENT_INTERNAL_ENTITIES } from './forge-runtime/events';
import { KVS_INTERNAL_ENTITIES } from './forge-runtime/kvs';

export interface LogOptions {
  query: LogQuery;
  limit: number;
  json: boolean;
}

/** Entries searched for a name the directory no longer holds, newest first. */
export const NAME_SCAN_LIMIT = 10_000;

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "1h" (ago), or a date. */
export function parseTime(text: string, now = Date.now()): number {
  const relative = /^(\d+)([smhd])$/.exec(text.trim());
  if (relative) return now - Number(relative[1]) * UNITS[relative[2]];
  const absolute = Date.parse(text);
  if (Number.isNaN(absolute)) throw new Error(`Not a time: ${text} (use 30m, 1h, 2d or an ISO date).`);
  return absolute;
}

export function parseArgs(argv: string[], now = Date.now()): LogOptions {
  const options: LogOptions = { query: {}, limit: 50, json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value.`);
      return next;
    };
    switch (flag) {
      case '--status': {
        const status = value();
        if (!LOG_STATUSES.includes(status as LogStatus)) {
          throw new Error(`--status is one of ${LOG_STATUSES.join(', ')}.`);
        }
        options.query.status = status as LogStatus;
        break;
      }
      case '--resource':
        options.query.resource = value();
        break;
      case '--since':
        options.query.since = parseTime(value(), now);
        break;
      case '--until':
        options.query.until = parseTime(value(), now);
        break;
      case '--limit':
        options.limit = Math.max(1, Number.parseInt(value(), 10) || 50);
        break;
      case '--json':
        options.json = true;
        break;
      default:
        throw new Error(
          `Unknown option ${flag}. Options: --status, --resource, --since, --until, --limit, --json.`,
        );
    }
  }
  return options;
}

/** The entries the options select, read from a copy of DATA_DIR's store. */
export async function readLog(dataDir: string, options: LogOptions): Promise<LogEntry[]> {
  const source = path.join(dataDir, 'store');
  if (!fs.existsSync(source)) throw new Error(`No local store in ${dataDir} (run npm start first).`);
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'sync-log-'));
  try {
    for (const file of ['snapshot.json', 'journal.jsonl']) {
      if (fs.existsSync(path.join(source, file)))
        fs.copyFileSync(path.join(source, file), path.join(copy, file));
    }
    const store = new LocalEntityStore(ENTITIES, copy, [
      ...KVS_INTERNAL_ENTITIES,
      ...EVENT_INTERNAL_ENTITIES,
    ]);
    const log = new SyncLog(store);
    const wanted = options.query.resource;
    if (wanted === undefined) return await read(log, options.query, options.limit);
    let ids = await logResourceIds(new Directory(store), wanted);
    if (ids.length === 1 && ids[0] === wanted.trim() && wanted.trim() !== '-' && !isResourceId(ids[0])) {
      ids = [...ids, ...(await idsNamedInLog(log, options.query, wanted))];
    }
    // Each resource's entries, merged newest first (a name may belong to a user and a group).
    const pages = await Promise.all(
      ids.map((resource) => read(log, { ...options.query, resource }, options.limit)),
    );
    return pages
      .flat()
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, options.limit);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

async function read(log: SyncLog, query: LogQuery, limit: number): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await log.query({ ...query, limit: 100, cursor });
    entries.push(...page.entries);
    cursor = page.cursor;
  } while (cursor && entries.length < limit);
  return entries.slice(0, limit);
}

/** Ids of the resources the newest entries name `name` (case-insensitively). */
async function idsNamedInLog(log: SyncLog, query: LogQuery, name: string): Promise<string[]> {
  const folded = fold(name.trim());
  const { resource: _resource, status: _status, ...range } = query;
  const entries = await read(log, range, NAME_SCAN_LIMIT);
  const ids = entries.filter((e) => e.name !== undefined && fold(e.name) === folded).map((e) => e.resource);
  return [...new Set(ids)];
}

/**
 * One line per entry: time, status, source, resource (its name as it was then, and its id),
 * operation, and what came of it.
 */
export function formatEntry(entry: LogEntry): string {
  const detail = [
    entry.httpStatus !== undefined ? String(entry.httpStatus) : undefined,
    entry.idp && entry.idp !== 'unknown' ? entry.idp : undefined,
    entry.ms !== undefined ? `${entry.ms}ms` : undefined,
    entry.why,
    entry.result,
    entry.attempts !== undefined && entry.attempts > 1 ? `attempt ${entry.attempts}` : undefined,
    entry.error ? `${entry.errorKind ?? 'error'}: ${entry.error}` : undefined,
  ].filter((part) => part !== undefined && part !== '');
  return [
    new Date(entry.at).toISOString(),
    entry.status.padEnd(9),
    entry.source.padEnd(9),
    (entry.name ? `${entry.name} ${entry.resource}` : entry.resource).padEnd(36),
    entry.operation,
    detail.length > 0 ? `— ${detail.join('; ')}` : '',
  ]
    .join('  ')
    .trimEnd();
}

async function main(): Promise<void> {
  // `npm run log | head`: once the reader has what it wanted and closes the pipe, the rest
  // has nowhere to go. That is the reader's choice, not a failure of ours.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const options = parseArgs(process.argv.slice(2));
  const entries = await readLog(path.resolve(process.env.DATA_DIR ?? '.data'), options);
  for (const entry of entries) console.log(options.json ? JSON.stringify(entry) : formatEntry(entry));
  if (!options.json && entries.length === 0) console.log('(no entries)');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
