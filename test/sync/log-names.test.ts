/**
 * Names in the sync log (issue 16 item 4): every entry about a user or group carries what a
 * person calls it as it was when the entry was written (userName or e-mail, the group's name),
 * at no extra storage round trip, bounded in length.
 */
import { LogEntry, MAX_NAME } from '../../src/sync/log';
import { logResourceIds } from '../../src/sync/log-resource';
import { createTestApp } from '../support/harness';
import { createGroup, createUser, createWorld, World } from './support';

async function entriesOf(world: World, resource: string): Promise<LogEntry[]> {
  return (await world.app.sync.log.query({ resource, limit: 100 })).entries;
}

describe('names in the sync log', () => {
  it('names SCIM requests and Atlassian operations by the name the resource had then', async () => {
    const world = createWorld();
    const ada = await createUser(world, 'newcomer@example.com');
    const team = await createGroup(world, 'Engineering', [ada]);
    await world.settle();

    const adaEntries = await entriesOf(world, ada);
    expect(adaEntries.map((e) => [e.source, e.operation, e.name])).toEqual(
      expect.arrayContaining([
        ['scim', 'POST /Users', 'newcomer@example.com'],
        ['atlassian', 'invite', 'newcomer@example.com'],
      ]),
    );
    expect(adaEntries.every((e) => e.name === 'newcomer@example.com')).toBe(true);
    const teamEntries = await entriesOf(world, team);
    expect(teamEntries.map((e) => [e.source, e.operation, e.name])).toEqual(
      expect.arrayContaining([
        ['scim', 'POST /Groups', 'Engineering'],
        ['atlassian', 'createGroup', 'Engineering'],
      ]),
    );

    // Renamed: later entries carry the new name, earlier ones keep the name they were written with.
    const renamed = await world.scim('PATCH', `/Groups/${team}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'displayName', value: 'Platform' }],
    });
    expect(renamed.status).toBe(204);
    const [latest, ...earlier] = await entriesOf(world, team);
    expect([latest.operation, latest.name]).toEqual([`PATCH /Groups/${team}`, 'Platform']);
    expect(earlier.every((e) => e.name === 'Engineering')).toBe(true);
  });

  it('names a deleted user by the address the app last invited, and a request that failed by nothing', async () => {
    const world = createWorld();
    const ada = await createUser(world, 'ada@example.com', { userName: 'ada' });
    await world.settle();
    expect((await world.scim('DELETE', `/Users/${ada}`)).status).toBe(204);
    await world.settle();
    const [...entries] = await entriesOf(world, ada);
    const deleted = entries.filter((e) => e.operation === `DELETE /Users/${ada}` || e.source === 'atlassian');
    // The DELETE's entry is named from the user as it was; the reconcile of the gone user
    // from its link (the address invited), since the directory no longer holds it.
    expect(deleted[0]).toEqual(expect.objectContaining({ source: 'atlassian', name: 'ada@example.com' }));
    expect(entries.find((e) => e.operation === `DELETE /Users/${ada}`)?.name).toBe('ada');

    expect((await world.scim('GET', `/Users/${ada}`)).status).toBe(404);
    const [failed] = (await world.app.sync.log.query({ status: 'failed' })).entries;
    expect(failed.httpStatus).toBe(404);
    // The request's body and the stored user are not read to name a failure.
    expect(failed.name).toBeUndefined();
  });

  it('bounds a long name and costs no storage round trip', async () => {
    const t = createTestApp();
    t.store.reset();
    const long = `${'a'.repeat(300)}@example.com`;
    const created = await t.request('POST', '/Users', { body: { userName: long } });
    expect(created.status).toBe(201);
    // The named entry rode in the create's own transaction, as before names.
    expect(t.store.counts.transact).toBe(1);
    const [entry] = (await t.app.sync.log.query({ resource: created.body.id })).entries;
    expect(entry.name).toHaveLength(MAX_NAME);
    expect(entry.name?.endsWith('…')).toBe(true);
    expect(long.startsWith(entry.name!.slice(0, -1))).toBe(true);
  });

  it('finds the resource a name means: userName, e-mail or group name, users first', async () => {
    const world = createWorld({ disconnected: true });
    const ada = await createUser(world, 'ada@example.com', { userName: 'ada' });
    const shared = await createUser(world, 'ops@example.com', { userName: 'Operations' });
    const ops = await createGroup(world, 'operations', []);
    const directory = world.app.directory;
    expect(await logResourceIds(directory, 'ADA')).toEqual([ada]);
    expect(await logResourceIds(directory, 'Ada@Example.com')).toEqual([ada]);
    expect(await logResourceIds(directory, 'operations')).toEqual([shared, ops]);
    expect(await logResourceIds(directory, ada)).toEqual([ada]);
    // Nothing named so: the value as written (a failed request's path keeps any id sent).
    expect(await logResourceIds(directory, 'not-a-user')).toEqual(['not-a-user']);
  });
});
