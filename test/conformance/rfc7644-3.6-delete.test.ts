/**
 * RFC 7644 §3.6: deleting resources. "Service providers MAY choose not to permanently delete
 * the resource but MUST return a 404 (Not Found) error code for all operations associated
 * with the previously deleted resource."
 */
import { createTestApp, filter } from '../support/harness';
import { attributes, createGroup, createUser, expectScimError, patchOp } from './scim';

describe('RFC 7644 §3.6: DELETE', () => {
  // "In response to a successful DELETE, the server SHALL return a successful HTTP status
  // code 204 (No Content)."
  it('answers 204 No Content without a body', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'gone@example.com' });
    const response = await t.request('DELETE', `/Users/${user.id}`);
    expect(response.status).toBe(204);
    expect(response.body).toBeUndefined();
  });

  it('answers 404 to every later operation on the deleted resource', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'gone@example.com' });
    await t.request('DELETE', `/Users/${user.id}`);
    expectScimError(await t.request('GET', `/Users/${user.id}`), 404);
    expectScimError(
      await t.request('PUT', `/Users/${user.id}`, { body: { userName: 'gone@example.com' } }),
      404,
    );
    expectScimError(
      await t.request('PATCH', `/Users/${user.id}`, {
        body: patchOp({ op: 'replace', path: 'title', value: 'x' }),
      }),
      404,
    );
    expectScimError(await t.request('DELETE', `/Users/${user.id}`), 404);
  });

  it('answers 404 for an id that never existed', async () => {
    const t = createTestApp();
    expectScimError(await t.request('DELETE', '/Users/2819c223-7f76-453a-919d-413861904646'), 404);
    expectScimError(await t.request('DELETE', '/Groups/2819c223-7f76-453a-919d-413861904646'), 404);
  });

  it('removes the resource from queries and from totalResults', async () => {
    const t = createTestApp();
    const keep = await createUser(t, { userName: 'keep@example.com' });
    const drop = await createUser(t, { userName: 'drop@example.com' });
    await t.request('DELETE', `/Users/${drop.id}`);
    const list = await t.request('GET', '/Users');
    expect(list.body.totalResults).toBe(1);
    expect(list.body.Resources).toEqual([expect.objectContaining({ id: keep.id })]);
    const search = await t.request('GET', `/Users?${filter('userName eq "drop@example.com"')}`);
    expect(search.body.totalResults).toBe(0);
  });

  it('frees the userName for a new user', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'reuse@example.com' });
    await t.request('DELETE', `/Users/${user.id}`);
    const again = await createUser(t, { userName: 'REUSE@example.com' });
    expect(again.id).not.toBe(user.id);
  });
});

describe('RFC 7644 §3.6 / RFC 7643 §4.2: deleting members and groups', () => {
  it('deleting a user removes it from the members of its groups', async () => {
    const t = createTestApp();
    const stay = await createUser(t, { userName: 'stay@example.com' });
    const leave = await createUser(t, { userName: 'leave@example.com' });
    const group = await createGroup(t, {
      displayName: 'Team',
      members: [{ value: stay.id }, { value: leave.id }],
    });
    expect((await t.request('DELETE', `/Users/${leave.id}`)).status).toBe(204);
    const response = await t.request('GET', `/Groups/${group.id}`);
    expect(response.body.members).toEqual([expect.objectContaining({ value: stay.id })]);
  });

  it('deleting a group answers 204 and then 404', async () => {
    const t = createTestApp();
    const group = await createGroup(t, { displayName: 'Short Lived' });
    expect((await t.request('DELETE', `/Groups/${group.id}`)).status).toBe(204);
    expectScimError(await t.request('GET', `/Groups/${group.id}`), 404);
    expectScimError(await t.request('DELETE', `/Groups/${group.id}`), 404);
  });

  it('deleting a group frees its displayName', async () => {
    const t = createTestApp();
    const group = await createGroup(t, { displayName: 'Phoenix' });
    await t.request('DELETE', `/Groups/${group.id}`);
    await createGroup(t, { displayName: 'phoenix' });
  });

  it('deleting a group removes it from its members’ groups and keeps the users', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'member@example.com' });
    const group = await createGroup(t, { displayName: 'Dissolved', members: [{ value: user.id }] });
    await t.request('DELETE', `/Groups/${group.id}`);
    const response = await t.request('GET', `/Users/${user.id}?${attributes('groups')}`);
    expect(response.status).toBe(200);
    expect(response.body.groups ?? []).toEqual([]);
  });
});
