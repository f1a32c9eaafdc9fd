/**
 * The Organizations API adapter against the embedded organization (src/local/embedded-org),
 * through the same egress backend the offline Forge runtime uses for api.atlassian.com:
 * first cleanly, then under injected faults (429, 500, timeouts before and after the change
 * is applied) to show that a simple "retry what failed" loop converges on the desired state
 * and that no write that is not idempotent is ever applied twice.
 */
import { FetchLike } from '../../src/atlassian/http-client';
import { createOrgAdminAdapter, OrgAdminAdapter } from '../../src/atlassian/org-adapter';
import { AtlassianError } from '../../src/atlassian/port';
import {
  EmbeddedOrganization,
  embeddedOrgBackend,
  FaultKind,
  SEED_ACCOUNTS,
} from '../../src/local/embedded-org';

const HOLD_MS = 5;

function connect(org: EmbeddedOrganization, timeoutMs = 2000): OrgAdminAdapter {
  const backend = embeddedOrgBackend(org);
  const fetch: FetchLike = (url, init) => backend(new URL(url), init);
  return createOrgAdminAdapter(
    { orgId: org.orgId, apiKey: org.apiKey },
    // The clock does not really sleep: Retry-After and backoff waits are honoured in order, not in time.
    { fetch, timeoutMs, clock: { now: () => Date.now(), sleep: async () => undefined }, maxAttempts: 4 },
  );
}

const applied = (org: EmbeddedOrganization, method: string, path: RegExp) =>
  org.calls.filter(
    (c) =>
      c.method === method &&
      path.test(c.path) &&
      ((c.status >= 200 && c.status < 300) || c.fault === 'timeout-after'),
  ).length;

describe('the adapter against the embedded organization', () => {
  let org: EmbeddedOrganization;
  afterEach(() => org.close());

  it('looks accounts up in batches: one users search per 100, exact e-mails, case-insensitive', async () => {
    org = new EmbeddedOrganization({ faults: { seed: 1 }, timeoutHoldMs: HOLD_MS });
    const adapter = connect(org);
    const invited = [];
    for (let n = 0; n < 120; n++) {
      invited.push(await adapter.invite(`batch.${n}@example.com`, { groups: [] }));
    }
    const before = org.calls.length;
    const emails = invited.map((a) => a.email.toUpperCase());
    const found = await adapter.findAccountsByEmail([...emails, 'batch.1@example.co', 'nobody@example.com']);
    expect(found.map((a) => a.accountId).sort()).toEqual(invited.map((a) => a.accountId).sort());
    const byId = await adapter.getAccounts([...invited.map((a) => a.accountId), '712020:unknown']);
    expect(byId).toHaveLength(120);
    // Claim status comes with each answer: example.com is a verified domain.
    expect(byId.every((a) => a.managed === true)).toBe(true);
    // 122 e-mails and 121 ids: two searches each (pages of 100 followed where short).
    const searches = org.calls.slice(before).filter((c) => /\/users\/search$/.test(c.path));
    expect(searches.length).toBeGreaterThanOrEqual(4);
    expect(searches.length).toBeLessThanOrEqual(6);
  });

  it('an invite whose read-back the caller batches reads nothing back', async () => {
    org = new EmbeddedOrganization({ faults: { seed: 1 }, timeoutHoldMs: HOLD_MS });
    const adapter = connect(org);
    const before = org.calls.length;
    const invited = await adapter.invite('later@example.com', { lookedUp: true, deferReadBack: true });
    expect(invited).toMatchObject({ placementUnknown: true, email: 'later@example.com' });
    expect(org.calls.slice(before).map((c) => `${c.method} ${c.path.replace(/^.*\/v2\//, '')}`)).toEqual([
      expect.stringMatching(/^POST orgs\/[^/]+\/users\/invite$/),
    ]);
    expect((await adapter.getAccounts([invited.accountId]))[0]?.accountId).toBe(invited.accountId);
  });

  it('creates a group first when asked: a taken name answers conflict, a new one costs one name search', async () => {
    org = new EmbeddedOrganization({ faults: { seed: 1 }, timeoutHoldMs: HOLD_MS });
    const adapter = connect(org);
    await adapter.createGroup('Taken');
    const before = org.calls.length;
    await expect(adapter.createGroup('taken', undefined, { takenIsConflict: true })).rejects.toMatchObject({
      kind: 'conflict',
    });
    const fresh = await adapter.createGroup('Fresh', undefined, { takenIsConflict: true });
    expect(fresh.name).toBe('Fresh');
    const calls = org.calls
      .slice(before)
      .map((c) => `${c.method} ${c.path.replace(/^.*\/directories\/[^/]+/, '')}`);
    expect(calls).toEqual(['POST /groups', 'POST /groups', 'POST /groups/search']);
  });

  it('runs every port method cleanly', async () => {
    org = new EmbeddedOrganization({ faults: { seed: 1 }, timeoutHoldMs: HOLD_MS });
    const adapter = connect(org);
    expect(await adapter.verify()).toMatchObject({ orgId: org.orgId, directoryId: org.directoryId });

    const ada = await adapter.findAccountByEmail(SEED_ACCOUNTS.existing.toUpperCase());
    expect(ada).toMatchObject({ email: SEED_ACCOUNTS.existing, status: 'active' });
    // An Atlassian account outside the directory: found not_invited, placed by an invite naming a group.
    expect(await adapter.findAccountByEmail(SEED_ACCOUNTS.outside)).toMatchObject({ status: 'not_invited' });
    const staff = await adapter.createGroup('Staff');
    const linus = await adapter.invite(SEED_ACCOUNTS.outside, { groups: [staff.id] });
    expect(linus).toMatchObject({ status: 'active', placedGroups: [staff.id], refused: [] });
    expect(linus.accountId).toBe(org.findUserByEmail(SEED_ACCOUNTS.outside)?.accountId);
    expect(org.membersOf(staff.id)).toEqual([linus.accountId]);
    const grace = await adapter.invite(SEED_ACCOUNTS.suspended);
    expect(grace.status).toBe('suspended');
    await adapter.restore(grace.accountId);
    await adapter.restore(grace.accountId);
    expect((await adapter.getAccount(grace.accountId))?.status).toBe('active');
    await adapter.suspend(grace.accountId);
    await adapter.suspend(grace.accountId);
    expect((await adapter.getAccount(grace.accountId))?.status).toBe('suspended');

    const eng = await adapter.createGroup('Engineering', 'Engineers');
    expect(await adapter.findGroupByName('ENGINEERING')).toMatchObject({ id: eng.id, name: 'Engineering' });
    expect(await adapter.getGroup(eng.id)).toMatchObject({ id: eng.id });
    expect((await adapter.createGroup('engineering')).id).toBe(eng.id);
    await expect(adapter.renameGroup(eng.id, 'Eng')).rejects.toMatchObject({ kind: 'unsupported' });

    await adapter.addMember(eng.id, linus.accountId);
    await adapter.addMember(eng.id, linus.accountId);
    expect(await adapter.isMember(eng.id, linus.accountId)).toBe(true);
    expect(org.membersOf(eng.id)).toEqual([linus.accountId]);
    await adapter.removeMember(eng.id, linus.accountId);
    await adapter.removeMember(eng.id, linus.accountId);
    expect(await adapter.isMember(eng.id, linus.accountId)).toBe(false);

    const products = await adapter.listProducts();
    expect(products.length).toBeGreaterThan(0);
    const jira = products[0];
    await adapter.grantGroupAccess(eng.id, jira.id, 'atlassian/user');
    await adapter.grantGroupAccess(eng.id, jira.id, 'atlassian/user');
    expect(org.groupRoles(eng.id).map((g) => g.roleId)).toEqual(['atlassian/user']);
    await adapter.revokeGroupAccess(eng.id, jira.id, 'atlassian/user');
    await adapter.revokeGroupAccess(eng.id, jira.id, 'atlassian/user');
    expect(org.groupRoles(eng.id)).toEqual([]);

    await adapter.deleteGroup(eng.id);
    await adapter.deleteGroup(eng.id);
    expect(await adapter.getGroup(eng.id)).toBeUndefined();
    expect(org.calls.filter((c) => c.status >= 500)).toEqual([]);
  });

  it('an invite that places a new account in a group is not read back; one of an account found before is', async () => {
    org = new EmbeddedOrganization({ faults: { seed: 1 }, placeBareInvites: false });
    const adapter = connect(org);
    const staff = await adapter.createGroup('Staff');
    const reads = () => org.calls.filter((c) => c.method === 'GET' && /\/users\/[^/]+$/.test(c.path)).length;

    // No account had this e-mail, and the group took it: a member of the directory, active.
    const fresh = await adapter.invite('fresh@example.com', { groups: [staff.id], lookedUp: true });
    expect(fresh).toMatchObject({ status: 'active', placedGroups: [staff.id] });
    expect(org.membersOf(staff.id)).toEqual([fresh.accountId]);
    expect(reads()).toBe(0);

    // Placed nowhere: only a read tells whether the account is in the directory.
    const bare = await adapter.invite('bare@example.com', { lookedUp: true });
    expect(bare.status).toBe('not_invited');
    expect(reads()).toBe(1);

    // An Atlassian account found before (not_invited) may be deactivated: read back.
    const outside = org.findUserByEmail(SEED_ACCOUNTS.outside)?.accountId;
    await adapter.invite(SEED_ACCOUNTS.outside, { groups: [staff.id], lookedUp: true, notInvited: outside });
    expect(reads()).toBe(2);
  });

  it('a 429 with only X-RateLimit-Reset (no Retry-After): the client waits until the reset', async () => {
    const now = Date.parse('2026-03-01T09:00:00Z');
    org = new EmbeddedOrganization({
      faults: { seed: 1, retryAfterSeconds: 7 },
      timeoutHoldMs: HOLD_MS,
      retryAfterOn429: false,
      now: () => now,
    });
    const backend = embeddedOrgBackend(org);
    const slept: number[] = [];
    const adapter = createOrgAdminAdapter(
      { orgId: org.orgId, apiKey: org.apiKey },
      {
        fetch: (url, init) => backend(new URL(url), init),
        timeoutMs: 2000,
        maxAttempts: 3,
        clock: { now: () => now, sleep: async (ms) => void slept.push(ms) },
      },
    );
    org.faults.failNext('429', { path: '/users/search' });
    expect(await adapter.findAccountByEmail(SEED_ACCOUNTS.existing)).toMatchObject({ status: 'active' });
    const limited = org.calls.find((c) => c.status === 429);
    expect(limited).toBeDefined();
    // The organization said "reset in 7 s" only through X-RateLimit-Reset: the client waited that.
    expect(slept).toEqual([7000]);
  });

  it('a user limit (409 ADMIN-409-3) on a member add or an invite is user-limit, with the fix', async () => {
    org = new EmbeddedOrganization({ timeoutHoldMs: HOLD_MS, userLimits: { 'jira-software': 1 } });
    const adapter = connect(org);
    // Ada holds jira-software already (the seed): the product is at its limit of 1.
    const jira = (await adapter.listProducts()).find((p) => p.product === 'jira-software');
    const group = await adapter.createGroup('jira-users');
    await adapter.grantGroupAccess(group.id, jira!.id, 'atlassian/user');
    const grace = org.findUserByEmail(SEED_ACCOUNTS.suspended)!.accountId;
    await adapter.restore(grace);
    const error = await adapter.addMember(group.id, grace).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'user-limit', status: 409, code: 'ADMIN-409-3' });
    expect((error as Error).message).toMatch(/raise the product's user tier .* or free seats/);
    // Ada herself may join: she uses the product already.
    await adapter.addMember(group.id, org.findUserByEmail(SEED_ACCOUNTS.existing)!.accountId);
    const invited = await adapter.invite('over@example.com', { groups: [group.id] });
    expect(invited.status).toBe('active');
    expect(invited.placedGroups).toEqual([]);
    expect(invited.refused).toEqual([
      { what: `group ${group.id}`, reason: 'The user limit of jira-software (1 users) is reached.' },
    ]);
    const byRole = await adapter
      .invite('role@example.com', { roles: [{ resourceId: jira!.id, role: 'atlassian/user' }] })
      .catch((e: unknown) => e);
    expect(byRole).toMatchObject({ kind: 'user-limit', code: 'ADMIN-UAM-409-3' });
    expect(org.findUserByEmail('role@example.com')).toBeUndefined();
  });

  it('a timeout after the invite was applied is read back, never re-sent', async () => {
    org = new EmbeddedOrganization({ faults: { seed: 1 }, timeoutHoldMs: HOLD_MS });
    const adapter = connect(org);
    org.faults.failNext('timeout-after', { method: 'POST', path: '/users/invite' });
    org.faults.failNext('timeout-after', { method: 'POST', path: /\/groups$/ });
    const account = await adapter.invite('new.person@example.com');
    const group = await adapter.createGroup('Support');
    expect(account.accountId).toBe(org.findUserByEmail('new.person@example.com')?.accountId);
    expect(group.id).toBe(org.findGroupByName('Support')?.id);
    expect(applied(org, 'POST', /\/users\/invite$/)).toBe(1);
    expect(applied(org, 'POST', /\/groups$/)).toBe(1);
    expect(org.calls.filter((c) => c.method === 'POST' && /\/users\/invite$/.test(c.path))).toHaveLength(1);
  });

  it.each([1, 2, 3])('converges under 30%% faults without duplicates (seed %i)', async (seed) => {
    const kinds: FaultKind[] = ['429', '500', 'timeout-before', 'timeout-after'];
    org = new EmbeddedOrganization({
      faults: { seed, rate: 0.3, kinds, retryAfterSeconds: 1 },
      timeoutHoldMs: HOLD_MS,
      // Faults are the subject here: bare invites place the account, so members can be added.
      placeBareInvites: true,
    });
    const adapter = connect(org, 50);

    const emails = [...Array.from({ length: 12 }, (_, i) => `user${i}@example.com`), SEED_ACCOUNTS.existing];
    const groups = ['Engineering', 'Sales', 'Support'];
    const accounts = new Map<string, string>();
    const groupIds = new Map<string, string>();
    const need = <T>(value: T | undefined, what: string): T => {
      if (value === undefined) throw new AtlassianError('transient', `${what} is not there yet`);
      return value;
    };
    const products = () => adapter.listProducts();
    let resourceId: string | undefined;

    const steps: Array<() => Promise<void>> = [
      ...emails.map((email) => async () => {
        accounts.set(email, (await adapter.invite(email)).accountId);
      }),
      ...groups.map((name) => async () => {
        groupIds.set(name, (await adapter.createGroup(name)).id);
      }),
      async () => {
        resourceId = (await products())[0].id;
      },
      ...emails.map((email, i) => async () => {
        await adapter.addMember(
          need(groupIds.get(groups[i % 3]), groups[i % 3]),
          need(accounts.get(email), email),
        );
      }),
      ...groups.map((name) => async () => {
        await adapter.grantGroupAccess(
          need(groupIds.get(name), name),
          need(resourceId, 'jira'),
          'atlassian/user',
        );
      }),
      ...emails.slice(0, 3).map((email) => async () => {
        await adapter.suspend(need(accounts.get(email), email));
      }),
      // Taken out of a group it was never in: already so.
      async () => {
        await adapter.removeMember(
          need(groupIds.get('Sales'), 'Sales'),
          need(accounts.get(emails[0]), emails[0]),
        );
      },
    ];

    // The simplest reconcile loop: whatever failed transiently is tried again next round.
    let pending = steps;
    let rounds = 0;
    while (pending.length > 0 && rounds < 40) {
      const failed: typeof steps = [];
      for (const step of pending) {
        try {
          await step();
        } catch (error) {
          if (!(error instanceof AtlassianError) || error.kind !== 'transient') throw error;
          failed.push(step);
        }
      }
      pending = failed;
      rounds++;
    }
    expect(pending).toHaveLength(0);
    expect(org.calls.some((c) => c.fault === 'timeout-after')).toBe(true);

    // The desired state, read from the organization itself.
    for (const [i, email] of emails.entries()) {
      const user = org.findUserByEmail(email);
      expect(user?.accountId).toBe(accounts.get(email));
      expect(org.membersOf(groupIds.get(groups[i % 3]) as string)).toContain(user?.accountId);
      expect(user?.membership).toBe(i < 3 ? 'suspended' : 'active');
    }
    for (const name of groups) {
      const id = groupIds.get(name) as string;
      expect(org.findGroupByName(name)?.id).toBe(id);
      expect(org.groupRoles(id).map((g) => [g.resourceId, g.roleId])).toEqual([
        [resourceId, 'atlassian/user'],
      ]);
    }
    // No duplicates: each new account invited, and each group created, exactly once.
    expect(applied(org, 'POST', /\/users\/invite$/)).toBe(emails.length - 1);
    expect(applied(org, 'POST', /\/directories\/[^/]+\/groups$/)).toBe(groups.length);
  });
});
