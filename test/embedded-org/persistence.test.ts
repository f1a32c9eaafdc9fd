/**
 * The embedded organization survives a restart, with or without a clean close: every answered
 * write is in the fsynced journal, a torn last line is ignored, the snapshot is replaced
 * atomically, and the generated API key and IDs stay the same.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedOrganization, SEED_ACCOUNTS } from '../../src/local/embedded-org';
import { client, newOrg } from './helpers';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-org-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function populate(org: EmbeddedOrganization) {
  const api = client(org);
  expect((await api.call('POST', `${api.d}/groups`, { name: 'Engineering' })).status).toBe(201);
  const invited = await api.call('POST', `${api.o}/users/invite`, {
    emails: ['new@example.org'],
    additionalGroups: [await api.groupOf('Engineering')],
  });
  const ada = await api.accountOf(SEED_ACCOUNTS.existing);
  expect((await api.call('POST', `${api.d}/users/${ada}/suspend`, {})).status).toBe(204);
  return { newId: invited.body.data[0].id as string, ada };
}

function snapshotOf(org: EmbeddedOrganization) {
  return {
    orgId: org.orgId,
    apiKey: org.apiKey,
    directoryId: org.directoryId,
    group: org.findGroupByName('engineering'),
    members: org.membersOf(org.findGroupByName('Engineering')?.id ?? '').sort(),
    ada: org.findUserByEmail(SEED_ACCOUNTS.existing),
    invited: org.findUserByEmail('new@example.org'),
  };
}

it('keeps everything across a crash (no close) and across a clean close', async () => {
  const first = newOrg({ dataDir: dir });
  const { newId } = await populate(first);
  const before = snapshotOf(first);
  expect(before.members).toContain(newId);
  expect(before.ada?.membership).toBe('suspended');
  // A crash: nothing is closed or compacted; the journal alone must carry the writes.
  const second = newOrg({ dataDir: dir });
  expect(snapshotOf(second)).toEqual(before);
  second.close();
  expect(fs.readFileSync(path.join(dir, 'embedded-org.journal'), 'utf8')).toBe('');
  const third = newOrg({ dataDir: dir });
  expect(snapshotOf(third)).toEqual(before);
  third.close();
});

it('ignores a torn last journal line (a write that was never answered)', async () => {
  const first = newOrg({ dataDir: dir });
  await populate(first);
  const before = snapshotOf(first);
  fs.appendFileSync(path.join(dir, 'embedded-org.journal'), '[{"c":"groups","k":"x","v":{"id":"x","na');
  const second = newOrg({ dataDir: dir });
  expect(snapshotOf(second)).toEqual(before);
  expect(second.findGroupByName('x')).toBeUndefined();
});

it('keeps a lost answer’s change: it was applied before the timeout', async () => {
  const first = newOrg({ dataDir: dir });
  const api = client(first);
  first.faults.failNext('timeout-after');
  const answer = await api.call('POST', `${api.d}/groups`, { name: 'Lost' });
  expect(answer.timeout).toEqual({ applied: true });
  expect(newOrg({ dataDir: dir }).findGroupByName('Lost')).toBeDefined();
});

it('keeps a generated API key, and EMBEDDED_ORG_API_KEY (apiKey) replaces it', async () => {
  const first = newOrg({ dataDir: dir });
  const generated = first.apiKey;
  expect(generated.length).toBeGreaterThan(20);
  first.close();
  expect(newOrg({ dataDir: dir }).apiKey).toBe(generated);
  const fixed = newOrg({ dataDir: dir, apiKey: 'fixed-key' });
  expect(fixed.apiKey).toBe('fixed-key');
  expect(fixed.orgId).toBe(first.orgId);
  expect((await client(fixed).call('GET', '/v1/orgs')).status).toBe(200);
  expect(newOrg({ dataDir: dir }).apiKey).toBe('fixed-key');
});

it('writes the snapshot atomically: no temporary file is left behind', async () => {
  const org = newOrg({ dataDir: dir });
  await populate(org);
  org.close();
  expect(fs.readdirSync(dir).sort()).toEqual(['embedded-org.journal', 'embedded-org.json']);
  const saved = JSON.parse(fs.readFileSync(path.join(dir, 'embedded-org.json'), 'utf8')) as Record<
    string,
    unknown[]
  >;
  expect(Object.keys(saved).sort()).toEqual([
    'groupRoles',
    'groups',
    'members',
    'meta',
    'userRoles',
    'users',
  ]);
});

it('keeps its files, which hold its API key and site token, readable by their owner only', async () => {
  const first = newOrg({ dataDir: dir });
  await populate(first);
  const mode = (file: string) => fs.statSync(path.join(dir, file)).mode & 0o777;
  expect(mode('embedded-org.journal')).toBe(0o600);
  first.close();
  expect(mode('embedded-org.json')).toBe(0o600);
  // A snapshot left readable by an older version is tightened when the organization opens.
  fs.chmodSync(path.join(dir, 'embedded-org.json'), 0o644);
  newOrg({ dataDir: dir }).close();
  expect(mode('embedded-org.json')).toBe(0o600);
});
