/**
 * RFC 7644 §3.14: versioning resources with ETags (RFC 7232). RFC 7643 §3.1: meta.version
 * "must be the same as the entity-tag (ETag) HTTP response header".
 */
import { createTestApp, TestApp } from '../support/harness';
import { createGroup, createUser, expectScimError, patchOp } from './scim';

async function versionOf(t: TestApp, path: string): Promise<string> {
  const response = await t.request('GET', path);
  expect(response.status).toBe(200);
  return response.body.meta.version;
}

describe('RFC 7644 §3.14 / RFC 7643 §3.1: ETag and meta.version', () => {
  it('sends an ETag header equal to meta.version on POST and GET', async () => {
    const t = createTestApp();
    const created = await t.request('POST', '/Users', { body: { userName: 'etag@example.com' } });
    expect(created.headers.etag).toBe(created.body.meta.version);
    expect(created.headers.etag).toMatch(/^(W\/)?"[^"]+"$/);
    const read = await t.request('GET', `/Users/${created.body.id}`);
    expect(read.headers.etag).toBe(read.body.meta.version);
    expect(read.headers.etag).toBe(created.headers.etag);
  });

  it('sends an ETag header equal to meta.version on PUT and on PATCH', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'etag@example.com' });
    const put = await t.request('PUT', `/Users/${user.id}`, {
      body: { userName: 'etag@example.com', title: 'A' },
    });
    expect(put.headers.etag).toBe(put.body.meta.version);
    const patched = await t.request('PATCH', `/Users/${user.id}`, {
      body: patchOp({ op: 'replace', path: 'title', value: 'B' }),
    });
    expect(patched.status).toBe(204);
    expect(patched.headers.etag).toBe(await versionOf(t, `/Users/${user.id}`));
  });

  it('sends ETag and meta.version for groups', async () => {
    const t = createTestApp();
    const created = await t.request('POST', '/Groups', { body: { displayName: 'Versioned' } });
    expect(created.headers.etag).toBe(created.body.meta.version);
    const read = await t.request('GET', `/Groups/${created.body.id}`);
    expect(read.headers.etag).toBe(read.body.meta.version);
  });

  it('includes meta.version in every resource of a list', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'listed@example.com' });
    const list = await t.request('GET', '/Users');
    expect(list.body.Resources[0].meta.version).toBe((user.meta as Record<string, string>).version);
  });
});

describe('RFC 7644 §3.14: the version changes on every modification', () => {
  it('changes on PUT, on PATCH and on every further change', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'changes@example.com' });
    const seen = new Set([(user.meta as Record<string, string>).version]);
    await t.request('PUT', `/Users/${user.id}`, { body: { userName: 'changes@example.com', title: '1' } });
    seen.add(await versionOf(t, `/Users/${user.id}`));
    await t.request('PATCH', `/Users/${user.id}`, {
      body: patchOp({ op: 'replace', path: 'title', value: '2' }),
    });
    seen.add(await versionOf(t, `/Users/${user.id}`));
    await t.request('PATCH', `/Users/${user.id}`, {
      body: patchOp({ op: 'replace', path: 'title', value: '3' }),
    });
    seen.add(await versionOf(t, `/Users/${user.id}`));
    expect(seen.size).toBe(4);
  });

  it('changes when members are added to or removed from a group', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'member@example.com' });
    const group = await createGroup(t, { displayName: 'Members' });
    const v1 = (group.meta as Record<string, string>).version;
    await t.request('PATCH', `/Groups/${group.id}`, {
      body: patchOp({ op: 'add', path: 'members', value: [{ value: user.id }] }),
    });
    const v2 = await versionOf(t, `/Groups/${group.id}`);
    await t.request('PATCH', `/Groups/${group.id}`, {
      body: patchOp({ op: 'remove', path: `members[value eq "${user.id}"]` }),
    });
    const v3 = await versionOf(t, `/Groups/${group.id}`);
    expect(new Set([v1, v2, v3]).size).toBe(3);
  });

  it('changes when the members of a group are replaced by PUT', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'member@example.com' });
    const group = await createGroup(t, { displayName: 'Put Members' });
    const response = await t.request('PUT', `/Groups/${group.id}`, {
      body: { displayName: 'Put Members', members: [{ value: user.id }] },
    });
    expect(response.body.meta.version).not.toBe((group.meta as Record<string, string>).version);
  });

  // The member list is part of the group's representation: a cached copy validated with
  // If-None-Match must not be declared current after a member disappeared.
  it('changes when a member user is deleted and so leaves the group', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'leaver@example.com' });
    const group = await createGroup(t, { displayName: 'Left', members: [{ value: user.id }] });
    const before = await t.request('GET', `/Groups/${group.id}`);
    await t.request('DELETE', `/Users/${user.id}`);
    const after = await t.request('GET', `/Groups/${group.id}`);
    expect(after.body.members ?? []).toEqual([]);
    expect(after.body.meta.version).not.toBe(before.body.meta.version);
    const conditional = await t.request('GET', `/Groups/${group.id}`, {
      headers: { 'If-None-Match': before.headers.etag },
    });
    expect(conditional.status).toBe(200);
  });
});

describe('RFC 7644 §3.14 / RFC 7232 §3.1: If-Match', () => {
  it('applies a PUT whose If-Match names the current version', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'match@example.com' });
    const response = await t.request('PUT', `/Users/${user.id}`, {
      body: { userName: 'match@example.com', title: 'Matched' },
      headers: { 'If-Match': (user.meta as Record<string, string>).version },
    });
    expect(response.status).toBe(200);
    expect(response.body.title).toBe('Matched');
  });

  // RFC 7232 §4.2 / RFC 7644 §3.14: 412 Precondition Failed when the version is stale.
  it('answers 412 to a PUT, PATCH or DELETE with a stale If-Match and changes nothing', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'stale@example.com' });
    const stale = (user.meta as Record<string, string>).version;
    await t.request('PATCH', `/Users/${user.id}`, {
      body: patchOp({ op: 'replace', path: 'title', value: 'New' }),
    });
    const current = await t.request('GET', `/Users/${user.id}`);

    const headers = { 'If-Match': stale };
    expectScimError(
      await t.request('PUT', `/Users/${user.id}`, { body: { userName: 'stale@example.com' }, headers }),
      412,
    );
    expectScimError(
      await t.request('PATCH', `/Users/${user.id}`, {
        body: patchOp({ op: 'replace', path: 'title', value: 'Lost update' }),
        headers,
      }),
      412,
    );
    expectScimError(await t.request('DELETE', `/Users/${user.id}`, { headers }), 412);
    expect((await t.request('GET', `/Users/${user.id}`)).body).toEqual(current.body);
  });

  it('applies a PATCH and a DELETE whose If-Match names the current version', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'current@example.com' });
    const patched = await t.request('PATCH', `/Users/${user.id}`, {
      body: patchOp({ op: 'replace', path: 'title', value: 'Ok' }),
      headers: { 'If-Match': (user.meta as Record<string, string>).version },
    });
    expect(patched.status).toBe(204);
    const deleted = await t.request('DELETE', `/Users/${user.id}`, {
      headers: { 'If-Match': patched.headers.etag },
    });
    expect(deleted.status).toBe(204);
  });

  // RFC 7232 §3.1: "If-Match: *" is true whenever a current representation exists.
  it('applies a write with If-Match: *', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'star@example.com' });
    const response = await t.request('PUT', `/Users/${user.id}`, {
      body: { userName: 'star@example.com', title: 'Any' },
      headers: { 'If-Match': '*' },
    });
    expect(response.status).toBe(200);
  });

  it('accepts a list of entity tags that includes the current one', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'list@example.com' });
    const response = await t.request('PUT', `/Users/${user.id}`, {
      body: { userName: 'list@example.com', title: 'Listed' },
      headers: { 'If-Match': `W/"999", ${(user.meta as Record<string, string>).version}` },
    });
    expect(response.status).toBe(200);
  });

  it('answers 412 to a group PATCH with a stale If-Match and adds no member', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'm@example.com' });
    const group = await createGroup(t, { displayName: 'Guarded' });
    await t.request('PATCH', `/Groups/${group.id}`, {
      body: patchOp({ op: 'replace', path: 'displayName', value: 'Guarded 2' }),
    });
    const response = await t.request('PATCH', `/Groups/${group.id}`, {
      body: patchOp({ op: 'add', path: 'members', value: [{ value: user.id }] }),
      headers: { 'If-Match': (group.meta as Record<string, string>).version },
    });
    expectScimError(response, 412);
    expect((await t.request('GET', `/Groups/${group.id}`)).body.members ?? []).toEqual([]);
  });
});

describe('RFC 7644 §3.14 / RFC 7232 §3.2: If-None-Match', () => {
  // RFC 7232 §4.1: 304 Not Modified for a GET whose If-None-Match names the current version.
  it('answers 304 without a body to a GET naming the current version', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'cached@example.com' });
    const response = await t.request('GET', `/Users/${user.id}`, {
      headers: { 'If-None-Match': (user.meta as Record<string, string>).version },
    });
    expect(response.status).toBe(304);
    expect(response.body).toBeUndefined();
  });

  // RFC 7232 §4.1: "The server generating a 304 response MUST generate any of the following
  // header fields that would have been sent in a 200 (OK) response to the same request:
  // Cache-Control, Content-Location, Date, ETag, Expires, and Vary."
  it('repeats the ETag header on a 304', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'cached-etag@example.com' });
    const version = (user.meta as Record<string, string>).version;
    const response = await t.request('GET', `/Users/${user.id}`, { headers: { 'If-None-Match': version } });
    expect(response.status).toBe(304);
    expect(response.headers.etag).toBe(version);
  });

  it('answers 200 with the resource when the version has changed', async () => {
    const t = createTestApp();
    const user = await createUser(t, { userName: 'changed@example.com' });
    await t.request('PATCH', `/Users/${user.id}`, {
      body: patchOp({ op: 'replace', path: 'title', value: 'X' }),
    });
    const response = await t.request('GET', `/Users/${user.id}`, {
      headers: { 'If-None-Match': (user.meta as Record<string, string>).version },
    });
    expect(response.status).toBe(200);
    expect(response.body.title).toBe('X');
  });

  it('answers 304 for groups too', async () => {
    const t = createTestApp();
    const group = await createGroup(t, { displayName: 'Cached' });
    const response = await t.request('GET', `/Groups/${group.id}`, {
      headers: { 'If-None-Match': (group.meta as Record<string, string>).version },
    });
    expect(response.status).toBe(304);
  });
});
