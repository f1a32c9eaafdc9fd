/**
 * RFC 7644 §3.3: creating resources. RFC 7643 §3.1 (common attributes), §2.4 (multi-valued
 * attributes), §4.1 (User), §4.3 (enterprise extension).
 */
import { BASE_URL, createTestApp } from '../support/harness';
import {
  attributes,
  createGroup,
  createUser,
  ENTERPRISE,
  expectScimError,
  GROUP_SCHEMA,
  USER_SCHEMA,
} from './scim';

describe('RFC 7644 §3.3: POST creates a resource', () => {
  it('answers 201 Created with the full resource', async () => {
    const t = createTestApp();
    const response = await t.request('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA],
        userName: 'bjensen@example.com',
        name: { givenName: 'Barbara', familyName: 'Jensen' },
        displayName: 'Babs Jensen',
        active: true,
        emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
      },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      schemas: [USER_SCHEMA],
      userName: 'bjensen@example.com',
      name: { givenName: 'Barbara', familyName: 'Jensen' },
      displayName: 'Babs Jensen',
      active: true,
      emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
    });
  });

  // §3.3: "The URI of the created resource SHALL include, in the HTTP "Location" header and
  // the HTTP body, a JSON representation [RFC7159] with the attribute "meta.location".
  it('sets the Location header to meta.location, the absolute URI of the new resource', async () => {
    const t = createTestApp();
    const response = await t.request('POST', '/Users', { body: { userName: 'loc@example.com' } });
    expect(response.headers.location).toBe(response.body.meta.location);
    expect(response.headers.location).toBe(`${BASE_URL}/Users/${response.body.id}`);
  });

  // RFC 7643 §3.1: "id" is "assigned by the service provider"; a client-supplied id is ignored.
  it('assigns the id itself and ignores an id sent by the client', async () => {
    const t = createTestApp();
    const response = await t.request('POST', '/Users', {
      body: { id: 'client-chosen-id', userName: 'idless@example.com' },
    });
    expect(response.status).toBe(201);
    expect(typeof response.body.id).toBe('string');
    expect(response.body.id).not.toBe('client-chosen-id');
    expect((await t.request('GET', '/Users/client-chosen-id')).status).toBe(404);
  });

  it('assigns a different id to every resource', async () => {
    const t = createTestApp();
    const a = await createUser(t, { userName: 'a@example.com' });
    const b = await createUser(t, { userName: 'b@example.com' });
    expect(a.id).not.toBe(b.id);
  });

  // RFC 7643 §3.1: meta.resourceType, created, lastModified, location, version.
  it('returns meta with resourceType, created, lastModified, location and version', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'meta@example.com' });
    const meta = user.meta as Record<string, string>;
    expect(meta.resourceType).toBe('User');
    expect(Number.isNaN(Date.parse(meta.created))).toBe(false);
    expect(meta.lastModified).toBe(meta.created);
    expect(meta.location).toBe(`${BASE_URL}/Users/${user.id}`);
    expect(meta.version).toMatch(/^(W\/)?"[^"]*"$/);
  });

  it('ignores client-supplied meta (readOnly)', async () => {
    const t = createTestApp();
    const user = await createUser(t, {
      userName: 'fake-meta@example.com',
      meta: { created: '2001-01-01T00:00:00Z', resourceType: 'Group', version: 'W/"99"' },
    });
    const meta = user.meta as Record<string, string>;
    expect(meta.resourceType).toBe('User');
    expect(meta.created).not.toBe('2001-01-01T00:00:00Z');
    expect(meta.version).not.toBe('W/"99"');
  });

  it('creates groups the same way, with a Location header and meta.resourceType "Group"', async () => {
    const t = createTestApp();
    const response = await t.request('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Engineering' },
    });
    expect(response.status).toBe(201);
    expect(response.headers.location).toBe(`${BASE_URL}/Groups/${response.body.id}`);
    expect(response.body.meta.resourceType).toBe('Group');
    expect(response.body.displayName).toBe('Engineering');
  });

  // §3.9: "attributes" on a POST selects what the response returns.
  it('returns only id, schemas and the requested attributes for POST ?attributes=', async () => {
    const t = createTestApp();
    const response = await t.request('POST', `/Users?${attributes('userName')}`, {
      body: { userName: 'terse@example.com', displayName: 'Terse', title: 'Quiet' },
    });
    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(['id', 'schemas', 'userName']);
    expect((await t.request('GET', `/Users/${response.body.id}`)).body.title).toBe('Quiet');
  });

  // RFC 7643 §2.1: attribute names are case-insensitive.
  it('accepts attribute names in any case', async () => {
    const t = createTestApp();
    const user = await createUser(t, {
      USERNAME: 'caps@example.com',
      Name: { GivenName: 'Cap' },
      DisplayName: 'Caps',
    });
    expect(user).toMatchObject({
      userName: 'caps@example.com',
      name: { givenName: 'Cap' },
      displayName: 'Caps',
    });
  });
});

describe('RFC 7644 §3.3 / RFC 7643 §4.1.1: userName is required and unique', () => {
  // §3.3: "If the service provider determines that the creation of the requested resource
  // conflicts with existing resources (e.g., a "User" resource with a duplicate "userName"),
  // the service provider MUST return HTTP status code 409 (Conflict) with a "scimType" error
  // code of "uniqueness"".
  it('answers 409 uniqueness for a duplicate userName', async () => {
    const t = createTestApp();
    await createUser(t, { userName: 'dup@example.com' });
    const response = await t.request('POST', '/Users', { body: { userName: 'dup@example.com' } });
    expectScimError(response, 409, 'uniqueness');
  });

  // RFC 7643 §4.1.1: userName has caseExact false, so uniqueness ignores case.
  it('treats userNames differing only in case as duplicates', async () => {
    const t = createTestApp();
    await createUser(t, { userName: 'Case@Example.com' });
    const response = await t.request('POST', '/Users', { body: { userName: 'cASE@example.COM' } });
    expectScimError(response, 409, 'uniqueness');
  });

  it('does not create anything when it answers 409', async () => {
    const t = createTestApp();
    await createUser(t, { userName: 'once@example.com' });
    await t.request('POST', '/Users', { body: { userName: 'ONCE@example.com' } });
    expect((await t.request('GET', '/Users')).body.totalResults).toBe(1);
  });

  it('answers 400 when userName is missing', async () => {
    const t = createTestApp();
    const response = await t.request('POST', '/Users', { body: { displayName: 'No Name' } });
    expectScimError(response, 400);
  });

  it('answers 400 when userName is empty or null', async () => {
    const t = createTestApp();
    expectScimError(await t.request('POST', '/Users', { body: { userName: '' } }), 400);
    expectScimError(await t.request('POST', '/Users', { body: { userName: null } }), 400);
  });

  // RFC 7643 §4.2: Group displayName is required; this server keeps it unique case-insensitively.
  it('answers 400 for a group without displayName and 409 for a duplicate one', async () => {
    const t = createTestApp();
    expectScimError(await t.request('POST', '/Groups', { body: { schemas: [GROUP_SCHEMA] } }), 400);
    await createGroup(t, { displayName: 'Sales' });
    expectScimError(
      await t.request('POST', '/Groups', { body: { displayName: 'SALES' } }),
      409,
      'uniqueness',
    );
  });

  // externalId is client-owned and not unique (RFC 7643 §3.1).
  it('allows two users with the same externalId', async () => {
    const t = createTestApp();
    await createUser(t, { userName: 'x1@example.com', externalId: 'same' });
    await createUser(t, { userName: 'x2@example.com', externalId: 'same' });
  });
});

describe('RFC 7643 §2.2 / §7: mutability and returned characteristics on create', () => {
  // RFC 7643 §4.1.1: password is writeOnly and returned "never".
  it('never returns the password', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'pw@example.com', password: 't1meMa$heen' });
    expect(user).not.toHaveProperty('password');
    const read = await t.request('GET', `/Users/${user.id}?${attributes('password')}`);
    expect(read.body).not.toHaveProperty('password');
    expect(JSON.stringify(read.body)).not.toContain('t1meMa$heen');
  });

  // RFC 7643 §4.1.2: "groups" is readOnly; RFC 7644 §3.3 readOnly values in a POST are ignored.
  it('ignores the readOnly groups attribute', async () => {
    const t = createTestApp();
    const group = await createGroup(t, { displayName: 'Admins' });
    const user = await createUser(t, { userName: 'sneaky@example.com', groups: [{ value: group.id }] });
    expect(user).not.toHaveProperty('groups');
    const read = await t.request('GET', `/Users/${user.id}?${attributes('groups')}`);
    expect(read.body.groups ?? []).toEqual([]);
    const members = await t.request('GET', `/Groups/${group.id}`);
    expect(members.body.members ?? []).toEqual([]);
  });

  it('ignores attributes no schema defines', async () => {
    const t = createTestApp();
    const user = await createUser(t, {
      userName: 'unknown@example.com',
      favouriteColour: 'green',
      name: { givenName: 'Una', shoeSize: 42 },
    });
    expect(user).not.toHaveProperty('favouriteColour');
    expect(user.name).toEqual({ givenName: 'Una' });
    expect(user.schemas).toEqual([USER_SCHEMA]);
  });

  // Server decision: an extension schema we do not define (Entra's and Okta's custom
  // extensions) is kept as sent and returned, so the client is never told it was stored
  // when it was not; RFC 7643 §3 lists its URN in "schemas".
  it('keeps the attributes of an extension schema it does not define, as sent', async () => {
    const t = createTestApp();
    const custom = 'urn:example:unknown:2.0:User';
    const user = await createUser(t, {
      userName: 'unknown@example.com',
      [custom]: { shoeSize: 42, badges: ['a', 'b'], hat: { size: 'L' }, empty: null },
    });
    expect(user[custom]).toEqual({ shoeSize: 42, badges: ['a', 'b'], hat: { size: 'L' } });
    expect(user.schemas).toEqual([USER_SCHEMA, custom]);
    const read = await t.request('GET', `/Users/${user.id}`);
    expect(read.body[custom]).toEqual(user[custom]);
  });

  // RFC 7643 §2.5: null is equivalent to "unassigned"; unassigned attributes are omitted.
  it('drops null values rather than storing or returning them', async () => {
    const t = createTestApp();
    const user = await createUser(t, {
      userName: 'unassigned@example.com',
      nickName: null,
      name: { givenName: 'Given', familyName: null },
      emails: null,
    });
    expect(user).not.toHaveProperty('nickName');
    expect(user).not.toHaveProperty('emails');
    expect(user.name).toEqual({ givenName: 'Given' });
    expect(JSON.stringify(user)).not.toMatch(/:\s*null\b/);
  });
});

describe('RFC 7643 §2.4: multi-valued attributes', () => {
  // "The primary attribute value "true" MUST appear no more than once."
  it('keeps "primary": true on at most one value', async () => {
    const t = createTestApp();
    const user = await createUser(t, {
      userName: 'primaries@example.com',
      emails: [
        { value: 'one@example.com', type: 'work', primary: true },
        { value: 'two@example.com', type: 'home', primary: true },
      ],
    });
    const primaries = (user.emails as { primary?: boolean }[]).filter((e) => e.primary === true);
    expect(primaries).toHaveLength(1);
  });

  it('returns multi-valued attributes as arrays', async () => {
    const t = createTestApp();
    const user = await createUser(t, {
      userName: 'arrays@example.com',
      emails: [{ value: 'arrays@example.com', type: 'work' }],
      phoneNumbers: [{ value: '+1 555 0100', type: 'mobile' }],
      addresses: [{ locality: 'Hollywood', country: 'US', type: 'work' }],
      roles: [{ value: 'admin' }],
    });
    expect(user.emails).toEqual([{ value: 'arrays@example.com', type: 'work' }]);
    expect(user.phoneNumbers).toEqual([{ value: '+1 555 0100', type: 'mobile' }]);
    expect(user.addresses).toEqual([{ locality: 'Hollywood', country: 'US', type: 'work' }]);
    expect(user.roles).toEqual([{ value: 'admin' }]);
  });
});

describe('RFC 7643 §3.3 / §4.3: schema extensions', () => {
  it('stores enterprise attributes under the extension URN and lists the URN in schemas', async () => {
    const t = createTestApp();
    const user = await createUser(t, {
      schemas: [USER_SCHEMA, ENTERPRISE],
      userName: 'ent@example.com',
      [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations', manager: { value: 'm-1' } },
    });
    expect(user.schemas).toEqual(expect.arrayContaining([USER_SCHEMA, ENTERPRISE]));
    expect(user[ENTERPRISE]).toEqual({
      employeeNumber: '701984',
      department: 'Tour Operations',
      manager: { value: 'm-1' },
    });
    expect(user).not.toHaveProperty('employeeNumber');
    const read = await t.request('GET', `/Users/${user.id}`);
    expect(read.body[ENTERPRISE]).toEqual(user[ENTERPRISE]);
  });

  it('does not list the extension URN in schemas when no extension attribute is set', async () => {
    const t = createTestApp();
    const user = await createUser(t, {
      schemas: [USER_SCHEMA, ENTERPRISE],
      userName: 'core-only@example.com',
    });
    expect(user.schemas).toEqual([USER_SCHEMA]);
  });

  // RFC 7643 §2.1: schema URNs are case-insensitive.
  it('accepts the extension URN in any case', async () => {
    const t = createTestApp();
    const user = await createUser(t, {
      userName: 'urn-case@example.com',
      [ENTERPRISE.toUpperCase()]: { department: 'Upper' },
    });
    expect(user[ENTERPRISE]).toEqual({ department: 'Upper' });
  });
});
