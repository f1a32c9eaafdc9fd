/**
 * RFC 7644 §3.12: error responses; §2 and §7 (authentication); §3.7 (Bulk) and §3.11 (/Me)
 * where not implemented.
 */
import fc from 'fast-check';
import { createTestApp, filter, RequestOptions, silentLogger, TestApp, TOKEN } from '../support/harness';
import {
  attributes,
  createGroup,
  createUser,
  ENTERPRISE,
  ERROR_SCHEMA,
  expectScimError,
  patchOp,
} from './scim';

describe('RFC 7644 §3.12: the error response body', () => {
  // "status: The HTTP status code ... expressed as a JSON string. REQUIRED."
  // "detail: A detailed human-readable message. OPTIONAL."  "scimType ... OPTIONAL."
  it('has the Error schema, status as a string, a detail and nothing unexpected', async () => {
    const t = createTestApp();
    await createUser(t, { userName: 'dup@example.com' });
    const response = await t.request('POST', '/Users', { body: { userName: 'dup@example.com' } });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      schemas: [ERROR_SCHEMA],
      status: '409',
      scimType: 'uniqueness',
      detail: expect.any(String),
    });
  });

  it('omits scimType when there is none', async () => {
    const t = createTestApp();
    const response = await t.request('GET', '/Users/unknown-id');
    expect(Object.keys(response.body).sort()).toEqual(['detail', 'schemas', 'status']);
  });
});

describe('RFC 7644 §2 / §3.12: authentication', () => {
  // §3.12: 401 "Authorization failure. The authorization header is invalid or missing."
  // RFC 6750 §3: the response includes a WWW-Authenticate header with the Bearer scheme.
  it.each<[string, RequestOptions]>([
    ['no Authorization header', { token: null }],
    ['a wrong bearer token', { token: 'wrong-token' }],
    ['another scheme', { token: null, headers: { Authorization: `Basic ${TOKEN}` } }],
    ['an empty bearer token', { token: null, headers: { Authorization: 'Bearer ' } }],
  ])('answers 401 with WWW-Authenticate for %s', async (_case, options) => {
    const t = createTestApp();
    const response = await t.request('GET', '/Users', options);
    expectScimError(response, 401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer\b/);
  });

  it('answers 401 before anything else, even for unknown endpoints and bad bodies', async () => {
    const t = createTestApp();
    expectScimError(await t.request('GET', '/NoSuchThing', { token: null }), 401);
    expectScimError(await t.request('POST', '/Users', { token: null, rawBody: '{' }), 401);
  });

  it('does not create anything for an unauthenticated POST', async () => {
    const t = createTestApp();
    await t.request('POST', '/Users', { token: 'wrong', body: { userName: 'intruder' } });
    expect((await t.request('GET', '/Users')).body.totalResults).toBe(0);
  });

  it('accepts the bearer scheme name in any case', async () => {
    const t = createTestApp();
    const response = await t.request('GET', '/Users', {
      token: null,
      headers: { Authorization: `bearer ${TOKEN}` },
    });
    expect(response.status).toBe(200);
  });

  // RFC 9110 §5.6.3: the only whitespace HTTP knows is SP and HTAB (OWS), so only those may
  // surround the credentials. Any other character is part of the token, which must then
  // match exactly: JavaScript's \s (no-break space, vertical tab, ...) is not HTTP whitespace.
  it.each<[string, string]>([
    ['a trailing no-break space', `Bearer ${TOKEN}\u00a0`],
    ['a leading no-break space', `Bearer \u00a0${TOKEN}`],
    ['a no-break space instead of SP after the scheme', `Bearer\u00a0${TOKEN}`],
    ['a trailing vertical tab', `Bearer ${TOKEN}\u000b`],
    ['a trailing form feed', `Bearer ${TOKEN}\f`],
    ['a trailing line feed', `Bearer ${TOKEN}\n`],
    ['a trailing ideographic space', `Bearer ${TOKEN}\u3000`],
    ['a no-break space inside the token', `Bearer ${TOKEN.slice(0, 4)}\u00a0${TOKEN.slice(4)}`],
    ['a token sent twice', `Bearer ${TOKEN} ${TOKEN}`],
  ])('answers 401 for a token with %s', async (_case, authorization) => {
    const t = createTestApp();
    const response = await t.request('GET', '/Users', {
      token: null,
      headers: { Authorization: authorization },
    });
    expectScimError(response, 401);
  });

  it.each<[string, string]>([
    ['leading and trailing spaces', `  Bearer ${TOKEN}  `],
    ['leading and trailing tabs', `\tBearer ${TOKEN}\t`],
    ['a tab between scheme and token', `Bearer\t${TOKEN}`],
    ['several spaces and tabs between scheme and token', `Bearer \t  ${TOKEN}`],
    ['a lower-case scheme', `bearer ${TOKEN}`],
    ['an upper-case scheme', `BEARER ${TOKEN}`],
    ['a bare token without a scheme', TOKEN],
  ])('accepts the token with %s (SP and HTAB are HTTP whitespace)', async (_case, authorization) => {
    const t = createTestApp();
    const response = await t.request('GET', '/Users', {
      token: null,
      headers: { Authorization: authorization },
    });
    expect(response.status).toBe(200);
  });
});

describe('RFC 7644 §3.12: unknown endpoints and methods', () => {
  // 404 "Specified resource (e.g., User) or endpoint does not exist."
  it.each(['/Foo', '/Users/some-id/extra', '/', '/Userz'])('answers 404 for %s', async (path) => {
    const t = createTestApp();
    expectScimError(await t.request('GET', path), 404);
  });

  it.each([
    ['DELETE', '/Users'],
    ['PUT', '/Users'],
    ['PATCH', '/Groups'],
    ['POST', '/ServiceProviderConfig'],
    ['DELETE', '/Schemas'],
    ['PUT', '/ResourceTypes/User'],
  ])('answers 405 for %s %s', async (method, path) => {
    const t = createTestApp();
    const response = await t.request(method, path, { body: {} });
    expectScimError(response, 405);
  });

  it('names the allowed methods in an Allow header with a 405', async () => {
    const t = createTestApp();
    const response = await t.request('DELETE', '/Users');
    expect(response.status).toBe(405);
    expect(response.headers.allow?.split(/,\s*/).sort()).toEqual(['GET', 'POST']);
  });
});

describe('RFC 7644 §3.7 / §3.11 / §3.12: features not implemented answer 501', () => {
  // §3.12: 501 "Service provider does not support the request operation, e.g., PATCH."
  it('answers POST /Bulk with 501', async () => {
    const t = createTestApp();
    const response = await t.request('POST', '/Bulk', {
      body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] },
    });
    expectScimError(response, 501);
  });

  // §3.11: "If the service provider does not support the "/Me" URI ... it SHOULD respond with
  // HTTP status code 501 (Not Implemented)."
  it.each(['GET', 'PUT', 'PATCH', 'DELETE'])('answers %s /Me with 501', async (method) => {
    const t = createTestApp();
    expectScimError(await t.request(method, '/Me', { body: {} }), 501);
  });

  it('answers POST /.search at the root with 501', async () => {
    const t = createTestApp();
    expectScimError(await t.request('POST', '/.search', { body: { filter: 'userName eq "x"' } }), 501);
  });
});

describe('RFC 7644 §3.12: bad input never answers 500', () => {
  let t: TestApp;
  let userId: string;
  let groupId: string;
  beforeAll(async () => {
    t = createTestApp({ logger: silentLogger });
    userId = (await createUser(t, { userName: 'robust@example.com', emails: [{ value: 'r@example.com' }] }))
      .id;
    groupId = (await createGroup(t, { displayName: 'Robust', members: [{ value: userId }] })).id;
  });

  const expectNo5xx = async (method: string, path: string, options: RequestOptions = {}) => {
    const response = await t.request(method, path, options);
    if (response.status >= 500) {
      throw new Error(`${method} ${path.slice(0, 80)} answered ${response.status}: ${response.text}`);
    }
  };

  // Resource ids are server-assigned UUIDs; any other id simply does not exist.
  it.each([
    ['an encoded slash', '/Users/a%2Fb'],
    ['an @', '/Users/someone@example.com'],
    ['a broken percent-encoding', '/Users/%E0%A4%A'],
    ['600 characters', `/Users/${'x'.repeat(600)}`],
    ['a space', '/Users/white space'],
    ['an encoded slash (group)', '/Groups/a%2Fb'],
    ['an @ (group)', '/Groups/someone@example.com'],
  ])('GET of an id with %s answers 404, not 500', async (_case, path) => {
    expectScimError(await t.request('GET', path), 404);
  });

  it.each(['PUT', 'PATCH', 'DELETE'])(
    '%s on an id with characters ids never have answers 404',
    async (method) => {
      const body =
        method === 'PATCH'
          ? patchOp({ op: 'replace', path: 'displayName', value: 'x' })
          : { userName: 'x', displayName: 'x' };
      expectScimError(await t.request(method, '/Users/weird@id', { body }), 404);
      expectScimError(await t.request(method, '/Groups/weird@id', { body }), 404);
    },
  );

  it('a filter on id with characters ids never have finds nothing', async () => {
    for (const expression of ['id eq "a/b"', 'id eq "someone@example.com"', 'id eq "x" or id eq "y@z"']) {
      const response = await t.request('GET', `/Users?${filter(expression)}`);
      expect({ expression, status: response.status }).toEqual({ expression, status: 200 });
      expect(response.body.totalResults).toBe(0);
    }
  });

  // Server decision: member ids that are not users are ignored.
  it('ignores group members whose value is not a user id, whatever its characters', async () => {
    for (const value of ['not-a-user', 'someone@example.com', 'CN=Jane,OU=People', 'a/b']) {
      const created = await t.request('POST', '/Groups', {
        body: { displayName: `Odd members ${value}`, members: [{ value }, { value: userId }] },
      });
      expect({ value, status: created.status }).toEqual({ value, status: 201 });
      expect(created.body.members).toEqual([expect.objectContaining({ value: userId })]);
      const patched = await t.request('PATCH', `/Groups/${groupId}`, {
        body: patchOp({ op: 'add', path: 'members', value: [{ value }] }),
      });
      expect({ value, status: patched.status }).toEqual({ value, status: 204 });
    }
  });

  it.each<[string, string, string, RequestOptions]>([
    ['a JSON array body', 'POST', '/Users', { rawBody: '[]' }],
    ['a numeric userName', 'POST', '/Users', { body: { userName: 42 } }],
    ['an object userName', 'POST', '/Users', { body: { userName: { nested: true } } }],
    ['emails as a string', 'POST', '/Users', { body: { userName: 'types1', emails: 'plain@example.com' } }],
    ['emails as nested arrays', 'POST', '/Users', { body: { userName: 'types2', emails: [[1, 2]] } }],
    ['name as a string', 'POST', '/Users', { body: { userName: 'types3', name: 'Just A String' } }],
    ['active as an object', 'POST', '/Users', { body: { userName: 'types4', active: { yes: true } } }],
    ['active as "maybe"', 'POST', '/Users', { body: { userName: 'types5', active: 'maybe' } }],
    [
      'a non-boolean primary',
      'POST',
      '/Users',
      { body: { userName: 'types6', addresses: [{ primary: 'x' }] } },
    ],
    [
      '__proto__ and constructor keys',
      'POST',
      '/Users',
      { rawBody: '{"userName":"types7","__proto__":{"admin":true},"constructor":"x"}' },
    ],
    ['a 20,000-character userName', 'POST', '/Users', { body: { userName: 'x'.repeat(20_000) } }],
    ['a 200 kB title', 'POST', '/Users', { body: { userName: 'big', title: 'y'.repeat(200_000) } }],
    ['members as a string', 'POST', '/Groups', { body: { displayName: 'G1', members: 'not-a-list' } }],
    [
      'a member value object',
      'POST',
      '/Groups',
      { body: { displayName: 'G2', members: [{ value: { id: 1 } }] } },
    ],
    [
      'a nested group',
      'POST',
      '/Groups',
      { body: { displayName: 'G3', members: [{ value: 'x', type: 'Group' }] } },
    ],
    ['displayName as an array', 'POST', '/Groups', { body: { displayName: ['a', 'b'] } }],
    ['a SearchRequest of wrong types', 'POST', '/Users/.search', { body: { filter: 42, count: 'many' } }],
    ['a SearchRequest that is a string', 'POST', '/Users/.search', { rawBody: '"search"' }],
    ['startIndex=abc', 'GET', '/Users?startIndex=abc', {}],
    ['count=lots', 'GET', '/Users?count=lots', {}],
    ['count=1e400', 'GET', '/Users?count=1e400', {}],
    ['a huge startIndex', 'GET', '/Users?startIndex=99999999999999&count=5', {}],
    ['a huge count', 'GET', '/Users?count=99999999999999', {}],
    ['fractional paging', 'GET', '/Users?startIndex=1.5&count=2.5', {}],
    ['an unterminated attributes filter', 'GET', `/Users?${attributes('emails[type eq')}`, {}],
    ['an unknown attributes filter', 'GET', `/Users?${attributes('emails[shoe eq "x"]')}`, {}],
    [
      'a value filter on a single-valued attribute',
      'GET',
      `/Users?${attributes('name[givenName eq "x"]')}`,
      {},
    ],
    [
      'an unterminated excludedAttributes',
      'GET',
      `/Users?excludedAttributes=${encodeURIComponent('emails[')}`,
      {},
    ],
    ['a 10,000-character filter', 'GET', `/Users?${filter('x'.repeat(10_000))}`, {}],
    [
      '200 nested parentheses',
      'GET',
      `/Users?${filter('('.repeat(200) + 'userName pr' + ')'.repeat(200))}`,
      {},
    ],
    ['a broken escape in a filter', 'GET', `/Users?${filter('userName eq "\\u12"')}`, {}],
    ['eq on a complex attribute', 'GET', `/Users?${filter('meta eq "x"')}`, {}],
    ['a value path on a sub-attribute', 'GET', `/Users?${filter('emails.value[type eq "work"]')}`, {}],
    [
      'an unknown sub-attribute after ]',
      'GET',
      `/Users?${filter('emails[type eq "work"].nothing eq "x"')}`,
      {},
    ],
    ['eq null', 'GET', `/Users?${filter('userName eq null')}`, {}],
    ['eq a number on a string', 'GET', `/Users?${filter('userName eq 5')}`, {}],
    ['a string on a boolean', 'GET', `/Users?${filter('active eq "yes"')}`, {}],
    ['a garbage If-None-Match', 'GET', '/Users', { headers: { 'If-None-Match': 'garbage,,,"' } }],
  ])('%s does not answer 5xx', async (_case, method, path, options) => {
    await expectNo5xx(method, path, options);
  });

  it.each<[string, unknown]>([
    ['Operations not an array', { Operations: 'replace everything' }],
    ['an operation that is not an object', { Operations: ['add'] }],
    ['a path that is not a string', { Operations: [{ op: 'add', path: 5, value: 'x' }] }],
    ['a path-less add with a primitive value', { Operations: [{ op: 'add', value: 'x' }] }],
    [
      'an unterminated value filter',
      { Operations: [{ op: 'replace', path: 'emails[type eq "work"', value: 'x' }] },
    ],
    [
      'a value filter on a simple attribute',
      { Operations: [{ op: 'replace', path: 'title[value eq "x"]', value: 'x' }] },
    ],
    [
      'a nested value filter',
      { Operations: [{ op: 'remove', path: 'emails[value eq "a" and emails[type eq "b"]]' }] },
    ],
    [
      'a remove filter that matches nothing',
      { Operations: [{ op: 'remove', path: 'emails[type eq "pager"]' }] },
    ],
    [
      'too many values for a filtered path',
      { Operations: [{ op: 'add', path: 'emails[type eq "work"]', value: [1, 2] }] },
    ],
    ['an unknown attribute', { Operations: [{ op: 'replace', path: 'shoeSize', value: 44 }] }],
    ['an unknown URN', { Operations: [{ op: 'replace', path: 'urn:example:x:y', value: 1 }] }],
    ['a __proto__ path', { Operations: [{ op: 'add', path: '__proto__', value: { polluted: true } }] }],
    ['a deeply nested value', { Operations: [{ op: 'add', path: 'title', value: nested(100) }] }],
  ])('PATCH of a user with %s does not answer 5xx', async (_case, body) => {
    await expectNo5xx('PATCH', `/Users/${userId}`, { body });
  });

  it.each<[string, unknown]>([
    [
      'a member sub-attribute path',
      { Operations: [{ op: 'replace', path: 'members[value eq "x"].display', value: 'x' }] },
    ],
    ['a member filter on type', { Operations: [{ op: 'remove', path: 'members[type eq "User"]' }] }],
    ['a member filter with null', { Operations: [{ op: 'remove', path: 'members[value eq null]' }] }],
    [
      'a nested group member',
      { Operations: [{ op: 'add', path: 'members', value: [{ value: 'g', type: 'Group' }] }] },
    ],
    [
      'members as an object',
      { Operations: [{ op: 'add', path: 'members', value: { value: 'not-a-user' } }] },
    ],
    ['a path-less add with a primitive', { Operations: [{ op: 'add', value: 'members' }] }],
    ['a path-less replace of members', { Operations: [{ op: 'replace', value: { members: 'x' } }] }],
  ])('PATCH of a group with %s does not answer 5xx', async (_case, body) => {
    await expectNo5xx('PATCH', `/Groups/${groupId}`, { body });
  });

  // A property check: random filter text is either a valid filter or a 400, never a 500.
  it('answers any filter text with 200 or 400', async () => {
    const token = fc.oneof(
      fc.constantFrom(
        ...['userName', 'emails', 'type', 'value', 'active', 'meta.created', 'name.givenName', ENTERPRISE],
        ...['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'and', 'or', 'not'],
        ...[
          '"work"',
          '"x"',
          '"2024-01-01T00:00:00Z"',
          'true',
          'null',
          '1.5',
          '(',
          ')',
          '[',
          ']',
          '.',
          ' ',
          '"',
          '\\',
        ],
      ),
      fc.string({ maxLength: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 12 }), async (tokens) => {
        const expression = tokens.join(' ');
        const response = await t.request('GET', `/Users?${filter(expression)}`);
        expect({ expression, status: response.status }).toEqual({
          expression,
          status: response.status === 200 ? 200 : 400,
        });
      }),
      { numRuns: 300, seed: 7643 },
    );
  });

  it('answers any JSON body to POST /Users with a 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom('userName', 'name', 'emails', 'active', 'groups', 'members', 'meta', 'id', 'x'),
          fc.jsonValue({ maxDepth: 3 }),
        ),
        async (body) => {
          const response = await t.request('POST', '/Users', { body });
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 200, seed: 7644 },
    );
  });
});

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { value };
  return value;
}
