/**
 * A small in-test Atlassian organization behind a fetch-like function: just enough of the
 * Organizations API (https://developer.atlassian.com/cloud/admin/organization/rest/) to drive the adapter, with small pages
 * to exercise cursors, and a fault hook that can fail a request before or after it took
 * effect. Not the embedded organization (src/local/embedded-org): this one lives in tests.
 */
import { AtlassianError } from '../../src/atlassian/port';
import type { FetchInit, FetchLike, FetchResponse } from '../../src/atlassian/http-client';

export const ORG = 'org-1';
export const DIR = 'dir-1';
export const KEY = 'ATATT-test-key-4f1a2b';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  /** Parsed JSON body, undefined when none was sent. */
  body?: unknown;
  rawBody?: string;
}

/** What a fault does to one request: fail before it takes effect, or after. */
export type Fault =
  | { when: 'before'; status: number; headers?: Record<string, string> }
  | { when: 'before'; error: string }
  | { when: 'after'; status: number }
  | { when: 'after'; error: string };

interface User {
  accountId: string;
  email: string;
  name: string;
  status: 'active' | 'suspended' | 'not_invited';
}
interface Group {
  id: string;
  name: string;
  description?: string;
  members: Set<string>;
  roles: Map<string, Set<string>>;
}

export function response(
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): FetchResponse {
  const all: Record<string, string> = {
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  for (const [k, v] of Object.entries(headers)) all[k.toLowerCase()] = v;
  return {
    status,
    headers: { get: (name) => all[name.toLowerCase()] ?? null },
    text: async () => (body === undefined ? '' : JSON.stringify(body)),
  };
}

const error = (status: number, code: string, title: string) =>
  response(status, { errors: [{ id: 'e', status: String(status), code, title }] });

export class FakeOrg {
  readonly requests: RecordedRequest[] = [];
  readonly users = new Map<string, User>();
  readonly groups = new Map<string, Group>();
  directories = [{ directoryId: DIR, name: 'Main directory' }];
  workspaces = [
    {
      id: 'ari:cloud:jira-software::site/c1',
      type: 'workspace',
      attributes: { name: 'Acme Jira', typeKey: 'jira-software', hostUrl: 'acme.atlassian.net' },
    },
    {
      id: 'ari:cloud:confluence::site/c1',
      type: 'workspace',
      attributes: { name: 'Acme wiki', typeKey: 'confluence', hostUrl: 'acme.atlassian.net' },
    },
    {
      id: 'ari:cloud:bitbucket::workspace/w1',
      type: 'workspace',
      attributes: { name: 'acme', typeKey: 'bitbucket' },
    },
  ];
  pageSize = 2;
  /** How an add of a member answers (unknown on the real API): 204 or 409. */
  alreadyMemberStatus = 409;
  /** How a remove of a non-member answers (unknown on the real API). */
  notMemberStatus = 404;
  /** How suspending a suspended user answers (unknown). */
  sameStateStatus = 400;
  fault: (request: RecordedRequest) => Fault | undefined = () => undefined;
  /** Roles held by a user, per resource (null: a platform role, org-admin or site-admin). */
  readonly userRoles = new Map<string, { resourceId: string | null; roles: string[] }[]>();
  private ids = 0;

  addUser(email: string, status: User['status'] = 'active'): User {
    const user = { accountId: `acc-${++this.ids}`, email, name: email.split('@')[0], status };
    this.users.set(user.accountId, user);
    return user;
  }

  addGroup(name: string): Group {
    const group: Group = { id: `grp-${++this.ids}`, name, members: new Set(), roles: new Map() };
    this.groups.set(group.id, group);
    return group;
  }

  readonly fetch: FetchLike = async (url: string, init: FetchInit) => {
    const parsed = new URL(url);
    const rawBody = init.body;
    const request: RecordedRequest = {
      method: init.method,
      path: parsed.pathname.replace(/^\/admin/, ''),
      query: Object.fromEntries(parsed.searchParams),
      ...(init.headers['Content-Type'] ? { contentType: init.headers['Content-Type'] } : {}),
      ...(rawBody === undefined ? {} : { rawBody, body: JSON.parse(rawBody) as unknown }),
    };
    this.requests.push(request);
    if (init.headers.Authorization !== `Bearer ${KEY}`)
      return response(401, { code: 401, message: 'Unauthorized' });
    const fault = this.fault(request);
    if (fault?.when === 'before') {
      if ('error' in fault) throw new TypeError(fault.error);
      return response(fault.status, { errors: [{ code: 'FAULT', title: 'injected' }] }, fault.headers);
    }
    const answer = this.handle(request);
    if (fault?.when === 'after') {
      if ('error' in fault) throw new TypeError(fault.error);
      return response(fault.status, { errors: [{ code: 'FAULT', title: 'injected after the change' }] });
    }
    return answer;
  };

  private page<T>(
    items: T[],
    cursor: string | undefined,
    urlLinks = false,
  ): { data: T[]; links: Record<string, string> } {
    const start = cursor ? Number(Buffer.from(cursor, 'base64').toString()) : 0;
    const data = items.slice(start, start + this.pageSize);
    const nextStart = start + this.pageSize;
    const token = Buffer.from(String(nextStart)).toString('base64');
    const next = urlLinks ? `https://api.atlassian.com/admin/x?cursor=${encodeURIComponent(token)}` : token;
    return { data, links: nextStart < items.length ? { next } : {} };
  }

  private wireUser(u: User, expand: string[] = []) {
    return {
      ...(expand.includes('groups')
        ? {
            groups: [...this.groups.values()]
              .filter((g) => g.members.has(u.accountId))
              .map((g) => ({ id: g.id, name: g.name })),
          }
        : {}),
      accountId: u.accountId,
      email: u.email,
      name: u.name,
      status: u.status,
      accountStatus: 'active',
      membershipStatus: u.status === 'not_invited' ? 'no_membership' : u.status,
    };
  }

  private wireGroup(g: Group) {
    return {
      id: g.id,
      name: g.name,
      ...(g.description ? { description: g.description } : {}),
      directoryId: DIR,
      managementAccess: { modifiable: true, deletable: true, readable: true },
      externalSynced: false,
    };
  }

  private handle(r: RecordedRequest): FetchResponse {
    const body = (r.body ?? {}) as Record<string, unknown>;
    const m = (pattern: string) => {
      const re = new RegExp(`^${pattern.replace(/\{[^}]+\}/g, '([^/]+)')}$`);
      const found = re.exec(r.path);
      return found ? found.slice(1).map(decodeURIComponent) : undefined;
    };
    let p: string[] | undefined;
    if (r.method === 'GET' && r.path === '/v1/orgs') {
      return response(200, { data: [{ id: ORG, type: 'orgs', attributes: { name: 'Acme' } }], links: {} });
    }
    if ((p = m('/v2/orgs/{o}/directories')) && r.method === 'GET') {
      return response(200, this.page(this.directories, r.query.cursor));
    }
    if ((p = m('/v2/orgs/{o}/workspaces')) && r.method === 'POST') {
      if (body.cursor !== undefined && Object.keys(body).length > 1)
        return error(400, 'ADMIN-400-24', 'cursor alone');
      return response(200, {
        ...this.page(this.workspaces, body.cursor as string | undefined, true),
        meta: {},
      });
    }
    if ((p = m('/v2/orgs/{o}/users/invite')) && r.method === 'POST') {
      const emails = body.emails as string[];
      const data = emails.map((email) => {
        const user =
          [...this.users.values()].find((u) => u.email.toLowerCase() === email.toLowerCase()) ??
          this.addUser(email);
        if (user.status === 'not_invited') user.status = 'active';
        return { id: user.accountId, email: user.email, results: [] };
      });
      return response(200, { data });
    }
    if ((p = m('/v2/orgs/{o}/directories/{d}/users/search')) && r.method === 'POST') {
      if (body.emails && body.searchTerm) return error(400, 'ADMIN-400-24', 'emails with searchTerm');
      let users = [...this.users.values()];
      const emails = body.emails as string[] | undefined;
      if (emails) users = users.filter((u) => emails.some((e) => e.toLowerCase() === u.email.toLowerCase()));
      const ids = body.accountIds as string[] | undefined;
      if (ids) users = users.filter((u) => ids.includes(u.accountId));
      const groupIds = body.groupIds as string[] | undefined;
      if (groupIds) {
        if (groupIds.some((g) => !this.groups.has(g))) return error(404, 'ADMIN-404-10', 'Group not found');
        users = users.filter((u) => groupIds.some((g) => this.groups.get(g)?.members.has(u.accountId)));
      }
      return response(
        200,
        this.page(
          users.map((u) => this.wireUser(u, (body.expand as string[] | undefined) ?? [])),
          body.cursor as string | undefined,
        ),
      );
    }
    if ((p = m('/v2/orgs/{o}/directories/{d}/users/{a}/role-assignments')) && r.method === 'GET') {
      const user = this.users.get(p[2]);
      if (!user || user.status === 'not_invited') return error(404, 'ADMIN-404-8', 'User not found');
      const data = (this.userRoles.get(user.accountId) ?? []).map((a) => ({
        resourceId: a.resourceId,
        roleAssignments: a.roles.map((role) => ({ role, roleAssignmentMethods: ['direct'] })),
        directoryId: a.resourceId ? DIR : null,
      }));
      return response(200, this.page(data, r.query.cursor));
    }
    if ((p = m('/v2/orgs/{o}/directories/{d}/users/{a}')) && r.method === 'DELETE') {
      const user = this.users.get(p[2]);
      if (!user || user.status === 'not_invited') return error(404, 'ADMIN-404-8', 'User not found');
      user.status = 'not_invited';
      for (const group of this.groups.values()) group.members.delete(user.accountId);
      return response(204);
    }
    if ((p = m('/v2/orgs/{o}/directories/{d}/users/{a}/{action}')) && r.method === 'POST') {
      const user = this.users.get(p[2]);
      if (!user) return error(404, 'ADMIN-404-8', 'User not found');
      if (r.contentType !== 'application/json' || r.rawBody !== '{}')
        return error(415, 'ADMIN-UAM-415-1', 'Unsupported media type');
      const target = p[3] === 'suspend' ? 'suspended' : 'active';
      if (user.status === target && this.sameStateStatus !== 204)
        return error(this.sameStateStatus, 'ADMIN-UAM-400-1', 'Already');
      user.status = target;
      return response(204);
    }
    if ((p = m('/v2/orgs/{o}/directories/{d}/users/{a}')) && r.method === 'GET') {
      const user = this.users.get(p[2]);
      return user
        ? response(200, { data: this.wireUser(user) })
        : error(404, 'ADMIN-404-8', 'User not found');
    }
    if ((p = m('/v2/orgs/{o}/directories/{d}/groups')) && r.method === 'POST') {
      const name = body.name as string;
      if ([...this.groups.values()].some((g) => g.name.toLowerCase() === name.toLowerCase())) {
        return error(409, 'ADMIN-UAM-409-2', 'Group name in use');
      }
      const group = this.addGroup(name);
      if (typeof body.description === 'string') group.description = body.description;
      return response(201);
    }
    if ((p = m('/v2/orgs/{o}/directories/{d}/groups/search')) && r.method === 'POST') {
      const names = body.groupNames as string[] | undefined;
      if (names && (body.searchTerm || body.groupIds))
        return error(400, 'ADMIN-400-24', 'groupNames exclusive');
      let groups = [...this.groups.values()];
      if (names) groups = groups.filter((g) => names.some((n) => n.toLowerCase() === g.name.toLowerCase()));
      const roleIds = body.roleIds as string[] | undefined;
      if (roleIds)
        groups = groups.filter((g) =>
          [...g.roles.values()].some((roles) => roleIds.some((id) => roles.has(id))),
        );
      return response(
        200,
        this.page(
          groups.map((g) => this.wireGroup(g)),
          body.cursor as string | undefined,
        ),
      );
    }
    if ((p = m('/v2/orgs/{o}/directories/{d}/groups/{g}')) && (r.method === 'GET' || r.method === 'DELETE')) {
      const group = this.groups.get(p[2]);
      if (!group) return error(404, 'ADMIN-404-10', 'Group not found');
      if (r.method === 'GET') return response(200, { data: this.wireGroup(group) });
      this.groups.delete(group.id);
      return response(204);
    }
    if ((p = m('/v2/orgs/{o}/directories/{d}/groups/{g}/memberships')) && r.method === 'POST') {
      const group = this.groups.get(p[2]);
      if (!group) return error(404, 'ADMIN-404-10', 'Group not found');
      const accountId = body.accountId as string;
      if (!this.users.has(accountId)) return error(404, 'ADMIN-404-8', 'User not found');
      if (group.members.has(accountId) && this.alreadyMemberStatus !== 204) {
        return error(this.alreadyMemberStatus, 'ADMIN-409-28', 'Already a member');
      }
      group.members.add(accountId);
      return response(204);
    }
    if ((p = m('/v2/orgs/{o}/directories/{d}/groups/{g}/memberships/{a}')) && r.method === 'DELETE') {
      const group = this.groups.get(p[2]);
      if (!group) return error(404, 'ADMIN-404-10', 'Group not found');
      if (!group.members.has(p[3]) && this.notMemberStatus !== 204)
        return error(this.notMemberStatus, 'ADMIN-404-8', 'Not a member');
      group.members.delete(p[3]);
      return response(204);
    }
    if ((p = m('/v2/orgs/{o}/directories/{d}/groups/{g}/role-assignments')) && r.method === 'GET') {
      const group = this.groups.get(p[2]);
      if (!group) return error(404, 'ADMIN-404-10', 'Group not found');
      const data = [...group.roles.entries()]
        .filter(([resourceId]) => !r.query.resourceIds || r.query.resourceIds === resourceId)
        .map(([resourceId, roles]) => ({ resourceId, roles: [...roles] }));
      return response(200, this.page(data, r.query.cursor));
    }
    if ((p = m('/v2/orgs/{o}/directories/{d}/groups/{g}/role-assignments/{action}')) && r.method === 'POST') {
      const group = this.groups.get(p[2]);
      if (!group) return error(404, 'ADMIN-404-10', 'Group not found');
      const resourceId = body.resourceId as string;
      const roles = group.roles.get(resourceId) ?? new Set<string>();
      const role = body.roleId as string;
      if (p[3] === 'assign') {
        if (roles.has(role)) return error(409, 'ADMIN-UAM-409-2', 'Role already assigned');
        roles.add(role);
      } else {
        if (!roles.has(role)) return error(409, 'ADMIN-UAM-409-2', 'Role not assigned');
        roles.delete(role);
      }
      group.roles.set(resourceId, roles);
      return response(204);
    }
    return error(404, 'ADMIN-404-1', `No route ${r.method} ${r.path}`);
  }
}

/** The AtlassianError a promise rejects with (fails the test if it resolves or throws another). */
export async function failure(promise: Promise<unknown>): Promise<AtlassianError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AtlassianError) return error;
    throw error;
  }
  throw new Error('expected an AtlassianError');
}
