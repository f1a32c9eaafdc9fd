/**
 * RFC 7644 §3.4.2: querying resources. §3.4.2.2 filtering, §3.4.2.3 sorting, §3.4.2.4
 * pagination, §3.4.2.5 attributes, §3.4.3 POST /.search.
 */
import { createTestApp, filter, ScimResult, TestApp } from '../support/harness';
import {
  attributes,
  createGroup,
  createUser,
  ENTERPRISE,
  excluded,
  expectScimError,
  ids,
  Json,
  LIST_RESPONSE,
  manualClock,
  SEARCH_REQUEST,
  USER_SCHEMA,
} from './scim';

/** The userNames a ListResponse returned, sorted. */
function userNames(response: ScimResult): string[] {
  return (response.body.Resources as Json[]).map((r) => r.userName as string).sort();
}

/** Four users to filter: see each test's expectation against this table. */
async function people(t: TestApp): Promise<void> {
  await createUser(t, {
    schemas: [USER_SCHEMA, ENTERPRISE],
    userName: 'alice@example.com',
    externalId: 'EXT-Alice',
    displayName: 'Alice Smith',
    title: 'Engineer',
    active: true,
    name: { givenName: 'Alice', familyName: 'Smith' },
    emails: [
      { value: 'alice@example.com', type: 'work', primary: true },
      { value: 'alice@home.org', type: 'home' },
    ],
    [ENTERPRISE]: { department: 'Engineering', manager: { value: 'mgr-1' } },
  });
  await createUser(t, {
    userName: 'bob@example.com',
    externalId: 'ext-bob',
    displayName: 'Bob Jones',
    title: 'Manager',
    active: false,
    emails: [{ value: 'bob@example.com', type: 'work' }],
  });
  await createUser(t, {
    schemas: [USER_SCHEMA, ENTERPRISE],
    userName: 'carol@other.org',
    externalId: 'EXT-carol',
    displayName: 'Carol King',
    active: true,
    emails: [{ value: 'carol@other.org', type: 'home' }],
    addresses: [{ locality: 'Hollywood', country: 'US', type: 'work' }],
    [ENTERPRISE]: { department: 'Sales' },
  });
  await createUser(t, { userName: 'Dave@Example.com', displayName: 'dave' });
}

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@other.org';
const DAVE = 'Dave@Example.com';

/**
 * For one describe block: a fresh directory seeded with `people`, and a function that
 * queries its users with a filter.
 */
function queryPeople(): (expression: string) => Promise<ScimResult> {
  let t: TestApp;
  beforeAll(async () => {
    t = createTestApp();
    await people(t);
  });
  return (expression) => t.request('GET', `/Users?${filter(expression)}`);
}

describe('RFC 7644 §3.4.2.2: filter operators', () => {
  const query = queryPeople();

  it.each([
    ['userName eq "alice@example.com"', [ALICE]],
    ['userName ne "alice@example.com"', [BOB, CAROL, DAVE]],
    ['userName co "example"', [ALICE, BOB, DAVE]],
    ['userName sw "a"', [ALICE]],
    ['userName sw "D"', [DAVE]],
    ['userName ew "other.org"', [CAROL]],
    ['title pr', [ALICE, BOB]],
    ['userName gt "bob@example.com"', [CAROL, DAVE]],
    ['userName ge "bob@example.com"', [BOB, CAROL, DAVE]],
    ['userName lt "bob@example.com"', [ALICE]],
    ['userName le "bob@example.com"', [ALICE, BOB]],
    ['displayName eq "Bob Jones"', [BOB]],
    ['name.familyName eq "Smith"', [ALICE]],
    ['emails.value co "home.org"', [ALICE]],
    ['meta.resourceType eq "User"', [ALICE, BOB, CAROL, DAVE]],
  ])('%s', async (expression, expected) => {
    const response = await query(expression);
    expect(response.status).toBe(200);
    expect(userNames(response)).toEqual([...expected].sort());
    expect(response.body.totalResults).toBe(expected.length);
  });

  // "ne": a resource without the attribute has no value equal to it.
  it('ne matches resources that lack the attribute', async () => {
    expect(userNames(await query('title ne "Engineer"'))).toEqual([BOB, CAROL, DAVE].sort());
  });

  it('pr does not match an attribute that is absent', async () => {
    expect(userNames(await query('externalId pr'))).toEqual([ALICE, BOB, CAROL].sort());
  });

  // pr: "If the attribute has a non-empty value, or if it contains a non-empty node for
  // complex attributes, there is a match."
  it.each([
    ['emails pr', [ALICE, BOB, CAROL]],
    [`${ENTERPRISE}:manager pr`, [ALICE]],
    ['name pr', [ALICE]],
    ['addresses pr', [CAROL]],
    ['meta pr', [ALICE, BOB, CAROL, DAVE]],
  ])('pr on a complex attribute: %s', async (expression, expected) => {
    const response = await query(expression);
    expect(response.status).toBe(200);
    expect(userNames(response)).toEqual([...expected].sort());
  });
});

describe('RFC 7644 §3.4.2.2: logical operators and grouping', () => {
  const query = queryPeople();

  it.each([
    ['title eq "Engineer" and active eq true', [ALICE]],
    ['title eq "Engineer" and active eq false', []],
    ['title eq "Engineer" or title eq "Manager"', [ALICE, BOB]],
    ['not (active eq true)', [BOB, DAVE]],
    ['not (userName co "example") and active eq true', [CAROL]],
    ['(title eq "Engineer" or title eq "Manager") and active eq false', [BOB]],
    ['userName eq "alice@example.com" or userName eq "carol@other.org"', [ALICE, CAROL]],
    ['((userName sw "a") or (userName sw "b")) and not (title eq "Manager")', [ALICE]],
  ])('%s', async (expression, expected) => {
    const response = await query(expression);
    expect(response.status).toBe(200);
    expect(userNames(response)).toEqual([...expected].sort());
  });

  // "Filters MUST be evaluated using the following order of operations, in order of
  // precedence: 1. Grouping operators 2. Logical operators - where "not" takes precedence over
  // "and", which takes precedence over "or" 3. Attribute operators"
  it('binds "and" more tightly than "or"', async () => {
    const response = await query('active eq true or title eq "Manager" and active eq false');
    expect(userNames(response)).toEqual([ALICE, BOB, CAROL].sort());
  });
});

describe('RFC 7644 §3.4.2.2: complex attribute filter grouping (value paths)', () => {
  const query = queryPeople();

  it.each([
    ['emails[type eq "work" and value co "@example"]', [ALICE, BOB]],
    ['emails[type eq "home"]', [ALICE, CAROL]],
    ['emails[value ew ".org"]', [ALICE, CAROL]],
    ['emails[type eq "work"] and active eq true', [ALICE]],
    ['emails[not (type eq "work")]', [ALICE, CAROL]],
  ])('%s', async (expression, expected) => {
    const response = await query(expression);
    expect(response.status).toBe(200);
    expect(userNames(response)).toEqual([...expected].sort());
  });

  // Both conditions must hold for the same e-mail value: carol's @other e-mail is "home".
  it('applies all conditions of a value path to one and the same value', async () => {
    expect(userNames(await query('emails[type eq "work" and value co "@other"]'))).toEqual([]);
    expect(userNames(await query('emails[type eq "work" and value co "home.org"]'))).toEqual([]);
  });

  // Entra ID sends a sub-attribute after the value path (learn.microsoft.com, "Tutorial: Develop a SCIM endpoint").
  it('accepts emails[type eq "work"].value eq "…"', async () => {
    expect(userNames(await query('emails[type eq "work"].value eq "bob@example.com"'))).toEqual([BOB]);
    expect(userNames(await query('emails[type eq "home"].value eq "bob@example.com"'))).toEqual([]);
  });
});

describe('RFC 7644 §3.4.2.2 / RFC 7643 §2.1: case-insensitive names and operators', () => {
  const query = queryPeople();

  it.each([
    ['USERNAME eq "alice@example.com"', [ALICE]],
    ['userName EQ "alice@example.com"', [ALICE]],
    ['Name.FamilyName Eq "Smith"', [ALICE]],
    ['EMAILS[TYPE EQ "work" AND VALUE CO "@example"]', [ALICE, BOB]],
    ['title Eq "Engineer" OR title eQ "Manager"', [ALICE, BOB]],
    ['NOT (active eq true)', [BOB, DAVE]],
    ['TITLE PR', [ALICE, BOB]],
    [`${ENTERPRISE.toUpperCase()}:DEPARTMENT eq "Sales"`, [CAROL]],
  ])('%s', async (expression, expected) => {
    const response = await query(expression);
    expect(response.status).toBe(200);
    expect(userNames(response)).toEqual([...expected].sort());
  });
});

describe('RFC 7644 §3.4.2.2: comparison follows the caseExact characteristic', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = createTestApp();
    await people(t);
  });
  const query = (expression: string) => t.request('GET', `/Users?${filter(expression)}`);

  // RFC 7643 §4.1.1: userName has caseExact false.
  it.each([
    ['userName eq "ALICE@EXAMPLE.COM"', [ALICE]],
    ['userName eq "dave@example.com"', [DAVE]],
    ['userName sw "ALI"', [ALICE]],
    ['userName co "EXAMPLE.COM"', [ALICE, BOB, DAVE]],
    ['userName ew "@EXAMPLE.COM"', [ALICE, BOB, DAVE]],
    ['displayName eq "alice smith"', [ALICE]],
    ['emails.value eq "BOB@EXAMPLE.COM"', [BOB]],
    [`${ENTERPRISE}:department eq "engineering"`, [ALICE]],
  ])('caseExact false: %s', async (expression, expected) => {
    expect(userNames(await query(expression))).toEqual([...expected].sort());
  });

  // RFC 7643 §3.1: externalId has caseExact true.
  it.each([
    ['externalId eq "EXT-Alice"', [ALICE]],
    ['externalId eq "ext-alice"', []],
    ['externalId sw "EXT"', [ALICE, CAROL]],
    ['externalId sw "ext"', [BOB]],
    ['externalId co "carol"', [CAROL]],
    ['externalId co "CAROL"', []],
  ])('caseExact true: %s', async (expression, expected) => {
    expect(userNames(await query(expression))).toEqual([...expected].sort());
  });

  it('compares id exactly', async () => {
    const all = await t.request('GET', '/Users');
    const alice = (all.body.Resources as Json[]).find((r) => r.userName === ALICE) as Json;
    expect(userNames(await query(`id eq "${alice.id as string}"`))).toEqual([ALICE]);
    expect(userNames(await query(`id eq "${(alice.id as string).toUpperCase()}"`))).toEqual([]);
  });

  it('filters extension attributes by their full URN path', async () => {
    expect(userNames(await query(`${ENTERPRISE}:manager.value eq "mgr-1"`))).toEqual([ALICE]);
    expect(userNames(await query(`${ENTERPRISE}:department pr`))).toEqual([ALICE, CAROL]);
  });
});

describe('RFC 7644 §3.4.2.2: dateTime comparison', () => {
  let t: TestApp;
  beforeAll(async () => {
    const clock = manualClock('2024-01-01T00:00:00Z');
    t = createTestApp({ clock: clock.now });
    await createUser(t, { userName: 'january' });
    clock.set('2024-02-01T00:00:00Z');
    await createUser(t, { userName: 'february' });
    clock.set('2024-03-01T00:00:00Z');
    const march = await createUser(t, { userName: 'march' });
    clock.set('2024-04-01T00:00:00Z');
    await t.request('PATCH', `/Users/${march.id}`, {
      body: { Operations: [{ op: 'replace', path: 'title', value: 'Changed' }] },
    });
  });
  const query = (expression: string) => t.request('GET', `/Users?${filter(expression)}`);

  // gt/ge/lt/le: "The actual comparison is dependent on the attribute type. For string
  // attribute types, this is a lexicographical comparison, and for DateTime types, it is a
  // chronological comparison."  eq compares instants, not spellings.
  it.each([
    ['meta.created gt "2024-01-15T00:00:00Z"', ['february', 'march']],
    ['meta.created ge "2024-02-01T00:00:00Z"', ['february', 'march']],
    ['meta.created lt "2024-02-01T00:00:00Z"', ['january']],
    ['meta.created le "2024-02-01T00:00:00Z"', ['february', 'january']],
    ['meta.created eq "2024-02-01T00:00:00Z"', ['february']],
    ['meta.created gt "2024-01-31T19:00:00-05:00"', ['march']],
    ['meta.lastModified gt "2024-03-15T00:00:00Z"', ['march']],
    ['meta.lastModified lt "2024-03-15T00:00:00Z"', ['february', 'january']],
    ['meta.created gt "2024-01-15T00:00:00Z" and meta.created lt "2024-02-15T00:00:00Z"', ['february']],
  ])('%s', async (expression, expected) => {
    const response = await query(expression);
    expect(response.status).toBe(200);
    expect(userNames(response)).toEqual(expected);
  });

  it('answers 400 invalidFilter for a comparison value that is not a dateTime', async () => {
    expectScimError(await query('meta.created gt "last tuesday"'), 400, 'invalidFilter');
  });
});

describe('RFC 7644 §3.4.2.2: boolean comparison', () => {
  const query = queryPeople();

  it.each([
    ['active eq true', [ALICE, CAROL]],
    ['active eq false', [BOB]],
    ['active pr', [ALICE, BOB, CAROL]],
  ])('%s', async (expression, expected) => {
    expect(userNames(await query(expression))).toEqual([...expected].sort());
  });

  // "gt ... Boolean and Binary attributes SHALL cause a failed response (HTTP status code 400)
  // with "scimType" of "invalidFilter"." (likewise ge, lt, le).
  it.each(['active gt true', 'active ge false', 'active lt true', 'active le false'])(
    '%s → 400 invalidFilter',
    async (expression) => {
      expectScimError(await query(expression), 400, 'invalidFilter');
    },
  );
});

describe('RFC 7644 §3.4.2.2 / §3.12: invalid filters answer 400 invalidFilter', () => {
  const query = queryPeople();

  it.each([
    'shoeSize eq "42"',
    'name.nickName eq "x"',
    'emails[shoeSize eq "42"]',
    `${ENTERPRISE}:shoeSize eq "42"`,
    'urn:example:unknown:2.0:User:x eq "y"',
  ])('unknown attribute: %s', async (expression) => {
    expectScimError(await query(expression), 400, 'invalidFilter');
  });

  it.each([
    'userName eq',
    'userName "alice"',
    'userName zz "alice"',
    '(userName eq "alice"',
    'userName eq "alice")',
    'userName eq "alice" and',
    'and userName eq "alice"',
    'userName eq "alice" userName eq "bob"',
    'emails[type eq "work"',
    'emails type eq "work"]',
    'userName eq "unterminated',
    'userName pr pr',
    '()',
    'not userName',
  ])('malformed: %s', async (expression) => {
    expectScimError(await query(expression), 400, 'invalidFilter');
  });

  it('answers 400 invalidFilter for a value path on a simple attribute', async () => {
    expectScimError(await query('userName[value eq "x"]'), 400, 'invalidFilter');
  });
});

describe('RFC 7644 §3.4.2.2 / §3.12: values in typographic quotes answer 400 invalidFilter', () => {
  // Strings in a filter are JSON strings (RFC 7644 §3.4.2.2), delimited by '"' alone. We accept
  // unquoted ASCII values (Entra's `externalId eq jyoung`), but a value in curly or other
  // non-ASCII quotes is a filter typed in a word processor: read literally it would match
  // nothing, and an identity provider would take the empty 200 for "no such user".
  const query = queryPeople();
  const QUOTES = [
    ...['\u2018', '\u2019', '\u201a', '\u201b', '\u201c', '\u201d', '\u201e', '\u201f'],
    ...['\u2032', '\u2033', '\u00ab', '\u00bb', '\uff02', '\uff07', '\u301d', '\u301e'],
  ];

  it.each(QUOTES)('a value starting with %s', async (quote) => {
    const response = await query(`title eq ${quote}Engineer${quote}`);
    expectScimError(response, 400, 'invalidFilter');
    expect(response.body.detail).toContain('ASCII double quotes (")');
    expect(response.body.detail).toContain(
      `U+${quote.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
    );
  });

  it.each([
    ['curly double quotes', 'title eq \u201cEngineer\u201d'],
    ['a closing quote inside an unquoted value', 'title eq Engineer\u201d'],
    ['an apostrophe inside an unquoted value', 'displayName eq Alice\u2019s'],
    ['guillemets in a value filter', 'emails[type eq \u00abwork\u00bb]'],
    ['curly quotes after a value filter', 'emails[type eq "work"].value eq \u201calice@example.com\u201d'],
    ['curly quotes in the second comparison', 'title eq "Engineer" or title eq \u201cManager\u201d'],
  ])('%s', async (_case, expression) => {
    const response = await query(expression);
    expectScimError(response, 400, 'invalidFilter');
    expect(response.body.detail).toContain('ASCII double quotes');
  });

  it('still accepts an unquoted ASCII value', async () => {
    expect(userNames(await query('title eq Engineer'))).toEqual([ALICE]);
  });

  it('treats typographic quotes inside an ASCII-quoted string as ordinary characters', async () => {
    const t = createTestApp();
    await createUser(t, { userName: 'quoted@example.com', title: '\u201cbob\u201d' });
    const exact = await t.request('GET', `/Users?${filter('title eq "\u201cbob\u201d"')}`);
    expect(exact.status).toBe(200);
    expect(userNames(exact)).toEqual(['quoted@example.com']);
    const contains = await t.request('GET', `/Users?${filter('title co "\u201d"')}`);
    expect(userNames(contains)).toEqual(['quoted@example.com']);
    const plain = await t.request('GET', `/Users?${filter('title eq "bob"')}`);
    expect(userNames(plain)).toEqual([]);
  });
});

describe('RFC 7644 §3.4.2: a query without matches', () => {
  // §3.4.2: "A query that does not return any matches SHALL return success (HTTP status
  // code 200) with a "totalResults" value of 0."
  it('answers 200 with totalResults 0 and integer itemsPerPage and startIndex', async () => {
    const t = createTestApp();
    await createUser(t, { userName: 'someone@example.com' });
    const response = await t.request('GET', `/Users?${filter('userName eq "nobody@example.com"')}`);
    expect(response.status).toBe(200);
    expect(response.body.schemas).toEqual([LIST_RESPONSE]);
    expect(response.body.totalResults).toBe(0);
    expect(response.body.itemsPerPage).toBe(0);
    expect(response.body.startIndex).toBe(1);
    expect(response.body.Resources ?? []).toEqual([]);
  });

  it('answers 200 with totalResults 0 on an empty collection', async () => {
    const t = createTestApp();
    for (const path of ['/Users', '/Groups']) {
      const response = await t.request('GET', path);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ schemas: [LIST_RESPONSE], totalResults: 0 });
    }
  });
});

describe('RFC 7644 §3.4.2: the ListResponse message', () => {
  it('carries schemas, totalResults, itemsPerPage, startIndex (integers) and Resources', async () => {
    const t = createTestApp();
    await createUser(t, { userName: 'one@example.com' });
    await createUser(t, { userName: 'two@example.com' });
    const response = await t.request('GET', '/Users');
    expect(response.body.schemas).toEqual([LIST_RESPONSE]);
    for (const field of ['totalResults', 'itemsPerPage', 'startIndex']) {
      expect(Number.isInteger(response.body[field])).toBe(true);
    }
    expect(response.body.totalResults).toBe(2);
    expect(response.body.Resources).toHaveLength(2);
    for (const resource of response.body.Resources as Json[]) {
      expect(resource.schemas).toEqual([USER_SCHEMA]);
      expect(resource).toHaveProperty('meta.location');
    }
  });
});

describe('RFC 7644 §3.4.2.4: pagination', () => {
  let t: TestApp;
  let all: string[];
  beforeAll(async () => {
    t = createTestApp();
    all = [];
    for (let i = 1; i <= 7; i++) all.push((await createUser(t, { userName: `page${i}@example.com` })).id);
  });

  it('returns count resources starting at startIndex (1-based)', async () => {
    const response = await t.request('GET', '/Users?startIndex=3&count=2');
    expect(response.body).toMatchObject({ totalResults: 7, itemsPerPage: 2, startIndex: 3 });
    expect(ids(response)).toEqual(all.slice(2, 4));
  });

  it('returns a short last page', async () => {
    const response = await t.request('GET', '/Users?startIndex=6&count=5');
    expect(response.body).toMatchObject({ totalResults: 7, itemsPerPage: 2, startIndex: 6 });
    expect(ids(response)).toEqual(all.slice(5));
  });

  // "A value of "0" indicates that no resource results are to be returned except for
  // "totalResults"."
  it('count=0 returns totalResults only', async () => {
    const response = await t.request('GET', '/Users?count=0');
    expect(response.status).toBe(200);
    expect(response.body.totalResults).toBe(7);
    expect(response.body.itemsPerPage).toBe(0);
    expect(response.body.Resources ?? []).toEqual([]);
  });

  // startIndex: "A value less than 1 SHALL be interpreted as 1."
  it.each(['0', '-5'])('startIndex=%s is treated as 1', async (startIndex) => {
    const response = await t.request('GET', `/Users?startIndex=${startIndex}&count=2`);
    expect(response.status).toBe(200);
    expect(response.body.startIndex).toBe(1);
    expect(ids(response)).toEqual(all.slice(0, 2));
  });

  // count: "A negative value SHALL be interpreted as "0"."
  it('a negative count is treated as 0', async () => {
    const response = await t.request('GET', '/Users?count=-3');
    expect(response.status).toBe(200);
    expect(response.body.totalResults).toBe(7);
    expect(response.body.Resources ?? []).toEqual([]);
  });

  it('a startIndex past the end returns no resources but the total', async () => {
    const response = await t.request('GET', '/Users?startIndex=50&count=10');
    expect(response.status).toBe(200);
    expect(response.body.totalResults).toBe(7);
    expect(response.body.itemsPerPage).toBe(0);
    expect(response.body.Resources ?? []).toEqual([]);
  });

  it('keeps a stable order across pages: the pages together are every resource once', async () => {
    const seen: string[] = [];
    for (let start = 1; start <= 7; start += 2) {
      seen.push(...ids(await t.request('GET', `/Users?startIndex=${start}&count=2`)));
    }
    expect(seen).toEqual(all);
    expect(ids(await t.request('GET', '/Users'))).toEqual(all);
  });

  it('pages through filter results too', async () => {
    const first = await t.request('GET', `/Users?${filter('userName sw "page"')}&startIndex=1&count=3`);
    const second = await t.request('GET', `/Users?${filter('userName sw "page"')}&startIndex=4&count=3`);
    expect(first.body).toMatchObject({ totalResults: 7, itemsPerPage: 3, startIndex: 1 });
    expect(second.body).toMatchObject({ totalResults: 7, itemsPerPage: 3, startIndex: 4 });
    expect([...ids(first), ...ids(second)]).toEqual(all.slice(0, 6));
  });

  it('keeps positions stable when a resource is deleted between pages', async () => {
    const local = createTestApp();
    const created: string[] = [];
    for (let i = 1; i <= 5; i++) created.push((await createUser(local, { userName: `s${i}` })).id);
    await local.request('DELETE', `/Users/${created[1]}`);
    const response = await local.request('GET', '/Users?startIndex=2&count=2');
    expect(response.body.totalResults).toBe(4);
    expect(ids(response)).toEqual([created[2], created[3]]);
  });
});

describe('RFC 7644 §3.4.2.4 / §5: count is capped at filter.maxResults (100)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = createTestApp();
    for (let i = 0; i < 105; i++) await createUser(t, { userName: `bulk${String(i).padStart(3, '0')}` });
  });

  // §3.4.2.4 count: the server "MUST NOT return more results than specified, although it MAY
  // return fewer results"; ServiceProviderConfig filter.maxResults (100) is the most it returns.
  it('returns at most 100 resources for count=1000', async () => {
    const response = await t.request('GET', '/Users?count=1000');
    expect(response.status).toBe(200);
    expect(response.body.totalResults).toBe(105);
    expect(response.body.itemsPerPage).toBe(100);
    expect(response.body.Resources).toHaveLength(100);
  });

  it('returns at most 100 resources when count is not given', async () => {
    const response = await t.request('GET', '/Users');
    expect(response.body.Resources.length).toBeLessThanOrEqual(100);
    expect(response.body.totalResults).toBe(105);
  });

  it('serves the rest on the next page', async () => {
    const response = await t.request('GET', '/Users?startIndex=101&count=100');
    expect(response.body).toMatchObject({ totalResults: 105, itemsPerPage: 5, startIndex: 101 });
  });
});

describe('RFC 7644 §3.4.2.2 / §3.12: filters the server will not scan answer 400 tooMany', () => {
  it('refuses an unindexed filter over a collection larger than the scan limit', async () => {
    const t = createTestApp({ scanLimit: 3 });
    for (let i = 0; i < 5; i++) await createUser(t, { userName: `scan${i}`, title: `T${i}` });
    expectScimError(await t.request('GET', `/Users?${filter('title eq "T1"')}`), 400, 'tooMany');
  });

  it('still answers indexed filters on the same collection', async () => {
    const t = createTestApp({ scanLimit: 3 });
    for (let i = 0; i < 5; i++) await createUser(t, { userName: `scan${i}`, title: `T${i}` });
    const response = await t.request('GET', `/Users?${filter('userName eq "scan4"')}`);
    expect(response.status).toBe(200);
    expect(userNames(response)).toEqual(['scan4']);
  });

  it('scans an unindexed filter when the collection is within the limit', async () => {
    const t = createTestApp({ scanLimit: 10 });
    for (let i = 0; i < 5; i++) await createUser(t, { userName: `scan${i}`, title: `T${i}` });
    expect(userNames(await t.request('GET', `/Users?${filter('title eq "T1"')}`))).toEqual(['scan1']);
  });
});

describe('RFC 7644 §3.4.2.3: sorting (sort.supported is false)', () => {
  // Sorting is OPTIONAL; ServiceProviderConfig says sort.supported false, and this server's
  // decision is to ignore sortBy / sortOrder rather than refuse them.
  it('ignores sortBy and sortOrder', async () => {
    const t = createTestApp();
    for (const name of ['c', 'a', 'b']) await createUser(t, { userName: name });
    const plain = await t.request('GET', '/Users');
    const sorted = await t.request('GET', '/Users?sortBy=userName&sortOrder=descending');
    expect(sorted.status).toBe(200);
    expect(ids(sorted)).toEqual(ids(plain));
  });
});

describe('RFC 7644 §3.4.2.5: attributes and excludedAttributes on queries', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = createTestApp();
    await people(t);
  });

  it('returns only id, schemas and the requested attributes of each resource', async () => {
    const response = await t.request('GET', `/Users?${attributes('userName')}`);
    expect(response.body.Resources).toHaveLength(4);
    for (const resource of response.body.Resources as Json[]) {
      expect(Object.keys(resource).sort()).toEqual(['id', 'schemas', 'userName']);
    }
  });

  it('omits excluded attributes from each resource', async () => {
    const response = await t.request('GET', `/Users?${excluded('emails,name')}`);
    for (const resource of response.body.Resources as Json[]) {
      expect(resource).not.toHaveProperty('emails');
      expect(resource).not.toHaveProperty('name');
      expect(resource).toHaveProperty('userName');
    }
  });

  it('combines a filter with attributes', async () => {
    const response = await t.request(
      'GET',
      `/Users?${filter('userName eq "alice@example.com"')}&${attributes('emails[type eq "home"]')}`,
    );
    expect(response.body.Resources).toEqual([
      expect.objectContaining({ emails: [{ value: 'alice@home.org', type: 'home' }] }),
    ]);
  });
});

describe('RFC 7644 §3.4.3: querying with POST /.search', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = createTestApp();
    await people(t);
    await createGroup(t, { displayName: 'Engineering' });
    await createGroup(t, { displayName: 'Sales' });
  });

  it('answers POST /Users/.search with a ListResponse', async () => {
    const response = await t.request('POST', '/Users/.search', {
      body: {
        schemas: [SEARCH_REQUEST],
        filter: 'userName co "example"',
        attributes: ['userName', 'displayName'],
        startIndex: 1,
        count: 2,
      },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ schemas: [LIST_RESPONSE], totalResults: 3, itemsPerPage: 2 });
    for (const resource of response.body.Resources as Json[]) {
      expect(Object.keys(resource).sort()).toEqual(['displayName', 'id', 'schemas', 'userName']);
    }
  });

  it('honours excludedAttributes in a SearchRequest', async () => {
    const response = await t.request('POST', '/Users/.search', {
      body: {
        schemas: [SEARCH_REQUEST],
        filter: 'userName eq "alice@example.com"',
        excludedAttributes: ['emails'],
      },
    });
    expect(response.body.Resources).toHaveLength(1);
    expect(response.body.Resources[0]).not.toHaveProperty('emails');
    expect(response.body.Resources[0].userName).toBe(ALICE);
  });

  it('answers POST /Groups/.search', async () => {
    const response = await t.request('POST', '/Groups/.search', {
      body: { schemas: [SEARCH_REQUEST], filter: 'displayName eq "sales"' },
    });
    expect(response.status).toBe(200);
    expect(response.body.totalResults).toBe(1);
    expect(response.body.Resources[0].displayName).toBe('Sales');
  });

  it('without a filter returns every resource', async () => {
    const response = await t.request('POST', '/Users/.search', { body: { schemas: [SEARCH_REQUEST] } });
    expect(response.body.totalResults).toBe(4);
  });

  it('answers 400 invalidFilter for a bad filter in a SearchRequest', async () => {
    const response = await t.request('POST', '/Users/.search', {
      body: { schemas: [SEARCH_REQUEST], filter: 'userName eq' },
    });
    expectScimError(response, 400, 'invalidFilter');
  });
});

describe('RFC 7644 §3.4.2.2: filtering groups', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = createTestApp();
    const user = await createUser(t, { userName: 'member@example.com' });
    await createGroup(t, { displayName: 'Engineering', externalId: 'G-ENG', members: [{ value: user.id }] });
    await createGroup(t, { displayName: 'Sales', externalId: 'g-sales' });
  });
  const names = (response: ScimResult) =>
    (response.body.Resources as Json[]).map((g) => g.displayName).sort();

  it.each([
    ['displayName eq "engineering"', ['Engineering']],
    ['displayName sw "S"', ['Sales']],
    ['externalId eq "G-ENG"', ['Engineering']],
    ['externalId eq "g-eng"', []],
    ['displayName pr', ['Engineering', 'Sales']],
  ])('%s', async (expression, expected) => {
    const response = await t.request('GET', `/Groups?${filter(expression)}`);
    expect(response.status).toBe(200);
    expect(names(response)).toEqual(expected);
  });

  // Server decision: members are not filterable; the refusal is a SCIM invalidFilter.
  it('answers 400 invalidFilter for a filter on members', async () => {
    const response = await t.request('GET', `/Groups?${filter('members[value eq "x"]')}`);
    expectScimError(response, 400, 'invalidFilter');
  });

  it('answers 400 invalidFilter for a user attribute in a group filter', async () => {
    expectScimError(await t.request('GET', `/Groups?${filter('userName eq "x"')}`), 400, 'invalidFilter');
  });
});
