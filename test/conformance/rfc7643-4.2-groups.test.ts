/**
 * RFC 7643 §4.2: the Group resource and its "members" (value, $ref, display, type), and
 * §4.1.2: a user's read-only "groups". Member changes follow RFC 7644 §3.5.2.
 */
import { BASE_URL, createTestApp, TestApp } from '../support/harness';
import {
  attributes,
  createGroup,
  createUser,
  excluded,
  expectScimError,
  GROUP_SCHEMA,
  Json,
  patchOp,
} from './scim';

async function memberIds(t: TestApp, groupId: string): Promise<string[]> {
  const response = await t.request('GET', `/Groups/${groupId}`);
  expect(response.status).toBe(200);
  return ((response.body.members ?? []) as Json[]).map((m) => m.value as string).sort();
}

describe('RFC 7643 §4.2: members in responses', () => {
  // "value": identifier of the member; "display": a human-readable name; "type": "User" or
  // "Group".
  it('renders each member with value, display and type', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'bjensen@example.com', displayName: 'Babs Jensen' });
    const response = await t.request('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Tour Guides', members: [{ value: user.id }] },
    });
    expect(response.status).toBe(201);
    expect(response.body.members).toEqual([
      expect.objectContaining({ value: user.id, display: 'Babs Jensen', type: 'User' }),
    ]);
  });

  // RFC 7643 §4.2 lists a "$ref" sub-attribute for members. We serve members by "value" alone
  // (a deliberate choice, see the README: it keeps a 35,000-member group within Forge's 5 MB
  // response limit), and the served Group schema says so by not listing members.$ref.
  it('identifies members by value, and the served schema agrees that there is no $ref', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'ref@example.com' });
    const group = await createGroup(t, {
      displayName: 'Refs',
      members: [{ value: user.id, $ref: `${BASE_URL}/Users/${user.id}` }],
    });
    const members = group.members as Json[];
    expect(members[0].value).toBe(user.id);
    expect(members[0].$ref).toBeUndefined();
    const schema = await t.request('GET', `/Schemas/${GROUP_SCHEMA}`);
    const membersAttribute = (schema.body.attributes as Json[]).find((a) => a.name === 'members') as Json;
    const subNames = (membersAttribute.subAttributes as Json[]).map((a) => a.name);
    expect(subNames).toEqual(expect.arrayContaining(['value', 'display', 'type']));
    expect(subNames).not.toContain('$ref');
  });

  it('falls back to the userName for display when the user has no displayName', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'plain@example.com' });
    const group = await createGroup(t, { displayName: 'Plain', members: [{ value: user.id }] });
    expect((group.members as Json[])[0].display).toBe('plain@example.com');
  });

  it('lists members on GET, in lists and in PUT responses', async () => {
    const t = createTestApp();
    const a = await createUser(t, { userName: 'a@example.com' });
    const b = await createUser(t, { userName: 'b@example.com' });
    const group = await createGroup(t, {
      displayName: 'Listed',
      members: [{ value: a.id }, { value: b.id }],
    });
    expect(await memberIds(t, group.id)).toEqual([a.id, b.id].sort());
    const list = await t.request('GET', '/Groups');
    expect(((list.body.Resources[0].members ?? []) as Json[]).map((m) => m.value).sort()).toEqual(
      [a.id, b.id].sort(),
    );
  });

  // Entra ID asks for groups with excludedAttributes=members.
  it('leaves members out with excludedAttributes=members or attributes=displayName', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'm@example.com' });
    const group = await createGroup(t, { displayName: 'Quiet', members: [{ value: user.id }] });
    const withoutMembers = await t.request('GET', `/Groups/${group.id}?${excluded('members')}`);
    expect(withoutMembers.body).not.toHaveProperty('members');
    expect(withoutMembers.body.displayName).toBe('Quiet');
    const onlyName = await t.request('GET', `/Groups?${attributes('displayName')}`);
    expect(onlyName.body.Resources[0]).not.toHaveProperty('members');
  });

  it('selects member sub-attributes with attributes=members.value', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'sub@example.com' });
    const group = await createGroup(t, { displayName: 'Subs', members: [{ value: user.id }] });
    const response = await t.request('GET', `/Groups/${group.id}?${attributes('members.value')}`);
    expect(response.body.members).toEqual([{ value: user.id }]);
  });

  // Server decision: member ids that are not users of this directory are ignored.
  it('ignores member values that are not users', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'real@example.com' });
    const group = await createGroup(t, {
      displayName: 'Mixed',
      members: [{ value: user.id }, { value: '00000000-0000-0000-0000-000000000000' }],
    });
    expect(((group.members ?? []) as Json[]).map((m) => m.value)).toEqual([user.id]);
  });

  // Atlassian groups cannot contain groups: a member of type "Group" is refused.
  it('refuses nested groups with 400', async () => {
    const t = createTestApp();
    const inner = await createGroup(t, { displayName: 'Inner' });
    const response = await t.request('POST', '/Groups', {
      body: { displayName: 'Outer', members: [{ value: inner.id, type: 'Group' }] },
    });
    expectScimError(response, 400);
  });
});

describe('RFC 7644 §3.5.2: changing members with PATCH', () => {
  let t: TestApp;
  let a: string;
  let b: string;
  let c: string;
  beforeEach(async () => {
    t = createTestApp();
    a = (await createUser(t, { userName: 'a@example.com' })).id;
    b = (await createUser(t, { userName: 'b@example.com' })).id;
    c = (await createUser(t, { userName: 'c@example.com' })).id;
  });
  const patchGroup = (id: string, ...operations: { op: string; path?: string; value?: unknown }[]) =>
    t.request('PATCH', `/Groups/${id}`, { body: patchOp(...operations) });

  it('add appends members and keeps the existing ones', async () => {
    const group = await createGroup(t, { displayName: 'Add', members: [{ value: a }] });
    expect(
      (await patchGroup(group.id, { op: 'add', path: 'members', value: [{ value: b }, { value: c }] }))
        .status,
    ).toBe(204);
    expect(await memberIds(t, group.id)).toEqual([a, b, c].sort());
  });

  it('adding an existing member again changes nothing and does not fail', async () => {
    const group = await createGroup(t, { displayName: 'Twice', members: [{ value: a }] });
    expect((await patchGroup(group.id, { op: 'add', path: 'members', value: [{ value: a }] })).status).toBe(
      204,
    );
    expect(await memberIds(t, group.id)).toEqual([a]);
  });

  it('remove with members[value eq "…"] removes that member', async () => {
    const group = await createGroup(t, { displayName: 'Remove', members: [{ value: a }, { value: b }] });
    expect((await patchGroup(group.id, { op: 'remove', path: `members[value eq "${a}"]` })).status).toBe(204);
    expect(await memberIds(t, group.id)).toEqual([b]);
  });

  it('remove with an or of member values removes each of them', async () => {
    const group = await createGroup(t, {
      displayName: 'Remove Or',
      members: [{ value: a }, { value: b }, { value: c }],
    });
    await patchGroup(group.id, { op: 'remove', path: `members[value eq "${a}" or value eq "${c}"]` });
    expect(await memberIds(t, group.id)).toEqual([b]);
  });

  // Entra ID removes members that are already gone; that is not an error.
  it('removing a user who is not a member changes nothing and does not fail', async () => {
    const group = await createGroup(t, { displayName: 'Not Member', members: [{ value: a }] });
    expect((await patchGroup(group.id, { op: 'remove', path: `members[value eq "${b}"]` })).status).toBe(204);
    expect(await memberIds(t, group.id)).toEqual([a]);
  });

  // Entra ID's dialect: {"op":"Remove","path":"members","value":[{"value":"…"}]}.
  it('remove with a value list removes those members', async () => {
    const group = await createGroup(t, { displayName: 'Remove List', members: [{ value: a }, { value: b }] });
    await patchGroup(group.id, { op: 'Remove', path: 'members', value: [{ value: b }] });
    expect(await memberIds(t, group.id)).toEqual([a]);
  });

  // "If the target location is a multi-valued attribute and no filter is specified, the
  // attribute and all values are removed."
  it('remove of members without a filter or value empties the group', async () => {
    const group = await createGroup(t, { displayName: 'Remove All', members: [{ value: a }, { value: b }] });
    await patchGroup(group.id, { op: 'remove', path: 'members' });
    expect(await memberIds(t, group.id)).toEqual([]);
  });

  it('replace of members sets exactly the given list', async () => {
    const group = await createGroup(t, { displayName: 'Replace', members: [{ value: a }, { value: b }] });
    await patchGroup(group.id, { op: 'replace', path: 'members', value: [{ value: c }] });
    expect(await memberIds(t, group.id)).toEqual([c]);
  });

  it('a path-less replace can rename the group and set its members', async () => {
    const group = await createGroup(t, { displayName: 'Pathless', members: [{ value: a }] });
    await patchGroup(group.id, { op: 'replace', value: { displayName: 'Renamed', members: [{ value: b }] } });
    const response = await t.request('GET', `/Groups/${group.id}`);
    expect(response.body.displayName).toBe('Renamed');
    expect(await memberIds(t, group.id)).toEqual([b]);
  });

  it('applies member operations in order', async () => {
    const group = await createGroup(t, { displayName: 'Order' });
    await patchGroup(
      group.id,
      { op: 'add', path: 'members', value: [{ value: a }, { value: b }] },
      { op: 'remove', path: `members[value eq "${a}"]` },
      { op: 'add', path: 'members', value: [{ value: c }] },
    );
    expect(await memberIds(t, group.id)).toEqual([b, c].sort());
  });

  it('answers 200 with members when ?attributes=members is given', async () => {
    const group = await createGroup(t, { displayName: 'Echo' });
    const response = await t.request('PATCH', `/Groups/${group.id}?${attributes('members')}`, {
      body: patchOp({ op: 'add', path: 'members', value: [{ value: a }] }),
    });
    expect(response.status).toBe(200);
    expect(response.body.members).toEqual([expect.objectContaining({ value: a, type: 'User' })]);
  });

  // RFC 7644 §3.5.2: atomic. A rename that clashes must not let the member add through.
  it('adds no member when another operation of the same PATCH fails', async () => {
    await createGroup(t, { displayName: 'Taken' });
    const group = await createGroup(t, { displayName: 'Atomic' });
    const response = await patchGroup(
      group.id,
      { op: 'add', path: 'members', value: [{ value: a }] },
      { op: 'replace', path: 'displayName', value: 'taken' },
    );
    expectScimError(response, 409, 'uniqueness');
    expect(await memberIds(t, group.id)).toEqual([]);
    expect((await t.request('GET', `/Groups/${group.id}`)).body.displayName).toBe('Atomic');
  });

  it('answers 400 when the PATCH would remove the required displayName', async () => {
    const group = await createGroup(t, { displayName: 'Needed' });
    expectScimError(await patchGroup(group.id, { op: 'remove', path: 'displayName' }), 400);
  });
});

describe('RFC 7643 §4.1.2: a user’s groups', () => {
  // "groups: A list of groups to which the user belongs ... "value", "$ref", "display",
  // "type" ("direct" or "indirect"). ... read-only."
  it('lists each group with value, an absolute $ref, display and type "direct"', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'joiner@example.com' });
    const group = await createGroup(t, { displayName: 'Joined', members: [{ value: user.id }] });
    const response = await t.request('GET', `/Users/${user.id}?${attributes('groups')}`);
    expect(response.body.groups).toEqual([
      { value: group.id, $ref: `${BASE_URL}/Groups/${group.id}`, display: 'Joined', type: 'direct' },
    ]);
  });

  it('follows membership changes', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'mover@example.com' });
    const one = await createGroup(t, { displayName: 'One', members: [{ value: user.id }] });
    const two = await createGroup(t, { displayName: 'Two' });
    await t.request('PATCH', `/Groups/${two.id}`, {
      body: patchOp({ op: 'add', path: 'members', value: [{ value: user.id }] }),
    });
    await t.request('PATCH', `/Groups/${one.id}`, {
      body: patchOp({ op: 'remove', path: `members[value eq "${user.id}"]` }),
    });
    const response = await t.request('GET', `/Users/${user.id}?${attributes('groups')}`);
    expect((response.body.groups as Json[]).map((g) => g.value)).toEqual([two.id]);
  });

  it('shows the group’s current displayName after a rename', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'renamed@example.com' });
    const group = await createGroup(t, { displayName: 'Old Name', members: [{ value: user.id }] });
    await t.request('PATCH', `/Groups/${group.id}`, {
      body: patchOp({ op: 'replace', path: 'displayName', value: 'New Name' }),
    });
    const response = await t.request('GET', `/Users/${user.id}?${attributes('groups')}`);
    expect((response.body.groups as Json[])[0].display).toBe('New Name');
  });

  it('is listed for each user of a list when asked for', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'listed@example.com' });
    const group = await createGroup(t, { displayName: 'Listed', members: [{ value: user.id }] });
    const response = await t.request('GET', `/Users?${attributes('userName,groups')}`);
    expect(response.body.Resources[0].groups).toEqual([expect.objectContaining({ value: group.id })]);
  });
});
