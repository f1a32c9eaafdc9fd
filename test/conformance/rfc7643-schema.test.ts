/**
 * RFC 7643 §2 and §7: the schemas served at /Schemas are exactly what the server enforces.
 * Every test here reads the attribute definitions from /Schemas and checks the server
 * against them, so a definition and its enforcement cannot drift apart unnoticed.
 */
import { createTestApp, filter, TestApp } from '../support/harness';
import {
  attributes,
  createGroup,
  createUser,
  ENTERPRISE,
  expectScimError,
  Json,
  patchOp,
  USER_SCHEMA,
} from './scim';

interface AttributeDefinition {
  name: string;
  type: string;
  multiValued: boolean;
  required: boolean;
  caseExact: boolean;
  mutability: string;
  returned: string;
  uniqueness: string;
  subAttributes?: AttributeDefinition[];
}

async function definitions(t: TestApp, urn: string): Promise<AttributeDefinition[]> {
  const response = await t.request('GET', `/Schemas/${urn}`);
  expect(response.status).toBe(200);
  return response.body.attributes;
}

const clientWritable = (a: AttributeDefinition) =>
  a.mutability === 'readWrite' || a.mutability === 'immutable';

/** A value of the attribute's type; strings are mixed-case so caseExact can be observed. */
function sample(attribute: AttributeDefinition, path: string): unknown {
  switch (attribute.type) {
    case 'boolean':
      return true;
    case 'integer':
      return 7;
    case 'decimal':
      return 1.5;
    case 'dateTime':
      return '2024-01-02T03:04:05Z';
    case 'binary':
      return 'U2FtcGxl';
    case 'reference':
      return `https://example.com/Sample/${path}`;
    case 'complex': {
      const value: Json = {};
      for (const sub of attribute.subAttributes ?? []) {
        if (clientWritable(sub)) value[sub.name] = sample(sub, `${path}.${sub.name}`);
      }
      return attribute.multiValued ? [value] : value;
    }
    default:
      return `Sample-${path}`;
  }
}

/** A full User built from the served schemas: every client-writable attribute has a value. */
async function fullUser(
  t: TestApp,
): Promise<{ body: Json; core: AttributeDefinition[]; ext: AttributeDefinition[] }> {
  const core = await definitions(t, USER_SCHEMA);
  const ext = await definitions(t, ENTERPRISE);
  const body: Json = { schemas: [USER_SCHEMA, ENTERPRISE] };
  for (const a of core) if (clientWritable(a)) body[a.name] = sample(a, a.name);
  const extension: Json = {};
  for (const a of ext) if (clientWritable(a)) extension[a.name] = sample(a, a.name);
  body[ENTERPRISE] = extension;
  return { body, core, ext };
}

interface Leaf {
  path: string;
  definition: AttributeDefinition;
  /** The value `fullUser` gave it. */
  value: string;
}

/** Every client-writable string or reference leaf of a schema ("name.givenName", …). */
function stringLeaves(list: AttributeDefinition[], prefix = ''): Leaf[] {
  const leaf = (local: string, definition: AttributeDefinition): Leaf => ({
    path: `${prefix}${local}`,
    definition,
    value: sample(definition, local) as string,
  });
  const isText = (a: AttributeDefinition) => a.type === 'string' || a.type === 'reference';
  return list.flatMap((a): Leaf[] => {
    if (!clientWritable(a) || a.returned === 'never') return [];
    if (a.type === 'complex') {
      return (a.subAttributes ?? [])
        .filter((s) => clientWritable(s) && isText(s))
        .map((s) => leaf(`${a.name}.${s.name}`, s));
    }
    return isText(a) ? [leaf(a.name, a)] : [];
  });
}

describe('RFC 7643 §2.2 / §7: every client-writable User attribute can be written and read back', () => {
  it('returns every readWrite attribute of the User and enterprise schemas as it was sent', async () => {
    const t = createTestApp();
    const { body, core, ext } = await fullUser(t);
    const created = await createUser(t, body);
    const names = [...core.map((a) => a.name), ENTERPRISE].join(',');
    const read = (await t.request('GET', `/Users/${created.id}?${attributes(names)}`)).body;
    const missing: string[] = [];
    for (const a of core) {
      if (!clientWritable(a) || a.returned === 'never') continue;
      if (JSON.stringify(read[a.name]) !== JSON.stringify(body[a.name])) missing.push(a.name);
    }
    for (const a of ext) {
      if (!clientWritable(a) || a.returned === 'never') continue;
      const sent = (body[ENTERPRISE] as Json)[a.name];
      if (JSON.stringify((read[ENTERPRISE] as Json | undefined)?.[a.name]) !== JSON.stringify(sent)) {
        missing.push(`${ENTERPRISE}:${a.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('returns no attribute that the schemas do not define', async () => {
    const t = createTestApp();
    const { body, core } = await fullUser(t);
    const created = await createUser(t, body);
    const known = new Set(['schemas', 'id', 'externalId', 'meta', ENTERPRISE, ...core.map((a) => a.name)]);
    expect(Object.keys(created).filter((k) => !known.has(k))).toEqual([]);
  });
});

describe('RFC 7643 §2.2 / §7: mutability and returned as served are enforced', () => {
  it('never returns attributes the schema marks writeOnly or returned "never"', async () => {
    const t = createTestApp();
    const core = await definitions(t, USER_SCHEMA);
    const hidden = core.filter((a) => a.mutability === 'writeOnly' || a.returned === 'never');
    expect(hidden.map((a) => a.name)).toEqual(['password']);
    const user = await createUser(t, { userName: 'hidden@example.com', password: 'Pa55-word' });
    const read = await t.request(
      'GET',
      `/Users/${user.id}?${attributes(hidden.map((a) => a.name).join(','))}`,
    );
    for (const a of hidden) expect(read.body).not.toHaveProperty(a.name);
  });

  it('ignores values sent for readOnly attributes', async () => {
    const t = createTestApp();
    const core = await definitions(t, USER_SCHEMA);
    const readOnly = core.filter((a) => a.mutability === 'readOnly');
    expect(readOnly.map((a) => a.name)).toEqual(['groups']);
    expect(readOnly[0]).toMatchObject({ returned: 'request', multiValued: true, type: 'complex' });
    const group = await createGroup(t, { displayName: 'Read Only' });
    const user = await createUser(t, {
      userName: 'ro@example.com',
      groups: [{ value: group.id, display: 'Read Only', type: 'direct' }],
    });
    const read = await t.request('GET', `/Users/${user.id}?${attributes('groups')}`);
    expect(read.body.groups ?? []).toEqual([]);
  });

  it('returns "request" attributes only when asked for them', async () => {
    const t = createTestApp();
    const core = await definitions(t, USER_SCHEMA);
    const onRequest = core.filter((a) => a.returned === 'request').map((a) => a.name);
    expect(onRequest).toEqual(['groups']);
    const user = await createUser(t, { userName: 'req@example.com' });
    const group = await createGroup(t, { displayName: 'Requested', members: [{ value: user.id }] });
    expect((await t.request('GET', `/Users/${user.id}`)).body).not.toHaveProperty('groups');
    expect((await t.request('GET', '/Users')).body.Resources[0]).not.toHaveProperty('groups');
    const asked = await t.request('GET', `/Users/${user.id}?${attributes('groups')}`);
    expect(asked.body.groups).toEqual([expect.objectContaining({ value: group.id })]);
  });

  it('serves the readOnly sub-attribute manager.displayName and ignores values sent for it', async () => {
    const t = createTestApp();
    const ext = await definitions(t, ENTERPRISE);
    const manager = ext.find((a) => a.name === 'manager') as AttributeDefinition;
    const displayName = manager.subAttributes?.find((s) => s.name === 'displayName');
    expect(displayName?.mutability).toBe('readOnly');
    const user = await createUser(t, {
      userName: 'managed@example.com',
      [ENTERPRISE]: { manager: { value: 'boss', displayName: 'Made Up' } },
    });
    expect(user[ENTERPRISE]).toEqual({ manager: { value: 'boss' } });
  });

  // RFC 7643 §2.2: "immutable: ... Thereafter, the attribute SHALL NOT be updated."
  // RFC 7644 §3.5.2: such a modification fails with 400 and scimType "mutability".
  it('refuses to change the immutable sub-attributes of group members', async () => {
    const t = createTestApp();
    const members = (await definitions(t, 'urn:ietf:params:scim:schemas:core:2.0:Group')).find(
      (a) => a.name === 'members',
    ) as AttributeDefinition;
    expect(new Set(members.subAttributes?.map((s) => s.mutability))).toEqual(new Set(['immutable']));
    const user = await createUser(t, { userName: 'member@example.com' });
    const group = await createGroup(t, { displayName: 'Immutable', members: [{ value: user.id }] });
    const response = await t.request('PATCH', `/Groups/${group.id}`, {
      body: patchOp({ op: 'replace', path: `members[value eq "${user.id}"].display`, value: 'Renamed' }),
    });
    expectScimError(response, 400, 'mutability');
  });
});

describe('RFC 7643 §2.2 / §7: required and uniqueness as served are enforced', () => {
  it('requires exactly the attributes the schema marks required', async () => {
    const t = createTestApp();
    const core = await definitions(t, USER_SCHEMA);
    const required = core.filter((a) => a.required).map((a) => a.name);
    expect(required).toEqual(['userName']);
    expectScimError(await t.request('POST', '/Users', { body: { displayName: 'Nameless' } }), 400);
    await createUser(t, { userName: 'minimal@example.com' });
  });

  it('enforces uniqueness "server" and allows duplicates of uniqueness "none"', async () => {
    const t = createTestApp();
    const { body, core } = await fullUser(t);
    const unique = core.filter((a) => a.uniqueness !== 'none').map((a) => a.name);
    expect(unique).toEqual(['userName']);
    await createUser(t, body);
    // Same values everywhere except the unique userName: accepted.
    await createUser(t, { ...body, userName: 'someone-else' });
    // Same userName in another case: refused.
    const clash = await t.request('POST', '/Users', {
      body: { userName: String(body.userName).toUpperCase() },
    });
    expectScimError(clash, 409, 'uniqueness');
  });
});

describe('RFC 7643 §2.2 / RFC 7644 §3.4.2.2: caseExact as served is what filters do', () => {
  let t: TestApp;
  let leaves: Leaf[];
  beforeAll(async () => {
    t = createTestApp();
    const { body, core, ext } = await fullUser(t);
    await createUser(t, body);
    leaves = [...stringLeaves(core), ...stringLeaves(ext, `${ENTERPRISE}:`)];
  });

  it('matches the exact value of every string attribute', async () => {
    const misses: string[] = [];
    for (const { path, value } of leaves) {
      const response = await t.request('GET', `/Users?${filter(`${path} eq "${value}"`)}`);
      if (response.body.totalResults !== 1)
        misses.push(`${path}: ${response.status} ${response.body.totalResults}`);
    }
    expect(misses).toEqual([]);
  });

  it('matches a differently-cased value exactly when caseExact is false', async () => {
    const wrong: string[] = [];
    for (const { path, definition, value } of leaves) {
      const response = await t.request('GET', `/Users?${filter(`${path} eq "${value.toLowerCase()}"`)}`);
      const matched = response.body.totalResults === 1;
      if (matched === definition.caseExact) wrong.push(`${path} (caseExact ${definition.caseExact})`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('RFC 7643 §4.1.2 / RFC 7644 §3.4.2.2: filtering on the groups attribute', () => {
  // The schema serves "groups" as an attribute of User. A filter on it must either find the
  // member or be refused with invalidFilter ("the specified attribute and filter comparison
  // combination is not supported"); a silent empty result misleads the client.
  it('either finds the members of a group or refuses the filter', async () => {
    const t = createTestApp();
    const member = await createUser(t, { userName: 'in-group@example.com' });
    await createUser(t, { userName: 'not-in-group@example.com' });
    const group = await createGroup(t, { displayName: 'Filtered', members: [{ value: member.id }] });
    for (const expression of [`groups.value eq "${group.id}"`, `groups[value eq "${group.id}"]`]) {
      const response = await t.request('GET', `/Users?${filter(expression)}`);
      if (response.status === 200) {
        expect({ expression, found: (response.body.Resources as Json[]).map((r) => r.id) }).toEqual({
          expression,
          found: [member.id],
        });
      } else {
        expectScimError(response, 400, 'invalidFilter');
      }
    }
  });
});
