/**
 * The embedded Atlassian organization: the part of the Organizations REST API
 * (https://api.atlassian.com/admin) the adapter in src/atlassian uses, answered from a
 * local, durable state, so `npm start` and the tests provision into something that behaves
 * like Atlassian without reaching it. Production code never imports it.
 *
 * `handle({ method, path, headers, body })` is the whole API: one request in, one answer
 * out (paths under /admin, as on api.atlassian.com). The HTTP front (transport.ts) and the
 * offline Forge runtime's egress backend both call it.
 *
 * The contract is the Organizations REST API v2 subset the adapter uses (22 operations,
 * https://developer.atlassian.com/cloud/admin/organization/rest/) plus GET /admin/v1/orgs.
 * Where Atlassian's behaviour is UNCONFIRMED the choice made here is written next to the code
 * and in README.md ("Embedded Atlassian organization").
 *
 * Errors use Atlassian's common envelope everywhere (also for 401 and 429, which the real
 * gateway may answer as `{code, message}`):
 *   {"errors":[{"id":"<uuid>","status":"404","code":"ADMIN-404-10","title":"Not Found","detail":"Group not found."}]}
 * with codes from the catalogues the spec lists (ADMIN-* for directory, user and group
 * operations, ADMIN-UAM-* for invite, per-user roles, 401, 402 and 415).
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { seededRandom } from '../seeded-random';
import { FaultKind, FaultOptions, FaultPlan, RateLimiter } from './faults';
import { handleSiteRequest, SITE_PREFIX, SiteState } from './site-api';
import { OrgStore } from './store';
import { handleUserManagement, USER_MANAGEMENT_PREFIX, UserManagementState } from './user-management';
import type {
  GroupRecord,
  OrgMeta,
  OrgRequest,
  OrgResponse,
  RoleGrant,
  UserRecord,
  WorkspaceRecord,
} from './types';

export interface EmbeddedOrgOptions {
  /** Where the state lives (DATA_DIR); in memory when absent. */
  dataDir?: string;
  /** A fixed org admin API key; otherwise one is generated on first start and kept. */
  apiKey?: string;
  /** Whether the organization has a paid subscription (invite answers 402 when not). */
  paid?: boolean;
  faults?: FaultOptions;
  /** Added to every answer (ms). */
  latencyMs?: number;
  /** Requests per second before 429 (none when absent). */
  rateLimit?: number;
  /** How long transports hold a timed-out request before dropping it (default 30 s). */
  timeoutHoldMs?: number;
  /** The site the seeded workspaces belong to (the offline runtime's installation). */
  cloudId?: string;
  siteUrl?: string;
  orgName?: string;
  /** Public base of the API, used in v1 links (default https://api.atlassian.com/admin). */
  publicBaseUrl?: string;
  /** A fixed API token of the seed admin for the Jira site API (else generated once and kept). */
  siteApiToken?: string;
  /**
   * The e-mail domains the organization has verified (default DEFAULT_VERIFIED_DOMAINS, the
   * seed accounts' and the tests' domains). Accounts on them answer `claimStatus: managed`,
   * every other account `unmanaged`, as the users search does (spec ClaimStatus, "Users" in
   * the Organizations REST API). Atlassian also wants verified accounts claimed; here
   * verifying claims them.
   */
  verifiedDomains?: string[];
  /**
   * Seed of the paging draws where the reference is silent (default: random): whether a
   * users/groups search cursor carries the filters, what a cursor without them answers, and
   * whether the workspaces' links.next is a bare token or a URL. Fix it to replay a run.
   */
  pagingSeed?: number;
  /**
   * User management API (user-management.ts): the share of accounts whose name and nickname
   * the key may not write (default 0.1), and the seed of that draw and of the answer to an
   * e-mail in use (default: random).
   */
  profileLockRate?: number;
  profileSeed?: number;
  /**
   * Seed of the other draws where the reference is silent (default: random): whether an
   * invite with neither groups nor roles adds the account to the directory, and whether a 429
   * carries Retry-After. Fix it to replay a run.
   */
  answerSeed?: number;
  /**
   * Whether an invite with neither `permissionRules` nor `additionalGroups` adds the account to
   * the directory: UNCONFIRMED (org-api-facts.md §11: invited people are "added to directories
   * based on apps in your invitation", so such an invite may place no one). Default: drawn per
   * invite (answerSeed); true or false fixes it.
   */
  placeBareInvites?: boolean;
  /**
   * Whether a 429 carries Retry-After besides X-RateLimit-Reset: the Organizations API
   * documents only X-RateLimit-Limit/Remaining/Reset (org-api-facts.md §7 and §11). Default:
   * drawn per answer (answerSeed); true or false fixes it.
   */
  retryAfterOn429?: boolean;
  /**
   * Users each product may have (typeKey → limit, e.g. {"jira-software": 10}): a member add
   * or an invite that would give one more user the product is refused (409 `ADMIN-409-3`,
   * UNCONFIRMED code, org-api-facts.md §4). No limit when absent.
   */
  userLimits?: Record<string, number>;
  now?: () => number;
}

/** The domains a new embedded organization has verified: its seed accounts' (SEED_ACCOUNTS). */
export const DEFAULT_VERIFIED_DOMAINS = ['example.com', 'offline.example'] as const;

export const PROTECTED_GROUPS = ['site-admins', 'org-admins'];

/** The accounts every new embedded organization starts with (by e-mail, to find them). */
export const SEED_ACCOUNTS = {
  /** Org and site admin, in site-admins and org-admins. */
  admin: 'admin@offline.example',
  /** Active in the directory: an identity provider sending this e-mail should link to it. */
  existing: 'ada@example.com',
  /** Suspended in the directory: provisioning it should restore it. */
  suspended: 'grace@example.com',
  /** An Atlassian account outside the directory: inviting it reuses its account ID. */
  outside: 'linus@example.com',
} as const;

export const DEFAULT_LIMITS = { users: 50, groups: 20, other: 50, max: 100, inviteEmails: 10 } as const;

const ASSIGNABLE_ROLES = new Set([
  'atlassian/user',
  'atlassian/user-access-admin',
  'atlassian/admin',
  'atlassian/guest',
  'atlassian/contributor',
  'atlassian/customer',
  'atlassian/basic',
  'atlassian/stakeholder',
  'atlassian/viewer',
]);
/** The per-user (v1) role operations also take the platform roles. */
const USER_ROLES = new Set([...ASSIGNABLE_ROLES, 'atlassian/org-admin', 'atlassian/site-admin']);
const PLATFORM_ROLES = new Set(['atlassian/org-admin', 'atlassian/site-admin']);
/** Roles that only make sense on a service desk (our rule; Atlassian's matrix is unpublished). */
const SERVICE_DESK_ONLY = new Set(['atlassian/customer', 'atlassian/stakeholder']);

const USER_STATUSES = ['active', 'suspended', 'not_invited', 'deactivated', 'for_deletion'];
const ACCOUNT_STATUSES = ['active', 'inactive', 'closed'];
const MEMBERSHIP_STATUSES = ['active', 'suspended', 'no_membership'];
const MEMBERSHIP_STATUS = { active: 'active', suspended: 'suspended', none: 'no_membership' } as const;
const USER_EXPANDS = ['platformRoles', 'counts.resources', 'productAccess', 'groups'];
const GROUP_EXPANDS = ['counts.resources', 'counts.users'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Json = Record<string, unknown>;

/** A request that cannot be answered normally: carries its error answer. */
class Refusal extends Error {
  constructor(readonly response: OrgResponse) {
    super(response.body);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  504: 'Gateway Timeout',
};

export function errorResponse(
  status: number,
  code: string,
  detail: string,
  headers: Record<string, string> = {},
): OrgResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      errors: [{ id: randomUUID(), status: String(status), code, title: TITLES[status] ?? 'Error', detail }],
    }),
  };
}

const refuse = (status: number, code: string, detail: string): Refusal =>
  new Refusal(errorResponse(status, code, detail));
const badRequest = (detail: string, code = 'ADMIN-400-24') => refuse(400, code, detail);

const ok = (body: unknown, status = 200): OrgResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const noContent = (status = 204): OrgResponse => ({ status, headers: {} });

interface Context {
  request: OrgRequest;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body ({} when empty). */
  body: () => Json;
}

interface Route {
  method: string;
  /** Path under /admin, with {parameters}, as in the spec. */
  template: string;
  operationId: string;
  /** Reads accept `-` as directory ID (every directory the key can manage). */
  read: boolean;
  run: (org: EmbeddedOrganization, ctx: Context) => OrgResponse;
}

/** Keys that order a page; compared element by element. */
type SortKey = string[];

interface CursorState {
  op: string;
  dir: string;
  q: Json;
  limit: number;
  after?: SortKey;
  /**
   * POST users/groups search cursors only (the reference is silent whether they carry the
   * filters; drawn per cursor): `query` carries them (filters sent again are discarded);
   * `position` and `refuse` carry the position alone, so the page answers from the filters
   * sent with the cursor, and without any either lists unfiltered (`position`) or, when the
   * search had filters (`filtered`), is refused.
   */
  carry?: SearchCursorCarry;
  filtered?: boolean;
}

type SearchCursorCarry = 'query' | 'position' | 'refuse';

function encodeCursor(state: CursorState): string {
  const carried =
    state.carry && state.carry !== 'query'
      ? { ...state, q: {}, filtered: Object.values(state.q).some((v) => v !== undefined && v !== null) }
      : state;
  return Buffer.from(JSON.stringify(carried)).toString('base64url');
}

/**
 * The state a POST search answers a cursor with: what the cursor carries, or (a cursor that
 * carries the position alone) the filters sent with it; without any, unfiltered or refused.
 */
function resumeSearch(state: CursorState, body: Json): CursorState {
  if (!state.carry || state.carry === 'query') return state;
  const { cursor: _cursor, limit: _limit, ...filters } = body;
  const sent = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined && v !== null));
  if (Object.keys(sent).length > 0) return { ...state, q: sent };
  if (state.carry === 'refuse' && state.filtered) {
    throw badRequest('This cursor does not carry the search: send the filters again with it.', 'ADMIN-400-1');
  }
  return state;
}

function decodeCursor(cursor: string, op: string, dir: string): CursorState {
  try {
    const state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorState;
    if (state.op === op && state.dir === dir && typeof state.limit === 'number' && state.q) return state;
  } catch {
    /* falls through to the refusal */
  }
  throw badRequest('The page cursor is not valid for this request.', 'ADMIN-400-1');
}

function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * One page of `items` in key order after the cursor's last key (keyset paging: items added
 * or removed between pages never shift the rest). `links.next` is the cursor to send back.
 */
function paginate<T>(
  items: T[],
  keyOf: (item: T) => SortKey,
  descending: boolean,
  state: CursorState,
  cursor: string | undefined,
): { data: T[]; links: { self: string | null; next: string | null }; offset: number } {
  const direction = descending ? -1 : 1;
  const keyed = items.map((item) => ({ item, key: keyOf(item) }));
  keyed.sort((a, b) => direction * compareKeys(a.key, b.key));
  const after = state.after;
  const rest = after ? keyed.filter((k) => direction * compareKeys(k.key, after) > 0) : keyed;
  const page = rest.slice(0, state.limit);
  const more = rest.length > page.length;
  return {
    data: page.map((k) => k.item),
    links: {
      self: cursor ?? null,
      next: more ? encodeCursor({ ...state, after: page[page.length - 1].key }) : null,
    },
    offset: keyed.length - rest.length,
  };
}

// ---- body validation ------------------------------------------------------------------------

function optionalStrings(body: Json, field: string, allowed?: string[]): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw badRequest(`${field} must be an array of strings.`);
  }
  const bad = allowed ? value.find((v) => !allowed.includes(v as string)) : undefined;
  if (bad !== undefined) throw badRequest(`${field}: unknown value ${JSON.stringify(bad)}.`);
  return value as string[];
}

function optionalString(body: Json, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${field} must be a string.`);
  return value;
}

function optionalBoolean(body: Json, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw badRequest(`${field} must be a boolean.`);
  return value;
}

function pageLimit(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'string' ? Number(value) : value;
  // UNCONFIRMED maximum: two independent clients send 100; above it we refuse rather than cap,
  // so a client asking for more learns it at once.
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > DEFAULT_LIMITS.max) {
    throw badRequest(`limit must be an integer from 1 to ${DEFAULT_LIMITS.max}.`);
  }
  return n;
}

function sortDirection(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (!Array.isArray(value) || value.length > 1) throw badRequest('sortBy takes at most one element.');
  if (value.length === 0) return false;
  const [first] = value as { field?: unknown; direction?: unknown }[];
  if (first?.field !== field || (first.direction !== 'asc' && first.direction !== 'desc')) {
    throw badRequest(`sortBy supports only {"field":"${field}","direction":"asc"|"desc"}.`);
  }
  return first.direction === 'desc';
}

/** Query parameters as a body: repeated keys and comma-separated values both give arrays. */
function queryAsBody(query: URLSearchParams, arrays: string[]): Json {
  const body: Json = {};
  for (const key of new Set(query.keys())) {
    if (key === 'cursor') continue;
    const values = query.getAll(key);
    if (arrays.includes(key)) body[key] = values.flatMap((v) => v.split(',')).filter((v) => v !== '');
    else if (key === 'sortBy') {
      try {
        body.sortBy = JSON.parse(values[0]) as unknown;
      } catch {
        throw badRequest('sortBy must be a URL-encoded JSON array.');
      }
    } else if (values[0] === 'true' || values[0] === 'false') body[key] = values[0] === 'true';
    else body[key] = values[0];
  }
  return body;
}

// ---- the organization -------------------------------------------------------------------------

export interface CallRecord {
  method: string;
  path: string;
  status: number;
  fault?: FaultKind | 'rate-limit';
  /** Jira site calls (/site/...): who called, the app or a user by product fetch, or Basic auth. */
  as?: 'app' | 'user' | 'basic';
}

export class EmbeddedOrganization {
  readonly faults: FaultPlan;
  paid: boolean;
  latencyMs: number;
  timeoutHoldMs: number;
  /** The last 10,000 calls, newest last (what the app really sent, for tests). */
  readonly calls: CallRecord[] = [];
  private rateLimiter?: RateLimiter;
  private readonly store: OrgStore;
  private readonly now: () => number;
  private readonly publicBaseUrl: string;
  // Indexes over the stored state, rebuilt on start.
  private readonly byEmail = new Map<string, string>();
  private readonly byGroupName = new Map<string, string>();
  private readonly groupMembers = new Map<string, Set<string>>();
  private readonly userGroups = new Map<string, Set<string>>();
  private readonly userRoleKeys = new Map<string, Set<string>>();
  private readonly verifiedDomains: Set<string>;
  /** The paging draws where the reference is silent (EmbeddedOrgOptions.pagingSeed). */
  private readonly pagingRandom: () => number;
  /** The User management API's draws (EmbeddedOrgOptions.profileSeed). */
  private readonly userManagementRandom: () => number;
  /** The other draws where the reference is silent (EmbeddedOrgOptions.answerSeed). */
  private readonly answerRandom: () => number;

  constructor(private readonly options: EmbeddedOrgOptions = {}) {
    this.now = options.now ?? Date.now;
    this.pagingRandom = seededRandom(options.pagingSeed ?? Math.floor(Math.random() * 2 ** 32));
    this.userManagementRandom = seededRandom(options.profileSeed ?? Math.floor(Math.random() * 2 ** 32));
    this.answerRandom = seededRandom(options.answerSeed ?? Math.floor(Math.random() * 2 ** 32));
    this.verifiedDomains = new Set(
      (options.verifiedDomains ?? DEFAULT_VERIFIED_DOMAINS).map((d) => d.trim().toLowerCase()),
    );
    this.paid = options.paid ?? true;
    this.latencyMs = options.latencyMs ?? 0;
    this.timeoutHoldMs = options.timeoutHoldMs ?? 30_000;
    this.publicBaseUrl = (options.publicBaseUrl ?? 'https://api.atlassian.com/admin').replace(/\/+$/, '');
    this.faults = new FaultPlan(options.faults);
    this.setRateLimit(options.rateLimit);
    this.store = new OrgStore(options.dataDir);
    if (!this.store.get('meta', 'meta')) this.seed();
    const meta = this.meta;
    if (options.apiKey && options.apiKey !== meta.apiKey) {
      this.store.put('meta', 'meta', { ...meta, apiKey: options.apiKey });
      this.store.commit();
    }
    this.reindex();
  }

  get meta(): OrgMeta {
    const meta = this.store.get('meta', 'meta');
    if (!meta) throw new Error('The embedded organization has no metadata.');
    return meta;
  }

  get orgId(): string {
    return this.meta.orgId;
  }

  get apiKey(): string {
    return this.meta.apiKey;
  }

  get directoryId(): string {
    return this.meta.directoryId;
  }

  get workspaces(): WorkspaceRecord[] {
    return this.meta.workspaces;
  }

  /**
   * An API token for another account of the site (tests of a non-admin credential): kept in
   * memory only, valid until this instance closes.
   */
  createSiteApiToken(email: string): string {
    const token = `ATATT3x${randomBytes(24).toString('base64url')}`;
    this.siteTokens.set(email.toLowerCase(), token);
    return token;
  }
  private readonly siteTokens = new Map<string, string>();

  /** The seed admin's API token for the Jira site API (site-api.ts), made and kept on first use. */
  get siteApiToken(): string {
    const meta = this.meta;
    const wanted = this.options.siteApiToken ?? meta.siteApiToken;
    if (wanted && wanted === meta.siteApiToken) return wanted;
    const token = wanted ?? `ATATT3x${randomBytes(24).toString('base64url')}`;
    this.store.put('meta', 'meta', { ...meta, siteApiToken: token });
    this.store.commit();
    return token;
  }

  /** Requests per second before 429; undefined removes the limit. */
  setRateLimit(perSecond: number | undefined): void {
    this.rateLimiter = perSecond && perSecond > 0 ? new RateLimiter(perSecond, this.now) : undefined;
  }

  /** Folds the journal into the snapshot and releases the files. */
  close(): void {
    this.store.close();
  }

  // ---- inspection helpers (tests and the local runner; not part of the API) -------------------

  findUserByEmail(email: string): UserRecord | undefined {
    const id = this.byEmail.get(email.toLowerCase());
    return id ? this.store.get('users', id) : undefined;
  }

  findGroupByName(name: string): GroupRecord | undefined {
    const id = this.byGroupName.get(name.toLowerCase());
    return id ? this.store.get('groups', id) : undefined;
  }

  membersOf(groupId: string): string[] {
    return [...(this.groupMembers.get(groupId) ?? [])];
  }

  groupRoles(groupId: string): RoleGrant[] {
    return [...this.store.state.groupRoles.values()].filter((g) => g.subject === groupId);
  }

  userRoles(accountId: string): RoleGrant[] {
    return [...(this.userRoleKeys.get(accountId) ?? [])].flatMap((k) => this.store.get('userRoles', k) ?? []);
  }

  // ---- the API ---------------------------------------------------------------------------------

  async handle(request: OrgRequest): Promise<OrgResponse> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const limited = this.rateLimiter?.take();
    const rateHeaders: Record<string, string> = limited
      ? {
          'x-ratelimit-limit': String(this.rateLimiter?.limit),
          'x-ratelimit-remaining': String(limited.remaining),
          'x-ratelimit-reset': new Date(this.now() + limited.resetMs).toISOString(),
        }
      : {};
    if (limited && !limited.allowed) {
      return this.record(
        request,
        errorResponse(429, 'ADMIN-429-1', 'Rate limit exceeded.', {
          ...rateHeaders,
          ...this.retryAfter(request, Math.max(1, Math.ceil(limited.resetMs / 1000))),
        }),
        'rate-limit',
      );
    }
    const fault = this.faults.draw(request);
    // Faults that answer come before any state change: the request did nothing.
    if (fault === '429') {
      const wait = this.faults.retryAfterSeconds;
      return this.record(
        request,
        errorResponse(429, 'ADMIN-429-1', 'Rate limit exceeded.', {
          ...this.retryAfter(request, wait),
          'x-ratelimit-limit': String(this.rateLimiter?.limit ?? 100),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': new Date(this.now() + wait * 1000).toISOString(),
        }),
        fault,
      );
    }
    if (fault === '500') {
      return this.record(request, errorResponse(500, 'ADMIN-500-1', 'Internal server error.'), fault);
    }
    if (fault === 'timeout-before') {
      return this.record(request, this.lostAnswer(false), fault);
    }
    const response = this.process(request);
    Object.assign(response.headers, rateHeaders);
    // A lost answer: the change is made (and durable), the client never hears of it.
    if (fault === 'timeout-after') return this.record(request, this.lostAnswer(true), fault);
    return this.record(request, response);
  }

  /**
   * Retry-After on a 429, or nothing: the Organizations API documents only X-RateLimit-Limit,
   * -Remaining and -Reset (ISO 8601; org-api-facts.md §7, §11), and `Retry-After` is not
   * promised, so a client must be able to wait until X-RateLimit-Reset alone. Drawn per
   * answer unless EmbeddedOrgOptions.retryAfterOn429 fixes it. Jira's site API documents
   * Retry-After on its 429s (org-api-facts.md §11): always sent there.
   */
  private retryAfter(request: OrgRequest, seconds: number): Record<string, string> {
    const site = new URL(request.path, 'http://embedded.invalid').pathname.startsWith(`${SITE_PREFIX}/`);
    const send = site || (this.options.retryAfterOn429 ?? this.answerRandom() < 0.5);
    return send ? { 'retry-after': String(seconds) } : {};
  }

  private lostAnswer(applied: boolean): OrgResponse {
    return {
      ...errorResponse(504, 'ADMIN-504-1', 'No answer: the embedded organization timed this request out.'),
      timeout: { applied },
    };
  }

  private record(request: OrgRequest, response: OrgResponse, fault?: CallRecord['fault']): OrgResponse {
    this.calls.push({
      method: request.method.toUpperCase(),
      path: request.path,
      status: response.status,
      ...(fault ? { fault } : {}),
      ...(request.path.startsWith(`${SITE_PREFIX}/`) ? { as: request.caller?.kind ?? 'basic' } : {}),
    });
    if (this.calls.length > 10_000) this.calls.splice(0, this.calls.length - 10_000);
    return response;
  }

  /** Routes and answers one request, committing its changes before answering. */
  private process(request: OrgRequest): OrgResponse {
    try {
      const url = new URL(request.path, 'http://embedded.invalid');
      if (url.pathname.startsWith(`${SITE_PREFIX}/`)) return handleSiteRequest(this.siteState(), request);
      if (url.pathname.startsWith(USER_MANAGEMENT_PREFIX)) {
        return handleUserManagement(this.userManagementState(), request);
      }
      if (!url.pathname.startsWith('/admin/')) {
        throw refuse(404, 'ADMIN-404-1', `Nothing is served at ${url.pathname}: the API lives under /admin.`);
      }
      this.authenticate(request);
      const path = url.pathname.slice('/admin'.length).replace(/\/+$/, '');
      const candidates = ROUTES.map((route) => ({
        route,
        params: matchTemplate(route.template, path),
      })).filter((c): c is { route: Route; params: Record<string, string> } => c.params !== undefined);
      if (candidates.length === 0) throw refuse(404, 'ADMIN-404-1', `No operation at ${url.pathname}.`);
      const method = request.method.toUpperCase();
      const match = candidates.find((c) => c.route.method === method);
      if (!match) {
        const allow = [...new Set(candidates.map((c) => c.route.method))].join(', ');
        return errorResponse(405, 'ADMIN-405-1', `${method} is not supported here.`, { allow });
      }
      const { route, params } = match;
      if (params.orgId !== undefined && params.orgId !== this.meta.orgId) {
        throw refuse(404, 'ADMIN-404-2', 'Organization not found.');
      }
      if (
        params.directoryId !== undefined &&
        params.directoryId !== this.meta.directoryId &&
        !(route.read && params.directoryId === '-')
      ) {
        throw refuse(404, 'ADMIN-404-1', 'Directory not found.');
      }
      let parsed: Json | undefined;
      const ctx: Context = {
        request,
        params,
        query: url.searchParams,
        body: () => (parsed ??= parseBody(request)),
      };
      return route.run(this, ctx);
    } catch (error) {
      if (error instanceof Refusal) return error.response;
      return errorResponse(500, 'ADMIN-500-1', `Internal error: ${String(error)}`);
    } finally {
      // Durable before the answer. Operations validate before they change anything, so a
      // refusal normally has nothing to write; whatever it has, memory and disk stay equal.
      this.store.commit();
    }
  }

  private authenticate(request: OrgRequest): void {
    const header = headerOf(request, 'authorization');
    const match = header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
    if (!match) throw refuse(401, 'ADMIN-UAM-401-1', 'Authenticate with an organization API key (Bearer).');
    const given = Buffer.from(match[1]);
    const expected = Buffer.from(this.meta.apiKey);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw refuse(401, 'ADMIN-UAM-401-1', 'The API key is not valid.');
    }
  }

  // ---- state changes (store + indexes) ---------------------------------------------------------

  private reindex(): void {
    for (const user of this.store.state.users.values())
      this.byEmail.set(user.email.toLowerCase(), user.accountId);
    for (const group of this.store.state.groups.values())
      this.byGroupName.set(group.name.toLowerCase(), group.id);
    for (const key of this.store.state.members.keys()) {
      const [groupId, accountId] = key.split('|');
      this.index(this.groupMembers, groupId).add(accountId);
      this.index(this.userGroups, accountId).add(groupId);
    }
    for (const [key, grant] of this.store.state.userRoles)
      this.index(this.userRoleKeys, grant.subject).add(key);
  }

  private index(map: Map<string, Set<string>>, key: string): Set<string> {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    return set;
  }

  private putUser(user: UserRecord): void {
    this.store.put('users', user.accountId, user);
    this.byEmail.set(user.email.toLowerCase(), user.accountId);
  }

  private addMember(groupId: string, accountId: string): void {
    this.store.put('members', `${groupId}|${accountId}`, true);
    this.index(this.groupMembers, groupId).add(accountId);
    this.index(this.userGroups, accountId).add(groupId);
  }

  private removeMember(groupId: string, accountId: string): void {
    this.store.delete('members', `${groupId}|${accountId}`);
    this.groupMembers.get(groupId)?.delete(accountId);
    this.userGroups.get(accountId)?.delete(groupId);
  }

  private grantUserRole(accountId: string, resourceId: string, roleId: string): void {
    const key = `${accountId}|${resourceId}|${roleId}`;
    this.store.put('userRoles', key, { subject: accountId, resourceId, roleId });
    this.index(this.userRoleKeys, accountId).add(key);
  }

  private revokeUserRole(key: string, accountId: string): void {
    this.store.delete('userRoles', key);
    this.userRoleKeys.get(accountId)?.delete(key);
  }

  private newUser(email: string, name: string, fields: Partial<UserRecord> = {}): UserRecord {
    return {
      accountId: `712020:${randomUUID()}`,
      email,
      name,
      nickname: name.split(' ')[0] || email.split('@')[0],
      membership: 'active',
      accountStatus: 'active',
      addedToOrg: new Date(this.now()).toISOString(),
      claimStatus: this.claimStatusOf(email),
      managementSource: 'invited',
      emailVerified: true,
      mfaEnabled: false,
      platformRoles: [],
      ...fields,
    };
  }

  private createGroupRecord(name: string, description: string, isProtected: boolean): GroupRecord {
    const group: GroupRecord = {
      id: randomUUID(),
      name,
      description,
      protected: isProtected,
      createdAt: new Date(this.now()).toISOString(),
    };
    this.store.put('groups', group.id, group);
    this.byGroupName.set(name.toLowerCase(), group.id);
    return group;
  }

  /** A new organization: one directory, four workspaces on the site, a few accounts. */
  private seed(): void {
    const cloudId = this.options.cloudId ?? '00000000-0000-4000-8000-0000000c1001';
    const siteUrl = (this.options.siteUrl ?? 'https://offline.atlassian.net').replace(/\/+$/, '');
    const created = new Date(this.now()).toISOString();
    const workspace = (typeKey: string, name: string, hostUrl: string): WorkspaceRecord => ({
      id: `ari:cloud:${typeKey}::site/${cloudId}`,
      name,
      typeKey,
      hostUrl,
      createdAt: created,
    });
    const meta: OrgMeta = {
      orgId: randomUUID(),
      orgName: this.options.orgName ?? 'Offline organization',
      directoryId: randomUUID(),
      directoryName: 'Offline directory',
      apiKey: this.options.apiKey ?? `ATCTT3xFfGN0${randomBytes(24).toString('base64url')}`,
      cloudId,
      siteUrl,
      createdAt: created,
      workspaces: [
        workspace('jira-software', 'Jira', siteUrl),
        workspace('jira-servicedesk', 'Jira Service Management', siteUrl),
        workspace('confluence', 'Confluence', `${siteUrl}/wiki`),
        workspace('bitbucket', 'Bitbucket', 'https://bitbucket.org/offline'),
      ],
    };
    this.store.put('meta', 'meta', meta);
    const admin = this.newUser(SEED_ACCOUNTS.admin, 'Org Admin', {
      platformRoles: ['atlassian/org-admin', 'atlassian/site-admin'],
      managementSource: null,
    });
    const existing = this.newUser(SEED_ACCOUNTS.existing, 'Ada Lovelace');
    const suspended = this.newUser(SEED_ACCOUNTS.suspended, 'Grace Hopper', { membership: 'suspended' });
    const outside = this.newUser(SEED_ACCOUNTS.outside, 'Linus Torvalds', {
      membership: 'none',
      managementSource: null,
    });
    for (const user of [admin, existing, suspended, outside]) this.putUser(user);
    for (const name of PROTECTED_GROUPS) {
      const group = this.createGroupRecord(name, `Atlassian's ${name} group (protected).`, true);
      this.addMember(group.id, admin.accountId);
    }
    const jira = meta.workspaces[0].id;
    this.grantUserRole(existing.accountId, jira, 'atlassian/user');
    this.store.commit();
  }

  // ---- reads --------------------------------------------------------------------------------

  private user(accountId: string, inDirectory = true): UserRecord {
    const user = this.store.get('users', accountId);
    if (!user || (inDirectory && user.membership === 'none'))
      throw refuse(404, 'ADMIN-404-8', 'User not found.');
    return user;
  }

  private group(groupId: string): GroupRecord {
    const group = this.store.get('groups', groupId);
    if (!group) throw refuse(404, 'ADMIN-404-10', 'Group not found.');
    return group;
  }

  private workspace(resourceId: string, code = 'ADMIN-404-1'): WorkspaceRecord {
    const found = this.meta.workspaces.find((w) => w.id === resourceId);
    if (!found) throw refuse(404, code, `Resource ${resourceId} not found in this organization.`);
    return found;
  }

  /** Roles the user holds per resource, and how (direct, or group_direct through a group). */
  private effectiveRoles(accountId: string): Map<string, Map<string, Set<string>>> {
    const roles = new Map<string, Map<string, Set<string>>>();
    const add = (resourceId: string, roleId: string, method: string) => {
      let perResource = roles.get(resourceId);
      if (!perResource) roles.set(resourceId, (perResource = new Map()));
      let methods = perResource.get(roleId);
      if (!methods) perResource.set(roleId, (methods = new Set()));
      methods.add(method);
    };
    for (const grant of this.userRoles(accountId)) add(grant.resourceId, grant.roleId, 'direct');
    for (const groupId of this.userGroups.get(accountId) ?? []) {
      for (const grant of this.groupRoles(groupId)) add(grant.resourceId, grant.roleId, 'group_direct');
    }
    return roles;
  }

  /**
   * Managed when the e-mail's domain is verified, read on every answer rather than from the
   * stored record: a domain verified later (the option over the same DATA_DIR) claims the
   * accounts already there, as verifying and claiming does in Atlassian Administration.
   */
  private claimStatusOf(email: string): UserRecord['claimStatus'] {
    const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
    return this.verifiedDomains.has(domain) ? 'managed' : 'unmanaged';
  }

  private statusOf(user: UserRecord): string {
    if (user.accountStatus !== 'active') return 'deactivated';
    return { active: 'active', suspended: 'suspended', none: 'not_invited' }[user.membership];
  }

  private userJson(user: UserRecord, expand: Set<string>, details = false): Json {
    const avatar = `https://avatar-management.services.atlassian.com/default/${encodeURIComponent(user.accountId)}`;
    const out: Json = {
      accountId: user.accountId,
      accountType: 'atlassian',
      status: this.statusOf(user),
      accountStatus: user.accountStatus,
      membershipStatus: MEMBERSHIP_STATUS[user.membership],
      addedToOrg: user.addedToOrg,
      name: user.name,
      nickname: user.nickname,
      email: user.email,
      emailVerified: user.emailVerified,
      claimStatus: this.claimStatusOf(user.email),
      managementSource: user.managementSource,
      mfaEnabled: user.mfaEnabled,
      picture: avatar,
      avatar,
    };
    if (details || expand.has('platformRoles')) out.platformRoles = [...user.platformRoles];
    if (details || expand.has('counts.resources')) {
      out.counts = { resources: this.effectiveRoles(user.accountId).size };
    }
    // Last-active dates are not emulated: nobody uses the products offline.
    if (expand.has('productAccess')) out.productAccess = [];
    if (expand.has('groups')) {
      out.groups = [...(this.userGroups.get(user.accountId) ?? [])]
        .map((id) => this.store.get('groups', id))
        .filter((g): g is GroupRecord => g !== undefined)
        .map((g) => ({ id: g.id, name: g.name, description: g.description }));
    }
    return out;
  }

  private groupJson(group: GroupRecord, expand: Set<string>): Json {
    const out: Json = {
      id: group.id,
      name: group.name,
      description: group.description,
      directoryId: this.meta.directoryId,
      managementAccess: { readable: true, deletable: !group.protected, modifiable: !group.protected },
      externalSynced: false,
      managedBy: 'admins',
    };
    const counts: Json = {};
    if (expand.has('counts.users')) counts.users = this.groupMembers.get(group.id)?.size ?? 0;
    if (expand.has('counts.resources')) {
      counts.resources = new Set(this.groupRoles(group.id).map((g) => g.resourceId)).size;
    }
    if (Object.keys(counts).length > 0) out.counts = counts;
    return out;
  }

  // ---- operations ---------------------------------------------------------------------------

  listOrgs(): OrgResponse {
    const { orgId, orgName } = this.meta;
    const base = this.publicBaseUrl;
    return ok({
      data: [
        {
          id: orgId,
          type: 'orgs',
          attributes: { name: orgName },
          relationships: {
            domains: { links: { related: `${base}/v1/orgs/${orgId}/domains` } },
            users: { links: { related: `${base}/v1/orgs/${orgId}/users` } },
          },
          links: { self: `${base}/v1/orgs/${orgId}` },
        },
      ],
      links: { self: `${base}/v1/orgs` },
    });
  }

  listDirectories(ctx: Context): OrgResponse {
    const cursor = ctx.query.get('cursor') ?? undefined;
    const state = cursor
      ? decodeCursor(cursor, 'directories', '')
      : {
          op: 'directories',
          dir: '',
          q: queryAsBody(ctx.query, ['directoryIds']),
          limit: pageLimit(ctx.query.get('limit'), DEFAULT_LIMITS.other),
        };
    const q = state.q;
    const { directoryId, directoryName } = this.meta;
    const ids = optionalStrings(q, 'directoryIds');
    const term = optionalString(q, 'searchTerm')?.toLowerCase();
    const accountId = optionalString(q, 'accountId');
    const keep =
      (!ids || ids.includes(directoryId)) &&
      (!term || directoryName.toLowerCase().includes(term)) &&
      (!accountId || (this.store.get('users', accountId)?.membership ?? 'none') !== 'none');
    const directories = keep
      ? [{ directoryId, name: directoryName, icon: 'https://admin.atlassian.com/icons/directory.svg' }]
      : [];
    const page = paginate(directories, (d) => [d.directoryId], false, state, cursor);
    return ok({ data: page.data, links: page.links });
  }

  searchUsers(ctx: Context, fromQuery: boolean): OrgResponse {
    const dir = ctx.params.directoryId;
    const cursor = fromQuery ? (ctx.query.get('cursor') ?? undefined) : optionalString(ctx.body(), 'cursor');
    let state: CursorState;
    if (cursor) {
      state = decodeCursor(cursor, 'users', dir);
      if (!fromQuery) state = resumeSearch(state, ctx.body());
    } else {
      const q = fromQuery
        ? queryAsBody(ctx.query, [
            'accountIds',
            'directoryIds',
            'resourceIds',
            'groupIds',
            'status',
            'accountStatus',
            'membershipStatus',
            'roleIds',
            'emailDomains',
            'emails',
            'expand',
          ])
        : ctx.body();
      const { limit, cursor: _ignored, ...filters } = q;
      state = { op: 'users', dir, q: filters, limit: pageLimit(limit, DEFAULT_LIMITS.users) };
    }
    if (!fromQuery) state = { ...state, carry: this.drawCursorCarry() };
    const q = state.q;
    const accountIds = optionalStrings(q, 'accountIds');
    const directoryIds = optionalStrings(q, 'directoryIds');
    const resourceIds = optionalStrings(q, 'resourceIds');
    const groupIds = optionalStrings(q, 'groupIds');
    const mfaEnabled = optionalBoolean(q, 'mfaEnabled');
    const claimStatus = optionalString(q, 'claimStatus');
    if (claimStatus !== undefined && claimStatus !== 'managed' && claimStatus !== 'unmanaged') {
      throw badRequest('claimStatus must be managed or unmanaged.');
    }
    const status = optionalStrings(q, 'status', USER_STATUSES);
    const accountStatus = optionalStrings(q, 'accountStatus', ACCOUNT_STATUSES);
    const membershipStatus = optionalStrings(q, 'membershipStatus', MEMBERSHIP_STATUSES);
    const roleIds = optionalStrings(q, 'roleIds');
    const emailDomains = optionalStrings(q, 'emailDomains')?.map((d) => d.toLowerCase());
    const searchTerm = optionalString(q, 'searchTerm')?.toLowerCase();
    const emails = optionalStrings(q, 'emails')?.map((e) => e.toLowerCase());
    const expand = new Set(optionalStrings(q, 'expand', USER_EXPANDS));
    const descending = sortDirection(q.sortBy, 'nick_name');
    if (searchTerm !== undefined && emails !== undefined) {
      throw badRequest('searchTerm and emails cannot be used together.');
    }

    let candidates: UserRecord[];
    if (emails) {
      candidates = emails.flatMap((e) => this.findUserByEmail(e) ?? []);
    } else if (accountIds) {
      candidates = accountIds.flatMap((id) => this.store.get('users', id) ?? []);
    } else if (groupIds) {
      const ids = new Set(groupIds.flatMap((g) => [...(this.groupMembers.get(g) ?? [])]));
      candidates = [...ids].flatMap((id) => this.store.get('users', id) ?? []);
    } else {
      candidates = [...this.store.state.users.values()];
    }
    // Accounts with no membership in the directory are listed too, as `not_invited` (spec
    // UserStatus, membershipStatus no_membership): the seed's outside account, those removed,
    // and those an invite did not place.
    const matches = candidates.filter((user) => {
      if (directoryIds && !directoryIds.includes(this.meta.directoryId)) return false;
      if (accountIds && !accountIds.includes(user.accountId)) return false;
      if (groupIds && !groupIds.some((g) => this.groupMembers.get(g)?.has(user.accountId))) return false;
      if (mfaEnabled !== undefined && user.mfaEnabled !== mfaEnabled) return false;
      if (claimStatus && this.claimStatusOf(user.email) !== claimStatus) return false;
      if (status && !status.includes(this.statusOf(user))) return false;
      if (accountStatus && !accountStatus.includes(user.accountStatus)) return false;
      if (membershipStatus && !membershipStatus.includes(MEMBERSHIP_STATUS[user.membership])) return false;
      if (emailDomains && !emailDomains.includes(user.email.split('@')[1]?.toLowerCase() ?? '')) return false;
      if (emails && !emails.includes(user.email.toLowerCase())) return false;
      if (
        searchTerm &&
        ![user.name, user.nickname, user.email].some((v) => v.toLowerCase().includes(searchTerm))
      ) {
        return false;
      }
      if (resourceIds || roleIds) {
        const roles = this.effectiveRoles(user.accountId);
        if (resourceIds && !resourceIds.some((r) => roles.has(r))) return false;
        if (roleIds) {
          const held = new Set([...roles.values()].flatMap((m) => [...m.keys()]).concat(user.platformRoles));
          if (!roleIds.some((r) => held.has(r))) return false;
        }
      }
      return true;
    });
    const unique = [...new Map(matches.map((u) => [u.accountId, u])).values()];
    const page = paginate(
      unique,
      (u) => (q.sortBy ? [u.nickname.toLowerCase(), u.accountId] : [u.accountId]),
      descending,
      state,
      cursor,
    );
    return ok({ data: page.data.map((u) => this.userJson(u, expand)), links: page.links });
  }

  getUser(ctx: Context): OrgResponse {
    return ok({ data: this.userJson(this.user(ctx.params.accountId), new Set(), true) });
  }

  userRoleAssignments(ctx: Context): OrgResponse {
    const user = this.user(ctx.params.accountId);
    const cursor = ctx.query.get('cursor') ?? undefined;
    const dir = ctx.params.directoryId;
    const state = cursor
      ? decodeCursor(cursor, `user-roles:${user.accountId}`, dir)
      : {
          op: `user-roles:${user.accountId}`,
          dir,
          q: queryAsBody(ctx.query, ['directoryIds', 'resourceOwners', 'resourceIds', 'roleIds']),
          limit: pageLimit(ctx.query.get('limit'), DEFAULT_LIMITS.other),
        };
    const resourceOwners = optionalStrings(state.q, 'resourceOwners');
    const resourceIds = optionalStrings(state.q, 'resourceIds');
    const roleIds = optionalStrings(state.q, 'roleIds');
    const status = user.membership === 'none' ? 'no_membership' : user.membership;
    const rows: Json[] = [];
    for (const [resourceId, roles] of this.effectiveRoles(user.accountId)) {
      const owner = this.meta.workspaces.find((w) => w.id === resourceId)?.typeKey ?? 'unknown';
      if (resourceOwners && !resourceOwners.includes(owner)) continue;
      if (resourceIds && !resourceIds.includes(resourceId)) continue;
      const kept = [...roles].filter(([role]) => !roleIds || roleIds.includes(role));
      if (kept.length === 0) continue;
      rows.push({
        resourceId,
        resourceOwner: owner,
        roles: kept.map(([role]) => role),
        roleAssignments: kept.map(([role, methods]) => ({ role, roleAssignmentMethods: [...methods] })),
        directoryId: this.meta.directoryId,
        userDirectoryStatus: status,
      });
    }
    // Platform roles are not tied to a directory (directoryId and status null, as documented).
    for (const role of user.platformRoles) {
      if (roleIds && !roleIds.includes(role)) continue;
      const resourceId =
        role === 'atlassian/org-admin'
          ? `ari:cloud:platform::org/${this.meta.orgId}`
          : `ari:cloud:platform::site/${this.meta.cloudId}`;
      if (resourceIds && !resourceIds.includes(resourceId)) continue;
      if (resourceOwners && !resourceOwners.includes('platform')) continue;
      rows.push({
        resourceId,
        resourceOwner: 'platform',
        roles: [role],
        roleAssignments: [{ role, roleAssignmentMethods: ['direct'] }],
        directoryId: null,
        userDirectoryStatus: null,
      });
    }
    const page = paginate(rows, (r) => [String(r.resourceId), String(r.roles)], false, state, cursor);
    return ok({ data: page.data, links: page.links });
  }

  /**
   * Suspend and restore. Atlassian answers 415 unless the body is `{}` sent as JSON (a
   * third-party observation the spec records); we enforce exactly that. Success is 204
   * (UNCONFIRMED: a third party logs 204) and repeating either is a 204 that changes nothing
   * (UNCONFIRMED; idempotent is the safer emulation of a lifecycle toggle).
   */
  setSuspended(ctx: Context, suspended: boolean): OrgResponse {
    const type = headerOf(ctx.request, 'content-type') ?? '';
    if (!/^application\/json\b/i.test(type) || !ctx.request.body?.trim()) {
      throw refuse(
        415,
        'ADMIN-UAM-415-1',
        'Send an empty JSON object ({}) with Content-Type: application/json.',
      );
    }
    const body = ctx.body();
    if (Object.keys(body).length > 0) throw badRequest('The body must be an empty JSON object.');
    const user = this.user(ctx.params.accountId);
    if (suspended && user.platformRoles.includes('atlassian/org-admin')) {
      // Our rule (UNCONFIRMED): an org admin cannot be suspended through the API.
      throw refuse(403, 'ADMIN-403-3', 'An organization admin cannot be suspended.');
    }
    const membership = suspended ? 'suspended' : 'active';
    if (user.membership !== membership) this.putUser({ ...user, membership });
    return noContent();
  }

  /**
   * Remove from the directory: the account stays (it belongs to its owner), its membership,
   * groups and direct roles here go. Synchronous here (Atlassian may queue it). A second
   * remove is 404: the user is no longer in the directory.
   */
  removeUser(ctx: Context): OrgResponse {
    const user = this.user(ctx.params.accountId);
    if (user.platformRoles.includes('atlassian/org-admin')) {
      throw refuse(403, 'ADMIN-403-3', 'An organization admin cannot be removed from the directory.');
    }
    for (const groupId of [...(this.userGroups.get(user.accountId) ?? [])]) {
      this.removeMember(groupId, user.accountId);
    }
    for (const key of [...(this.userRoleKeys.get(user.accountId) ?? [])])
      this.revokeUserRole(key, user.accountId);
    this.putUser({ ...user, membership: 'none' });
    return noContent();
  }

  /**
   * Invite: per e-mail, the existing account (matched case-insensitively: one account per
   * e-mail) or a new one joins the directory; then the roles and groups are applied and
   * reported one by one (INVITED or ERROR). A suspended member stays suspended (UNCONFIRMED:
   * restoring is a separate call). 200 with the results; 402 without a paid subscription.
   */
  invite(ctx: Context): OrgResponse {
    if (!this.paid) {
      throw refuse(402, 'ADMIN-UAM-402-1', 'Inviting users needs at least one paid subscription.');
    }
    const body = ctx.body();
    const emails = optionalStrings(body, 'emails');
    if (!emails || emails.length === 0) throw badRequest('emails is required.', 'ADMIN-UAM-400-1');
    if (emails.length > DEFAULT_LIMITS.inviteEmails) {
      throw badRequest(`At most ${DEFAULT_LIMITS.inviteEmails} e-mails per call.`, 'ADMIN-UAM-400-1');
    }
    const invalid = emails.find((e) => !EMAIL.test(e));
    if (invalid !== undefined) throw badRequest(`Not an e-mail address: ${invalid}.`, 'ADMIN-UAM-400-1');
    const rules = body.permissionRules ?? [];
    if (
      !Array.isArray(rules) ||
      !rules.every(
        (r: unknown) =>
          typeof r === 'object' &&
          r !== null &&
          typeof (r as Json).resource === 'string' &&
          typeof (r as Json).role === 'string',
      )
    ) {
      throw badRequest('permissionRules must be [{resource, role}].', 'ADMIN-UAM-400-1');
    }
    const groups = optionalStrings(body, 'additionalGroups') ?? [];
    optionalBoolean(body, 'sendNotification');
    optionalString(body, 'notificationText');

    const permissionRules = rules as { resource: string; role: string }[];
    const unique = [...new Map(emails.map((e) => [e.toLowerCase(), e])).values()];
    // A product role beyond the product's user limit refuses the invite, before any change.
    for (const email of unique) {
      const known = this.findUserByEmail(email);
      for (const { resource, role } of permissionRules) {
        if (this.roleProblem(resource, role, ASSIGNABLE_ROLES)) continue;
        const limit = this.limitReached(known?.accountId, [resource]);
        if (limit) throw refuse(409, 'ADMIN-UAM-409-3', limit);
      }
    }
    // "Added to directories based on apps in your invitation" (org-api-facts.md §2, §11): with
    // roles or groups the account joins the directory; with neither, UNCONFIRMED (drawn).
    const places =
      permissionRules.length > 0 ||
      groups.length > 0 ||
      (this.options.placeBareInvites ?? this.answerRandom() < 0.5);
    const data = unique.map((email) => {
      let user = this.findUserByEmail(email);
      if (!user) {
        user = this.newUser(email, email.split('@')[0], places ? {} : { membership: 'none' });
        this.putUser(user);
      } else if (user.membership === 'none' && places) {
        user = { ...user, membership: 'active', managementSource: 'invited' };
        this.putUser(user);
      }
      const accountId = user.accountId;
      const placed = user.membership !== 'none';
      const roleAssignmentResult = permissionRules.map(({ resource, role }) => {
        const reason = this.roleProblem(resource, role, ASSIGNABLE_ROLES);
        if (!reason) this.grantUserRole(accountId, resource, role);
        return { resource, role, status: reason ? 'ERROR' : 'INVITED', statusReason: reason ?? null };
      });
      const groupAssignmentResult = groups.map((groupId) => {
        const group = this.store.get('groups', groupId);
        const reason = !group
          ? 'Group not found.'
          : group.protected
            ? 'The group cannot be modified.'
            : !placed
              ? 'User not found.'
              : this.limitReached(
                  accountId,
                  this.groupRoles(groupId).map((g) => g.resourceId),
                );
        if (!reason) this.addMember(groupId, accountId);
        return { group: groupId, status: reason ? 'ERROR' : 'INVITED', statusReason: reason ?? null };
      });
      return { id: accountId, email: user.email, results: [{ roleAssignmentResult, groupAssignmentResult }] };
    });
    return ok({ data });
  }

  /**
   * Why giving the account access to these resources would pass a product's user limit
   * (EmbeddedOrgOptions.userLimits), if it would: the product's active users with any role
   * that grants use (user-access-admin grants none) are at the limit, and the account is not
   * one of them. Suspended users are not billed (org-api-facts.md §5), so not counted.
   */
  private limitReached(accountId: string | undefined, resourceIds: string[]): string | undefined {
    const limits = this.options.userLimits;
    if (!limits) return undefined;
    // A suspended member is not billed (org-api-facts.md §5): what it is given takes no seat.
    const account = accountId === undefined ? undefined : this.store.get('users', accountId);
    if (account && account.membership === 'suspended') return undefined;
    for (const resourceId of new Set(resourceIds)) {
      const product = this.meta.workspaces.find((w) => w.id === resourceId)?.typeKey;
      const limit = product === undefined ? undefined : limits[product];
      if (product === undefined || limit === undefined) continue;
      const users = [...this.store.state.users.values()].filter(
        (u) => u.membership === 'active' && this.usesProduct(u.accountId, product),
      );
      if (users.some((u) => u.accountId === accountId)) continue;
      if (users.length >= limit) {
        return `The user limit of ${product} (${limit} users) is reached.`;
      }
    }
    return undefined;
  }

  private usesProduct(accountId: string, product: string): boolean {
    for (const [resourceId, roles] of this.effectiveRoles(accountId)) {
      if (this.meta.workspaces.find((w) => w.id === resourceId)?.typeKey !== product) continue;
      if ([...roles.keys()].some((role) => role !== 'atlassian/user-access-admin')) return true;
    }
    return false;
  }

  /** Why a role cannot be granted on a resource, if it cannot. */
  private roleProblem(resourceId: string, roleId: string, allowed: Set<string>): string | undefined {
    const workspace = this.meta.workspaces.find((w) => w.id === resourceId);
    if (!workspace) return `Resource ${resourceId} not found.`;
    if (!allowed.has(roleId)) return `Role ${roleId} cannot be granted.`;
    if (SERVICE_DESK_ONLY.has(roleId) && workspace.typeKey !== 'jira-servicedesk') {
      return `Role ${roleId} is not valid for ${workspace.typeKey}.`;
    }
    return undefined;
  }

  /**
   * Per-user roles (v1 path). 204; granting a held role or revoking one not held is a 204
   * that changes nothing (UNCONFIRMED). Platform roles (org-admin, site-admin) need no
   * resource; revoking the last org admin is 409.
   */
  userRole(ctx: Context, grant: boolean): OrgResponse {
    const body = ctx.body();
    const role = optionalString(body, 'role');
    const resource = optionalString(body, 'resource');
    if (!role) throw badRequest('role is required.', 'ADMIN-UAM-400-1');
    if (!USER_ROLES.has(role)) throw badRequest(`Unknown role ${role}.`, 'ADMIN-UAM-400-3');
    const user = this.store.get('users', ctx.params.userId);
    if (!user || user.membership === 'none') throw refuse(404, 'ADMIN-UAM-404-1', 'User not found.');
    if (PLATFORM_ROLES.has(role)) {
      const has = user.platformRoles.includes(role);
      if (grant && !has) this.putUser({ ...user, platformRoles: [...user.platformRoles, role] });
      if (!grant && has) {
        const admins = [...this.store.state.users.values()].filter(
          (u) => u.membership !== 'none' && u.platformRoles.includes(role),
        );
        if (role === 'atlassian/org-admin' && admins.length <= 1) {
          throw refuse(409, 'ADMIN-UAM-409-2', 'The organization needs at least one org admin.');
        }
        this.putUser({ ...user, platformRoles: user.platformRoles.filter((r) => r !== role) });
      }
      return noContent();
    }
    if (!resource) throw badRequest('resource is required for this role.', 'ADMIN-UAM-400-1');
    this.workspace(resource, 'ADMIN-UAM-404-1');
    const problem = this.roleProblem(resource, role, ASSIGNABLE_ROLES);
    if (problem) throw badRequest(problem, 'ADMIN-UAM-400-3');
    const key = `${user.accountId}|${resource}|${role}`;
    if (grant) this.grantUserRole(user.accountId, resource, role);
    else this.revokeUserRole(key, user.accountId);
    return noContent();
  }

  /** Create: 201 without a body; names are unique case-insensitively (409 otherwise). */
  createGroup(ctx: Context): OrgResponse {
    const body = ctx.body();
    const name = optionalString(body, 'name')?.trim();
    const description = optionalString(body, 'description') ?? '';
    if (!name) throw badRequest('name is required.');
    if (name.length > 255) throw badRequest('name is longer than 255 characters.');
    if (this.byGroupName.has(name.toLowerCase())) {
      throw refuse(409, 'ADMIN-UAM-409-2', `A group named ${name} already exists.`);
    }
    this.createGroupRecord(name, description, false);
    return noContent(201);
  }

  searchGroups(ctx: Context, fromQuery: boolean): OrgResponse {
    const dir = ctx.params.directoryId;
    const cursor = fromQuery ? (ctx.query.get('cursor') ?? undefined) : optionalString(ctx.body(), 'cursor');
    let state: CursorState;
    if (cursor) {
      state = decodeCursor(cursor, 'groups', dir);
      if (!fromQuery) state = resumeSearch(state, ctx.body());
    } else {
      const q = fromQuery
        ? queryAsBody(ctx.query, [
            'directoryIds',
            'accountIds',
            'groupIds',
            'resourceOwners',
            'resourceIds',
            'roleIds',
            'groupNames',
          ])
        : ctx.body();
      const { limit, cursor: _ignored, includeUsers, includeResources, ...filters } = q;
      // The deprecated GET spells expand as includeUsers / includeResources.
      if (fromQuery) {
        filters.expand = [
          ...(includeUsers === true ? ['counts.users'] : []),
          ...(includeResources === true ? ['counts.resources'] : []),
        ];
      }
      state = { op: 'groups', dir, q: filters, limit: pageLimit(limit, DEFAULT_LIMITS.groups) };
    }
    if (!fromQuery) state = { ...state, carry: this.drawCursorCarry() };
    const q = state.q;
    const accountIds = optionalStrings(q, 'accountIds');
    const directoryIds = optionalStrings(q, 'directoryIds');
    const roleIds = optionalStrings(q, 'roleIds');
    const resourceOwners = optionalStrings(q, 'resourceOwners');
    const resourceIds = optionalStrings(q, 'resourceIds');
    const searchTerm = optionalString(q, 'searchTerm')?.toLowerCase();
    const groupIds = optionalStrings(q, 'groupIds');
    const groupNames = optionalStrings(q, 'groupNames')?.map((n) => n.toLowerCase());
    const expand = new Set(optionalStrings(q, 'expand', GROUP_EXPANDS));
    const descending = sortDirection(q.sortBy, 'name');
    if (groupNames && (searchTerm !== undefined || groupIds)) {
      throw badRequest('groupNames cannot be combined with searchTerm or groupIds.');
    }
    const candidates = groupNames
      ? groupNames.flatMap((n) => this.findGroupByName(n) ?? [])
      : [...this.store.state.groups.values()];
    const matches = candidates.filter((group) => {
      if (directoryIds && !directoryIds.includes(this.meta.directoryId)) return false;
      if (groupIds && !groupIds.includes(group.id)) return false;
      if (searchTerm && !group.name.toLowerCase().includes(searchTerm)) return false;
      if (accountIds && !accountIds.some((a) => this.groupMembers.get(group.id)?.has(a))) return false;
      if (roleIds || resourceIds || resourceOwners) {
        const grants = this.groupRoles(group.id);
        if (roleIds && !grants.some((g) => roleIds.includes(g.roleId))) return false;
        if (resourceIds && !grants.some((g) => resourceIds.includes(g.resourceId))) return false;
        if (
          resourceOwners &&
          !grants.some((g) => resourceOwners.includes(this.workspace(g.resourceId).typeKey))
        ) {
          return false;
        }
      }
      return true;
    });
    const unique = [...new Map(matches.map((g) => [g.id, g])).values()];
    const page = paginate(unique, (g) => [g.name.toLowerCase(), g.id], descending, state, cursor);
    return ok({ data: page.data.map((g) => this.groupJson(g, expand)), links: page.links });
  }

  getGroup(ctx: Context): OrgResponse {
    return ok({
      data: this.groupJson(this.group(ctx.params.groupId), new Set(['counts.users', 'counts.resources'])),
    });
  }

  /**
   * Delete: 204; protected groups (site-admins, org-admins) are refused with 403, and a group
   * that still has members with 409 `ADMIN-409-5` "Group not empty" (the error catalogue's
   * code, as the client generated from the spec, github.com/MrRefactoring/jira.js, carries it).
   * Jira's own DELETE /rest/api/3/group (site-api.ts) still deletes.
   */
  deleteGroup(ctx: Context): OrgResponse {
    const group = this.group(ctx.params.groupId);
    if (group.protected) {
      throw refuse(403, 'ADMIN-403-7', `${group.name} grants admin access and cannot be deleted.`);
    }
    if ((this.groupMembers.get(group.id)?.size ?? 0) > 0) {
      throw refuse(409, 'ADMIN-409-5', 'Group not empty.');
    }
    this.dropGroup(group);
    return noContent();
  }

  private dropGroup(group: GroupRecord): void {
    for (const accountId of [...(this.groupMembers.get(group.id) ?? [])])
      this.removeMember(group.id, accountId);
    for (const [key, grant] of [...this.store.state.groupRoles]) {
      if (grant.subject === group.id) this.store.delete('groupRoles', key);
    }
    this.store.delete('groups', group.id);
    this.byGroupName.delete(group.name.toLowerCase());
    this.groupMembers.delete(group.id);
  }

  /** The same state, as the Jira site API (site-api.ts) reads and changes it. */
  /** What the User management API (user-management.ts) reads and changes. */
  private userManagementState(): UserManagementState {
    return {
      apiKey: this.meta.apiKey,
      user: (accountId) => this.store.get('users', accountId),
      userByEmail: (email) => this.findUserByEmail(email),
      verified: (domain) => this.verifiedDomains.has(domain),
      putUser: (user, previousEmail) => {
        if (previousEmail) this.byEmail.delete(previousEmail.toLowerCase());
        this.putUser(user);
      },
      lockRate: this.options.profileLockRate ?? 0.1,
      random: this.userManagementRandom,
    };
  }

  private siteState(): SiteState {
    const isAdmin = (accountId: string): boolean => {
      const user = this.store.get('users', accountId);
      if (!user || user.membership === 'none') return false;
      if (user.platformRoles.some((r) => PLATFORM_ROLES.has(r))) return true;
      return [...(this.userGroups.get(accountId) ?? [])].some((g) => this.store.get('groups', g)?.protected);
    };
    return {
      meta: this.meta,
      tokenOf: (email) =>
        email.toLowerCase() === SEED_ACCOUNTS.admin
          ? this.siteApiToken
          : this.siteTokens.get(email.toLowerCase()),
      user: (accountId) => this.store.get('users', accountId),
      userByEmail: (email) => this.findUserByEmail(email),
      users: () => this.store.state.users.values(),
      addAccount: (email, displayName) => {
        const known = this.findUserByEmail(email);
        const user = known
          ? { ...known, membership: 'active' as const, managementSource: 'invited' as const }
          : this.newUser(email, displayName ?? email.split('@')[0]);
        this.putUser(user);
        return user;
      },
      group: (groupId) => this.store.get('groups', groupId),
      groupByName: (name) => this.findGroupByName(name),
      groups: () => this.store.state.groups.values(),
      createGroup: (name) => this.createGroupRecord(name, '', false),
      deleteGroup: (groupId) => {
        const group = this.store.get('groups', groupId);
        if (group) this.dropGroup(group);
      },
      members: (groupId) => this.membersOf(groupId),
      groupsOf: (accountId) => [...(this.userGroups.get(accountId) ?? [])],
      addMember: (groupId, accountId) => this.addMember(groupId, accountId),
      removeMember: (groupId, accountId) => this.removeMember(groupId, accountId),
      groupRoles: (groupId) => this.groupRoles(groupId),
      userRoles: (accountId) => this.userRoles(accountId),
      isAdmin,
    };
  }

  private modifiableGroup(groupId: string): GroupRecord {
    const group = this.group(groupId);
    if (group.protected) throw refuse(403, 'ADMIN-403-5', `${group.name} cannot be modified.`);
    return group;
  }

  /**
   * Add a member: 204. The account must be in the directory (404 "User not found"; invite
   * first: org-api-facts.md §4, Atlassian KB [A7]), `this.user` refuses any other. Adding a member twice is a 204 that changes nothing (UNCONFIRMED; the facts say
   * treat 204 and 409 alike).
   */
  addMembership(ctx: Context): OrgResponse {
    const accountId = optionalString(ctx.body(), 'accountId');
    if (!accountId) throw badRequest('accountId is required.');
    const group = this.modifiableGroup(ctx.params.groupId);
    this.user(accountId);
    if (!this.groupMembers.get(group.id)?.has(accountId)) {
      // "You cannot add if the add would exceed an app's user limit" (org-api-facts.md §4).
      const limit = this.limitReached(
        accountId,
        this.groupRoles(group.id).map((g) => g.resourceId),
      );
      if (limit) throw refuse(409, 'ADMIN-409-3', limit);
      this.addMember(group.id, accountId);
    }
    return noContent();
  }

  /** Remove a member: 204; a user who is not a member is 404 (UNCONFIRMED; our choice). */
  removeMembership(ctx: Context): OrgResponse {
    const group = this.modifiableGroup(ctx.params.groupId);
    const { accountId } = ctx.params;
    if (!this.groupMembers.get(group.id)?.has(accountId)) {
      throw refuse(404, 'ADMIN-404-8', 'User not found in this group.');
    }
    this.removeMember(group.id, accountId);
    return noContent();
  }

  groupRoleAssignments(ctx: Context): OrgResponse {
    const group = this.group(ctx.params.groupId);
    const cursor = ctx.query.get('cursor') ?? undefined;
    const dir = ctx.params.directoryId;
    const state = cursor
      ? decodeCursor(cursor, `group-roles:${group.id}`, dir)
      : {
          op: `group-roles:${group.id}`,
          dir,
          q: queryAsBody(ctx.query, ['directoryIds', 'resourceOwners', 'resourceIds', 'roleIds']),
          limit: pageLimit(ctx.query.get('limit'), DEFAULT_LIMITS.other),
        };
    const resourceOwners = optionalStrings(state.q, 'resourceOwners');
    const resourceIds = optionalStrings(state.q, 'resourceIds');
    const roleIds = optionalStrings(state.q, 'roleIds');
    const byResource = new Map<string, string[]>();
    for (const grant of this.groupRoles(group.id)) {
      if (roleIds && !roleIds.includes(grant.roleId)) continue;
      if (resourceIds && !resourceIds.includes(grant.resourceId)) continue;
      (byResource.get(grant.resourceId) ?? byResource.set(grant.resourceId, []).get(grant.resourceId))?.push(
        grant.roleId,
      );
    }
    const rows = [...byResource]
      .map(([resourceId, roles]) => ({
        resourceId,
        resourceOwner: this.workspace(resourceId).typeKey,
        defaultRole: null,
        roles: roles.sort(),
      }))
      .filter((r) => !resourceOwners || resourceOwners.includes(r.resourceOwner));
    const page = paginate(rows, (r) => [r.resourceId], false, state, cursor);
    return ok({ data: page.data, links: page.links });
  }

  /**
   * Grant or revoke a product role for a group: 204; repeating either changes nothing
   * (UNCONFIRMED). Unknown resource 404; a role the resource does not take 400.
   */
  groupRole(ctx: Context, grant: boolean): OrgResponse {
    const body = ctx.body();
    const resourceId = optionalString(body, 'resourceId');
    const roleId = optionalString(body, 'roleId');
    if (!resourceId || !roleId) throw badRequest('resourceId and roleId are required.');
    const group = this.modifiableGroup(ctx.params.groupId);
    this.workspace(resourceId);
    const problem = this.roleProblem(resourceId, roleId, ASSIGNABLE_ROLES);
    if (problem) throw badRequest(problem, 'ADMIN-UAM-400-3');
    const key = `${group.id}|${resourceId}|${roleId}`;
    if (grant) this.store.put('groupRoles', key, { subject: group.id, resourceId, roleId });
    else this.store.delete('groupRoles', key);
    return noContent();
  }

  /** What the next POST search cursor carries (CursorState.carry), drawn per cursor. */
  private drawCursorCarry(): SearchCursorCarry {
    const draw = this.pagingRandom();
    return draw < 1 / 3 ? 'query' : draw < 2 / 3 ? 'position' : 'refuse';
  }

  /**
   * Workspaces: body {query?, limit?, sort?, cursor?}; a cursor must come alone (400
   * otherwise). Queries: `{field:{name, values}}` on id, name, typeKey, type, status,
   * hostUrl; `{searchWorkspaces}` (partial name/URL); `and`, `nor`.
   */
  queryWorkspaces(ctx: Context): OrgResponse {
    const body = ctx.body();
    const cursor = optionalString(body, 'cursor');
    let state: CursorState;
    if (cursor) {
      if (Object.keys(body).some((k) => k !== 'cursor' && body[k] !== undefined && body[k] !== null)) {
        throw badRequest('When a cursor is given no other property may be sent.');
      }
      state = decodeCursor(cursor, 'workspaces', '');
    } else {
      const { limit, sort, query } = body;
      if (sort !== undefined && sort !== null && !Array.isArray(sort))
        throw badRequest('sort must be an array.');
      state = {
        op: 'workspaces',
        dir: '',
        q: { query: query ?? null, sort: sort ?? null },
        limit: pageLimit(limit, DEFAULT_LIMITS.users),
      };
    }
    const query = state.q.query;
    const sort = (state.q.sort as { field?: string; order?: string }[] | null)?.[0];
    const all = this.meta.workspaces.map((w) => this.workspaceJson(w));
    const matched = all.filter((w) => matchesWorkspaceQuery(query, w));
    const field = sort?.field ?? 'name';
    const valueOf = (w: Json): string => String((w.attributes as Json)[field] ?? w[field] ?? '');
    const page = paginate(
      matched,
      (w) => [valueOf(w).toLowerCase(), String(w.id)],
      sort?.order === 'desc',
      state,
      cursor,
    );
    const start = page.offset;
    // links.next is typed "URL to fetch the Next Page" (spec WorkspacePageLinks) while the body
    // takes a cursor: UNVERIFIED which the service answers, so either, drawn per page.
    const next =
      page.links.next && this.pagingRandom() < 0.5
        ? `${this.publicBaseUrl}/v2/orgs/${encodeURIComponent(this.meta.orgId)}/workspaces?cursor=${encodeURIComponent(page.links.next)}`
        : page.links.next;
    return ok({
      data: page.data,
      links: { self: page.links.self, prev: null, next },
      meta: {
        pageSize: state.limit,
        startIndex: page.data.length ? start : null,
        endIndex: page.data.length ? start + page.data.length - 1 : null,
        total: matched.length,
      },
    });
  }

  private workspaceJson(w: WorkspaceRecord): Json {
    return {
      id: w.id,
      type: 'workspace',
      attributes: {
        name: w.name,
        typeKey: w.typeKey,
        type: w.typeKey,
        owner: this.meta.orgId,
        status: 'online',
        statusDetails: [],
        icons: {},
        avatars: {},
        labels: [],
        sandbox: { type: 'NONE' },
        usage: null,
        capacity: null,
        createdAt: w.createdAt,
        createdBy: null,
        updatedAt: null,
        hostUrl: w.hostUrl,
        realm: 'us',
        regions: ['us'],
      },
      links: { self: null },
      relationships: {},
    };
  }
}

function matchesWorkspaceQuery(query: unknown, workspace: Json): boolean {
  if (query === undefined || query === null) return true;
  if (typeof query !== 'object' || Array.isArray(query)) throw badRequest('query must be an object.');
  const q = query as Json;
  if (Array.isArray(q.and)) return q.and.every((sub: unknown) => matchesWorkspaceQuery(sub, workspace));
  if (Array.isArray(q.nor)) return !q.nor.some((sub: unknown) => matchesWorkspaceQuery(sub, workspace));
  if (typeof q.searchWorkspaces === 'string' || typeof q.value === 'string') {
    const term = String(q.searchWorkspaces ?? q.value).toLowerCase();
    const attributes = workspace.attributes as Json;
    return [attributes.name, attributes.hostUrl].some((v) => String(v).toLowerCase().includes(term));
  }
  if (typeof q.field === 'object' && q.field !== null) {
    const { name, values } = q.field as { name?: unknown; values?: unknown };
    if (typeof name !== 'string' || !Array.isArray(values)) throw badRequest('field needs name and values.');
    const attributes = workspace.attributes as Json;
    const actual = name === 'id' ? workspace.id : attributes[name];
    return values.some((v) => String(v) === String(actual));
  }
  // features / policies filters: no workspace here has any.
  if (Array.isArray(q.features) || Array.isArray(q.policies)) return false;
  throw badRequest('Unsupported workspace query.');
}

function headerOf(request: OrgRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers ?? {})) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

function parseBody(request: OrgRequest): Json {
  const text = request.body?.trim();
  if (!text) return {};
  const type = headerOf(request, 'content-type');
  if (type !== undefined && !/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw refuse(415, 'ADMIN-UAM-415-1', `Content-Type ${type} is not supported; send application/json.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('The body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('The body must be a JSON object.');
  }
  return value as Json;
}

function matchTemplate(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    if (w.startsWith('{') && w.endsWith('}')) {
      if (!got[i]) return undefined;
      try {
        params[w.slice(1, -1)] = decodeURIComponent(got[i]);
      } catch {
        return undefined;
      }
    } else if (w !== got[i]) return undefined;
  }
  return params;
}

const D = '/v2/orgs/{orgId}/directories/{directoryId}';

/** Every operation served, with the spec's paths (under /admin) and operation IDs. */
export const ROUTES: Route[] = [
  { method: 'GET', template: '/v1/orgs', operationId: 'getOrgs', read: true, run: (o) => o.listOrgs() },
  {
    method: 'GET',
    template: '/v2/orgs/{orgId}/directories',
    operationId: 'getDirectoriesForOrg',
    read: true,
    run: (o, c) => o.listDirectories(c),
  },
  {
    method: 'POST',
    template: `${D}/users/search`,
    operationId: 'searchDirectoryUsers',
    read: true,
    run: (o, c) => o.searchUsers(c, false),
  },
  {
    method: 'GET',
    template: `${D}/users`,
    operationId: 'getDirectoryUsers',
    read: true,
    run: (o, c) => o.searchUsers(c, true),
  },
  {
    method: 'GET',
    template: `${D}/users/{accountId}`,
    operationId: 'getDirectoryUserDetails',
    read: true,
    run: (o, c) => o.getUser(c),
  },
  {
    method: 'DELETE',
    template: `${D}/users/{accountId}`,
    operationId: 'removeDirectoryUser',
    read: false,
    run: (o, c) => o.removeUser(c),
  },
  {
    method: 'GET',
    template: `${D}/users/{accountId}/role-assignments`,
    operationId: 'getUserRoleAssignments',
    read: true,
    run: (o, c) => o.userRoleAssignments(c),
  },
  {
    method: 'POST',
    template: `${D}/users/{accountId}/suspend`,
    operationId: 'suspendDirectoryUser',
    read: false,
    run: (o, c) => o.setSuspended(c, true),
  },
  {
    method: 'POST',
    template: `${D}/users/{accountId}/restore`,
    operationId: 'restoreDirectoryUser',
    read: false,
    run: (o, c) => o.setSuspended(c, false),
  },
  {
    method: 'POST',
    template: '/v2/orgs/{orgId}/users/invite',
    operationId: 'inviteUsers',
    read: false,
    run: (o, c) => o.invite(c),
  },
  {
    method: 'POST',
    template: '/v1/orgs/{orgId}/users/{userId}/roles/assign',
    operationId: 'grantUserAccess',
    read: false,
    run: (o, c) => o.userRole(c, true),
  },
  {
    method: 'POST',
    template: '/v1/orgs/{orgId}/users/{userId}/roles/revoke',
    operationId: 'revokeUserAccess',
    read: false,
    run: (o, c) => o.userRole(c, false),
  },
  {
    method: 'POST',
    template: `${D}/groups`,
    operationId: 'createGroup',
    read: false,
    run: (o, c) => o.createGroup(c),
  },
  {
    method: 'GET',
    template: `${D}/groups`,
    operationId: 'getGroups',
    read: true,
    run: (o, c) => o.searchGroups(c, true),
  },
  {
    method: 'POST',
    template: `${D}/groups/search`,
    operationId: 'searchDirectoryGroups',
    read: true,
    run: (o, c) => o.searchGroups(c, false),
  },
  {
    method: 'GET',
    template: `${D}/groups/{groupId}`,
    operationId: 'getGroup',
    read: true,
    run: (o, c) => o.getGroup(c),
  },
  {
    method: 'DELETE',
    template: `${D}/groups/{groupId}`,
    operationId: 'deleteGroup',
    read: false,
    run: (o, c) => o.deleteGroup(c),
  },
  {
    method: 'POST',
    template: `${D}/groups/{groupId}/memberships`,
    operationId: 'addUserToGroup',
    read: false,
    run: (o, c) => o.addMembership(c),
  },
  {
    method: 'DELETE',
    template: `${D}/groups/{groupId}/memberships/{accountId}`,
    operationId: 'removeUserFromGroup',
    read: false,
    run: (o, c) => o.removeMembership(c),
  },
  {
    method: 'GET',
    template: `${D}/groups/{groupId}/role-assignments`,
    operationId: 'getGroupRoleAssignments',
    read: true,
    run: (o, c) => o.groupRoleAssignments(c),
  },
  {
    method: 'POST',
    template: `${D}/groups/{groupId}/role-assignments/assign`,
    operationId: 'grantGroupAccess',
    read: false,
    run: (o, c) => o.groupRole(c, true),
  },
  {
    method: 'POST',
    template: `${D}/groups/{groupId}/role-assignments/revoke`,
    operationId: 'revokeGroupAccess',
    read: false,
    run: (o, c) => o.groupRole(c, false),
  },
  {
    method: 'POST',
    template: '/v2/orgs/{orgId}/workspaces',
    operationId: 'queryWorkspaces',
    read: true,
    run: (o, c) => o.queryWorkspaces(c),
  },
];
