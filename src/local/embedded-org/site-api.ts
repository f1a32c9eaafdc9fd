/**
 * The embedded organization's Jira site: the part of Jira Cloud's REST API v3 on
 * `https://<site>.atlassian.net` that the site-admin mode (src/atlassian/site-adapter.ts) and
 * the app's product fetch (`api.asApp()/asUser().requestJira`) use, answered from the SAME
 * accounts, groups and memberships as the Organizations API: one state, two APIs.
 *
 * Paths arrive under `/site` (`/site/rest/api/3/group/bulk` is
 * `https://<site>.atlassian.net/rest/api/3/group/bulk`). Shapes follow
 * Jira's REST API v3 (https://developer.atlassian.com/cloud/jira/platform/rest/v3/);
 * test/embedded-org/site-api.test.ts holds every served operation to its OpenAPI document.
 * Errors are Jira's `{errorMessages, errors}` envelope.
 *
 * Who calls:
 * - Basic auth with `admin@offline.example` and the site API token (`org.siteApiToken`): the
 *   seed admin, a site admin, who may read and write (tests may give another account a token,
 *   `org.createSiteApiToken(email)`: it reads, and writes only if an admin);
 * - a product fetch as a user (`caller: {kind:'user'}`): that account; it reads, and writes
 *   only when it is a site or org admin;
 * - a product fetch as the app (`caller: {kind:'app'}`): reads only (the app user is no site
 *   admin); e-mail addresses only through `GET /rest/api/3/user/email` (the app's
 *   `read:email-address:jira`), as Jira hides them from apps behind profile visibility.
 * A product fetch carries the app's scopes: an operation whose scope sets (the spec's) none
 * of them covers is refused 401 "scope does not match", as Forge's proxy does.
 *
 * Choices where Jira's behaviour is not documented exactly (README "Embedded org"): `user/search`
 * matches the start of the e-mail or of a word of the display name, active users only
 * (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-user-search/); adding a
 * member twice or removing a non-member is 400; adding an unknown user is 404; deleting
 * site-admins/org-admins or changing their members is 403; creating a user (POST /rest/api/3/user)
 * needs an organization admin, as Jira's reference says: a site admin who is not one gets 403, with
 * a message that varies; `group/member` pages hold at most 50.
 */
import { timingSafeEqual } from 'node:crypto';
import type { GroupRecord, OrgMeta, OrgRequest, OrgResponse, RoleGrant, UserRecord } from './types';

export const SITE_PREFIX = '/site';

/** What the site API reads and changes in the organization's state (organization.ts gives it). */
export interface SiteState {
  meta: OrgMeta;
  /** The API token of the account with this e-mail, if it has one (Basic auth). */
  tokenOf(email: string): string | undefined;
  user(accountId: string): UserRecord | undefined;
  userByEmail(email: string): UserRecord | undefined;
  users(): Iterable<UserRecord>;
  /** Creates (or adds to the directory) the account with this e-mail. */
  addAccount(email: string, displayName?: string): UserRecord;
  group(groupId: string): GroupRecord | undefined;
  groupByName(name: string): GroupRecord | undefined;
  groups(): Iterable<GroupRecord>;
  createGroup(name: string): GroupRecord;
  deleteGroup(groupId: string): void;
  members(groupId: string): string[];
  groupsOf(accountId: string): string[];
  addMember(groupId: string, accountId: string): void;
  removeMember(groupId: string, accountId: string): void;
  groupRoles(groupId: string): RoleGrant[];
  userRoles(accountId: string): RoleGrant[];
  /** An org or site admin (platform role, or member of a protected group). */
  isAdmin(accountId: string): boolean;
}

type Caller = { kind: 'app' } | { kind: 'account'; user: UserRecord; admin: boolean };

class JiraRefusal extends Error {
  constructor(readonly response: OrgResponse) {
    super(`Jira refusal ${response.status}`);
  }
}

const JSON_HEADERS = { 'content-type': 'application/json;charset=UTF-8' };

/** Jira's error envelope. */
export function jiraError(
  status: number,
  messages: string[],
  errors: Record<string, string> = {},
): OrgResponse {
  return {
    status,
    headers: { ...JSON_HEADERS },
    body: JSON.stringify({ errorMessages: messages, errors }),
  };
}

const refuse = (status: number, message: string) => new JiraRefusal(jiraError(status, [message]));
const ok = (body: unknown, status = 200): OrgResponse => ({
  status,
  headers: { ...JSON_HEADERS },
  body: JSON.stringify(body),
});
const empty = (status = 200): OrgResponse => ({ status, headers: {} });

/** Jira product keys the site's workspaces map to, and the application role each one is. */
const JIRA_APPLICATIONS: Record<string, string> = {
  'jira-software': 'Jira',
  'jira-servicedesk': 'Jira Service Management',
};
/** What `products` of POST /rest/api/3/user accepts (NewUserDetails). */
const PRODUCT_KEYS = new Set(['jira-core', 'jira-servicedesk', 'jira-product-discovery', 'jira-software']);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const GLOBAL_PERMISSIONS: Record<string, { id: string; name: string; description: string }> = {
  ADMINISTER: {
    id: '0',
    name: 'Administer Jira',
    description: 'Create and administer projects, issue types, fields, workflows, and schemes.',
  },
  SYSTEM_ADMIN: {
    id: '44',
    name: 'Jira System Administrators',
    description: 'Ability to perform system administration.',
  },
  USER_PICKER: { id: '27', name: 'Browse users and groups', description: 'View and select users or groups.' },
};

interface Ctx {
  state: SiteState;
  caller: Caller;
  query: URLSearchParams;
  body: () => Record<string, unknown>;
  base: string;
}

interface SiteRoute {
  method: string;
  path: string;
  /** What a product fetch needs: one of these scope sets (the spec's x-atlassian-oauth2-scopes). */
  scopes: string[][];
  write?: boolean;
  run: (ctx: Ctx) => OrgResponse;
}

/** Answers one request whose path starts with /site. */
export function handleSiteRequest(state: SiteState, request: OrgRequest): OrgResponse {
  try {
    const url = new URL(request.path, 'http://embedded.invalid');
    const path = url.pathname.slice(SITE_PREFIX.length).replace(/\/+$/, '') || '/';
    const caller = authenticate(state, request);
    const candidates = SITE_ROUTES.filter((r) => r.path === path);
    if (candidates.length === 0) throw refuse(404, `No operation at ${path} on this site.`);
    const method = request.method.toUpperCase();
    const route = candidates.find((r) => r.method === method);
    if (!route) {
      return {
        ...jiraError(405, [`${method} is not supported here.`]),
        headers: { ...JSON_HEADERS, allow: candidates.map((c) => c.method).join(', ') },
      };
    }
    const granted = request.caller?.scopes;
    if (granted && !route.scopes.some((set) => set.every((scope) => granted.includes(scope)))) {
      // What Forge's proxy answers when the app lacks the operation's scopes.
      return {
        status: 401,
        headers: { ...JSON_HEADERS },
        body: JSON.stringify({ code: 401, message: 'Unauthorized; scope does not match' }),
      };
    }
    if (route.write && !(caller.kind === 'account' && caller.admin)) {
      throw refuse(
        403,
        caller.kind === 'app'
          ? 'The app cannot change users or groups: only a site admin can.'
          : 'You do not have the permission to do this: it needs a site admin.',
      );
    }
    let parsed: Record<string, unknown> | undefined;
    return route.run({
      state,
      caller,
      query: url.searchParams,
      body: () => (parsed ??= parseBody(request)),
      base: state.meta.siteUrl.replace(/\/+$/, ''),
    });
  } catch (error) {
    if (error instanceof JiraRefusal) return error.response;
    return jiraError(500, [`Internal error: ${String(error)}`]);
  }
}

function authenticate(state: SiteState, request: OrgRequest): Caller {
  if (request.caller?.kind === 'app') return { kind: 'app' };
  if (request.caller?.kind === 'user') {
    const user = state.user(request.caller.accountId);
    // A suspended account cannot sign in, so it makes no call as itself.
    if (!user || user.membership !== 'active')
      throw refuse(401, 'The user is not an active user of this site.');
    return { kind: 'account', user, admin: state.isAdmin(user.accountId) };
  }
  const header = headerOf(request, 'authorization');
  const match = header ? /^Basic[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  if (!match) throw refuse(401, 'Client must be authenticated to access this resource.');
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const email = colon < 0 ? '' : decoded.slice(0, colon);
  const given = Buffer.from(colon < 0 ? '' : decoded.slice(colon + 1));
  const expected = Buffer.from(state.tokenOf(email) ?? '');
  const tokenOk = expected.length > 0 && given.length === expected.length && timingSafeEqual(given, expected);
  if (!tokenOk) {
    throw refuse(401, 'Client must be authenticated to access this resource.');
  }
  const user = state.userByEmail(email);
  if (!user || user.membership !== 'active') throw refuse(401, 'The account cannot log in to this site.');
  return { kind: 'account', user, admin: state.isAdmin(user.accountId) };
}

// ---- JSON shapes -------------------------------------------------------------------------------

const seesEmails = (caller: Caller) => caller.kind === 'account' && caller.admin;

/**
 * An organization admin: the platform role atlassian/org-admin, or a member of the protected
 * org-admins group (the seed admin is both). A site admin alone is not one.
 */
function isOrgAdmin(state: SiteState, user: UserRecord): boolean {
  if (user.membership !== 'active') return false;
  if (user.platformRoles.includes('atlassian/org-admin')) return true;
  return state.groupsOf(user.accountId).some((id) => {
    const group = state.group(id);
    return group?.protected === true && group.name === 'org-admins';
  });
}

/** Plausible refusals of POST /rest/api/3/user by a non-org-admin (Jira documents none). */
const NOT_ORG_ADMIN = [
  'You do not have the permission to create users: the caller has to be an organization admin.',
  'Only organization admins can create users.',
];
let orgAdminRefusals = 0;

function userJson(ctx: Ctx, user: UserRecord): Record<string, unknown> {
  return {
    self: `${ctx.base}/rest/api/3/user?accountId=${encodeURIComponent(user.accountId)}`,
    accountId: user.accountId,
    accountType: 'atlassian',
    ...(seesEmails(ctx.caller) ? { emailAddress: user.email } : {}),
    displayName: user.name,
    active: user.accountStatus === 'active' && user.membership === 'active',
    timeZone: 'Etc/UTC',
    avatarUrls: {},
  };
}

/** The `expand` parameter's comma-separated options (Jira ignores ones it does not know). */
function expands(ctx: Ctx): Set<string> {
  return new Set(
    (ctx.query.get('expand') ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean),
  );
}

/**
 * A user's `groups` and `applicationRoles` (GET /rest/api/3/user, Jira v3 spec User: each a
 * SimpleListWrapper {size, items}). As Jira answers them: the sizes always, the items only
 * when expanded (`expand=groups,applicationRoles`), so a caller that forgets the expand sees
 * an empty list whose size says it is not the whole truth. Application roles come from
 * applicationsOf: a group's roles and the roles given to the user directly alike.
 */
function userLists(ctx: Ctx, user: UserRecord, expand: Set<string>): Record<string, unknown> {
  const groups = ctx.state.groupsOf(user.accountId).flatMap((id) => {
    const group = ctx.state.group(id);
    return group ? [groupName(ctx, group)] : [];
  });
  const roles = applicationsOf(ctx, user.accountId).map((key) => ({ key, name: JIRA_APPLICATIONS[key] }));
  return {
    groups: { size: groups.length, items: expand.has('groups') ? groups : [] },
    applicationRoles: { size: roles.length, items: expand.has('applicationRoles') ? roles : [] },
    expand: 'groups,applicationRoles',
  };
}

function groupName(ctx: Ctx, group: GroupRecord): Record<string, unknown> {
  return {
    name: group.name,
    groupId: group.id,
    self: `${ctx.base}/rest/api/3/group?groupId=${encodeURIComponent(group.id)}`,
  };
}

function page<T>(
  ctx: Ctx,
  path: string,
  items: T[],
  defaultMax: number,
  max = 1000,
): Record<string, unknown> {
  const startAt = integer(ctx.query.get('startAt'), 0, 'startAt', 0, Number.MAX_SAFE_INTEGER);
  const maxResults = integer(ctx.query.get('maxResults'), defaultMax, 'maxResults', 1, max);
  const values = items.slice(startAt, startAt + maxResults);
  const isLast = startAt + values.length >= items.length;
  const next = new URLSearchParams(ctx.query);
  next.set('startAt', String(startAt + maxResults));
  next.set('maxResults', String(maxResults));
  return {
    self: `${ctx.base}${path}?${ctx.query.toString()}`,
    ...(isLast ? {} : { nextPage: `${ctx.base}${path}?${next.toString()}` }),
    maxResults,
    startAt,
    total: items.length,
    isLast,
    values,
  };
}

// ---- reading parameters ---------------------------------------------------------------------------

function integer(raw: string | null, fallback: number, name: string, min: number, max: number): number {
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw refuse(400, `${name} must be an integer from ${min}.`);
  return n;
}

function headerOf(request: OrgRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers ?? {})) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function parseBody(request: OrgRequest): Record<string, unknown> {
  const text = request.body?.trim();
  if (!text) throw refuse(400, 'A request body is required.');
  const type = headerOf(request, 'content-type');
  if (type !== undefined && !/^application\/json\b/i.test(type)) {
    throw new JiraRefusal(jiraError(415, ['Unsupported media type: send application/json.']));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw refuse(400, 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw refuse(400, 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

function knownUser(ctx: Ctx, accountId: string | null): UserRecord {
  if (!accountId) throw refuse(400, 'The accountId parameter is required.');
  const user = ctx.state.user(accountId);
  if (!user || user.membership === 'none') {
    throw refuse(404, `Specified user does not exist or you do not have required permissions`);
  }
  return user;
}

/** The group named by groupId (or groupname, Jira's older parameter). */
function namedGroup(ctx: Ctx): GroupRecord {
  const groupId = ctx.query.get('groupId');
  const name = ctx.query.get('groupname');
  if (!groupId && !name) throw refuse(400, 'Either groupId or groupname is required.');
  const group = groupId ? ctx.state.group(groupId) : ctx.state.groupByName(name ?? '');
  if (!group) throw refuse(404, 'The group was not found.');
  return group;
}

/** Product keys the account has through its groups' (or its own) roles on the site's Jira workspaces. */
function applicationsOf(ctx: Ctx, accountId: string): string[] {
  const grants = [
    ...ctx.state.userRoles(accountId),
    ...ctx.state.groupsOf(accountId).flatMap((g) => ctx.state.groupRoles(g)),
  ];
  return productKeys(ctx, grants);
}

function productKeys(ctx: Ctx, grants: RoleGrant[]): string[] {
  const keys = new Set<string>();
  for (const grant of grants) {
    const workspace = ctx.state.meta.workspaces.find((w) => w.id === grant.resourceId);
    if (workspace && JIRA_APPLICATIONS[workspace.typeKey]) keys.add(workspace.typeKey);
  }
  return [...keys];
}

function globalPermissions(state: SiteState, accountId: string | undefined, wanted: string[]): string[] {
  const admin = accountId !== undefined && state.isAdmin(accountId);
  return wanted.filter((key) => (key === 'USER_PICKER' ? accountId !== undefined : admin));
}

/** group/bulk's accessType values (Jira v3 spec: 'site-admin', 'admin', 'user'). */
const ACCESS_TYPES = ['site-admin', 'admin', 'user'];

/**
 * Whether a group gives this access on the site (our model; Jira does not document how it
 * decides): site-admin for Atlassian's protected admin groups; admin for those and any group
 * holding atlassian/admin on a Jira product; user for a group holding any role on one.
 */
function hasAccess(state: SiteState, group: GroupRecord, accessType: string): boolean {
  if (group.protected) return accessType !== 'user';
  if (accessType === 'site-admin') return false;
  const jira = new Set(state.meta.workspaces.filter((w) => JIRA_APPLICATIONS[w.typeKey]).map((w) => w.id));
  const roles = state.groupRoles(group.id).filter((r) => jira.has(r.resourceId));
  return accessType === 'admin' ? roles.some((r) => r.roleId === 'atlassian/admin') : roles.length > 0;
}

// ---- operations ------------------------------------------------------------------------------

const SITE_ROUTES: SiteRoute[] = [
  {
    // Not in the v3 spec: what every site answers about itself (the cloud ID).
    method: 'GET',
    path: '/_edge/tenant_info',
    scopes: [[]],
    run: (ctx) => ok({ cloudId: ctx.state.meta.cloudId }),
  },
  {
    method: 'GET',
    path: '/rest/api/3/myself',
    scopes: [
      ['read:jira-user'],
      ['read:application-role:jira', 'read:group:jira', 'read:user:jira', 'read:avatar:jira'],
    ],
    run: (ctx) => {
      if (ctx.caller.kind === 'app') {
        return ok({ accountId: 'app-user', accountType: 'app', displayName: 'Forge app', active: true });
      }
      return ok({ ...userJson(ctx, ctx.caller.user), emailAddress: ctx.caller.user.email });
    },
  },
  {
    method: 'GET',
    path: '/rest/api/3/mypermissions',
    scopes: [['read:jira-work'], ['read:permission:jira']],
    run: (ctx) => {
      const wanted = (ctx.query.get('permissions') ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      if (wanted.length === 0) throw refuse(400, 'The permissions parameter is required.');
      const unknown = wanted.find((p) => !GLOBAL_PERMISSIONS[p]);
      if (unknown) throw refuse(400, `The permission key '${unknown}' is not valid.`);
      const accountId = ctx.caller.kind === 'account' ? ctx.caller.user.accountId : undefined;
      const held = new Set(globalPermissions(ctx.state, accountId, wanted));
      const permissions = Object.fromEntries(
        wanted.map((key) => [
          key,
          { ...GLOBAL_PERMISSIONS[key], key, type: 'GLOBAL', havePermission: held.has(key) },
        ]),
      );
      return ok({ permissions });
    },
  },
  {
    method: 'POST',
    path: '/rest/api/3/permissions/check',
    scopes: [[], ['read:permission:jira']],
    run: (ctx) => {
      const body = ctx.body();
      const wanted = body.globalPermissions ?? [];
      if (!Array.isArray(wanted) || !wanted.every((p) => typeof p === 'string')) {
        throw refuse(400, 'globalPermissions must be a list of permission keys.');
      }
      const self = ctx.caller.kind === 'account' ? ctx.caller.user.accountId : undefined;
      const accountId = typeof body.accountId === 'string' ? body.accountId : self;
      if (accountId !== self && !(ctx.caller.kind === 'account' && ctx.caller.admin)) {
        throw refuse(403, 'Only a Jira admin may check the permissions of another user.');
      }
      const user = accountId ? ctx.state.user(accountId) : undefined;
      // Our choice (Jira's answer for an unknown account is not documented): 404.
      if (accountId && (!user || user.membership === 'none')) throw refuse(404, 'The user was not found.');
      const checked = user ? accountId : undefined;
      return ok({
        globalPermissions: globalPermissions(ctx.state, checked, wanted as string[]),
        projectPermissions: [],
      });
    },
  },
  {
    method: 'GET',
    path: '/rest/api/3/user',
    scopes: [
      ['read:jira-user'],
      ['read:application-role:jira', 'read:group:jira', 'read:user:jira', 'read:avatar:jira'],
    ],
    run: (ctx) => {
      const user = knownUser(ctx, ctx.query.get('accountId'));
      return ok({ ...userJson(ctx, user), ...userLists(ctx, user, expands(ctx)) });
    },
  },
  {
    method: 'GET',
    path: '/rest/api/3/user/email',
    scopes: [['read:email-address:jira']],
    run: (ctx) => {
      if (ctx.caller.kind !== 'app')
        throw refuse(403, 'Only apps with read:email-address:jira may call this.');
      const user = knownUser(ctx, ctx.query.get('accountId'));
      return ok({ accountId: user.accountId, email: user.email });
    },
  },
  {
    method: 'GET',
    path: '/rest/api/3/user/search',
    scopes: [
      ['read:jira-user'],
      [
        'read:user:jira',
        'read:user.property:jira',
        'read:application-role:jira',
        'read:avatar:jira',
        'read:group:jira',
      ],
    ],
    run: (ctx) => {
      const query = (ctx.query.get('query') ?? '').trim().toLowerCase();
      const accountId = ctx.query.get('accountId');
      if (!query && !accountId) throw refuse(400, 'One of query or accountId is required.');
      // Active users only (Jira's "Find users" reference): an account suspended in the
      // organization is not found.
      const matches = (user: UserRecord) =>
        user.membership === 'active' &&
        user.accountStatus === 'active' &&
        (!accountId || user.accountId === accountId) &&
        (!query ||
          user.email.toLowerCase().startsWith(query) ||
          user.name
            .toLowerCase()
            .split(/\s+/)
            .some((word) => word.startsWith(query)));
      const found = [...ctx.state.users()]
        .filter(matches)
        .sort((a, b) => a.email.localeCompare(b.email))
        .slice(0, 1000);
      const startAt = integer(ctx.query.get('startAt'), 0, 'startAt', 0, 1000);
      const maxResults = integer(ctx.query.get('maxResults'), 50, 'maxResults', 1, 1000);
      return ok(found.slice(startAt, startAt + maxResults).map((u) => userJson(ctx, u)));
    },
  },
  {
    method: 'POST',
    path: '/rest/api/3/user',
    scopes: [['manage:jira-configuration'], ['write:user:jira']],
    write: true,
    run: (ctx) => {
      // Jira's reference ("Create user" in developer.atlassian.com/cloud/jira/platform/rest/v3/
      // api-group-users): "The caller has to be an organization admin". A site admin who is not one is refused 403, the status the
      // spec gives for a missing permission; its message is not documented, so it varies.
      if (ctx.caller.kind !== 'account' || !isOrgAdmin(ctx.state, ctx.caller.user)) {
        throw refuse(403, NOT_ORG_ADMIN[orgAdminRefusals++ % NOT_ORG_ADMIN.length]);
      }
      const body = ctx.body();
      const email = body.emailAddress;
      if (typeof email !== 'string' || !EMAIL.test(email)) {
        return jiraError(400, [], { emailAddress: 'A valid email address is required.' });
      }
      const products = body.products;
      if (!Array.isArray(products) || !products.every((p) => typeof p === 'string' && PRODUCT_KEYS.has(p))) {
        return jiraError(400, [], {
          products: `products is required: a list of ${[...PRODUCT_KEYS].join(', ')}.`,
        });
      }
      const displayName = typeof body.displayName === 'string' ? body.displayName : undefined;
      const existing = ctx.state.userByEmail(email);
      if (existing && existing.membership !== 'none') {
        // Jira: an existing user with Jira access is a 201, one without it a 400.
        if (applicationsOf(ctx, existing.accountId).length === 0) {
          return jiraError(400, [], { emailAddress: 'A user with that email address already exists.' });
        }
        return ok(userJson(ctx, existing), 201);
      }
      const user = ctx.state.addAccount(email, displayName);
      // Products are granted through their default groups (the groups holding the role).
      for (const product of products as string[]) {
        const workspace = ctx.state.meta.workspaces.find((w) => w.typeKey === product);
        if (!workspace) continue;
        for (const group of ctx.state.groups()) {
          if (!group.protected && ctx.state.groupRoles(group.id).some((g) => g.resourceId === workspace.id)) {
            ctx.state.addMember(group.id, user.accountId);
            break;
          }
        }
      }
      return ok(userJson(ctx, user), 201);
    },
  },
  {
    method: 'GET',
    path: '/rest/api/3/user/groups',
    scopes: [['read:jira-user'], ['read:group:jira']],
    run: (ctx) => {
      const user = knownUser(ctx, ctx.query.get('accountId'));
      const groups = ctx.state
        .groupsOf(user.accountId)
        .flatMap((id) => ctx.state.group(id) ?? [])
        .sort((a, b) => a.name.localeCompare(b.name));
      return ok(groups.map((g) => groupName(ctx, g)));
    },
  },
  {
    method: 'GET',
    path: '/rest/api/3/group/bulk',
    scopes: [['read:jira-user'], ['read:group:jira']],
    run: (ctx) => {
      const ids = new Set(ctx.query.getAll('groupId'));
      const names = new Set(ctx.query.getAll('groupName').map((n) => n.toLowerCase()));
      const accessType = ctx.query.get('accessType');
      if (accessType !== null && !ACCESS_TYPES.includes(accessType)) {
        throw refuse(400, `accessType must be one of ${ACCESS_TYPES.join(', ')}.`);
      }
      const groups = [...ctx.state.groups()]
        .filter(
          (g) => (ids.size === 0 && names.size === 0) || ids.has(g.id) || names.has(g.name.toLowerCase()),
        )
        .filter((g) => accessType === null || hasAccess(ctx.state, g, accessType))
        .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
        .map((g) => ({ name: g.name, groupId: g.id }));
      return ok(page(ctx, '/rest/api/3/group/bulk', groups, 50));
    },
  },
  {
    method: 'POST',
    path: '/rest/api/3/group',
    scopes: [
      ['manage:jira-configuration'],
      ['read:group:jira', 'read:user:jira', 'write:group:jira', 'read:avatar:jira'],
    ],
    write: true,
    run: (ctx) => {
      const name = ctx.body().name;
      if (typeof name !== 'string' || !name.trim()) throw refuse(400, 'You must specify a group name.');
      if (ctx.state.groupByName(name)) throw refuse(400, 'A group with this name already exists.');
      const group = ctx.state.createGroup(name);
      return ok(
        {
          ...groupName(ctx, group),
          users: { size: 0, items: [], 'max-results': 50, 'start-index': 0, 'end-index': 0 },
          expand: 'users',
        },
        201,
      );
    },
  },
  {
    method: 'DELETE',
    path: '/rest/api/3/group',
    scopes: [['manage:jira-configuration'], ['delete:group:jira']],
    write: true,
    run: (ctx) => {
      if (ctx.query.get('swapGroup') || ctx.query.get('swapGroupId')) {
        throw refuse(400, 'Swapping restrictions to another group is not offered by the embedded site.');
      }
      const group = namedGroup(ctx);
      if (group.protected) throw refuse(403, `${group.name} grants admin access and cannot be deleted.`);
      ctx.state.deleteGroup(group.id);
      return empty(200);
    },
  },
  {
    method: 'GET',
    path: '/rest/api/3/group/member',
    scopes: [['manage:jira-configuration'], ['read:group:jira', 'read:user:jira', 'read:avatar:jira']],
    run: (ctx) => {
      const group = namedGroup(ctx);
      const inactive = ctx.query.get('includeInactiveUsers') === 'true';
      const members = ctx.state
        .members(group.id)
        .flatMap((id) => ctx.state.user(id) ?? [])
        .filter((u) => u.membership !== 'none')
        .map((u) => userJson(ctx, u))
        .filter((u) => inactive || u.active === true)
        .sort((a, b) => String(a.accountId).localeCompare(String(b.accountId)));
      return ok(page(ctx, '/rest/api/3/group/member', members, 50, 50));
    },
  },
  {
    method: 'POST',
    path: '/rest/api/3/group/user',
    scopes: [
      ['manage:jira-configuration'],
      ['write:group:jira', 'read:avatar:jira', 'read:group:jira', 'read:user:jira'],
    ],
    write: true,
    run: (ctx) => {
      const group = namedGroup(ctx);
      const accountId = ctx.body().accountId;
      if (typeof accountId !== 'string' || !accountId) throw refuse(400, 'accountId is required.');
      const user = ctx.state.user(accountId);
      if (!user || user.membership === 'none')
        throw refuse(404, `User with account ID ${accountId} does not exist.`);
      if (group.protected) throw refuse(403, `${group.name} cannot be changed here.`);
      if (ctx.state.members(group.id).includes(accountId)) {
        throw refuse(400, `Cannot add user. User is already a member of '${group.name}'.`);
      }
      ctx.state.addMember(group.id, accountId);
      return ok(groupName(ctx, group), 201);
    },
  },
  {
    method: 'DELETE',
    path: '/rest/api/3/group/user',
    scopes: [['manage:jira-configuration'], ['write:group:jira']],
    write: true,
    run: (ctx) => {
      const group = namedGroup(ctx);
      const accountId = ctx.query.get('accountId');
      if (!accountId) throw refuse(400, 'The accountId parameter is required.');
      if (group.protected) throw refuse(403, `${group.name} cannot be changed here.`);
      if (!ctx.state.members(group.id).includes(accountId)) {
        throw refuse(400, `Cannot remove user. User is not a member of '${group.name}'.`);
      }
      ctx.state.removeMember(group.id, accountId);
      return empty(200);
    },
  },
  {
    method: 'GET',
    path: '/rest/api/3/applicationrole',
    scopes: [['manage:jira-configuration'], ['read:application-role:jira']],
    run: (ctx) => {
      const roles = ctx.state.meta.workspaces
        .filter((w) => JIRA_APPLICATIONS[w.typeKey])
        .map((w) => {
          const groups = [...ctx.state.groups()]
            .filter((g) => ctx.state.groupRoles(g.id).some((r) => r.resourceId === w.id))
            .sort((a, b) => a.name.localeCompare(b.name));
          const details = groups.map((g) => groupName(ctx, g));
          return {
            key: w.typeKey,
            name: JIRA_APPLICATIONS[w.typeKey],
            groups: groups.map((g) => g.name),
            groupDetails: details,
            defaultGroups: groups.slice(0, 1).map((g) => g.name),
            defaultGroupsDetails: details.slice(0, 1),
            selectedByDefault: false,
            defined: true,
            numberOfSeats: 10_000,
            remainingSeats: 10_000,
            userCount: 0,
            userCountDescription: 'users',
            hasUnlimitedSeats: false,
            platform: false,
          };
        });
      return ok(roles);
    },
  },
];

/** The served operations (method and path under the site), for the spec test. */
export const SITE_OPERATIONS: ReadonlyArray<{ method: string; path: string; scopes: string[][] }> =
  SITE_ROUTES.map(({ method, path, scopes }) => ({ method, path, scopes }));
