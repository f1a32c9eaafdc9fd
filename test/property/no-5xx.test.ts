/**
 * Whatever an identity provider sends, the answer is never a server error. A 500 makes
 * Entra retry and then quarantine the whole provisioning job, and Okta stop pushing; a bad
 * request must be a 4xx that names the problem. These properties throw random and
 * grammar-shaped filters, PATCH bodies, POST/PUT bodies and query parameters at the web
 * trigger handler and fail on any status of 500 or more.
 */
import fc from 'fast-check';
import { ENTERPRISE_USER_SCHEMA } from '../../src/scim/schema/definitions';
import { WebTriggerEvent } from '../../src/webtrigger/event';
import { createTestApp, TestApp, TRIGGER_PATH, webTriggerEvent } from '../support/harness';
import { seedGroup, seedUsers } from '../support/seed';

const RUNS = 250;

/** Every error the service logged, so a failure shows the stack behind the 500. */
const logged: string[] = [];
let t: TestApp;
let userIds: string[];
let groupIds: string[];

beforeAll(async () => {
  t = createTestApp({
    logger: {
      info: () => undefined,
      warn: () => undefined,
      error: (message, fields) => logged.push(`${message} ${String(fields?.error ?? '')}`),
    },
  });
  userIds = await seedUsers(t.app.directory, 20);
  const rich = await t.request('POST', '/Users', {
    body: {
      userName: 'Rich.User@example.com',
      externalId: 'ext-rich',
      name: { givenName: 'Rich', familyName: 'User' },
      displayName: 'Rich User',
      active: true,
      emails: [
        { value: 'rich@example.com', type: 'work', primary: true },
        { value: 'rich@home.example', type: 'home' },
      ],
      phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
      addresses: [{ streetAddress: '1 Main St', locality: 'Springfield', type: 'work' }],
      [ENTERPRISE_USER_SCHEMA]: { department: 'R&D', manager: { value: userIds[0] } },
    },
  });
  expect(rich.status).toBe(201);
  userIds.push(rich.body.id);
  groupIds = [];
  for (let i = 0; i < 4; i++) {
    groupIds.push((await seedGroup(t.app.directory, `Group ${i}`, userIds.slice(i * 3, i * 3 + 5))).id);
  }
});

interface RawRequest {
  method: string;
  /** The SCIM path, sent as Forge's userPath without any URL normalisation. */
  path: string;
  query?: Record<string, string>;
  body?: string;
}

/** The event Forge would deliver, built without a URL parser so any character gets through. */
function eventOf(request: RawRequest): WebTriggerEvent {
  const event = webTriggerEvent(request.method, '/', { rawBody: request.body });
  const queryParameters: Record<string, string[]> = {};
  // Forge may split a query value at its commas; the adapter joins them back.
  for (const [name, value] of Object.entries(request.query ?? {})) queryParameters[name] = value.split(',');
  return { ...event, path: `${TRIGGER_PATH}${request.path}`, userPath: request.path, queryParameters };
}

/** Sends the request and throws, with the request and the logged error, on any 5xx. */
async function expectNo5xx(request: RawRequest): Promise<number> {
  logged.length = 0;
  const response = await t.app.handleWebTrigger(eventOf(request));
  if (response.statusCode >= 500) {
    throw new Error(
      `${response.statusCode} for ${request.method} ${request.path} ` +
        `query=${JSON.stringify(request.query ?? {})} body=${request.body ?? ''}\n` +
        `response: ${response.body ?? ''}\nlogged: ${logged.join('\n')}`,
    );
  }
  return response.statusCode;
}

const pick = <T>(items: () => T[]) => fc.nat().map((n) => items()[n % items().length]);
const someUserId = pick(() => userIds);
const someGroupId = pick(() => groupIds);

// ---------------------------------------------------------------------------------------
// Building blocks. Each input comes in two flavours: plausible (the right shape, random
// content, so it gets past validation into the directory and storage) and chaotic (any
// shape at all, to exercise validation itself).

/** Text from every corner of Unicode, and from the characters filters are made of. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ maxLength: 20 }),
  fc
    .array(fc.constantFrom('"', '\\', '[', ']', '(', ')', ' ', '.', ':', ',', '\u0000', 'é', '😀', 'a'), {
      maxLength: 12,
    })
    .map((chars) => chars.join('')),
);

/**
 * JSON objects whose own members shadow what every object inherits ("toString", "valueOf",
 * "__proto__", "constructor"): JSON.parse creates them as plain own properties, and code
 * that turns a value into text or merges it into another object trips over them.
 */
const trickyObject = fc.dictionary(
  fc.constantFrom('toString', 'valueOf', '__proto__', 'constructor', 'hasOwnProperty', 'value', 'type'),
  fc.jsonValue({ maxDepth: 1 }),
  { minKeys: 1, maxKeys: 3 },
);

/** Randomly changes the case of some letters: attribute names and operators are case-insensitive. */
const recased = (text: fc.Arbitrary<string>) =>
  fc
    .tuple(text, fc.nat())
    .map(([s, bits]) => [...s].map((c, i) => ((bits >> (i % 30)) & 1 ? c.toUpperCase() : c)).join(''));

/** Runs an identity provider would really send; here they are just likely. */
const boolish = fc.oneof(fc.boolean(), fc.constantFrom('True', 'false', 'FALSE'));
const typeName = fc.oneof(fc.constantFrom('work', 'home', 'other', 'mobile'), anyText);
const multiValued = fc.array(
  fc.record(
    { value: anyText, type: typeName, primary: fc.boolean(), display: anyText },
    { requiredKeys: ['value'] },
  ),
  { maxLength: 3 },
);
const address = fc.record(
  {
    formatted: anyText,
    streetAddress: anyText,
    locality: anyText,
    region: anyText,
    postalCode: anyText,
    country: anyText,
    type: typeName,
    primary: fc.boolean(),
  },
  { requiredKeys: [] },
);

/** Member values: mostly real user ids, some in odd shapes, some nonsense. */
const memberValue = fc.oneof(
  { weight: 6, arbitrary: someUserId },
  { weight: 1, arbitrary: someUserId.map((id) => ` ${id.toUpperCase()} `) },
  { weight: 1, arbitrary: someGroupId },
  { weight: 1, arbitrary: anyText },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  { weight: 1, arbitrary: trickyObject },
);
const memberList = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(
      fc.record(
        {
          value: memberValue,
          display: anyText,
          type: fc.constantFrom('User', 'user', 'Group', 'x'),
          $ref: fc.oneof(fc.constant(null), anyText),
        },
        { requiredKeys: ['value'] },
      ),
      { maxLength: 6 },
    ),
  },
  { weight: 1, arbitrary: fc.array(memberValue, { maxLength: 4 }) },
  { weight: 1, arbitrary: memberValue },
);

/** Writable user attributes by path, each with values of its declared type. */
const USER_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  displayName: anyText,
  nickName: anyText,
  title: anyText,
  userType: anyText,
  locale: anyText,
  timezone: anyText,
  profileUrl: anyText,
  externalId: anyText,
  password: anyText,
  active: boolish,
  name: fc.record(
    { givenName: anyText, familyName: anyText, formatted: anyText, middleName: anyText },
    { requiredKeys: [] },
  ),
  'name.givenName': anyText,
  'name.familyName': anyText,
  emails: multiValued,
  phoneNumbers: multiValued,
  ims: multiValued,
  photos: multiValued,
  roles: multiValued,
  entitlements: multiValued,
  x509Certificates: multiValued,
  addresses: fc.array(address, { maxLength: 2 }),
  groups: memberList,
  [ENTERPRISE_USER_SCHEMA]: fc.record(
    {
      department: anyText,
      costCenter: anyText,
      employeeNumber: anyText,
      manager: fc.oneof(
        someUserId,
        fc.record({ value: someUserId, displayName: anyText }, { requiredKeys: [] }),
      ),
    },
    { requiredKeys: [] },
  ),
  [`${ENTERPRISE_USER_SCHEMA}:department`]: anyText,
  [`${ENTERPRISE_USER_SCHEMA}:manager`]: fc.oneof(someUserId, fc.record({ value: someUserId })),
  [`${ENTERPRISE_USER_SCHEMA}:manager.value`]: someUserId,
};

/** Paths only a PATCH can name (value filters), with values of the right type. */
const USER_PATCH_ONLY: Record<string, fc.Arbitrary<unknown>> = {
  'emails[type eq "work"]': fc.record({ value: anyText, type: typeName }, { requiredKeys: [] }),
  'emails[type eq "work"].value': anyText,
  'emails[value eq "rich@example.com"].primary': boolish,
  'emails[primary eq true].value': anyText,
  'addresses[type eq "work"].locality': anyText,
  'addresses[type eq "work"]': address,
  'phoneNumbers[type eq "mobile"].value': anyText,
  'urn:ietf:params:scim:schemas:core:2.0:User:displayName': anyText,
  userName: fc.uuid(),
};

const GROUP_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  externalId: anyText,
  members: memberList,
  'urn:ietf:params:scim:schemas:core:2.0:Group:externalId': anyText,
};

const GROUP_PATCH_ONLY: Record<string, fc.Arbitrary<unknown>> = {
  displayName: fc.uuid(),
  'members[value eq "x"]': fc.constant(undefined),
  'members[display eq "x"]': fc.constant(undefined),
};

/** A plausible [path, value] pair from a table, with the path's case scrambled. */
const typedEntry = (table: Record<string, fc.Arbitrary<unknown>>) =>
  fc.constantFrom(...Object.keys(table)).chain((path) => fc.tuple(recased(fc.constant(path)), table[path]));

const KNOWN_USER_ATTRIBUTES = [
  'id',
  'userName',
  'externalId',
  'displayName',
  'nickName',
  'active',
  'title',
  'name',
  'name.givenName',
  'name.familyName',
  'emails',
  'emails.value',
  'emails.type',
  'emails.primary',
  'phoneNumbers.value',
  'addresses.locality',
  'groups',
  'groups.value',
  'meta',
  'meta.created',
  'meta.lastModified',
  'meta.resourceType',
  'meta.version',
  'password',
  'x509Certificates.value',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName',
  `${ENTERPRISE_USER_SCHEMA}:department`,
  `${ENTERPRISE_USER_SCHEMA}:manager`,
  `${ENTERPRISE_USER_SCHEMA}:manager.value`,
  ENTERPRISE_USER_SCHEMA,
];
const KNOWN_GROUP_ATTRIBUTES = [
  'id',
  'displayName',
  'externalId',
  'members',
  'members.value',
  'members.display',
  'members.type',
  'meta.created',
  'urn:ietf:params:scim:schemas:core:2.0:Group:displayName',
];

const attributeName = fc.oneof(
  { weight: 5, arbitrary: recased(fc.constantFrom(...KNOWN_USER_ATTRIBUTES, ...KNOWN_GROUP_ATTRIBUTES)) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z_$][\w$:.\-/]{0,15}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('urn:', 'urn:x:y:z', 'a..b', '.a', 'emails.', '$ref', 'members.$ref'),
  },
  { weight: 1, arbitrary: anyText },
);

// ---------------------------------------------------------------------------------------
// Filters

const operator = fc.oneof(
  { weight: 6, arbitrary: recased(fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le')) },
  { weight: 1, arbitrary: fc.constantFrom('pr', 'in', 'xx', 'and', 'not', '=', '==') },
);

const quoted = (text: fc.Arbitrary<string>) => text.map((s) => JSON.stringify(s));

const comparisonValue = fc.oneof(
  // A well-formed JSON string of any text.
  quoted(anyText),
  // A quoted string with whatever escapes happen to be in it.
  anyText.map((s) => `"${s}"`),
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom('true', 'False', 'null', 'NaN', 'Infinity', '-0', '1e999', '"', '""', '\\"'),
  quoted(fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
  fc.stringMatching(/^[^\s()\]"]{1,12}$/),
  quoted(someUserId),
);

/** One comparison that is valid for the resource type, with random content. */
const plausibleComparison = (type: 'User' | 'Group') => {
  const strings =
    type === 'User'
      ? [
          'userName',
          'displayName',
          'externalId',
          'name.givenName',
          'name.familyName',
          'emails.value',
          'emails',
          'emails.type',
          'title',
          'phoneNumbers.value',
          'addresses.locality',
          `${ENTERPRISE_USER_SCHEMA}:department`,
          `${ENTERPRISE_USER_SCHEMA}:manager.value`,
          'urn:ietf:params:scim:schemas:core:2.0:User:userName',
          'meta.resourceType',
        ]
      : [
          'displayName',
          'externalId',
          'meta.resourceType',
          'urn:ietf:params:scim:schemas:core:2.0:Group:displayName',
        ];
  const likely =
    type === 'User'
      ? ['user1@example.com', 'USER', 'rich', 'ext-rich', 'work', 'R&D']
      : ['Group 1', 'group', 'G'];
  const stringValue = fc.oneof(
    quoted(anyText),
    quoted(fc.constantFrom(...likely)),
    fc.stringMatching(/^\w{1,8}$/),
  );
  return fc
    .oneof(
      { weight: 6, arbitrary: fc.tuple(recased(fc.constantFrom(...strings)), operator, stringValue) },
      {
        weight: 2,
        arbitrary: fc.tuple(
          fc.constant('id'),
          fc.constantFrom('eq', 'ne'),
          // Mostly ids we issued; sometimes whatever the client thinks an id is.
          fc.oneof(
            { weight: 3, arbitrary: quoted(type === 'User' ? someUserId : someGroupId) },
            { weight: 1, arbitrary: quoted(anyText) },
          ),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(
          fc.constantFrom(...(type === 'User' ? ['active', 'emails.primary'] : ['externalId'])),
          fc.constantFrom('eq', 'ne'),
          fc.constantFrom('true', 'false', '"True"'),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(
          fc.constantFrom('meta.created', 'meta.lastModified'),
          fc.constantFrom('gt', 'ge', 'lt', 'le', 'eq'),
          quoted(fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
        ),
      },
    )
    .map(([a, o, v]) => `${a} ${o} ${v}`);
};

/** Valid filters for the resource type, combined with and / or / not / parentheses / [ ]. */
const plausibleFilter = (type: 'User' | 'Group'): fc.Arbitrary<string> =>
  fc.letrec<{ filter: string }>((tie) => ({
    filter: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      plausibleComparison(type),
      plausibleComparison(type),
      fc
        .constantFrom(
          ...(type === 'User' ? ['userName', 'emails', 'title', 'name.givenName'] : ['externalId']),
        )
        .map((a) => `${a} pr`),
      tie('filter').map((f) => `(${f})`),
      tie('filter').map((f) => `not (${f})`),
      fc
        .tuple(tie('filter'), recased(fc.constantFrom('and', 'or')), tie('filter'))
        .map(([a, l, b]) => `${a} ${l} ${b}`),
      ...(type === 'User'
        ? [
            fc
              .tuple(fc.constantFrom('emails', 'addresses', 'phoneNumbers'), operator, quoted(anyText))
              .map(([a, o, v]) => `${a}[type eq "work" and value ${o} ${v}]`),
            fc.tuple(operator, quoted(anyText)).map(([o, v]) => `emails[type eq "work"].value ${o} ${v}`),
          ]
        : []),
    ),
  })).filter;

/** Filters that follow RFC 7644's grammar in shape, with random names, operators and values. */
const grammarFilter: fc.Arbitrary<string> = fc.letrec<{ filter: string }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(attributeName, operator, comparisonValue).map(([a, o, v]) => `${a} ${o} ${v}`),
    attributeName.map((a) => `${a} pr`),
    tie('filter').map((f) => `(${f})`),
    tie('filter').map((f) => `not (${f})`),
    fc
      .tuple(tie('filter'), recased(fc.constantFrom('and', 'or')), tie('filter'))
      .map(([a, l, b]) => `${a} ${l} ${b}`),
    fc.tuple(attributeName, tie('filter')).map(([a, f]) => `${a}[${f}]`),
    fc
      .tuple(attributeName, tie('filter'), attributeName, operator, comparisonValue)
      .map(([a, f, s, o, v]) => `${a}[${f}].${s} ${o} ${v}`),
  ),
})).filter;

/** A filter with one random character inserted or removed: almost right, like a buggy client's. */
const damaged = (filter: fc.Arbitrary<string>) =>
  fc
    .tuple(filter, fc.nat(), fc.constantFrom('"', '(', ')', '[', ']', ' ', '\\', '.', ''))
    .map(([f, at, c]) => {
      const i = f.length === 0 ? 0 : at % f.length;
      return c === '' ? f.slice(0, i) + f.slice(i + 1) : f.slice(0, i) + c + f.slice(i);
    });

const anyFilter = (type: 'User' | 'Group') =>
  fc.oneof(
    { weight: 6, arbitrary: plausibleFilter(type) },
    { weight: 2, arbitrary: grammarFilter },
    { weight: 2, arbitrary: damaged(plausibleFilter(type)) },
    { weight: 1, arbitrary: anyText },
    // Long and deeply nested filters.
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1, max: 60 })
        .map((n) => '('.repeat(n) + 'userName eq "a"' + ')'.repeat(n)),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1, max: 300 })
        .map((n) => Array(n).fill('displayName eq "a"').join(' or ')),
    },
  );

const resourceType = fc.constantFrom<['User', string] | ['Group', string]>(
  ['User', '/Users'],
  ['Group', '/Groups'],
);

describe('no filter yields a server error', () => {
  it('GET /Users and /Groups with ?filter=', async () => {
    await fc.assert(
      fc.asyncProperty(
        resourceType.chain(([type, path]) => fc.tuple(fc.constant(path), anyFilter(type))),
        async ([path, filterText]) => {
          await expectNo5xx({ method: 'GET', path, query: { filter: filterText } });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('POST /.search with a filter and paging in the body', async () => {
    await fc.assert(
      fc.asyncProperty(
        resourceType.chain(([type, path]) => fc.tuple(fc.constant(`${path}/.search`), anyFilter(type))),
        fc.option(fc.oneof(fc.integer({ min: -5, max: 50 }), fc.jsonValue({ maxDepth: 1 }))),
        async ([path, filterText], startIndex) => {
          const body = JSON.stringify({
            schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
            filter: filterText,
            ...(startIndex === null ? {} : { startIndex }),
          });
          await expectNo5xx({ method: 'POST', path, body });
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------
// PATCH

const patchOp = fc.oneof(
  { weight: 8, arbitrary: recased(fc.constantFrom('add', 'replace', 'remove')) },
  { weight: 1, arbitrary: fc.constantFrom(' Add ', 'move', 'copy', 'test', '') },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 0 }) },
);

/** Entra capitalises the member names of an operation ("Op", "Path", "Value"); so may anyone. */
const capitalised = (operation: Record<string, unknown>) =>
  fc
    .boolean()
    .map((upper) =>
      upper
        ? Object.fromEntries(
            Object.entries(operation).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), v]),
          )
        : operation,
    );

/** A plausible operation: a known path with a value of its type, or a path-less object. */
const plausibleOperation = (type: 'User' | 'Group') => {
  const table =
    type === 'User' ? { ...USER_VALUES, ...USER_PATCH_ONLY } : { ...GROUP_VALUES, ...GROUP_PATCH_ONLY };
  const removeMember =
    type === 'Group'
      ? [
          memberValue.map((v) => ({
            op: 'remove',
            path: `members[value eq ${JSON.stringify(typeof v === 'string' ? v : JSON.stringify(v))}]`,
          })),
        ]
      : [];
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(recased(fc.constantFrom('add', 'replace')), typedEntry(table))
        .map(([op, [path, value]]) => ({ op, path, value })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          recased(fc.constantFrom('add', 'replace')),
          fc.array(typedEntry(type === 'User' ? USER_VALUES : GROUP_VALUES), { maxLength: 3 }),
        )
        .map(([op, entries]) => ({ op, value: Object.fromEntries(entries) })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...Object.keys(table)), fc.option(memberList))
        .map(([path, value]) => (value === null ? { op: 'remove', path } : { op: 'remove', path, value })),
    },
    ...removeMember.map((arbitrary) => ({ weight: 2, arbitrary })),
  );
};

const PATCH_PATHS = [
  'emails[type eq "work"]',
  'emails[type eq "work"].value',
  'members[value eq "x"]',
  'members[value eq "x"].display',
  'members[value eq "a" or value eq "b"]',
  'groups[value eq "x"]',
  '',
  ' ',
  '[',
  'members[',
  'emails]',
  '.',
  'urn:',
];

const chaoticOperation = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        op: patchOp,
        path: fc.oneof(
          recased(fc.constantFrom(...KNOWN_USER_ATTRIBUTES, ...KNOWN_GROUP_ATTRIBUTES, ...PATCH_PATHS)),
          fc.tuple(attributeName, grammarFilter).map(([a, f]) => `${a}[${f}]`),
          fc
            .tuple(fc.constantFrom('members', 'emails', 'addresses'), grammarFilter, fc.option(attributeName))
            .map(([a, f, s]) => `${a}[${f}]${s === null ? '' : `.${s}`}`),
          anyText,
          fc.jsonValue({ maxDepth: 1 }),
        ),
        value: fc.oneof(fc.jsonValue({ maxDepth: 3 }), anyText, memberList, trickyObject),
      },
      { requiredKeys: ['op'] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const patchBody = (type: 'User' | 'Group') =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(
          fc.constantFrom('Operations', 'operations', 'OPERATIONS'),
          fc.array(
            fc
              .oneof(
                { weight: 4, arbitrary: plausibleOperation(type) },
                { weight: 1, arbitrary: chaoticOperation },
              )
              .chain((operation): fc.Arbitrary<unknown> =>
                typeof operation === 'object' && operation !== null && !Array.isArray(operation)
                  ? capitalised(operation)
                  : fc.constant(operation),
              ),
            { minLength: 1, maxLength: 4 },
          ),
        )
        .map(([key, operations]) =>
          JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], [key]: operations }),
        ),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ Operations: v })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: anyText },
  );

describe('no PATCH body yields a server error', () => {
  it('PATCH /Users/{id}', async () => {
    await fc.assert(
      fc.asyncProperty(someUserId, patchBody('User'), async (id, body) => {
        await expectNo5xx({ method: 'PATCH', path: `/Users/${id}`, body });
      }),
      { numRuns: RUNS },
    );
  });

  it('PATCH /Groups/{id}', async () => {
    await fc.assert(
      fc.asyncProperty(someGroupId, patchBody('Group'), async (id, body) => {
        await expectNo5xx({ method: 'PATCH', path: `/Groups/${id}`, body });
      }),
      { numRuns: RUNS },
    );
  });

  it('PATCH asking for a representation back (attributes / excludedAttributes)', async () => {
    await fc.assert(
      fc.asyncProperty(
        resourceType.chain(([type, path]) =>
          fc.tuple(
            (type === 'User' ? someUserId : someGroupId).map((id) => `${path}/${id}`),
            patchBody(type),
          ),
        ),
        fc.constantFrom('attributes', 'excludedAttributes'),
        attributeName,
        async ([path, body], param, attribute) => {
          await expectNo5xx({ method: 'PATCH', path, body, query: { [param]: attribute } });
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------
// POST and PUT

/** Makes every generated name unique when the request is sent, so bodies reach storage. */
let unique = 0;
const UNIQUE = '\u2063unique\u2063';
const withUniqueNames = (body: string) => body.split(UNIQUE).join(`-${++unique}`);

/** A resource body: a name of random text (made unique), plus random attributes. */
const resourceBody = (type: 'User' | 'Group') => {
  const nameKey = type === 'User' ? 'userName' : 'displayName';
  const table = type === 'User' ? USER_VALUES : GROUP_VALUES;
  const plausible = fc
    .tuple(
      fc.oneof(anyText, fc.string({ minLength: 250, maxLength: 600 })),
      fc.array(typedEntry(table), { maxLength: 6 }),
    )
    .map(([name, entries]) =>
      JSON.stringify({ ...Object.fromEntries(entries), [nameKey]: `${name}${UNIQUE}` }),
    );
  const chaotic = fc
    .tuple(
      fc.oneof(
        anyText.map((s) => `${s}${UNIQUE}`),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      fc.dictionary(
        fc.oneof(attributeName, recased(fc.constantFrom('id', 'meta', 'schemas', 'members.value'))),
        fc.oneof(fc.jsonValue({ maxDepth: 3 }), memberList, multiValued, trickyObject),
        { maxKeys: 5 },
      ),
    )
    .map(([name, attributes]) => JSON.stringify({ ...attributes, [nameKey]: name }));
  return fc.oneof(
    { weight: 6, arbitrary: plausible },
    { weight: 3, arbitrary: chaotic },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: anyText },
  );
};

describe('no POST or PUT body yields a server error', () => {
  it('POST /Users', async () => {
    await fc.assert(
      fc.asyncProperty(resourceBody('User'), async (body) => {
        await expectNo5xx({ method: 'POST', path: '/Users', body: withUniqueNames(body) });
      }),
      { numRuns: RUNS },
    );
  });

  it('POST /Groups', async () => {
    await fc.assert(
      fc.asyncProperty(resourceBody('Group'), async (body) => {
        await expectNo5xx({ method: 'POST', path: '/Groups', body: withUniqueNames(body) });
      }),
      { numRuns: RUNS },
    );
  });

  it('PUT /Users/{id}', async () => {
    await fc.assert(
      fc.asyncProperty(someUserId, resourceBody('User'), async (id, body) => {
        await expectNo5xx({ method: 'PUT', path: `/Users/${id}`, body: withUniqueNames(body) });
      }),
      { numRuns: RUNS },
    );
  });

  it('PUT /Groups/{id}', async () => {
    await fc.assert(
      fc.asyncProperty(someGroupId, resourceBody('Group'), async (id, body) => {
        await expectNo5xx({ method: 'PUT', path: `/Groups/${id}`, body: withUniqueNames(body) });
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------
// Query parameters

const integerish = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -10, max: 150 }).map(String) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '0',
      '-1',
      '101',
      '1e400',
      '-1e400',
      '1.5',
      ' ',
      '',
      'NaN',
      'Infinity',
      '0x10',
      '9007199254740993',
      '99999999999999999999',
      '-0',
      '1e3',
    ),
  },
  { weight: 1, arbitrary: anyText },
);

const attributeList = (type: 'User' | 'Group') =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .array(
          recased(fc.constantFrom(...(type === 'User' ? KNOWN_USER_ATTRIBUTES : KNOWN_GROUP_ATTRIBUTES))),
          {
            maxLength: 4,
          },
        )
        .map((names) => names.join(',')),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(
          fc.oneof(
            attributeName,
            fc.tuple(attributeName, grammarFilter).map(([a, f]) => `${a}[${f}]`),
          ),
          {
            maxLength: 3,
          },
        )
        .map((names) => names.join(',')),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('emails', 'addresses', 'members'), plausibleFilter(type))
        .map(([a, f]) => `${a}[${f}]`),
    },
    { weight: 1, arbitrary: anyText },
  );

const listQuery = (type: 'User' | 'Group') =>
  fc.record(
    {
      startIndex: integerish,
      count: integerish,
      attributes: attributeList(type),
      excludedAttributes: attributeList(type),
      filter: plausibleFilter(type),
      sortBy: attributeName,
    },
    { requiredKeys: [] },
  );

describe('no query parameters yield a server error', () => {
  it('GET /Users and /Groups with random startIndex, count, attributes, excludedAttributes', async () => {
    await fc.assert(
      fc.asyncProperty(
        resourceType.chain(([type, path]) => fc.tuple(fc.constant(path), listQuery(type))),
        async ([path, query]) => {
          await expectNo5xx({ method: 'GET', path, query });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('GET one resource with random attributes and excludedAttributes', async () => {
    await fc.assert(
      fc.asyncProperty(
        resourceType.chain(([type, path]) =>
          fc.tuple(
            (type === 'User' ? someUserId : someGroupId).map((id) => `${path}/${id}`),
            fc.record(
              { attributes: attributeList(type), excludedAttributes: attributeList(type) },
              { requiredKeys: [] },
            ),
          ),
        ),
        async ([path, query]) => {
          await expectNo5xx({ method: 'GET', path, query });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('POST /.search with random paging and attribute fields', async () => {
    await fc.assert(
      fc.asyncProperty(
        resourceType.chain(([type, path]) => {
          const field = fc.oneof(
            integerish,
            fc.jsonValue({ maxDepth: 1 }),
            attributeList(type),
            trickyObject,
            fc.array(fc.oneof(anyText, trickyObject), { maxLength: 3 }),
          );
          return fc.tuple(
            fc.constant(`${path}/.search`),
            fc.record(
              {
                startIndex: fc.oneof(fc.integer({ min: -5, max: 60 }), field),
                count: fc.oneof(fc.integer({ min: -5, max: 150 }), field),
                attributes: fc.oneof(attributeList(type), field),
                excludedAttributes: fc.oneof(attributeList(type), field),
                filter: fc.oneof(plausibleFilter(type), field),
              },
              { requiredKeys: [] },
            ),
          );
        }),
        async ([path, fields]) => {
          await expectNo5xx({ method: 'POST', path, body: JSON.stringify(fields) });
        },
      ),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------
// Resource ids chosen by the client

/**
 * Ids arrive from the client in the URL, in `id eq` filters and as member values, and the
 * directory uses them as storage keys. A key Forge would refuse (a character outside
 * [a-zA-Z0-9:._ -#], or more than 500 characters) is simply an id that does not exist:
 * 404 for the resource, no match for the filter, a skipped member.
 */
describe('ids that could not be storage keys are unknown ids, not server errors', () => {
  const badIds = ['a@b', 'ä', 'x'.repeat(501), '😀', 'a/b', 'a?b'];

  it.each(badIds.map((id) => [id.length > 20 ? `${id.slice(0, 10)}… (${id.length} chars)` : id, id]))(
    'GET, PUT, PATCH and DELETE /Users/%s answer 404',
    async (_label, id) => {
      const path = `/Users/${id}`;
      expect(await expectNo5xx({ method: 'GET', path })).toBe(404);
      expect(await expectNo5xx({ method: 'PUT', path, body: JSON.stringify({ userName: 'x' }) })).toBe(404);
      expect(
        await expectNo5xx({
          method: 'PATCH',
          path,
          body: JSON.stringify({ Operations: [{ op: 'replace', path: 'active', value: false }] }),
        }),
      ).toBe(404);
      expect(await expectNo5xx({ method: 'DELETE', path })).toBe(404);
      expect(await expectNo5xx({ method: 'GET', path: `/Groups/${id}` })).toBe(404);
    },
  );

  it('a filter on such an id matches nothing', async () => {
    const response = await t.request('GET', `/Users?filter=${encodeURIComponent('id eq "a@b"')}`);
    expect(response.status).toBe(200);
    expect(response.body.totalResults).toBe(0);
  });

  it('adding such an id as a group member skips it; removing it is a no-op', async () => {
    const group = groupIds[0];
    const before = (await t.request('GET', `/Groups/${group}`)).body.members;
    const add = await t.request('PATCH', `/Groups/${group}`, {
      body: { Operations: [{ op: 'add', path: 'members', value: [{ value: 'x@y' }] }] },
    });
    expect(add.status).toBe(204);
    const remove = await t.request('PATCH', `/Groups/${group}`, {
      body: { Operations: [{ op: 'remove', path: 'members[value eq "x@y"]' }] },
    });
    expect(remove.status).toBe(204);
    const removeByValue = await t.request('PATCH', `/Groups/${group}`, {
      body: { Operations: [{ op: 'remove', path: 'members', value: [{ value: 'é' }] }] },
    });
    expect(removeByValue.status).toBe(204);
    expect((await t.request('GET', `/Groups/${group}`)).body.members).toEqual(before);
  });

  it('creating a group with such a member skips it', async () => {
    const created = await t.request('POST', '/Groups', {
      body: { displayName: 'With a strange member', members: [{ value: 'ü' }, { value: userIds[0] }] },
    });
    expect(created.status).toBe(201);
    expect(created.body.members.map((m: { value: string }) => m.value)).toEqual([userIds[0]]);
  });
});

/**
 * A JSON object can carry its own "toString" or "valueOf" member, which shadows the ones
 * every object inherits; turning such an object into text throws a TypeError. Found by the
 * .search property above; pinned here because it shows up only once in a few thousand runs.
 */
describe('search request fields that cannot be turned into text', () => {
  it.each([
    ['count', { count: { toString: '' } }],
    ['startIndex', { startIndex: { valueOf: 1, toString: 0 } }],
    ['excludedAttributes', { excludedAttributes: { toString: 0 } }],
    ['an element of attributes', { attributes: ['userName', { toString: 1 }] }],
    ['filter', { filter: { toString: 'x' } }],
  ])('%s answers 400, not 500', async (_field, fields) => {
    const status = await expectNo5xx({
      method: 'POST',
      path: '/Users/.search',
      body: JSON.stringify(fields),
    });
    expect(status).toBe(400);
  });
});
