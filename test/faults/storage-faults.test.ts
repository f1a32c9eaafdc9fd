/**
 * Storage faults. On Forge a storage call can be rate limited (429) or fail (5xx), and an
 * invocation can die between any two round trips (55 s timeout, out of memory, deploy).
 * The SCIM answer to a transient fault must be 503 with Retry-After, never 500 (Entra
 * quarantines an app after repeated 500s), and the identity provider's retry must bring
 * the directory to the right state.
 */
import { ENTITIES } from '../../src/entities';
import { CLAIM, GROUP, JOB, MEMBER, USER } from '../../src/directory/entities';
import { padSeq } from '../../src/directory/keys';
import { STALE_CLAIM_MS } from '../../src/directory/claims';
import { LocalEntityStore } from '../../src/local/entity-store';
import { FaultRule, FaultyStore, touches, transient } from '../support/faulty-store';
import { createTestApp, filter, ScimResult, TestApp } from '../support/harness';
import { memberIdsOf, seedGroup, seedUsers } from '../support/seed';

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

interface Harness {
  t: TestApp;
  faulty: FaultyStore;
  local: LocalEntityStore;
  /** Moves the injected clock forward. */
  advance(ms: number): void;
}

function createFaultyApp(): Harness {
  const local = new LocalEntityStore(ENTITIES);
  const faulty = new FaultyStore(local);
  let now = Date.parse('2026-03-02T09:00:00Z');
  const t = createTestApp({
    store: faulty,
    clock: () => new Date(now),
    // A simulated crash reaches the router as an unexpected error; keep the output quiet.
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  return { t, faulty, local, advance: (ms) => (now += ms) };
}

/** The response a transient storage fault must produce: 503, Retry-After and a SCIM error. */
function expectRetryLater(response: ScimResult): void {
  expect(response.status).toBe(503);
  expect(response.headers['retry-after']).toMatch(/^\d+$/);
  expect(response.body.schemas).toEqual([ERROR_SCHEMA]);
  expect(response.body.status).toBe('503');
  expect(typeof response.body.detail).toBe('string');
}

async function userIdsNamed(t: TestApp, userName: string): Promise<string[]> {
  const found = await t.request('GET', `/Users?${filter(`userName eq "${userName}"`)}`);
  expect(found.status).toBe(200);
  return found.body.Resources.map((r: { id: string }) => r.id);
}

async function membersOf(t: TestApp, groupId: string): Promise<string[]> {
  const group = await t.request('GET', `/Groups/${groupId}`);
  expect(group.status).toBe(200);
  return (group.body.members ?? []).map((m: { value: string }) => m.value).sort();
}

/**
 * A request under test: `prepare` seeds a fresh directory, `send` issues the request (the
 * same one each time it is called, as an identity provider's retry is), `verify` checks the
 * final state after a successful attempt.
 */
interface Scenario<C> {
  prepare(h: Harness): Promise<C>;
  send(h: Harness, context: C): Promise<ScimResult>;
  success: number[];
  verify(h: Harness, context: C): Promise<void>;
}

/** How many store calls the request makes when nothing fails. */
async function callsOf<C>(scenario: Scenario<C>): Promise<number> {
  const h = createFaultyApp();
  const context = await scenario.prepare(h);
  const before = h.faulty.calls;
  expect(scenario.success).toContain((await scenario.send(h, context)).status);
  return h.faulty.calls - before;
}

/**
 * For every store call k of the request: fail call k once with a transient error, expect a
 * 503, retry once the fault has cleared, and expect the right final state. Collects the
 * failures so one run reports every k that misbehaves.
 */
async function everyCallFailsOnce<C>(
  scenario: Scenario<C>,
  rule: Omit<FaultRule, 'match'> = {},
): Promise<void> {
  const calls = await callsOf(scenario);
  expect(calls).toBeGreaterThan(0);
  const problems: string[] = [];
  for (let k = 1; k <= calls; k++) {
    const h = createFaultyApp();
    const context = await scenario.prepare(h);
    h.faulty.failNthCall(k, { error: transient, ...rule });
    try {
      const failed = await scenario.send(h, context);
      expectRetryLater(failed);
      expect(h.faulty.pendingRules).toBe(0);
      h.faulty.heal();
      const retried = await scenario.send(h, context);
      expect(scenario.success).toContain(retried.status);
      await scenario.verify(h, context);
    } catch (error) {
      const call = h.faulty.failed[0];
      problems.push(`call ${k} of ${calls} (${call?.method} ${call?.entity}): ${(error as Error).message}`);
    }
  }
  expect(problems).toEqual([]);
}

// The requests an identity provider sends most, each with the state it should end in.

const createUser: Scenario<{ existing: string }> = {
  async prepare(h) {
    const [existing] = await seedUsers(h.t.app.directory, 1, 'existing');
    return { existing };
  },
  send: (h) =>
    h.t.request('POST', '/Users', {
      body: { userName: 'New.Person@example.com', emails: [{ value: 'new.person@example.com' }] },
    }),
  success: [201],
  async verify(h) {
    expect(await userIdsNamed(h.t, 'new.person@example.com')).toHaveLength(1);
    expect((await h.t.request('GET', '/Users')).body.totalResults).toBe(2);
    const byEmail = await h.t.request('GET', `/Users?${filter('emails eq "NEW.PERSON@example.com"')}`);
    expect(byEmail.body.totalResults).toBe(1);
  },
};

const addMember: Scenario<{ group: string; member: string; user: string }> = {
  async prepare(h) {
    const [member, user] = await seedUsers(h.t.app.directory, 2);
    const group = await seedGroup(h.t.app.directory, 'Engineering', [member]);
    return { group: group.id, member, user };
  },
  send: (h, c) =>
    h.t.request('PATCH', `/Groups/${c.group}`, {
      body: { Operations: [{ op: 'add', path: 'members', value: [{ value: c.user }] }] },
    }),
  success: [204],
  async verify(h, c) {
    expect(await membersOf(h.t, c.group)).toEqual([c.member, c.user].sort());
  },
};

const deleteUser: Scenario<{ user: string; other: string; groups: string[] }> = {
  async prepare(h) {
    const [user, other] = await seedUsers(h.t.app.directory, 2);
    const groups: string[] = [];
    for (const name of ['One', 'Two', 'Three']) {
      groups.push((await seedGroup(h.t.app.directory, name, [user, other])).id);
    }
    return { user, other, groups };
  },
  // The request alone: its background job runs afterwards, in verify().
  send: (h, c) => h.t.request('DELETE', `/Users/${c.user}`, { deferJobs: true }),
  // A retry after a DELETE that did commit finds nothing: 404 is the converged answer.
  success: [204, 404],
  async verify(h, c) {
    await h.t.runJobs();
    expect((await h.t.request('GET', `/Users/${c.user}`)).status).toBe(404);
    expect((await h.t.request('GET', '/Users')).body.totalResults).toBe(1);
    for (const group of c.groups) expect(await membersOf(h.t, group)).toEqual([c.other]);
    // The userName is free again.
    const again = await h.t.request('POST', '/Users', { body: { userName: 'user0@example.com' } });
    expect(again.status).toBe(201);
  },
};

const renameGroup: Scenario<{ group: string; members: string[] }> = {
  async prepare(h) {
    const members = await seedUsers(h.t.app.directory, 3);
    const group = await seedGroup(h.t.app.directory, 'Old Name', members.slice(0, 2));
    return { group: group.id, members };
  },
  send: (h, c) =>
    h.t.request('PUT', `/Groups/${c.group}`, {
      body: { displayName: 'New Name', members: [{ value: c.members[1] }, { value: c.members[2] }] },
    }),
  success: [200],
  async verify(h, c) {
    const group = await h.t.request('GET', `/Groups/${c.group}`);
    expect(group.body.displayName).toBe('New Name');
    expect(await membersOf(h.t, c.group)).toEqual([c.members[1], c.members[2]].sort());
    // The old name was released and the new one claimed.
    expect((await h.t.request('POST', '/Groups', { body: { displayName: 'old name' } })).status).toBe(201);
    expect((await h.t.request('POST', '/Groups', { body: { displayName: 'new name' } })).status).toBe(409);
  },
};

describe('a transient storage error (Forge 429/5xx) during a request', () => {
  it('POST /Users: whichever call fails, the answer is 503 and the retry creates the user once', async () => {
    await everyCallFailsOnce(createUser);
  });

  it('PATCH adding a member: whichever call fails, 503, and the retry adds the member', async () => {
    await everyCallFailsOnce(addMember);
  });

  it('DELETE /Users with memberships: whichever call fails, 503, and the retry finishes the deletion', async () => {
    await everyCallFailsOnce(deleteUser);
  });

  it('PUT /Groups renaming and replacing members: whichever call fails, 503, and the retry converges', async () => {
    await everyCallFailsOnce(renameGroup);
  });

  it('reads: a failing GET, filter or list answers 503 too', async () => {
    const h = createFaultyApp();
    const [id] = await seedUsers(h.t.app.directory, 1);
    for (const path of [
      `/Users/${id}`,
      `/Users?${filter('userName eq "user0@example.com"')}`,
      '/Users',
      '/Groups',
    ]) {
      h.faulty.fail({ match: () => true, error: transient });
      expectRetryLater(await h.t.request('GET', path));
      h.faulty.heal();
      expect((await h.t.request('GET', path)).status).toBe(200);
    }
  });

  it('a rate limit that outlasts the request (every write fails) still answers 503, not 500', async () => {
    const h = createFaultyApp();
    await seedUsers(h.t.app.directory, 1);
    h.faulty.fail({
      match: (c) => c.method !== 'get' && c.method !== 'query',
      error: transient,
      times: 1000,
    });
    expectRetryLater(await h.t.request('POST', '/Users', { body: { userName: 'blocked@example.com' } }));
    h.faulty.heal();
    expect((await h.t.request('POST', '/Users', { body: { userName: 'blocked@example.com' } })).status).toBe(
      201,
    );
  });

  it('a burst that fails both the create and the claim release converges once the claim is stale', async () => {
    const h = createFaultyApp();
    await seedUsers(h.t.app.directory, 1);
    // The create transaction and the best-effort release of the claim both hit the rate limit.
    h.faulty.fail({ match: (c) => c.method === 'transact', error: transient, times: 2 });
    const body = { userName: 'burst@example.com' };
    expectRetryLater(await h.t.request('POST', '/Users', { body }));
    h.faulty.heal();
    // A retry within the stale window may be refused (the claim looks like a create in
    // flight), but never with a server error.
    const early = await h.t.request('POST', '/Users', { body });
    expect([201, 409]).toContain(early.status);
    h.advance(STALE_CLAIM_MS + 60_000);
    const late = early.status === 201 ? early : await h.t.request('POST', '/Users', { body });
    expect(late.status).toBe(201);
    expect(await userIdsNamed(h.t, 'burst@example.com')).toHaveLength(1);
  });
});

describe('a storage call that commits but whose answer is lost (timeout after the write)', () => {
  it('the retried POST does not create a second user with the same userName', async () => {
    const h = createFaultyApp();
    await seedUsers(h.t.app.directory, 1);
    // The create transaction is applied, then the gateway answers 503. The server reads the
    // record back, sees that the create committed, and answers 201 after all.
    h.faulty.fail({ match: (c) => touches(c, USER, 'set'), error: transient, after: true });
    const body = { userName: 'lost.answer@example.com' };
    expect((await h.t.request('POST', '/Users', { body })).status).toBe(201);
    h.faulty.heal();

    // The identity provider retries the POST. 201 or 409 are both acceptable answers; a
    // second user holding the same userName is not.
    const retried = await h.t.request('POST', '/Users', { body });
    expect([201, 409]).toContain(retried.status);
    expect(await userIdsNamed(h.t, 'lost.answer@example.com')).toHaveLength(1);
    // And the userName stays protected against a third create.
    expect(
      (await h.t.request('POST', '/Users', { body: { userName: 'LOST.ANSWER@example.com' } })).status,
    ).toBe(409);
  });

  it('a lost answer to the claim converges once the claim is stale', async () => {
    const h = createFaultyApp();
    await seedUsers(h.t.app.directory, 1);
    h.faulty.fail({ match: (c) => c.method === 'createIfAbsent' && c.entity === CLAIM, after: true });
    const body = { userName: 'lost.claim@example.com' };
    expectRetryLater(await h.t.request('POST', '/Users', { body }));
    h.faulty.heal();
    h.advance(STALE_CLAIM_MS + 60_000);
    expect((await h.t.request('POST', '/Users', { body })).status).toBe(201);
    expect(await userIdsNamed(h.t, 'lost.claim@example.com')).toHaveLength(1);
  });

  it('PATCH adding a member: whichever call loses its answer, the retry converges', async () => {
    await everyCallFailsOnce(addMember, { after: true });
  });

  it('DELETE /Users: whichever call loses its answer, the retry converges', async () => {
    await everyCallFailsOnce(deleteUser, { after: true });
  });

  it('a rename whose transaction commits but loses its answer keeps the new name claimed', async () => {
    const h = createFaultyApp();
    const group = await seedGroup(h.t.app.directory, 'Old Name');
    h.faulty.fail({ match: (c) => touches(c, GROUP, 'set'), error: transient, after: true });
    const body = { Operations: [{ op: 'replace', path: 'displayName', value: 'New Name' }] };
    expectRetryLater(await h.t.request('PATCH', `/Groups/${group.id}`, { body }));
    h.faulty.heal();
    expect((await h.t.request('PATCH', `/Groups/${group.id}`, { body })).status).toBe(204);
    expect((await h.t.request('GET', `/Groups/${group.id}`)).body.displayName).toBe('New Name');
    // Another group must not be able to take the name the first one now holds.
    const clash = await h.t.request('POST', '/Groups', { body: { displayName: 'new name' } });
    expect(clash.status).toBe(409);
    const named = await h.t.request('GET', `/Groups?${filter('displayName eq "New Name"')}`);
    expect(named.body.totalResults).toBe(1);
  });

  it('a lost answer to a membership write is harmless: the retried PATCH converges', async () => {
    const h = createFaultyApp();
    const [a, b] = await seedUsers(h.t.app.directory, 2);
    const group = await seedGroup(h.t.app.directory, 'G', [a]);
    h.faulty.fail({ match: (c) => touches(c, MEMBER, 'set'), after: true });
    const body = { Operations: [{ op: 'add', path: 'members', value: [{ value: b }] }] };
    expectRetryLater(await h.t.request('PATCH', `/Groups/${group.id}`, { body }));
    h.faulty.heal();
    expect((await h.t.request('PATCH', `/Groups/${group.id}`, { body })).status).toBe(204);
    expect(await membersOf(h.t, group.id)).toEqual([a, b].sort());
  });
});

describe('a crash between the uniqueness claim and the create transaction', () => {
  it('leaves a stale claim: 409 within the stale window, 201 after it', async () => {
    const h = createFaultyApp();
    await seedUsers(h.t.app.directory, 1);
    // The invocation dies just before the create transaction: nothing after the claim runs,
    // not even the best-effort release of the claim.
    h.faulty.fail({ match: (c) => touches(c, USER, 'set'), crash: true });
    await h.t.request('POST', '/Users', { body: { userName: 'crashed@example.com' } });
    expect(h.faulty.isCrashed).toBe(true);
    h.faulty.heal();

    // Nothing was created, but the claim is still there.
    expect(await userIdsNamed(h.t, 'crashed@example.com')).toEqual([]);
    expect(h.local.size(CLAIM)).toBe(2);

    // Within the window the claim could belong to a create still in flight: refuse.
    h.advance(60_000);
    const early = await h.t.request('POST', '/Users', { body: { userName: 'CRASHED@example.com' } });
    expect(early.status).toBe(409);
    expect(early.body.scimType).toBe('uniqueness');

    // Three minutes after the crash the claim is stale and its owner holds nothing: take it over.
    h.advance(2 * 60_000);
    const late = await h.t.request('POST', '/Users', { body: { userName: 'CRASHED@example.com' } });
    expect(late.status).toBe(201);
    expect(await userIdsNamed(h.t, 'crashed@example.com')).toEqual([late.body.id]);
    expect((await h.t.request('GET', '/Users')).body.totalResults).toBe(2);
    // The new owner's claim protects the name again.
    expect((await h.t.request('POST', '/Users', { body: { userName: 'crashed@example.com' } })).status).toBe(
      409,
    );
  });

  it('a stale claim whose owner still holds the name is not taken over', async () => {
    const h = createFaultyApp();
    const created = await h.t.request('POST', '/Users', { body: { userName: 'holder@example.com' } });
    expect(created.status).toBe(201);
    h.advance(10 * 60_000);
    expect((await h.t.request('POST', '/Users', { body: { userName: 'Holder@example.com' } })).status).toBe(
      409,
    );
  });

  it('a crash at any store call of a create converges after the stale window', async () => {
    const probe = createFaultyApp();
    await seedUsers(probe.t.app.directory, 1);
    const before = probe.faulty.calls;
    await probe.t.request('POST', '/Users', { body: { userName: 'probe@example.com' } });
    const calls = probe.faulty.calls - before;

    const problems: string[] = [];
    for (let k = 1; k <= calls; k++) {
      const h = createFaultyApp();
      await seedUsers(h.t.app.directory, 1);
      h.faulty.failNthCall(k, { crash: true });
      const body = { userName: 'any.crash@example.com' };
      await h.t.request('POST', '/Users', { body });
      h.faulty.heal();
      h.advance(STALE_CLAIM_MS + 60_000);
      const retried = await h.t.request('POST', '/Users', { body });
      const ids = await userIdsNamed(h.t, 'any.crash@example.com');
      if (retried.status !== 201 || ids.length !== 1) {
        problems.push(`crash at call ${k}: retry answered ${retried.status}, ${ids.length} users`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('a crash in the middle of a user DELETE', () => {
  const pendingJobs = async (h: Harness) =>
    (await h.local.query({ entity: JOB, index: 'by-at', where: { op: 'greaterThanEqualTo', value: 0 } }))
      .results;

  it('at the deletion transaction: nothing changed, and the retried DELETE completes', async () => {
    const h = createFaultyApp();
    const [user, other] = await seedUsers(h.t.app.directory, 2);
    const groups = [
      await seedGroup(h.t.app.directory, 'A', [user, other]),
      await seedGroup(h.t.app.directory, 'B', [user]),
    ];
    h.faulty.fail({ match: (c) => touches(c, USER, 'delete'), crash: true });
    await h.t.request('DELETE', `/Users/${user}`);
    expect(h.faulty.isCrashed).toBe(true);
    h.faulty.heal();

    // One transaction deletes the user with its memberships: all or nothing.
    expect((await h.t.request('GET', `/Users/${user}`)).status).toBe(200);
    expect(await memberIdsOf(h.t.app.directory, groups[0])).toEqual([user, other].sort());
    expect(await pendingJobs(h)).toEqual([]);

    const retried = await h.t.request('DELETE', `/Users/${user}`);
    expect(retried.status).toBe(204);
    expect((await h.t.request('GET', `/Users/${user}`)).status).toBe(404);
    expect((await h.t.request('GET', '/Users')).body.totalResults).toBe(1);
    expect(await membersOf(h.t, groups[0].id)).toEqual([other]);
    expect(await membersOf(h.t, groups[1].id)).toEqual([]);
    expect(await pendingJobs(h)).toEqual([]);
    // The claim was released with the user.
    expect((await h.t.request('POST', '/Users', { body: { userName: 'user0@example.com' } })).status).toBe(
      201,
    );
  });

  it('with more memberships than one transaction holds (230): the job takes the rest and survives a crash', async () => {
    const h = createFaultyApp();
    const users = await seedUsers(h.t.app.directory, 1);
    const groups = [];
    for (let i = 0; i < 230; i++) groups.push(await seedGroup(h.t.app.directory, `G${i}`, users));
    const versionOf = async (id: string) => (await h.t.request('GET', `/Groups/${id}`)).body.meta.version;
    const before = await Promise.all([groups[0].id, groups[229].id].map(versionOf));

    const callsBefore = h.faulty.calls;
    expect((await h.t.request('DELETE', `/Users/${users[0]}`, { deferJobs: true })).status).toBe(204);
    // The request cost a constant number of round trips, not one per group.
    expect(h.faulty.calls - callsBefore).toBeLessThanOrEqual(4);
    expect((await h.t.request('GET', `/Users/${users[0]}`)).status).toBe(404);
    expect(await pendingJobs(h)).toHaveLength(1);

    // The job dies after five group updates; a later run (a new invocation) finishes it.
    let updates = 0;
    h.faulty.fail({ match: (c) => touches(c, GROUP, 'set') && ++updates > 5, crash: true });
    await expect(h.t.runJobs()).rejects.toThrow();
    h.faulty.heal();
    expect(await pendingJobs(h)).toHaveLength(1);
    const next = createTestApp({ store: h.faulty });
    expect(await next.app.directory.jobs.runPending()).toEqual({ finished: 1, pending: false });

    const left = await h.local.query({
      entity: MEMBER,
      index: 'by-user',
      where: { op: 'equalTo', value: users[0] },
    });
    expect(left.results).toEqual([]);
    // Every group the user left has a new version (RFC 7644 §3.14), inline removal or not.
    const after = await Promise.all([groups[0].id, groups[229].id].map(versionOf));
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
  });
});

describe('deleting a group with 300 members', () => {
  async function prepare() {
    const h = createFaultyApp();
    const users = await seedUsers(h.t.app.directory, 300);
    const group = await seedGroup(h.t.app.directory, 'Everyone', users);
    const deleted = await h.t.request('DELETE', `/Groups/${group.id}`, { deferJobs: true });
    expect(deleted.status).toBe(204);
    return { h, users, group };
  }

  const membershipsOf = async (h: Harness, seq: number) => {
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await h.local.query({
        entity: MEMBER,
        index: 'by-slot',
        where: { op: 'beginsWith', value: `${padSeq(seq)}:` },
        limit: 100,
        cursor,
      });
      count += page.results.length;
      cursor = page.nextCursor;
    } while (cursor);
    return count;
  };

  const pendingJobs = async (h: Harness) =>
    (await h.local.query({ entity: JOB, index: 'by-at', where: { op: 'greaterThanEqualTo', value: 0 } }))
      .results;

  it('answers at once and queues a purge job; running it removes every membership', async () => {
    const { h, users, group } = await prepare();
    // The group is gone for the API immediately; its memberships wait for the job.
    expect((await h.t.request('GET', `/Groups/${group.id}`)).status).toBe(404);
    expect(await pendingJobs(h)).toHaveLength(1);
    expect(await membershipsOf(h, group.seq)).toBe(300);
    // A user's groups do not show the deleted group even before the purge.
    const user = await h.t.request('GET', `/Users/${users[0]}?attributes=groups`);
    expect(user.body.groups).toBeUndefined();

    expect(await h.t.app.directory.jobs.runPending()).toEqual({ finished: 1, pending: false });
    expect(await membershipsOf(h, group.seq)).toBe(0);
    expect(h.local.size(MEMBER)).toBe(0);
    expect(await pendingJobs(h)).toEqual([]);
  });

  it('the job survives a failure in the middle and a later run finishes it', async () => {
    const { h, group } = await prepare();
    // Fail the fifth transaction of membership deletions: 100 memberships are gone by then.
    let transactions = 0;
    h.faulty.fail({ match: (c) => touches(c, MEMBER, 'delete') && ++transactions === 5, error: transient });
    await expect(h.t.app.directory.jobs.runPending()).rejects.toThrow();
    h.faulty.heal();

    expect(await pendingJobs(h)).toHaveLength(1);
    expect(await membershipsOf(h, group.seq)).toBe(200);

    // The next run, in a new invocation (a new app over the same storage), finishes the job.
    const next = createTestApp({ store: h.faulty });
    expect(await next.app.directory.jobs.runPending()).toEqual({ finished: 1, pending: false });
    expect(await membershipsOf(h, group.seq)).toBe(0);
    expect(await pendingJobs(h)).toEqual([]);
  });

  it('the job survives a crash in the middle (every call fails from then on)', async () => {
    const { h, group } = await prepare();
    let transactions = 0;
    h.faulty.fail({ match: (c) => c.method === 'transact' && ++transactions === 7, crash: true });
    await expect(h.t.app.directory.jobs.runPending()).rejects.toThrow();
    h.faulty.heal();
    expect(await pendingJobs(h)).toHaveLength(1);
    expect(await h.t.app.directory.jobs.runPending()).toEqual({ finished: 1, pending: false });
    expect(await membershipsOf(h, group.seq)).toBe(0);
  });

  it('a transient fault in the DELETE itself leaves the group and no job; the retry queues it', async () => {
    const h = createFaultyApp();
    const users = await seedUsers(h.t.app.directory, 30);
    const group = await seedGroup(h.t.app.directory, 'Flaky', users);
    h.faulty.fail({ match: (c) => touches(c, JOB, 'set'), error: transient });
    expectRetryLater(await h.t.request('DELETE', `/Groups/${group.id}`, { deferJobs: true }));
    h.faulty.heal();
    expect((await h.t.request('GET', `/Groups/${group.id}`)).status).toBe(200);
    expect(await pendingJobs(h)).toEqual([]);
    expect((await h.t.request('DELETE', `/Groups/${group.id}`, { deferJobs: true })).status).toBe(204);
    expect(await h.t.app.directory.jobs.runPending()).toEqual({ finished: 1, pending: false });
    expect(h.local.size(MEMBER)).toBe(0);
  });
});
