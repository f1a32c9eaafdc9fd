/**
 * Later pages of the POST searches against the embedded organization, whose cursors may or may
 * not carry the filters (the reference is silent; drawn per cursor, seeded): the adapter sends
 * the filters again with every cursor, so a group's members list only members and the
 * product-access scan reads only the groups that hold a product role, whatever the draw.
 * And links.next as a bare token or a URL (workspaces types it as a URL).
 */
import { FetchLike } from '../../src/atlassian/http-client';
import { createOrgAdminAdapter, nextPageOf, OrgAdminAdapter } from '../../src/atlassian/org-adapter';
import { AtlassianError } from '../../src/atlassian/port';
import { EmbeddedOrganization, embeddedOrgBackend } from '../../src/local/embedded-org';
import { client } from '../embedded-org/helpers';

function connect(org: EmbeddedOrganization, intercept?: FetchLike): OrgAdminAdapter {
  const backend = embeddedOrgBackend(org);
  const fetch: FetchLike = intercept ?? ((url, init) => backend(new URL(url), init));
  return createOrgAdminAdapter(
    { orgId: org.orgId, apiKey: org.apiKey },
    { fetch, clock: { now: () => Date.now(), sleep: async () => undefined }, maxAttempts: 2 },
  );
}

/** Invites `n` people in `group` (so each is placed in the directory and in the group). */
async function inviteInto(api: ReturnType<typeof client>, prefix: string, n: number, group: string) {
  for (let i = 0; i < n; i += 10) {
    const emails = Array.from({ length: Math.min(10, n - i) }, (_, j) => `${prefix}${i + j}@example.org`);
    const answer = await api.call('POST', `${api.o}/users/invite`, { emails, additionalGroups: [group] });
    expect(answer.status).toBe(200);
  }
}

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

describe('POST searches page with the filters sent again', () => {
  let org: EmbeddedOrganization | undefined;
  afterEach(() => {
    org?.close();
    org = undefined;
  });

  it('a group of 150 members over two pages lists only its members, whatever the cursors carry', async () => {
    for (const seed of SEEDS) {
      org?.close();
      org = new EmbeddedOrganization({ faults: { seed: 1 }, pagingSeed: seed });
      const adapter = connect(org);
      const api = client(org);
      const members = await adapter.createGroup('members');
      const others = await adapter.createGroup('others');
      await inviteInto(api, 'm', 150, members.id);
      await inviteInto(api, 'o', 80, others.id);
      expect(org.membersOf(members.id)).toHaveLength(150);

      const listed: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await adapter.listMembers(members.id, cursor);
        listed.push(...page.accountIds);
        cursor = page.cursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(2);
      expect(listed.sort()).toEqual([...org.membersOf(members.id)].sort());
    }
  });

  it('the product-access scan reads only the groups holding a role, whatever the cursors carry', async () => {
    for (const seed of SEEDS) {
      org?.close();
      org = new EmbeddedOrganization({ faults: { seed: 1 }, pagingSeed: seed });
      const adapter = connect(org);
      const [jira] = (await adapter.listProducts()).filter((p) => p.product === 'jira-software');
      const granted = new Set<string>();
      for (let i = 0; i < 45; i++) {
        const group = await adapter.createGroup(`team-${String(i).padStart(2, '0')}`);
        // Every other group holds Jira: the role holders spread over every page of the search.
        if (i % 2 === 0) {
          await adapter.grantGroupAccess(group.id, jira.id, 'atlassian/user');
          granted.add(group.id);
        }
      }
      const before = org.calls.length;
      const scan = await adapter.productAccessGroups();
      expect(new Set(scan.map((g) => g.group.id))).toEqual(granted);
      const rolesRead = org.calls
        .slice(before)
        .flatMap((c) => /\/groups\/([^/]+)\/role-assignments/.exec(c.path)?.[1] ?? []);
      expect(new Set(rolesRead)).toEqual(granted);
      expect(rolesRead).toHaveLength(granted.size);
    }
  });
});

describe('links.next as a bare token or a URL', () => {
  const BASE = 'https://api.atlassian.com/admin';

  it('reads a token, a URL with a cursor, a URL under the base without one, and refuses any other', () => {
    expect(nextPageOf(null, BASE)).toBeUndefined();
    expect(nextPageOf('', BASE)).toBeUndefined();
    expect(nextPageOf('abc=', BASE)).toEqual({ cursor: 'abc=' });
    expect(nextPageOf(`${BASE}/v2/orgs/o/workspaces?cursor=x%3D`, BASE)).toEqual({ cursor: 'x=' });
    expect(nextPageOf('https://elsewhere.example/any?cursor=y', BASE)).toEqual({ cursor: 'y' });
    expect(nextPageOf(`${BASE}/v2/orgs/o/workspaces?page=2&limit=1`, BASE)).toEqual({
      path: '/v2/orgs/o/workspaces',
      query: { page: '2', limit: '1' },
    });
    expect(nextPageOf('/admin/v1/orgs?page=2', BASE)).toEqual({ path: '/v1/orgs', query: { page: '2' } });
    expect(() => nextPageOf('https://elsewhere.example/admin/v1/orgs?page=2', BASE)).toThrow(AtlassianError);
    expect(() => nextPageOf('https://api.atlassian.com/other/v1/orgs?page=2', BASE)).toThrow(AtlassianError);
  });

  /** Workspaces answered by hand: three pages, page 2 named by `link(token)`. */
  function workspacesAnswering(link: (token: string) => string) {
    const requests: { url: string; body: unknown }[] = [];
    const fetch: FetchLike = async (url, init) => {
      const body = init.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : {};
      requests.push({ url, body });
      const page =
        body.cursor === 'p3' || url.includes('page=3')
          ? 3
          : body.cursor === 'p2' || url.includes('page=2')
            ? 2
            : 1;
      const next = page === 1 ? link('p2') : page === 2 ? link('p3') : null;
      const text = JSON.stringify({
        data: [
          {
            id: `ari:cloud:jira-software::site/c${page}`,
            type: 'workspace',
            attributes: { typeKey: 'jira-software' },
          },
        ],
        links: { self: null, next },
      });
      return { status: 200, headers: { get: () => null }, text: async () => text };
    };
    const adapter = createOrgAdminAdapter(
      { orgId: 'o', apiKey: 'k', directoryId: 'd' },
      { fetch, clock: { now: () => Date.now(), sleep: async () => undefined }, maxAttempts: 1 },
    );
    return { adapter, requests };
  }

  it('lists every workspace page whether links.next is a token, a URL with a cursor or one without', async () => {
    for (const link of [
      (t: string) => t,
      (t: string) => `${BASE}/v2/orgs/o/workspaces?cursor=${t}`,
      (t: string) => `${BASE}/v2/orgs/o/workspaces?page=${t.slice(1)}`,
    ]) {
      const { adapter, requests } = workspacesAnswering(link);
      expect((await adapter.listProducts()).map((p) => p.id)).toEqual([
        'ari:cloud:jira-software::site/c1',
        'ari:cloud:jira-software::site/c2',
        'ari:cloud:jira-software::site/c3',
      ]);
      expect(requests).toHaveLength(3);
      // The workspaces cursor comes alone ("no other properties may be present").
      for (const r of requests.slice(1))
        expect(Object.keys(r.body as object).filter((k) => k !== 'cursor')).toEqual([]);
    }
  });

  it('stops with an error, never silently, on a links.next URL elsewhere without a cursor', async () => {
    const { adapter } = workspacesAnswering(
      (t) => `https://elsewhere.example/admin/v2/orgs/o/workspaces?page=${t.slice(1)}`,
    );
    await expect(adapter.listProducts()).rejects.toThrow(AtlassianError);
  });

  it('pages the embedded organization whichever form its workspaces links.next takes', async () => {
    const forms = new Set<string>();
    for (const seed of SEEDS) {
      const org = new EmbeddedOrganization({ faults: { seed: 1 }, pagingSeed: seed });
      const api = client(org);
      const all = (await api.call('POST', `${api.o}/workspaces`, {})).body.data.map(
        (w: { id: string }) => w.id,
      );
      const seen: string[] = [];
      let body: Record<string, unknown> = { limit: 1 };
      for (;;) {
        const page = await api.call('POST', `${api.o}/workspaces`, body);
        expect(page.status).toBe(200);
        seen.push(...page.body.data.map((w: { id: string }) => w.id));
        const next = nextPageOf(page.body.links.next, BASE);
        if (!next) break;
        expect(next).toHaveProperty('cursor');
        forms.add(/^https:/.test(page.body.links.next) ? 'url' : 'token');
        body = { cursor: (next as { cursor: string }).cursor };
      }
      expect(seen.sort()).toEqual([...all].sort());
      org.close();
    }
    expect(forms).toEqual(new Set(['url', 'token']));
  });
});
