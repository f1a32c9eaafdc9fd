/**
 * RFC 7644 §3.4.1: retrieving a known resource, and §3.4.2.5 / §3.9: the "attributes" and
 * "excludedAttributes" parameters on a single-resource GET.
 */
import { createTestApp, TestApp } from '../support/harness';
import { attributes, createUser, ENTERPRISE, excluded, expectScimError, Json, USER_SCHEMA } from './scim';

async function barbara(t: TestApp): Promise<Json & { id: string }> {
  return createUser(t, {
    schemas: [USER_SCHEMA, ENTERPRISE],
    userName: 'bjensen@example.com',
    externalId: 'bjensen',
    name: { givenName: 'Barbara', familyName: 'Jensen', formatted: 'Ms. Barbara J Jensen III' },
    displayName: 'Babs Jensen',
    title: 'Tour Guide',
    active: true,
    emails: [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ],
    phoneNumbers: [{ value: '555-555-8377', type: 'work' }],
    [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations', costCenter: '4130' },
  });
}

describe('RFC 7644 §3.4.1: GET /{resource}/{id}', () => {
  it('answers 200 with the same representation the POST returned', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(user);
  });

  // §3.12: 404 "Specified resource (e.g., User) or endpoint does not exist"; status is a string.
  it('answers 404 with a SCIM error whose status is the string "404"', async () => {
    const t = createTestApp();
    const response = await t.request('GET', '/Users/2819c223-7f76-453a-919d-413861904646');
    expectScimError(response, 404);
    expect(response.body.status).toBe('404');
  });

  it('answers 404 for a group id asked for under /Users', async () => {
    const t = createTestApp();
    const group = await t.request('POST', '/Groups', { body: { displayName: 'Wrong Endpoint' } });
    expectScimError(await t.request('GET', `/Users/${group.body.id}`), 404);
  });

  it('does not return the readOnly, request-only groups attribute by default', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    await t.request('POST', '/Groups', {
      body: { displayName: 'Tour Guides', members: [{ value: user.id }] },
    });
    const response = await t.request('GET', `/Users/${user.id}`);
    expect(response.body).not.toHaveProperty('groups');
  });
});

describe('RFC 7644 §3.4.2.5 / §3.9: attributes on a single GET', () => {
  // RFC 7643 §7: "id" has returned "always"; "schemas" is always part of a representation.
  it('returns only the requested attributes plus id and schemas', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}?${attributes('userName')}`);
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(user.id);
    expect(response.body.schemas).toEqual(expect.arrayContaining([USER_SCHEMA]));
    expect(response.body.userName).toBe('bjensen@example.com');
    for (const absent of ['displayName', 'name', 'emails', 'title', 'active', 'externalId', ENTERPRISE]) {
      expect(response.body).not.toHaveProperty([absent]);
    }
  });

  it('accepts a comma-separated list of attributes', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}?${attributes('userName,displayName,active')}`);
    expect(response.body).toMatchObject({
      userName: 'bjensen@example.com',
      displayName: 'Babs Jensen',
      active: true,
    });
    expect(response.body).not.toHaveProperty('emails');
  });

  // RFC 7643 §2.1: attribute names are case-insensitive.
  it('matches attribute names case-insensitively', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}?${attributes('USERNAME,Name.GivenName')}`);
    expect(response.body.userName).toBe('bjensen@example.com');
    expect(response.body.name).toEqual({ givenName: 'Barbara' });
  });

  // §3.10: a sub-attribute is named "attribute.subAttribute".
  it('selects a single sub-attribute with name.givenName', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}?${attributes('name.givenName')}`);
    expect(response.body.name).toEqual({ givenName: 'Barbara' });
    expect(response.body).not.toHaveProperty('userName');
  });

  it('selects a sub-attribute of every value of a multi-valued attribute with emails.value', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}?${attributes('emails.value')}`);
    expect(response.body.emails).toEqual([{ value: 'bjensen@example.com' }, { value: 'babs@jensen.org' }]);
  });

  // §3.10: extension attributes are named by their fully qualified URN path.
  it('selects an extension attribute by its full URN path', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}?${attributes(`${ENTERPRISE}:department`)}`);
    expect(response.body[ENTERPRISE]).toEqual({ department: 'Tour Operations' });
    expect(response.body).not.toHaveProperty('userName');
  });

  it('selects a whole extension by its URN', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}?${attributes(ENTERPRISE)}`);
    expect(response.body[ENTERPRISE]).toEqual({
      employeeNumber: '701984',
      department: 'Tour Operations',
      costCenter: '4130',
    });
  });

  it('selects a core attribute by its URN-qualified name', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}?${attributes(`${USER_SCHEMA}:userName`)}`);
    expect(response.body.userName).toBe('bjensen@example.com');
    expect(response.body).not.toHaveProperty('displayName');
  });

  it('keeps only matching values with attributes=emails[type eq "work"]', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}?${attributes('emails[type eq "work"]')}`);
    expect(response.status).toBe(200);
    expect(response.body.emails).toEqual([{ value: 'bjensen@example.com', type: 'work', primary: true }]);
  });

  it('returns id even when only an unknown attribute is requested', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}?${attributes('noSuchAttribute')}`);
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(user.id);
  });

  // RFC 7643 §4.1.1: password is returned "never", even when asked for.
  it('never returns a "never" attribute even when asked for', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'secret@example.com', password: 'Secret#1' });
    const response = await t.request('GET', `/Users/${user.id}?${attributes('password,userName')}`);
    expect(response.body).not.toHaveProperty('password');
  });

  // RFC 7643 §4.1.2: groups is returned "request": only when named in attributes.
  it('returns the groups attribute when asked for it', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const group = await t.request('POST', '/Groups', {
      body: { displayName: 'Tour Guides', members: [{ value: user.id }] },
    });
    const response = await t.request('GET', `/Users/${user.id}?${attributes('groups')}`);
    expect(response.body.groups).toEqual([
      expect.objectContaining({ value: group.body.id, display: 'Tour Guides' }),
    ]);
  });
});

describe('RFC 7644 §3.4.2.5 / §3.9: excludedAttributes on a single GET', () => {
  it('omits the excluded attributes and keeps the others', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}?${excluded('emails,phoneNumbers')}`);
    expect(response.body).not.toHaveProperty('emails');
    expect(response.body).not.toHaveProperty('phoneNumbers');
    expect(response.body).toMatchObject({ userName: 'bjensen@example.com', displayName: 'Babs Jensen' });
  });

  // RFC 7643 §7: attributes returned "always" cannot be excluded.
  it('still returns id and schemas when they are excluded', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}?${excluded('id,schemas')}`);
    expect(response.body.id).toBe(user.id);
    expect(response.body.schemas).toEqual(expect.arrayContaining([USER_SCHEMA]));
  });

  it('excludes a single sub-attribute with name.givenName', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}?${excluded('name.givenName')}`);
    expect(response.body.name).toEqual({ familyName: 'Jensen', formatted: 'Ms. Barbara J Jensen III' });
  });

  it('excludes an extension attribute by its full URN path', async () => {
    const t = createTestApp();
    const user = await barbara(t);
    const response = await t.request('GET', `/Users/${user.id}?${excluded(`${ENTERPRISE}:costCenter`)}`);
    expect(response.body[ENTERPRISE]).toEqual({ employeeNumber: '701984', department: 'Tour Operations' });
  });
});
