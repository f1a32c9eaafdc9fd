/**
 * RFC 7644 §3.1 (Background) and §8.1 (Media Type): SCIM messages are JSON; responses use
 * application/scim+json; clients may send application/json. Okta sends a charset parameter
 * and some clients send text/json (https://developer.okta.com/docs/reference/scim/scim-20/).
 */
import { createTestApp } from '../support/harness';
import { createUser, expectScimError, patchOp, USER_SCHEMA } from './scim';

describe('RFC 7644 §3.1 / §8.1: responses are application/scim+json', () => {
  it('answers a successful GET with Content-Type application/scim+json', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'media@example.com' });
    const response = await t.request('GET', `/Users/${user.id}`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/scim\+json(;|$)/);
  });

  it('answers a POST, a list and a discovery request with application/scim+json', async () => {
    const t = createTestApp();
    const created = await t.request('POST', '/Users', { body: { userName: 'media2@example.com' } });
    const list = await t.request('GET', '/Users');
    const config = await t.request('GET', '/ServiceProviderConfig');
    for (const response of [created, list, config]) {
      expect(response.headers['content-type']).toMatch(/^application\/scim\+json(;|$)/);
    }
  });

  it('answers errors with application/scim+json too', async () => {
    const t = createTestApp();
    const response = await t.request('GET', '/Users/does-not-exist');
    expectScimError(response, 404);
  });
});

describe('RFC 7644 §8.1: JSON request media types are accepted', () => {
  it.each([
    'application/scim+json',
    'application/json',
    'text/json',
    'application/scim+json; charset=utf-8',
    'application/json; charset=UTF-8',
    'APPLICATION/SCIM+JSON',
  ])('accepts a POST body sent as %s', async (contentType) => {
    const t = createTestApp();
    const response = await t.request('POST', '/Users', {
      body: { schemas: [USER_SCHEMA], userName: 'typed@example.com' },
      headers: { 'Content-Type': contentType },
    });
    expect(response.status).toBe(201);
    expect(response.body.userName).toBe('typed@example.com');
  });

  it('accepts a PATCH body sent as application/json', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'patch-json@example.com' });
    const response = await t.request('PATCH', `/Users/${user.id}`, {
      body: patchOp({ op: 'replace', path: 'displayName', value: 'Patched' }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(response.status).toBe(204);
  });
});

describe('RFC 7644 §3.1 / §3.12: bodies that are not SCIM JSON are refused', () => {
  it('answers 415 with a SCIM error for a text/xml body', async () => {
    const t = createTestApp();
    const response = await t.request('POST', '/Users', {
      rawBody: '<user><userName>x</userName></user>',
      headers: { 'Content-Type': 'text/xml' },
    });
    expectScimError(response, 415);
  });

  it('answers 415 for application/x-www-form-urlencoded', async () => {
    const t = createTestApp();
    const response = await t.request('POST', '/Users', {
      rawBody: 'userName=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expectScimError(response, 415);
  });

  it('answers 400 invalidSyntax for malformed JSON', async () => {
    const t = createTestApp();
    const response = await t.request('POST', '/Users', { rawBody: '{"userName": "x",' });
    expectScimError(response, 400, 'invalidSyntax');
  });

  it('answers 400 invalidSyntax for malformed JSON in a PATCH and a PUT', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'broken@example.com' });
    expectScimError(
      await t.request('PATCH', `/Users/${user.id}`, { rawBody: '{"Operations": [' }),
      400,
      'invalidSyntax',
    );
    expectScimError(
      await t.request('PUT', `/Users/${user.id}`, { rawBody: 'not json' }),
      400,
      'invalidSyntax',
    );
  });

  it('answers 400 invalidSyntax for an empty body', async () => {
    const t = createTestApp();
    const response = await t.request('POST', '/Users', { rawBody: '' });
    expectScimError(response, 400, 'invalidSyntax');
  });

  it('answers 400 invalidSyntax for a JSON body that is not an object', async () => {
    const t = createTestApp();
    for (const rawBody of ['[]', '"userName"', '42', 'null']) {
      expectScimError(await t.request('POST', '/Users', { rawBody }), 400, 'invalidSyntax');
    }
  });
});
