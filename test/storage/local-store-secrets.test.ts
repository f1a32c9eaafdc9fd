/**
 * The local store's files as a place for secrets (issue 13, case 10): owner-only modes, a
 * store made before them tightened when it is opened, and a `secret` entity's deleted or
 * replaced value in no file once the write is answered, while the rest survives a kill.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ENTITIES } from '../../src/entities';
import { LocalEntityStore } from '../../src/local/entity-store';
import { KVS_INTERNAL_ENTITIES, PLAIN, SECRET } from '../../src/local/forge-runtime/kvs';

let root: string;
let directory: string;
let opened: LocalEntityStore[];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-secrets-'));
  directory = path.join(root, 'store');
  opened = [];
});
afterEach(() => {
  for (const store of opened.reverse()) store.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function open(): LocalEntityStore {
  const store = new LocalEntityStore(ENTITIES, directory, KVS_INTERNAL_ENTITIES);
  opened.push(store);
  return store;
}

const record = (key: string, value: unknown) => ({ key, value, createdAt: 1, updatedAt: 1 });
const mode = (file: string) => fs.statSync(file).mode & 0o777;
const onDisk = () =>
  fs
    .readdirSync(directory)
    .map((name) => fs.readFileSync(path.join(directory, name), 'utf8'))
    .join('\n');

describe('secrets in the local store', () => {
  it('writes its directory 0700 and its files 0600, and tightens a store made before', async () => {
    fs.mkdirSync(directory, { mode: 0o755 });
    fs.writeFileSync(path.join(directory, 'journal.jsonl'), '', { mode: 0o644 });
    fs.chmodSync(path.join(directory, 'journal.jsonl'), 0o644);
    const store = open();
    await store.transact([{ type: 'set', entity: SECRET, key: 'k', value: record('k', 'v') }]);
    expect(mode(directory)).toBe(0o700);
    expect(fs.readdirSync(directory).sort()).toEqual(['journal.jsonl', 'snapshot.json']);
    for (const name of fs.readdirSync(directory))
      expect([name, mode(path.join(directory, name))]).toEqual([name, 0o600]);
  });

  it('leaves no copy of a deleted or replaced secret in any file, and keeps the rest', async () => {
    const store = open();
    await store.transact([
      { type: 'set', entity: SECRET, key: 'api-key', value: record('api-key', 'first-secret-value') },
      { type: 'set', entity: PLAIN, key: 'note', value: record('note', 'kept') },
    ]);
    expect(onDisk()).toContain('first-secret-value');

    await store.transact([
      { type: 'set', entity: SECRET, key: 'api-key', value: record('api-key', 'second-secret-value') },
    ]);
    expect(onDisk()).not.toContain('first-secret-value');
    expect(onDisk()).toContain('second-secret-value');

    await store.transact([{ type: 'delete', entity: SECRET, key: 'api-key' }]);
    expect(onDisk()).not.toContain('second-secret-value');

    // Killed now (no close): what was kept is there after a restart, the secret is not.
    const restarted = open();
    expect(await restarted.get(SECRET, 'api-key')).toBeUndefined();
    expect(await restarted.get(PLAIN, 'note')).toEqual(record('note', 'kept'));
  });
});
