/**
 * RFC 7644 §3.5.2: modifying with PATCH. §3.5.2.1 add, §3.5.2.2 remove, §3.5.2.3 replace.
 */
import { createTestApp, filter, TestApp } from '../support/harness';
import {
  attributes,
  createGroup,
  createUser,
  ENTERPRISE,
  excluded,
  expectScimError,
  GROUP_SCHEMA,
  Json,
  patchOp,
  PATCH_OP,
  PatchOperation,
  USER_SCHEMA,
} from './scim';

/** A user with one of everything PATCH can target. */
async function subject(t: TestApp): Promise<string> {
  const user = await createUser(t, {
    schemas: [USER_SCHEMA, ENTERPRISE],
    userName: 'patch@example.com',
    displayName: 'Patch Me',
    title: 'Engineer',
    active: true,
    name: { givenName: 'Pat', familyName: 'Smith' },
    emails: [
      { value: 'work@example.com', type: 'work', primary: true },
      { value: 'home@example.com', type: 'home' },
    ],
    phoneNumbers: [{ value: '555-0100', type: 'work' }],
    [ENTERPRISE]: { department: 'R&D', costCenter: '42', manager: { value: 'boss-id' } },
  });
  return user.id;
}

async function patch(t: TestApp, id: string, ...operations: PatchOperation[]) {
  return t.request('PATCH', `/Users/${id}`, { body: patchOp(...operations) });
}

async function read(t: TestApp, id: string): Promise<Json> {
  const response = await t.request('GET', `/Users/${id}`);
  expect(response.status).toBe(200);
  return response.body;
}

describe('RFC 7644 §3.5.2: the PATCH response', () => {
  // "On successful completion, the server either MUST return a 200 OK response code and the
  // entire resource within the response body ... or MAY return HTTP status code 204".
  it('answers 204 No Content without a body by default', async () => {
    const t = createTestApp();
    const id = await subject(t);
    const response = await patch(t, id, { op: 'replace', path: 'displayName', value: 'X' });
    expect(response.status).toBe(204);
    expect(response.body).toBeUndefined();
  });

  // "The server MUST return a 200 OK if the "attributes" parameter is specified in the request."
  it('answers 200 with the requested attributes when ?attributes= is given', async () => {
    const t = createTestApp();
    const id = await subject(t);
    const response = await t.request('PATCH', `/Users/${id}?${attributes('displayName')}`, {
      body: patchOp({ op: 'replace', path: 'displayName', value: 'Shown' }),
    });
    expect(response.status).toBe(200);
    expect(response.body.displayName).toBe('Shown');
    expect(response.body.id).toBe(id);
    expect(response.body).not.toHaveProperty('emails');
  });

  it('answers 200 with a body when ?excludedAttributes= is given', async () => {
    const t = createTestApp();
    const id = await subject(t);
    const response = await t.request('PATCH', `/Users/${id}?excludedAttributes=emails`, {
      body: patchOp({ op: 'replace', path: 'displayName', value: 'Shown' }),
    });
    expect(response.status).toBe(200);
    expect(response.body.displayName).toBe('Shown');
    expect(response.body).not.toHaveProperty('emails');
  });

  it('answers 404 for an unknown id', async () => {
    const t = createTestApp();
    expectScimError(await patch(t, 'no-such-user', { op: 'replace', path: 'title', value: 'X' }), 404);
  });

  it('updates meta.lastModified and meta.version', async () => {
    const t = createTestApp();
    const id = await subject(t);
    const before = (await read(t, id)).meta as Record<string, string>;
    await patch(t, id, { op: 'replace', path: 'title', value: 'Lead' });
    const after = (await read(t, id)).meta as Record<string, string>;
    expect(after.version).not.toBe(before.version);
    expect(after.created).toBe(before.created);
    expect(Date.parse(after.lastModified)).toBeGreaterThanOrEqual(Date.parse(before.lastModified));
  });
});

describe('RFC 7644 §3.5.2.1: add', () => {
  it('sets a simple attribute that has no value', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'add', path: 'nickName', value: 'Patty' });
    expect((await read(t, id)).nickName).toBe('Patty');
  });

  // "If the target location specifies a single-valued attribute, the existing value is replaced."
  it('replaces the value of a single-valued attribute', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'add', path: 'title', value: 'Architect' });
    expect((await read(t, id)).title).toBe('Architect');
  });

  it('sets a sub-attribute of a complex attribute', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'add', path: 'name.middleName', value: 'Q' });
    expect((await read(t, id)).name).toEqual({ givenName: 'Pat', familyName: 'Smith', middleName: 'Q' });
  });

  // "If the target location specifies a complex attribute, a set of sub-attributes SHALL be
  // specified in the "value" parameter."  Sub-attributes not given are kept.
  it('merges sub-attributes into a complex attribute', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'add', path: 'name', value: { givenName: 'Patricia', honorificPrefix: 'Dr.' } });
    expect((await read(t, id)).name).toEqual({
      givenName: 'Patricia',
      familyName: 'Smith',
      honorificPrefix: 'Dr.',
    });
  });

  // "If the target location specifies a multi-valued attribute, a new value is added to the attribute."
  it('adds values to a multi-valued attribute and keeps the existing ones', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'add', path: 'emails', value: [{ value: 'other@example.com', type: 'other' }] });
    expect((await read(t, id)).emails).toEqual([
      { value: 'work@example.com', type: 'work', primary: true },
      { value: 'home@example.com', type: 'home' },
      { value: 'other@example.com', type: 'other' },
    ]);
  });

  // "If the target location already contains the value specified, no changes SHOULD be made".
  it('does not duplicate a value that is already present', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'add', path: 'phoneNumbers', value: [{ value: '555-0100', type: 'work' }] });
    expect((await read(t, id)).phoneNumbers).toEqual([{ value: '555-0100', type: 'work' }]);
  });

  it('sets an extension attribute by its URN path', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'add', path: `${ENTERPRISE}:division`, value: 'Labs' });
    expect((await read(t, id))[ENTERPRISE]).toMatchObject({ department: 'R&D', division: 'Labs' });
  });

  it('creates the extension and lists its URN in schemas when the user had none', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'plain@example.com' });
    await patch(t, user.id, { op: 'add', path: `${ENTERPRISE}:employeeNumber`, value: '7' });
    const after = await read(t, user.id);
    expect(after[ENTERPRISE]).toEqual({ employeeNumber: '7' });
    expect(after.schemas).toEqual(expect.arrayContaining([USER_SCHEMA, ENTERPRISE]));
  });

  it('sets an extension sub-attribute by its URN path', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'add', path: `${ENTERPRISE}:manager.value`, value: 'new-boss' });
    expect((await read(t, id))[ENTERPRISE]).toMatchObject({ manager: { value: 'new-boss' } });
  });

  // "If omitted, the target location is assumed to be the resource itself. The "value"
  // parameter contains a set of attributes to be added to the resource."
  it('without a path adds the attributes of the value object', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, {
      op: 'add',
      value: {
        nickName: 'Pats',
        emails: [{ value: 'third@example.com', type: 'other' }],
        [ENTERPRISE]: { division: 'Labs' },
      },
    });
    const after = await read(t, id);
    expect(after.nickName).toBe('Pats');
    expect(after.emails).toHaveLength(3);
    expect(after[ENTERPRISE]).toMatchObject({ department: 'R&D', division: 'Labs' });
  });

  // Entra ID: add through a filter that matches nothing creates the value.
  it('adds a value through an eq value filter that matches nothing', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'nowork@example.com' });
    await patch(t, user.id, { op: 'add', path: 'emails[type eq "work"].value', value: 'new@example.com' });
    expect((await read(t, user.id)).emails).toEqual([{ type: 'work', value: 'new@example.com' }]);
  });
});

describe('RFC 7644 §3.5.2.2: remove', () => {
  it('removes a simple attribute', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'remove', path: 'title' });
    expect(await read(t, id)).not.toHaveProperty('title');
  });

  it('removes a sub-attribute of a complex attribute', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'remove', path: 'name.familyName' });
    expect((await read(t, id)).name).toEqual({ givenName: 'Pat' });
  });

  it('removes a whole complex attribute', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'remove', path: 'name' });
    expect(await read(t, id)).not.toHaveProperty('name');
  });

  // "If the target location is a multi-valued attribute and no filter is specified, the
  // attribute and all values are removed."
  it('removes every value of a multi-valued attribute', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'remove', path: 'emails' });
    expect(await read(t, id)).not.toHaveProperty('emails');
  });

  // "If the target location is a multi-valued attribute and a complex filter is specified
  // based on the attribute's sub-attributes, the matching records are removed."
  it('removes the values a value filter selects', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'remove', path: 'emails[type eq "home"]' });
    expect((await read(t, id)).emails).toEqual([{ value: 'work@example.com', type: 'work', primary: true }]);
  });

  // "If the target location is a complex multi-valued attribute and a complex filter is
  // specified based on the attribute's sub-attributes, the matching sub-attributes of all
  // matching records are removed."
  it('removes a sub-attribute of the values a value filter selects', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'remove', path: 'emails[type eq "work"].primary' });
    expect((await read(t, id)).emails).toEqual([
      { value: 'work@example.com', type: 'work' },
      { value: 'home@example.com', type: 'home' },
    ]);
  });

  it('removes an extension attribute by its URN path', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'remove', path: `${ENTERPRISE}:costCenter` });
    expect((await read(t, id))[ENTERPRISE]).toEqual({ department: 'R&D', manager: { value: 'boss-id' } });
  });

  it('drops the extension URN from schemas when its last attribute is removed', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'ext@example.com', [ENTERPRISE]: { department: 'Solo' } });
    await patch(t, user.id, { op: 'remove', path: `${ENTERPRISE}:department` });
    const after = await read(t, user.id);
    expect(after).not.toHaveProperty([ENTERPRISE]);
    expect(after.schemas).toEqual([USER_SCHEMA]);
  });

  // "If "path" is unspecified, the operation fails with HTTP status code 400 and a "scimType"
  // error code of "noTarget"."
  it('answers 400 noTarget for a remove without a path', async () => {
    const t = createTestApp();
    const id = await subject(t);
    expectScimError(await patch(t, id, { op: 'remove' }), 400, 'noTarget');
  });

  it('answers 400 when the remove would clear the required userName', async () => {
    const t = createTestApp();
    const id = await subject(t);
    expectScimError(await patch(t, id, { op: 'remove', path: 'userName' }), 400);
    expect((await read(t, id)).userName).toBe('patch@example.com');
  });
});

describe('RFC 7644 §3.5.2.3: replace', () => {
  it('replaces a simple attribute', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'replace', path: 'displayName', value: 'Replaced' });
    expect((await read(t, id)).displayName).toBe('Replaced');
  });

  // "If the target location path specifies an attribute that does not exist, the service
  // provider SHALL treat the operation as an "add"."
  it('sets an attribute that had no value', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'replace', path: 'locale', value: 'en-GB' });
    expect((await read(t, id)).locale).toBe('en-GB');
  });

  it('replaces a sub-attribute', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'replace', path: 'name.givenName', value: 'Patricia' });
    expect((await read(t, id)).name).toEqual({ givenName: 'Patricia', familyName: 'Smith' });
  });

  // "If the target location specifies a complex attribute, a set of sub-attributes SHALL be
  // specified in the "value" parameter, which replaces any existing values or adds where an
  // attribute did not previously exist. Sub-attributes that are not specified in the "value"
  // parameter are left unchanged."
  it('replaces the given sub-attributes of a complex attribute and leaves the others', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'replace', path: 'name', value: { givenName: 'Patricia' } });
    expect((await read(t, id)).name).toEqual({ givenName: 'Patricia', familyName: 'Smith' });
  });

  // "If the target location is a multi-valued attribute and no filter is specified, the
  // attribute and all values are replaced."
  it('replaces all values of a multi-valued attribute', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, {
      op: 'replace',
      path: 'emails',
      value: [{ value: 'only@example.com', type: 'work' }],
    });
    expect((await read(t, id)).emails).toEqual([{ value: 'only@example.com', type: 'work' }]);
  });

  // "If the target location is a complex multi-valued attribute with a value selection filter
  // ("valuePath") and a specific sub-attribute (e.g., "addresses[type eq "work"].streetAddress"),
  // the matching sub-attribute of all matching records is replaced."
  it('replaces the sub-attribute of the value a value filter selects', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, {
      op: 'replace',
      path: 'emails[type eq "work"].value',
      value: 'new-work@example.com',
    });
    expect((await read(t, id)).emails).toEqual([
      { value: 'new-work@example.com', type: 'work', primary: true },
      { value: 'home@example.com', type: 'home' },
    ]);
  });

  it('replaces the whole value a value filter selects', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, {
      op: 'replace',
      path: 'emails[type eq "home"]',
      value: { value: 'new-home@example.com', type: 'home' },
    });
    expect((await read(t, id)).emails).toEqual([
      { value: 'work@example.com', type: 'work', primary: true },
      { value: 'new-home@example.com', type: 'home' },
    ]);
  });

  // "If the target location specifies a multi-valued attribute for which a value selection
  // filter ("valuePath") has been supplied and no record match was made, the service provider
  // SHALL indicate failure by returning HTTP status code 400 and a "scimType" error code of
  // "noTarget"."  Server decision: an eq filter is add-if-missing instead (Entra ID relies on it).
  it('behaves as add when an eq value filter matches nothing', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'replace', path: 'phoneNumbers[type eq "mobile"].value', value: '555-0199' });
    expect((await read(t, id)).phoneNumbers).toEqual([
      { value: '555-0100', type: 'work' },
      { value: '555-0199', type: 'mobile' },
    ]);
  });

  it('replaces an extension attribute by its URN path', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'replace', path: `${ENTERPRISE}:department`, value: 'Sales' });
    expect((await read(t, id))[ENTERPRISE]).toMatchObject({ department: 'Sales', costCenter: '42' });
  });

  it('replaces the extension manager by a complex value', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'replace', path: `${ENTERPRISE}:manager`, value: { value: 'other-boss' } });
    expect((await read(t, id))[ENTERPRISE]).toMatchObject({ manager: { value: 'other-boss' } });
  });

  // "If the "path" parameter is omitted, the target is assumed to be the resource itself. In
  // this case, the "value" attribute SHALL contain a list of one or more attributes that are
  // to be replaced."
  it('without a path replaces the attributes of the value object and nothing else', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, {
      op: 'replace',
      value: { active: false, displayName: 'Path-less', [ENTERPRISE]: { department: 'Ops' } },
    });
    const after = await read(t, id);
    expect(after).toMatchObject({ active: false, displayName: 'Path-less', title: 'Engineer' });
    expect(after[ENTERPRISE]).toMatchObject({ department: 'Ops', costCenter: '42' });
    expect(after.emails).toHaveLength(2);
  });

  // RFC 7643 §2.5: null is "unassigned".
  it('removes the attribute when replacing with null', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'replace', path: 'title', value: null });
    expect(await read(t, id)).not.toHaveProperty('title');
  });

  it('coerces the value to the attribute type (Entra sends "False")', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'Replace', path: 'active', value: 'False' });
    expect((await read(t, id)).active).toBe(false);
  });
});

describe('RFC 7644 §3.5.2 / §3.4.2.2: value filters in paths follow caseExact', () => {
  // §3.5.2: a valuePath is "attrPath "[" valFilter "]"" with the filter grammar of §3.4.2.2,
  // where string comparison honours caseExact. emails.type and emails.value are caseExact false,
  // so the PATCH must select the same values a GET filter would.
  it('replace through emails[type eq "WORK"] updates the existing "work" e-mail', async () => {
    const t = createTestApp();
    const id = await subject(t);
    const query = await t.request('GET', `/Users?filter=${encodeURIComponent('emails[type eq "WORK"]')}`);
    expect(query.body.totalResults).toBe(1);
    await patch(t, id, {
      op: 'replace',
      path: 'emails[type eq "WORK"].value',
      value: 'new-work@example.com',
    });
    expect((await read(t, id)).emails).toEqual([
      { value: 'new-work@example.com', type: 'work', primary: true },
      { value: 'home@example.com', type: 'home' },
    ]);
  });

  it('remove through emails[value eq "HOME@EXAMPLE.COM"] removes the home e-mail', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'remove', path: 'emails[value eq "HOME@EXAMPLE.COM"]' });
    expect((await read(t, id)).emails).toEqual([{ value: 'work@example.com', type: 'work', primary: true }]);
  });
});

describe('RFC 7644 §3.5.2 / RFC 7643 §2.4: primary on multi-valued attributes', () => {
  // RFC 7644 §3.5.2: "For multi-valued attributes, a PATCH operation that sets a value's
  // "primary" sub-attribute to "true" SHALL cause the server to automatically set "primary"
  // to "false" for any other values in the array."
  it('adding a new primary value makes it the only primary one', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, {
      op: 'add',
      path: 'emails',
      value: [{ value: 'new-primary@example.com', type: 'other', primary: true }],
    });
    const emails = (await read(t, id)).emails as { value: string; primary?: boolean }[];
    expect(emails.filter((e) => e.primary === true).map((e) => e.value)).toEqual(['new-primary@example.com']);
  });

  it('setting primary on another value through a value filter moves the primary flag', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'replace', path: 'emails[type eq "home"].primary', value: true });
    const emails = (await read(t, id)).emails as { value: string; primary?: boolean }[];
    expect(emails.filter((e) => e.primary === true).map((e) => e.value)).toEqual(['home@example.com']);
  });
});

describe('RFC 7644 §3.5.2: invalid PATCH requests', () => {
  it('answers 400 invalidSyntax for an unknown op', async () => {
    const t = createTestApp();
    const id = await subject(t);
    expectScimError(await patch(t, id, { op: 'move', path: 'title', value: 'X' }), 400, 'invalidSyntax');
  });

  it('answers 400 invalidSyntax when Operations is missing or not an array', async () => {
    const t = createTestApp();
    const id = await subject(t);
    const missing = await t.request('PATCH', `/Users/${id}`, { body: { schemas: [PATCH_OP] } });
    expectScimError(missing, 400, 'invalidSyntax');
    const notArray = await t.request('PATCH', `/Users/${id}`, { body: { Operations: { op: 'add' } } });
    expectScimError(notArray, 400, 'invalidSyntax');
  });

  it('answers 400 for an add without a value', async () => {
    const t = createTestApp();
    const id = await subject(t);
    expectScimError(await patch(t, id, { op: 'add', path: 'title' }), 400);
  });

  // §3.5.2: "invalidPath" for a path that is not valid attribute notation.
  it('answers 400 invalidPath for a malformed path', async () => {
    const t = createTestApp();
    const id = await subject(t);
    expectScimError(
      await patch(t, id, { op: 'replace', path: 'name.givenName.extra', value: 'X' }),
      400,
      'invalidPath',
    );
  });

  it('answers 400 invalidValue for a value of the wrong type', async () => {
    const t = createTestApp();
    const id = await subject(t);
    expectScimError(
      await patch(t, id, { op: 'replace', path: 'active', value: 'perhaps' }),
      400,
      'invalidValue',
    );
  });
});

describe('RFC 7644 §3.5.2: PATCH is atomic', () => {
  // "A PATCH request, regardless of the number of operations, SHALL be treated as atomic. If
  // a single operation encounters an error condition, the original SCIM resource MUST be
  // restored, and a failure status SHALL be returned."
  it('leaves the resource and its version unchanged when the second operation fails', async () => {
    const t = createTestApp();
    const id = await subject(t);
    const before = await read(t, id);
    const response = await patch(
      t,
      id,
      { op: 'replace', path: 'displayName', value: 'Half Done' },
      { op: 'replace', path: 'active', value: 'not-a-boolean' },
    );
    expect(response.status).toBe(400);
    expect(await read(t, id)).toEqual(before);
  });

  it('leaves the resource unchanged when a later operation would remove userName', async () => {
    const t = createTestApp();
    const id = await subject(t);
    const before = await read(t, id);
    const response = await patch(
      t,
      id,
      { op: 'add', path: 'emails', value: [{ value: 'more@example.com' }] },
      { op: 'remove', path: 'userName' },
    );
    expect(response.status).toBe(400);
    expect(await read(t, id)).toEqual(before);
  });

  it('leaves the resource unchanged when a later operation has an invalid op', async () => {
    const t = createTestApp();
    const id = await subject(t);
    const before = await read(t, id);
    const response = await patch(
      t,
      id,
      { op: 'replace', path: 'title', value: 'Changed' },
      { op: 'copy', path: 'title', value: 'X' },
    );
    expectScimError(response, 400, 'invalidSyntax');
    expect(await read(t, id)).toEqual(before);
  });

  it('leaves the resource unchanged when a later operation causes a uniqueness conflict', async () => {
    const t = createTestApp();
    await createUser(t, { userName: 'taken@example.com' });
    const id = await subject(t);
    const before = await read(t, id);
    const response = await patch(
      t,
      id,
      { op: 'replace', path: 'title', value: 'Changed' },
      { op: 'replace', path: 'userName', value: 'taken@example.com' },
    );
    expectScimError(response, 409, 'uniqueness');
    expect(await read(t, id)).toEqual(before);
  });

  it('applies the operations in order', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(
      t,
      id,
      { op: 'remove', path: 'emails' },
      { op: 'add', path: 'emails', value: [{ value: 'fresh@example.com', type: 'work' }] },
      { op: 'replace', path: 'title', value: 'First' },
      { op: 'replace', path: 'title', value: 'Second' },
    );
    const after = await read(t, id);
    expect(after.emails).toEqual([{ value: 'fresh@example.com', type: 'work' }]);
    expect(after.title).toBe('Second');
  });
});

describe('RFC 7644 §3.5.2 / RFC 7643 §2.2: mutability in PATCH', () => {
  // Okta sends the readOnly id in path-less replaces; the server ignores it.
  it('ignores readOnly attributes in a path-less replace', async () => {
    const t = createTestApp();
    const id = await subject(t);
    const response = await patch(t, id, { op: 'replace', value: { id: 'other-id', active: false } });
    expect(response.status).toBe(204);
    const after = await read(t, id);
    expect(after.id).toBe(id);
    expect(after.active).toBe(false);
  });

  it('never stores or returns a password set by PATCH', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'replace', path: 'password', value: 'N3w-Secret' });
    const after = await t.request('GET', `/Users/${id}?${attributes('password')}`);
    expect(JSON.stringify(after.body)).not.toContain('N3w-Secret');
  });
});

describe('RFC 7644 §3.5.2 / §3.12: a path naming no attribute is 400 invalidPath', () => {
  // §3.12 invalidPath: "The "path" attribute was invalid or malformed". Answering 204 would tell
  // the client its value was stored; the PATCH is atomic, so nothing else changes either.
  async function expectInvalidPath(t: TestApp, id: string, path: string, ...ops: PatchOperation[]) {
    const before = await read(t, id);
    const response = await patch(t, id, ...ops);
    expectScimError(response, 400, 'invalidPath');
    expect(response.body.detail).toContain(`"${path}"`);
    expect(await read(t, id)).toEqual(before);
  }

  it.each<PatchOperation>([
    { op: 'replace', path: 'noSuchAttribute', value: 'x' },
    { op: 'add', path: 'noSuchAttribute', value: 'x' },
    { op: 'remove', path: 'noSuchAttribute' },
    { op: 'Replace', path: 'noSuchAttribute', value: { a: 1 } },
  ])('an unknown core attribute: %j', async (operation) => {
    const t = createTestApp();
    const id = await subject(t);
    await expectInvalidPath(t, id, 'noSuchAttribute', operation);
  });

  it.each([
    `${USER_SCHEMA}:noSuchAttribute`,
    'name.noSuch',
    'emails.noSuch',
    'emails[type eq "work"].noSuch',
    'emails[noSuch eq "x"]',
    'emails[noSuch eq "x"].value',
    'emails[type eq "work" and noSuch eq "x"].value',
    `${ENTERPRISE}:noSuchAttribute`,
    `${ENTERPRISE}:manager.noSuch`,
    'members',
    `${GROUP_SCHEMA}:displayName`,
  ])('%s', async (path) => {
    const t = createTestApp();
    const id = await subject(t);
    await expectInvalidPath(t, id, path, { op: 'replace', path, value: 'x' });
  });

  it('leaves the resource unchanged when a later operation names an unknown attribute', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await expectInvalidPath(
      t,
      id,
      'shoeSize',
      { op: 'replace', path: 'displayName', value: 'Half Done' },
      { op: 'add', path: 'shoeSize', value: 44 },
    );
  });

  it('answers 400 invalidPath for an unknown attribute in a group PATCH, and changes nothing', async () => {
    const t = createTestApp();
    const member = await createUser(t, { userName: 'member@example.com' });
    const group = await createGroup(t, { displayName: 'Unchanged' });
    const before = await t.request('GET', `/Groups/${group.id}`);
    for (const path of ['noSuchAttribute', `${ENTERPRISE}:department`]) {
      const response = await t.request('PATCH', `/Groups/${group.id}`, {
        body: patchOp(
          { op: 'add', path: 'members', value: [{ value: member.id }] },
          { op: 'replace', path, value: 'x' },
        ),
      });
      expectScimError(response, 400, 'invalidPath');
      expect(response.body.detail).toContain(`"${path}"`);
    }
    expect((await t.request('GET', `/Groups/${group.id}`)).body).toEqual(before.body);
  });

  it('still applies a known enterprise extension attribute by its URN path', async () => {
    const t = createTestApp();
    const id = await subject(t);
    const response = await patch(t, id, { op: 'replace', path: `${ENTERPRISE}:department`, value: 'Ops' });
    expect(response.status).toBe(204);
    expect((await read(t, id))[ENTERPRISE]).toMatchObject({ department: 'Ops', costCenter: '42' });
  });

  // Server decision: the keys of a path-less value are read like a POST or PUT body, where
  // unknown attributes are dropped (identity providers send what they were configured to).
  it('ignores unknown keys of a path-less value, as in a POST or PUT body', async () => {
    const t = createTestApp();
    const id = await subject(t);
    const response = await patch(t, id, {
      op: 'replace',
      value: { title: 'Lead', noSuchAttribute: 'x', 'name.noSuch': 'y', [`${ENTERPRISE}:noSuch`]: 'z' },
    });
    expect(response.status).toBe(204);
    const after = await read(t, id);
    expect(after.title).toBe('Lead');
    expect(JSON.stringify(after)).not.toMatch(/noSuch/i);
  });
});

describe('Extension schemas the server does not define: kept as sent (server decision)', () => {
  // Entra and Okta map directory attributes to custom extensions. Refusing them would fail every
  // update of every user with one mapped (Entra re-sends a value a GET does not return);
  // dropping them would say "stored" when nothing was. So their values are stored under the
  // URN, returned, and listed in "schemas" (RFC 7643 §3), within SCIM's value shapes.
  const CUSTOM = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User';

  it('stores a value PATCHed to an attribute path under the extension URN and returns it', async () => {
    const t = createTestApp();
    const id = await subject(t);
    const response = await patch(t, id, { op: 'add', path: `${CUSTOM}:costCenter`, value: 'CC-7' });
    expect(response.status).toBe(204);
    const after = await read(t, id);
    expect(after[CUSTOM]).toEqual({ costCenter: 'CC-7' });
    expect(after.schemas).toEqual([USER_SCHEMA, ENTERPRISE, CUSTOM]);
  });

  it('replaces, merges and removes like a defined attribute, and drops the URN when empty', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(
      t,
      id,
      { op: 'add', path: `${CUSTOM}:costCenter`, value: 'CC-7' },
      { op: 'add', path: `${CUSTOM}:badges`, value: ['a'] },
      { op: 'add', path: `${CUSTOM}:badges`, value: ['b'] },
      { op: 'replace', path: `${CUSTOM.toLowerCase()}:COSTCENTER`, value: 'CC-8' },
      { op: 'add', path: `${CUSTOM}:sponsor.value`, value: 'u-1' },
      { op: 'replace', path: `${CUSTOM}:sponsor`, value: { display: 'Una' } },
    );
    expect((await read(t, id))[CUSTOM]).toEqual({
      costCenter: 'CC-8',
      badges: ['a', 'b'],
      sponsor: { value: 'u-1', display: 'Una' },
    });
    await patch(
      t,
      id,
      { op: 'remove', path: `${CUSTOM}:badges`, value: ['a'] },
      { op: 'remove', path: `${CUSTOM}:sponsor.display` },
      { op: 'replace', path: `${CUSTOM}:costCenter`, value: null },
    );
    expect((await read(t, id))[CUSTOM]).toEqual({ badges: ['b'], sponsor: { value: 'u-1' } });
    await patch(
      t,
      id,
      { op: 'remove', path: `${CUSTOM}:badges` },
      { op: 'remove', path: `${CUSTOM}:sponsor` },
    );
    const after = await read(t, id);
    expect(after).not.toHaveProperty([CUSTOM]);
    expect(after.schemas).toEqual([USER_SCHEMA, ENTERPRISE]);
  });

  it('takes the values of a path-less PATCH, by URN object and by URN-qualified key (Entra)', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'replace', value: { [CUSTOM]: { costCenter: 'A', region: 'EU' } } });
    await patch(t, id, { op: 'Replace', value: { [`${CUSTOM}:costCenter`]: 'B', active: 'False' } });
    const after = await read(t, id);
    expect(after[CUSTOM]).toEqual({ costCenter: 'B', region: 'EU' });
    expect(after.active).toBe(false);
  });

  it('keeps the values of a POST and replaces them with a PUT', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'custom@example.com', [CUSTOM]: { costCenter: 'A' } });
    expect(user[CUSTOM]).toEqual({ costCenter: 'A' });
    const put = await t.request('PUT', `/Users/${user.id}`, {
      body: { schemas: [USER_SCHEMA, CUSTOM], userName: 'custom@example.com', [CUSTOM]: { region: 'EU' } },
    });
    expect(put.status).toBe(200);
    expect(put.body[CUSTOM]).toEqual({ region: 'EU' });
  });

  it('works on groups as well', async () => {
    const t = createTestApp();
    const custom = 'urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:Group';
    const group = await createGroup(t, { displayName: 'Custom' });
    const response = await t.request('PATCH', `/Groups/${group.id}`, {
      body: patchOp({ op: 'add', path: `${custom}:owner`, value: 'ops' }),
    });
    expect(response.status).toBe(204);
    const after = await t.request('GET', `/Groups/${group.id}`);
    expect(after.body[custom]).toEqual({ owner: 'ops' });
    expect(after.body.schemas).toEqual([GROUP_SCHEMA, custom]);
  });

  it('honours attributes and excludedAttributes for the extension and its attributes', async () => {
    const t = createTestApp();
    const id = await subject(t);
    await patch(t, id, { op: 'add', value: { [CUSTOM]: { costCenter: 'A', region: 'EU' } } });
    const get = (query: string) => t.request('GET', `/Users/${id}?${query}`);
    expect((await get(attributes(CUSTOM))).body[CUSTOM]).toEqual({ costCenter: 'A', region: 'EU' });
    expect((await get(attributes(`${CUSTOM}:region`))).body[CUSTOM]).toEqual({ region: 'EU' });
    expect((await get(attributes('userName'))).body).not.toHaveProperty([CUSTOM]);
    expect((await get(excluded(CUSTOM))).body).not.toHaveProperty([CUSTOM]);
    expect((await get(excluded(`${CUSTOM}:region`))).body[CUSTOM]).toEqual({ costCenter: 'A' });
  });

  it.each([
    ['a value filter (there is no definition to filter by)', `${CUSTOM}:badges[value eq "a"]`],
    ['the schema itself instead of an attribute', CUSTOM],
    ['a malformed attribute name', `${CUSTOM}:cost center`],
  ])('answers 400 invalidPath for %s', async (_case, path) => {
    const t = createTestApp();
    const id = await subject(t);
    const before = await read(t, id);
    const response = await patch(t, id, { op: 'add', path, value: { a: 'x' } });
    expectScimError(response, 400, 'invalidPath');
    expect(response.body.detail).toContain(`"${path}"`);
    expect(await read(t, id)).toEqual(before);
  });

  it('answers 400 invalidValue for a value nested deeper than SCIM allows', async () => {
    const t = createTestApp();
    const id = await subject(t);
    const response = await patch(t, id, { op: 'add', path: `${CUSTOM}:deep`, value: { a: { b: 'c' } } });
    expectScimError(response, 400, 'invalidValue');
  });

  it('cannot be filtered on (no definition says how to compare): 400 invalidFilter', async () => {
    const t = createTestApp();
    await subject(t);
    const response = await t.request('GET', `/Users?${filter(`${CUSTOM}:costCenter eq "A"`)}`);
    expectScimError(response, 400, 'invalidFilter');
  });
});
