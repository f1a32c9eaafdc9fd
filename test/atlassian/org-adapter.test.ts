/**
 * The Organizations API adapter against a fake organization (test/atlassian/fake-org.ts):
 * what it sends, how it pages, how it reads state back instead of resending a write that
 * may have happened, and the unsupported rename.
 */
import { AtlassianHttpClient } from '../../src/atlassian/http-client';
import { createOrgAdminAdapter, cursorOf, OrgAdminAdapter } from '../../src/atlassian/org-adapter';
import { DIR, FakeOrg, KEY, ORG, response, failure } from './fake-org';

let org: FakeOrg;
let adapter: OrgAdminAdapter;
const noSleep = { now: () => Date.now(), sleep: async () => undefined };

function build(options: { directoryId?: string; timeoutMs?: number } = {}) {
  return createOrgAdminAdapter(
    { orgId: ORG, apiKey: KEY, ...(options.directoryId ? { directoryId: options.directoryId } : {}) },
    { fetch: org.fetch, clock: noSleep, random: () => 0, timeoutMs: options.timeoutMs ?? 1000 },
  );
}

beforeEach(() => {
  org = new FakeOrg();
  adapter = build();
});

const calls = () => org.requests.map((r) => `${r.method} ${r.path}`);

describe('directories and the connection check', () => {
  it('discovers the only directory once and caches it', async () => {
    org.addUser('a@x.com');
    await adapter.findAccountByEmail('a@x.com');
    await adapter.findAccountByEmail('a@x.com');
    expect(calls().filter((c) => c.endsWith('/directories'))).toHaveLength(1);
    expect(await adapter.directoryId()).toBe(DIR);
  });

  it('uses a configured directory without asking', async () => {
    adapter = build({ directoryId: 'dir-9' });
    expect(await adapter.directoryId()).toBe('dir-9');
    expect(org.requests).toHaveLength(0);
  });

  it('asks the admin to choose among several directories, and retries discovery later', async () => {
    org.directories = [
      { directoryId: 'd1', name: 'One' },
      { directoryId: 'd2', name: 'Two' },
      { directoryId: 'd3', name: 'Three' },
    ];
    const error = await failure(adapter.directoryId());
    expect(error.kind).toBe('invalid');
    expect(error.message).toMatch(/3 directories: One \(d1\), Two \(d2\), Three \(d3\)/);
    expect(calls()).toEqual([`GET /v2/orgs/${ORG}/directories`, `GET /v2/orgs/${ORG}/directories`]);
    org.directories = [];
    expect((await failure(adapter.directoryId())).kind).toBe('not-found');
  });

  it('verify() checks the key administers the org and names the directory', async () => {
    expect(await adapter.verify()).toEqual({
      orgId: ORG,
      orgName: 'Acme',
      directoryId: DIR,
      directoryName: 'Main directory',
    });
    const other = createOrgAdminAdapter({ orgId: 'org-2', apiKey: KEY }, { fetch: org.fetch });
    const error = await failure(other.verify());
    expect(error.kind).toBe('forbidden');
    expect(error.message).toMatch(/does not administer organization org-2 \(it administers org-1\)/);
  });

  it('a wrong key is forbidden, and the key is in no message', async () => {
    const wrong = createOrgAdminAdapter({ orgId: ORG, apiKey: 'ATATT-wrong-key' }, { fetch: org.fetch });
    const error = await failure(wrong.findAccountByEmail('a@x.com'));
    expect(error).toMatchObject({ kind: 'forbidden', status: 401 });
    expect(error.message).not.toContain('ATATT-wrong-key');
  });

  it('needs an org id and a key', () => {
    expect(() => new OrgAdminAdapter({ http: {} as AtlassianHttpClient, orgId: '' })).toThrow(
      /organization ID/,
    );
    expect(() => createOrgAdminAdapter({ orgId: ORG, apiKey: '' }, { fetch: org.fetch })).toThrow(/API key/);
  });
});

describe('accounts', () => {
  it('finds by exact e-mail (emails filter only), case-insensitively, across pages', async () => {
    org.addUser('ada@example.com');
    const grace = org.addUser('Grace@Example.com', 'suspended');
    expect(await adapter.findAccountByEmail('grace@example.com')).toEqual({
      accountId: grace.accountId,
      email: 'Grace@Example.com',
      name: 'Grace',
      status: 'suspended',
    });
    const search = org.requests.find((r) => r.path.endsWith('/users/search'));
    expect(search?.body).toEqual({ emails: ['grace@example.com'] });
    expect(await adapter.findAccountByEmail('nobody@example.com')).toBeUndefined();
  });

  it('gets an account by id, undefined when unknown', async () => {
    const ada = org.addUser('ada@example.com');
    expect(await adapter.getAccount(ada.accountId)).toMatchObject({
      accountId: ada.accountId,
      status: 'active',
    });
    expect(await adapter.getAccount('acc-404')).toBeUndefined();
  });

  it('invites one e-mail without notification, and returns the account', async () => {
    const account = await adapter.invite('new@example.com', { name: 'New Person' });
    expect(account).toMatchObject({ email: 'new@example.com', status: 'active' });
    const invite = org.requests.find((r) => r.path.endsWith('/users/invite'));
    expect(invite?.path).toBe(`/v2/orgs/${ORG}/users/invite`);
    expect(invite?.body).toEqual({ emails: ['new@example.com'], sendNotification: false });
  });

  it('does not invite an e-mail that already has an account here', async () => {
    const ada = org.addUser('ada@example.com');
    expect((await adapter.invite('ADA@example.com')).accountId).toBe(ada.accountId);
    expect(calls().some((c) => c.endsWith('/invite'))).toBe(false);
  });

  it('invites an account the directory reports not_invited, and returns it active', async () => {
    const linus = org.addUser('linus@example.com', 'not_invited');
    expect(await adapter.findAccountByEmail('linus@example.com')).toMatchObject({ status: 'not_invited' });
    expect(await adapter.invite('linus@example.com')).toMatchObject({
      accountId: linus.accountId,
      status: 'active',
    });
    expect(calls().filter((c) => c.endsWith('/invite'))).toHaveLength(1);
  });

  it('reports per-result errors of an invite per group and role, not as a failed invite', async () => {
    const fetch = org.fetch;
    const patched = createOrgAdminAdapter(
      { orgId: ORG, apiKey: KEY },
      {
        fetch: async (url, init) =>
          url.endsWith('/users/invite')
            ? response(200, {
                data: [
                  {
                    id: 'acc-x',
                    email: 'x@example.com',
                    results: [
                      {
                        roleAssignmentResult: [
                          {
                            resource: 'r1',
                            role: 'atlassian/user',
                            status: 'ERROR',
                            statusReason: 'no licence',
                          },
                        ],
                        groupAssignmentResult: [{ group: 'g1', status: 'INVITED' }],
                      },
                    ],
                  },
                ],
              })
            : fetch(url, init),
      },
    );
    // One by one, not a failure of the whole invite (§2): the caller adds what was refused.
    const account = await patched.invite('x@example.com', { groups: ['g1', 'g2'] });
    expect(account.refused).toEqual([{ what: 'role atlassian/user on r1', reason: 'no licence' }]);
    expect(account.placedGroups).toEqual(['g1']);
  });

  it('reads an invite answered without an id back by e-mail', async () => {
    const fetch = org.fetch;
    let invited = false;
    const patched = createOrgAdminAdapter(
      { orgId: ORG, apiKey: KEY },
      {
        fetch: async (url, init) => {
          if (!url.endsWith('/users/invite')) return fetch(url, init);
          invited = true;
          org.addUser('late@example.com');
          return response(200, { data: [] });
        },
      },
    );
    expect(await patched.invite('late@example.com')).toMatchObject({ email: 'late@example.com' });
    expect(invited).toBe(true);
  });

  it('a 402 on invite is payment-required', async () => {
    org.fault = (r) => (r.path.endsWith('/invite') ? { when: 'before', status: 402 } : undefined);
    expect((await failure(adapter.invite('a@x.com'))).kind).toBe('payment-required');
  });

  it('suspends and restores with {} and application/json, idempotently', async () => {
    const ada = org.addUser('ada@example.com');
    await adapter.suspend(ada.accountId);
    expect(ada.status).toBe('suspended');
    const sent = org.requests.find((r) => r.path.endsWith('/suspend'));
    expect(sent).toMatchObject({ method: 'POST', contentType: 'application/json', rawBody: '{}' });
    await adapter.suspend(ada.accountId); // the fake answers 400 for "already": read back, fine
    await adapter.restore(ada.accountId);
    expect(ada.status).toBe('active');
    org.sameStateStatus = 409;
    await adapter.restore(ada.accountId);
    expect((await failure(adapter.suspend('acc-404'))).kind).toBe('not-found');
  });

  it('a refused suspend of an active user stays an error', async () => {
    const ada = org.addUser('ada@example.com');
    org.fault = (r) => (r.path.endsWith('/suspend') ? { when: 'before', status: 400 } : undefined);
    expect((await failure(adapter.suspend(ada.accountId))).kind).toBe('invalid');
  });
});

describe('groups', () => {
  it('finds a group by exact name (groupNames only), case-insensitively', async () => {
    org.addGroup('Engineering');
    const eng2 = org.addGroup('Engineering Leads');
    expect(await adapter.findGroupByName('engineering leads')).toMatchObject({
      id: eng2.id,
      name: 'Engineering Leads',
      modifiable: true,
      deletable: true,
    });
    expect(org.requests.at(-1)?.body).toEqual({ groupNames: ['engineering leads'] });
    expect(await adapter.findGroupByName('nope')).toBeUndefined();
  });

  it('creates a group (201 without a body) and reads its id back by name', async () => {
    const group = await adapter.createGroup('Sales', 'The sales team');
    expect(group).toMatchObject({ name: 'Sales', description: 'The sales team' });
    expect(org.groups.get(group.id)?.name).toBe('Sales');
    const create = org.requests.find((r) => r.method === 'POST' && r.path.endsWith('/groups'));
    expect(create?.body).toEqual({ name: 'Sales', description: 'The sales team' });
  });

  it('creates without searching again when the caller just looked the name up', async () => {
    const group = await adapter.createGroup('Sales', undefined, { lookedUp: true });
    expect(org.groups.get(group.id)?.name).toBe('Sales');
    // Only the read-back of the new group's id (the create answers without a body).
    expect(calls().filter((c) => c.endsWith('/groups/search'))).toHaveLength(1);
    expect(calls().filter((c) => c === `POST /v2/orgs/${ORG}/directories/${DIR}/groups`)).toHaveLength(1);
  });

  it('returns the existing group of that name instead of creating another', async () => {
    const sales = org.addGroup('Sales');
    expect((await adapter.createGroup('sales')).id).toBe(sales.id);
    expect(calls().filter((c) => c.endsWith('/groups') && c.startsWith('POST'))).toHaveLength(0);
  });

  it('a 409 on create means it exists now: that group is returned', async () => {
    let searches = 0;
    org.fault = (r) => {
      if (r.path.endsWith('/groups/search') && ++searches === 1) return { when: 'before', status: 200 };
      return undefined;
    };
    org.addGroup('Race');
    // The first lookup sees an (injected) empty answer, the create collides, the read-back finds it.
    const group = await adapter.createGroup('Race');
    expect(group.name).toBe('Race');
    expect(org.groups.size).toBe(1);
  });

  it('gets and deletes groups; deleting a missing group is success', async () => {
    const g = org.addGroup('Temp');
    expect(await adapter.getGroup(g.id)).toMatchObject({ id: g.id, name: 'Temp' });
    await adapter.deleteGroup(g.id);
    expect(await adapter.getGroup(g.id)).toBeUndefined();
    await adapter.deleteGroup(g.id);
    org.fault = (r) => (r.method === 'DELETE' ? { when: 'before', status: 403 } : undefined);
    expect((await failure(adapter.deleteGroup('grp-x'))).kind).toBe('forbidden');
  });

  it('never renames: unsupported, telling the admin where to do it, and sends nothing', async () => {
    const g = org.addGroup('Old');
    const error = await failure(adapter.renameGroup(g.id, 'New'));
    expect(error.kind).toBe('unsupported');
    expect(error.message).toMatch(/Rename it in Atlassian Administration/);
    expect(org.requests).toHaveLength(0);
    expect(org.groups.get(g.id)?.name).toBe('Old');
  });
});

describe('memberships', () => {
  it('adds ({accountId}), checks, and removes', async () => {
    const g = org.addGroup('Eng');
    const ada = org.addUser('ada@example.com');
    expect(await adapter.isMember(g.id, ada.accountId)).toBe(false);
    await adapter.addMember(g.id, ada.accountId);
    expect(org.requests.at(-1)?.body).toEqual({ accountId: ada.accountId });
    expect(await adapter.isMember(g.id, ada.accountId)).toBe(true);
    const check = org.requests.at(-1);
    expect(check?.body).toEqual({ accountIds: [ada.accountId], groupIds: [g.id] });
    await adapter.removeMember(g.id, ada.accountId);
    expect(g.members.size).toBe(0);
  });

  it('"already a member" and "not a member" are success after reading state', async () => {
    const g = org.addGroup('Eng');
    const ada = org.addUser('ada@example.com');
    await adapter.addMember(g.id, ada.accountId);
    await adapter.addMember(g.id, ada.accountId); // 409, read back: member
    org.alreadyMemberStatus = 400;
    await adapter.addMember(g.id, ada.accountId);
    await adapter.removeMember(g.id, ada.accountId);
    await adapter.removeMember(g.id, ada.accountId); // 404, read back: not a member
    await adapter.removeMember('grp-gone', ada.accountId); // group gone: nobody is a member
  });

  it('an account not in the directory is not-found on add', async () => {
    const g = org.addGroup('Eng');
    expect((await failure(adapter.addMember(g.id, 'acc-ghost'))).kind).toBe('not-found');
  });

  it('a refused remove of an actual member stays an error', async () => {
    const g = org.addGroup('Eng');
    const ada = org.addUser('ada@example.com');
    g.members.add(ada.accountId);
    org.fault = (r) => (r.method === 'DELETE' ? { when: 'before', status: 409 } : undefined);
    expect((await failure(adapter.removeMember(g.id, ada.accountId))).kind).toBe('conflict');
    org.fault = (r) => (r.method === 'DELETE' ? { when: 'before', status: 403 } : undefined);
    expect((await failure(adapter.removeMember(g.id, ada.accountId))).kind).toBe('forbidden');
  });

  it('an add refused for another reason stays an error', async () => {
    const g = org.addGroup('Eng');
    const ada = org.addUser('ada@example.com');
    org.fault = (r) => (r.path.endsWith('/memberships') ? { when: 'before', status: 409 } : undefined);
    expect((await failure(adapter.addMember(g.id, ada.accountId))).kind).toBe('conflict');
  });

  it('isMember pages until it finds the account', async () => {
    const g = org.addGroup('Eng');
    const ada = org.addUser('ada@example.com');
    g.members.add(ada.accountId);
    const fetch = org.fetch;
    let first = true;
    const paging = createOrgAdminAdapter(
      { orgId: ORG, apiKey: KEY, directoryId: DIR },
      {
        fetch: async (url, init) => {
          if (url.endsWith('/users/search') && first) {
            first = false;
            return response(200, { data: [], links: { next: 'MA==' } }); // the fake's cursor of its first page
          }
          return fetch(url, init);
        },
      },
    );
    expect(await paging.isMember(g.id, ada.accountId)).toBe(true);
    // The filters go again with the cursor: a search cursor may not carry them (UNCONFIRMED).
    expect(org.requests.at(-1)?.body).toEqual({
      accountIds: [ada.accountId],
      groupIds: [g.id],
      cursor: 'MA==',
    });
  });
});

describe('product access', () => {
  it('lists workspaces, following links.next with the cursor alone', async () => {
    const products = await adapter.listProducts();
    expect(products).toEqual([
      {
        id: 'ari:cloud:jira-software::site/c1',
        product: 'jira-software',
        name: 'Acme Jira',
        hostUrl: 'acme.atlassian.net',
      },
      {
        id: 'ari:cloud:confluence::site/c1',
        product: 'confluence',
        name: 'Acme wiki',
        hostUrl: 'acme.atlassian.net',
      },
      { id: 'ari:cloud:bitbucket::workspace/w1', product: 'bitbucket', name: 'acme' },
    ]);
    const bodies = org.requests.map((r) => r.body);
    expect(bodies[0]).toEqual({});
    expect(Object.keys(bodies[1] as object)).toEqual(['cursor']);
  });

  it('grants and revokes a role on a resource; repeats are success after reading state', async () => {
    const g = org.addGroup('Eng');
    const jira = 'ari:cloud:jira-software::site/c1';
    await adapter.grantGroupAccess(g.id, jira, 'atlassian/user');
    expect(org.requests.at(-1)?.body).toEqual({ resourceId: jira, roleId: 'atlassian/user' });
    expect(g.roles.get(jira)?.has('atlassian/user')).toBe(true);
    await adapter.grantGroupAccess(g.id, jira, 'atlassian/user');
    expect(org.requests.at(-1)).toMatchObject({ method: 'GET', query: { resourceIds: jira } });
    await adapter.revokeGroupAccess(g.id, jira, 'atlassian/user');
    await adapter.revokeGroupAccess(g.id, jira, 'atlassian/user');
    expect(g.roles.get(jira)?.size).toBe(0);
  });

  it('a refused grant the group does not hold stays an error', async () => {
    const g = org.addGroup('Eng');
    org.fault = (r) => (r.path.endsWith('/assign') ? { when: 'before', status: 400 } : undefined);
    expect((await failure(adapter.grantGroupAccess(g.id, 'r', 'atlassian/admin'))).kind).toBe('invalid');
    org.fault = (r) => (r.path.endsWith('/assign') ? { when: 'before', status: 403 } : undefined);
    expect((await failure(adapter.grantGroupAccess(g.id, 'r', 'atlassian/admin'))).kind).toBe('forbidden');
  });

  it('reads cursors from URLs and tokens', () => {
    expect(cursorOf(undefined)).toBeUndefined();
    expect(cursorOf(null)).toBeUndefined();
    expect(cursorOf('abc')).toBe('abc');
    expect(cursorOf('https://api.atlassian.com/admin/v1/orgs?cursor=x%3D')).toBe('x=');
    expect(cursorOf('/admin/v1/orgs?other=1')).toBeUndefined();
  });
});

describe('writes that are not idempotent: read back, never a blind resend', () => {
  it('invite: 500 after the invite took effect → found by e-mail, sent once', async () => {
    org.fault = (r) => (r.path.endsWith('/invite') ? { when: 'after', status: 500 } : undefined);
    const account = await adapter.invite('ada@example.com');
    expect(account.email).toBe('ada@example.com');
    expect(calls().filter((c) => c.endsWith('/invite'))).toHaveLength(1);
    expect(org.users.size).toBe(1);
  });

  it('invite: timeout after it took effect → found by e-mail, sent once', async () => {
    const fetch = org.fetch;
    const slow = createOrgAdminAdapter(
      { orgId: ORG, apiKey: KEY },
      {
        timeoutMs: 20,
        fetch: async (url, init) => {
          const answer = await fetch(url, init);
          if (url.endsWith('/invite')) await new Promise((resolve) => setTimeout(resolve, 100));
          return answer;
        },
      },
    );
    expect((await slow.invite('ada@example.com')).email).toBe('ada@example.com');
    expect(calls().filter((c) => c.endsWith('/invite'))).toHaveLength(1);
  });

  it('invite: 503 before it took effect → not found, sent once more', async () => {
    let failures = 1;
    org.fault = (r) =>
      r.path.endsWith('/invite') && failures-- > 0 ? { when: 'before', status: 503 } : undefined;
    await adapter.invite('ada@example.com');
    expect(calls().filter((c) => c.endsWith('/invite'))).toHaveLength(2);
    expect(org.users.size).toBe(1);
  });

  it('invite: failing twice before taking effect → transient, outcome unknown, sent twice at most', async () => {
    org.fault = (r) => (r.path.endsWith('/invite') ? { when: 'before', error: 'socket hang up' } : undefined);
    const error = await failure(adapter.invite('ada@example.com'));
    expect(error).toMatchObject({ kind: 'transient', outcomeUnknown: true });
    expect(calls().filter((c) => c.endsWith('/invite'))).toHaveLength(2);
  });

  it('create group: 502 after it took effect → found by name, one group', async () => {
    org.fault = (r) =>
      r.method === 'POST' && r.path.endsWith('/groups') ? { when: 'after', status: 502 } : undefined;
    const group = await adapter.createGroup('Ops');
    expect(group.name).toBe('Ops');
    expect(org.groups.size).toBe(1);
    expect(calls().filter((c) => c.startsWith('POST') && c.endsWith('/groups'))).toHaveLength(1);
  });

  it('create group: calling again after an unknown outcome finds the group', async () => {
    let fail = true;
    org.fault = (r) => {
      if (fail && r.method === 'POST' && r.path.endsWith('/groups'))
        return { when: 'after', error: 'ECONNRESET' };
      // The read-back search fails too: the outcome stays unknown for the caller.
      if (fail && r.path.endsWith('/groups/search') && org.groups.size > 0)
        return { when: 'before', error: 'ECONNRESET' };
      return undefined;
    };
    const quick = createOrgAdminAdapter(
      { orgId: ORG, apiKey: KEY },
      { fetch: org.fetch, clock: noSleep, random: () => 0, maxAttempts: 2 },
    );
    const error = await failure(quick.createGroup('Ops'));
    expect(error.kind).toBe('transient');
    fail = false;
    expect((await quick.createGroup('Ops')).name).toBe('Ops');
    expect(org.groups.size).toBe(1);
  });

  it('idempotent writes are retried by the client (a membership add after a 500)', async () => {
    const g = org.addGroup('Eng');
    const ada = org.addUser('ada@example.com');
    let failures = 1;
    org.fault = (r) =>
      r.path.endsWith('/memberships') && failures-- > 0 ? { when: 'after', status: 500 } : undefined;
    await adapter.addMember(g.id, ada.accountId); // resent: 409 already a member, read back: fine
    expect(g.members.has(ada.accountId)).toBe(true);
  });

  it('counts the requests it sent', async () => {
    org.addUser('a@x.com');
    await adapter.findAccountByEmail('a@x.com');
    expect(adapter.requests).toBe(org.requests.length);
  });
});
