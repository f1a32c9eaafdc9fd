/**
 * RFC 7644 §3.5.1: replacing with PUT. "HTTP PUT is used to replace a resource's attributes."
 * readWrite attributes omitted from the body "MAY be assumed to be not asserted by the
 * client. The service provider MAY assume that any existing values are to be cleared": this
 * server clears them, with two documented exceptions: a PUT without `active` keeps it, and a
 * group PUT without `members` keeps the members.
 */
import { createTestApp } from '../support/harness';
import {
  attributes,
  createGroup,
  createUser,
  ENTERPRISE,
  expectScimError,
  manualClock,
  USER_SCHEMA,
} from './scim';

describe('RFC 7644 §3.5.1: PUT replaces the resource', () => {
  it('answers 200 with the new representation', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'put@example.com', displayName: 'Before' });
    const response = await t.request('PUT', `/Users/${user.id}`, {
      body: { schemas: [USER_SCHEMA], userName: 'put@example.com', displayName: 'After' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: user.id, userName: 'put@example.com', displayName: 'After' });
    expect((await t.request('GET', `/Users/${user.id}`)).body).toEqual(response.body);
  });

  // "readWrite" attributes left out of the body are cleared.
  it('clears readWrite attributes the body leaves out', async () => {
    const t = createTestApp();
    const user = await createUser(t, {
      schemas: [USER_SCHEMA, ENTERPRISE],
      userName: 'clear@example.com',
      externalId: 'ext-1',
      displayName: 'Clear Me',
      title: 'Engineer',
      name: { givenName: 'Clara', familyName: 'Lear' },
      emails: [{ value: 'clear@example.com', type: 'work' }],
      [ENTERPRISE]: { department: 'Ops' },
    });
    const response = await t.request('PUT', `/Users/${user.id}`, {
      body: { schemas: [USER_SCHEMA], userName: 'clear@example.com', name: { givenName: 'Clara' } },
    });
    expect(response.status).toBe(200);
    for (const cleared of ['externalId', 'displayName', 'title', 'emails', ENTERPRISE]) {
      expect(response.body).not.toHaveProperty([cleared]);
    }
    expect(response.body.name).toEqual({ givenName: 'Clara' });
    expect(response.body.schemas).toEqual([USER_SCHEMA]);
  });

  it('replaces a multi-valued attribute as a whole', async () => {
    const t = createTestApp();
    const user = await createUser(t, {
      userName: 'mv@example.com',
      emails: [
        { value: 'a@example.com', type: 'work' },
        { value: 'b@example.com', type: 'home' },
      ],
    });
    const response = await t.request('PUT', `/Users/${user.id}`, {
      body: { userName: 'mv@example.com', emails: [{ value: 'c@example.com', type: 'other' }] },
    });
    expect(response.body.emails).toEqual([{ value: 'c@example.com', type: 'other' }]);
  });

  // Server decision (Okta's full-object PUTs omit it): a PUT without "active" keeps it.
  it('keeps active when the body leaves it out', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'inactive@example.com', active: false });
    const response = await t.request('PUT', `/Users/${user.id}`, {
      body: { userName: 'inactive@example.com', displayName: 'Still Inactive' },
    });
    expect(response.body.active).toBe(false);
  });

  it('changes active when the body gives it', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'toggle@example.com', active: false });
    const response = await t.request('PUT', `/Users/${user.id}`, {
      body: { userName: 'toggle@example.com', active: true },
    });
    expect(response.body.active).toBe(true);
  });

  it('answers 404 for an unknown id', async () => {
    const t = createTestApp();
    const response = await t.request('PUT', '/Users/2819c223-7f76-453a-919d-413861904646', {
      body: { userName: 'ghost@example.com' },
    });
    expectScimError(response, 404);
    expect((await t.request('GET', '/Users')).body.totalResults).toBe(0);
  });

  it('answers 400 when the required userName is missing', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'required@example.com' });
    expectScimError(await t.request('PUT', `/Users/${user.id}`, { body: { displayName: 'No Name' } }), 400);
    expect((await t.request('GET', `/Users/${user.id}`)).body.userName).toBe('required@example.com');
  });
});

describe('RFC 7644 §3.5.1: readOnly attributes in a PUT are ignored', () => {
  // "readOnly: Any values provided SHALL be ignored."
  it('ignores id in the body and keeps the id of the URL', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'id@example.com' });
    const response = await t.request('PUT', `/Users/${user.id}`, {
      body: { id: 'something-else', userName: 'id@example.com' },
    });
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(user.id);
    expect((await t.request('GET', '/Users/something-else')).status).toBe(404);
  });

  it('ignores meta and groups in the body', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'ro@example.com' });
    const group = await createGroup(t, { displayName: 'Untouched' });
    const response = await t.request('PUT', `/Users/${user.id}?${attributes('groups,meta,userName')}`, {
      body: {
        userName: 'ro@example.com',
        meta: { created: '2001-01-01T00:00:00Z', resourceType: 'Group' },
        groups: [{ value: group.id }],
      },
    });
    expect(response.status).toBe(200);
    expect(response.body.meta.created).toBe((user.meta as Record<string, string>).created);
    expect(response.body.meta.resourceType).toBe('User');
    expect(response.body.groups ?? []).toEqual([]);
  });

  it('keeps meta.created, advances meta.lastModified and changes meta.version', async () => {
    const clock = manualClock('2024-05-01T00:00:00Z');
    const t = createTestApp({ clock: clock.now });
    const user = await createUser(t, { userName: 'times@example.com' });
    clock.set('2024-05-02T00:00:00Z');
    const response = await t.request('PUT', `/Users/${user.id}`, {
      body: { userName: 'times@example.com', title: 'New' },
    });
    const before = user.meta as Record<string, string>;
    expect(response.body.meta.created).toBe(before.created);
    expect(Date.parse(response.body.meta.lastModified)).toBe(Date.parse('2024-05-02T00:00:00Z'));
    expect(response.body.meta.version).not.toBe(before.version);
  });
});

describe('RFC 7644 §3.5.1: uniqueness on replace', () => {
  it('answers 409 uniqueness when the new userName belongs to another user', async () => {
    const t = createTestApp();
    await createUser(t, { userName: 'taken@example.com' });
    const user = await createUser(t, { userName: 'mine@example.com' });
    const response = await t.request('PUT', `/Users/${user.id}`, { body: { userName: 'TAKEN@example.com' } });
    expectScimError(response, 409, 'uniqueness');
    expect((await t.request('GET', `/Users/${user.id}`)).body.userName).toBe('mine@example.com');
  });

  it('allows a user to change the case of its own userName', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'self@example.com' });
    const response = await t.request('PUT', `/Users/${user.id}`, { body: { userName: 'SELF@example.com' } });
    expect(response.status).toBe(200);
    expect(response.body.userName).toBe('SELF@example.com');
  });

  it('frees the old userName after a rename', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'old@example.com' });
    await t.request('PUT', `/Users/${user.id}`, { body: { userName: 'new@example.com' } });
    await createUser(t, { userName: 'old@example.com' });
  });

  it('answers 409 when a group is renamed to another group’s displayName', async () => {
    const t = createTestApp();
    await createGroup(t, { displayName: 'Finance' });
    const group = await createGroup(t, { displayName: 'Legal' });
    const response = await t.request('PUT', `/Groups/${group.id}`, { body: { displayName: 'finance' } });
    expectScimError(response, 409, 'uniqueness');
  });
});

describe('RFC 7644 §3.5.1: replacing groups', () => {
  // Server decision: renaming a group by PUT must not empty it.
  it('keeps the members when the body has no members attribute', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'member@example.com' });
    const group = await createGroup(t, { displayName: 'Keep', members: [{ value: user.id }] });
    const response = await t.request('PUT', `/Groups/${group.id}`, { body: { displayName: 'Kept' } });
    expect(response.status).toBe(200);
    expect(response.body.displayName).toBe('Kept');
    expect(response.body.members).toEqual([expect.objectContaining({ value: user.id })]);
  });

  it('empties the group for "members": []', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'member@example.com' });
    const group = await createGroup(t, { displayName: 'Empty Me', members: [{ value: user.id }] });
    const response = await t.request('PUT', `/Groups/${group.id}`, {
      body: { displayName: 'Empty Me', members: [] },
    });
    expect(response.body.members ?? []).toEqual([]);
  });

  it('replaces the member list with the one given', async () => {
    const t = createTestApp();
    const a = await createUser(t, { userName: 'a@example.com' });
    const b = await createUser(t, { userName: 'b@example.com' });
    const c = await createUser(t, { userName: 'c@example.com' });
    const group = await createGroup(t, { displayName: 'Swap', members: [{ value: a.id }, { value: b.id }] });
    const response = await t.request('PUT', `/Groups/${group.id}`, {
      body: { displayName: 'Swap', members: [{ value: b.id }, { value: c.id }] },
    });
    const members = (response.body.members as { value: string }[]).map((m) => m.value).sort();
    expect(members).toEqual([b.id, c.id].sort());
  });

  it('answers 404 for an unknown group', async () => {
    const t = createTestApp();
    expectScimError(await t.request('PUT', '/Groups/nope', { body: { displayName: 'Nope' } }), 404);
  });
});
