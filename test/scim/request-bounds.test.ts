/**
 * Issue 13, case 6, and "What to build" 5: every list an identity provider can make long is
 * bounded per request (src/scim/limits.ts), checked before any member is looked up, and refused
 * with a 400 invalidValue whose detail names the limit. Before, one PATCH adding 90,000 unknown
 * member ids answered 204 after 31 s, read storage once per id and logged 90,000 warnings.
 */
import { randomUUID } from 'node:crypto';
import { MAX_MEMBERS_PER_REQUEST, MAX_PATCH_VALUES, MAX_VALUES_PER_ATTRIBUTE } from '../../src/scim/limits';
import type { Logger } from '../../src/scim/resources/common';
import { createTestApp, ScimResult, TestApp } from '../support/harness';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** Ids in the format this directory issues, so each would be worth a storage read. */
const unknownIds = (n: number) => Array.from({ length: n }, () => randomUUID());
const members = (ids: string[]) => ids.map((value) => ({ value }));

function capturingLogger(): Logger & { warnings: { message: string; fields?: Record<string, unknown> }[] } {
  const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
  return {
    warnings,
    info: () => undefined,
    warn: (message, fields) => warnings.push({ message, fields }),
    error: (message, fields) => console.error(message, fields),
  };
}

function expectRefused(response: ScimResult, limit: number, sent: number): void {
  expect(response.status).toBe(400);
  expect(response.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
  expect(response.body.detail).toContain(`at most ${limit} per request; this one has ${sent}.`);
}

describe('bounds on the lists of one SCIM request', () => {
  let t: TestApp;
  let logger: ReturnType<typeof capturingLogger>;
  let group: string;
  let alice: string;

  beforeEach(async () => {
    logger = capturingLogger();
    t = createTestApp({ logger });
    alice = (await t.request('POST', '/Users', { body: { userName: 'alice@example.com' } })).body.id;
    group = (await t.request('POST', '/Groups', { body: { displayName: 'Engineering' } })).body.id;
  });

  it('refuses a PATCH adding 90,000 unknown members at once, without a read or a warning per id', async () => {
    const ids = unknownIds(90_000);
    t.store.reset();
    const response = await t.request('PATCH', `/Groups/${group}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: members(ids) }] },
    });
    expectRefused(response, MAX_PATCH_VALUES, 90_000);
    expect(response.body.detail).toMatch(/several PATCH requests/);
    // Refused before the group is even read; the one write is the request's sync log entry.
    expect({ ...t.store.counts, transact: 0 }).toEqual({ get: 0, createIfAbsent: 0, query: 0, transact: 0 });
    expect(t.store.counts.transact).toBeLessThanOrEqual(1);
    expect(logger.warnings).toEqual([]);
    const after = await t.request('GET', `/Groups/${group}`);
    expect(after.body.members ?? []).toEqual([]);
  }, 20_000);

  it('counts the values of all operations together, path-less ones included', async () => {
    const split = {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'add', path: 'members', value: members(unknownIds(600)) },
        { op: 'add', value: { members: members(unknownIds(600)) } },
      ],
    };
    t.store.reset();
    expectRefused(await t.request('PATCH', `/Groups/${group}`, { body: split }), MAX_PATCH_VALUES, 1_200);
    expect(t.store.counts.get).toBe(0);
    expect(t.store.total).toBeLessThanOrEqual(1);
  });

  it('accepts a PATCH of exactly the limit, reading each member once and warning once for the unknown', async () => {
    const ids = [...unknownIds(MAX_MEMBERS_PER_REQUEST - 1), alice];
    t.store.reset();
    const response = await t.request('PATCH', `/Groups/${group}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: members(ids) }] },
    });
    expect(response.status).toBe(204);
    expect(t.store.counts.get).toBeLessThanOrEqual(MAX_MEMBERS_PER_REQUEST + 5);
    expect(logger.warnings).toEqual([
      {
        message: 'Ignoring group members that are not users of this directory.',
        fields: { count: MAX_MEMBERS_PER_REQUEST - 1, members: ids.slice(0, 10) },
      },
    ]);
    const after = await t.request('GET', `/Groups/${group}`);
    expect(after.body.members).toEqual([expect.objectContaining({ value: alice })]);
  }, 20_000);

  it('bounds the member list of a POST and a PUT, naming the limit rather than the body size', async () => {
    const tooMany = members([alice, ...unknownIds(MAX_MEMBERS_PER_REQUEST)]);
    t.store.reset();
    const post = await t.request('POST', '/Groups', { body: { displayName: 'Big', members: tooMany } });
    expectRefused(post, MAX_MEMBERS_PER_REQUEST, MAX_MEMBERS_PER_REQUEST + 1);
    expect(post.body.detail).toMatch(/add the others with PATCH requests/);
    const put = await t.request('PUT', `/Groups/${group}`, {
      body: { displayName: 'Engineering', members: tooMany },
    });
    expectRefused(put, MAX_MEMBERS_PER_REQUEST, MAX_MEMBERS_PER_REQUEST + 1);
    // No user was read and nothing written but each request's sync log entry (the body is
    // refused as it is read, before the PUT looks at the group it replaces).
    expect(t.store.counts.get).toBe(0);
    expect(t.store.total).toBeLessThanOrEqual(2);

    const full = await t.request('POST', '/Groups', {
      body: { displayName: 'Full', members: tooMany.slice(0, MAX_MEMBERS_PER_REQUEST) },
    });
    expect(full.status).toBe(201);
    expect(full.body.members).toEqual([expect.objectContaining({ value: alice })]);
  }, 20_000);

  it('bounds every other multi-valued attribute, on create, on PATCH and in unknown extensions', async () => {
    const emails = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ value: `bob${i}@example.com`, type: `t${i}` }));
    const over = MAX_VALUES_PER_ATTRIBUTE + 1;
    expectRefused(
      await t.request('POST', '/Users', { body: { userName: 'bob@example.com', emails: emails(over) } }),
      MAX_VALUES_PER_ATTRIBUTE,
      over,
    );
    const bob = await t.request('POST', '/Users', {
      body: { userName: 'bob@example.com', emails: emails(MAX_VALUES_PER_ATTRIBUTE) },
    });
    expect(bob.status).toBe(201);
    expect(bob.body.emails).toHaveLength(MAX_VALUES_PER_ATTRIBUTE);

    const patch = (Operations: unknown[]) =>
      t.request('PATCH', `/Users/${bob.body.id}`, { body: { schemas: [PATCH_OP], Operations } });
    // One more value makes the stored list longer than the bound.
    const added = await patch([{ op: 'add', path: 'emails', value: [{ value: 'extra@example.com' }] }]);
    expectRefused(added, MAX_VALUES_PER_ATTRIBUTE, over);
    // Entra's removal by value list: one filter per value, bounded too.
    const removals = Array.from({ length: over }, (_, i) => ({ value: `x${i}@example.com` }));
    expectRefused(
      await patch([{ op: 'remove', path: 'emails', value: removals }]),
      MAX_VALUES_PER_ATTRIBUTE,
      over,
    );
    expectRefused(
      await patch([
        { op: 'add', path: 'phoneNumbers', value: Array.from({ length: over }, (_, i) => `+1 555 ${i}`) },
      ]),
      MAX_VALUES_PER_ATTRIBUTE,
      over,
    );
    const custom = 'urn:example:params:scim:schemas:extension:custom:2.0:User';
    expectRefused(
      await t.request('POST', '/Users', {
        body: { userName: 'carol@example.com', [custom]: { badges: Array.from({ length: over }, String) } },
      }),
      MAX_VALUES_PER_ATTRIBUTE,
      over,
    );
    // Single-valued attributes and the enterprise extension are unaffected.
    const carol = await t.request('POST', '/Users', {
      body: { userName: 'carol@example.com', [ENTERPRISE]: { department: 'R&D' } },
    });
    expect(carol.status).toBe(201);
  });
});
