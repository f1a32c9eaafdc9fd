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
 * This class is what happens around every request (latency, the rate limit, faults, the call
 * record, authentication, routing, the commit before the answer); the rest has a module each:
 * routes.ts is the table of operations, a table of contents of the API, whose handlers live by
 * resource (directories.ts, users.ts, groups.ts, roles.ts, invite.ts, workspaces.ts) and work
 * on the state (state.ts: the store and its indexes; seed.ts: what a new organization holds),
 * reading requests with request.ts, paging with paging.ts and refusing with errors.ts. The
 * Jira site API (site-api.ts) and the User management API (user-management.ts) share the state.
 *
 * Errors use Atlassian's common envelope everywhere (also for 401 and 429, which the real
 * gateway may answer as `{code, message}`):
 *   {"errors":[{"id":"<uuid>","status":"404","code":"ADMIN-404-10","title":"Not Found","detail":"Group not found."}]}
 * with codes from the catalogues the spec lists (ADMIN-* for directory, user and group
 * operations, ADMIN-UAM-* for invite, per-user roles, 401, 402 and 415).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { seededRandom } from '../seeded-random';
import { errorResponse, refuse, Refusal } from './errors';
import { FaultKind, FaultPlan, RateLimiter } from './faults';
import type { EmbeddedOrgOptions } from './options';
import { Context, headerOf, Json, parseBody } from './request';
import { PLATFORM_ROLES } from './roles';
import { matchTemplate, Route, ROUTES } from './routes';
import { seed, SEED_ACCOUNTS } from './seed';
import { handleSiteRequest, SITE_PREFIX, SiteState } from './site-api';
import { OrganizationState } from './state';
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

export interface CallRecord {
  method: string;
  path: string;
  status: number;
  fault?: FaultKind | 'rate-limit';
  /** Jira site calls (/site/...): who called, the app or a user by product fetch, or Basic auth. */
  as?: 'app' | 'user' | 'basic';
  /** The request's body as sent, if it had one (what a search asked for, for tests). */
  body?: string;
}

export class EmbeddedOrganization {
  readonly faults: FaultPlan;
  latencyMs: number;
  timeoutHoldMs: number;
  /** The last 10,000 calls, newest last (what the app really sent, for tests). */
  readonly calls: CallRecord[] = [];
  private rateLimiter?: RateLimiter;
  /** The store, its indexes, and the settings and draws the operations (routes.ts) read. */
  private readonly state: OrganizationState;
  /** The User management API's draws (EmbeddedOrgOptions.profileSeed). */
  private readonly userManagementRandom: () => number;

  constructor(private readonly options: EmbeddedOrgOptions = {}) {
    this.state = new OrganizationState(options);
    this.userManagementRandom = seededRandom(options.profileSeed ?? Math.floor(Math.random() * 2 ** 32));
    this.latencyMs = options.latencyMs ?? 0;
    this.timeoutHoldMs = options.timeoutHoldMs ?? 30_000;
    this.faults = new FaultPlan(options.faults);
    this.setRateLimit(options.rateLimit);
    if (!this.state.store.get('meta', 'meta')) seed(this.state);
    const meta = this.meta;
    if (options.apiKey && options.apiKey !== meta.apiKey) {
      this.state.store.put('meta', 'meta', { ...meta, apiKey: options.apiKey });
      this.state.store.commit();
    }
    this.state.reindex();
  }

  /** Whether the organization has a paid subscription (invite answers 402 when not). */
  get paid(): boolean {
    return this.state.paid;
  }

  set paid(paid: boolean) {
    this.state.paid = paid;
  }

  get meta(): OrgMeta {
    return this.state.meta;
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
    this.state.store.put('meta', 'meta', { ...meta, siteApiToken: token });
    this.state.store.commit();
    return token;
  }

  /** Requests per second before 429; undefined removes the limit. */
  setRateLimit(perSecond: number | undefined): void {
    this.rateLimiter = perSecond && perSecond > 0 ? new RateLimiter(perSecond, this.state.now) : undefined;
  }

  /** Folds the journal into the snapshot and releases the files. */
  close(): void {
    this.state.store.close();
  }

  // ---- inspection helpers (tests and the local runner; not part of the API) -------------------

  findUserByEmail(email: string): UserRecord | undefined {
    return this.state.findUserByEmail(email);
  }

  findGroupByName(name: string): GroupRecord | undefined {
    return this.state.findGroupByName(name);
  }

  membersOf(groupId: string): string[] {
    return this.state.membersOf(groupId);
  }

  groupRoles(groupId: string): RoleGrant[] {
    return this.state.groupRoles(groupId);
  }

  userRoles(accountId: string): RoleGrant[] {
    return this.state.userRoles(accountId);
  }

  // ---- the API ---------------------------------------------------------------------------------

  async handle(request: OrgRequest): Promise<OrgResponse> {
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const limited = this.rateLimiter?.take();
    const rateHeaders: Record<string, string> = limited
      ? {
          'x-ratelimit-limit': String(this.rateLimiter?.limit),
          'x-ratelimit-remaining': String(limited.remaining),
          'x-ratelimit-reset': new Date(this.state.now() + limited.resetMs).toISOString(),
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
          'x-ratelimit-reset': new Date(this.state.now() + wait * 1000).toISOString(),
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
   * -Remaining and -Reset (ISO 8601; Organizations REST API, Rate limiting), and `Retry-After` is not
   * promised, so a client must be able to wait until X-RateLimit-Reset alone. Drawn per
   * answer unless EmbeddedOrgOptions.retryAfterOn429 fixes it. Jira's site API documents
   * Retry-After on its 429s (Jira REST API, Rate limiting): always sent there.
   */
  private retryAfter(request: OrgRequest, seconds: number): Record<string, string> {
    const site = new URL(request.path, 'http://embedded.invalid').pathname.startsWith(`${SITE_PREFIX}/`);
    const send = site || (this.options.retryAfterOn429 ?? this.state.answerRandom() < 0.5);
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
      ...(request.body ? { body: request.body } : {}),
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
      return route.run(this.state, ctx);
    } catch (error) {
      if (error instanceof Refusal) return error.response;
      return errorResponse(500, 'ADMIN-500-1', `Internal error: ${String(error)}`);
    } finally {
      // Durable before the answer. Operations validate before they change anything, so a
      // refusal normally has nothing to write; whatever it has, memory and disk stay equal.
      this.state.store.commit();
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

  /** What the User management API (user-management.ts) reads and changes. */
  private userManagementState(): UserManagementState {
    return {
      apiKey: this.meta.apiKey,
      user: (accountId) => this.state.store.get('users', accountId),
      userByEmail: (email) => this.findUserByEmail(email),
      verified: (domain) => this.state.verifiedDomains.has(domain),
      putUser: (user, previousEmail) => {
        if (previousEmail) this.state.byEmail.delete(previousEmail.toLowerCase());
        this.state.putUser(user);
      },
      lockRate: this.options.profileLockRate ?? 0.1,
      random: this.userManagementRandom,
    };
  }

  /** The same state, as the Jira site API (site-api.ts) reads and changes it. */
  private siteState(): SiteState {
    const isAdmin = (accountId: string): boolean => {
      const user = this.state.store.get('users', accountId);
      if (!user || user.membership === 'none') return false;
      if (user.platformRoles.some((r) => PLATFORM_ROLES.has(r))) return true;
      return [...(this.state.userGroups.get(accountId) ?? [])].some(
        (g) => this.state.store.get('groups', g)?.protected,
      );
    };
    return {
      meta: this.meta,
      tokenOf: (email) =>
        email.toLowerCase() === SEED_ACCOUNTS.admin
          ? this.siteApiToken
          : this.siteTokens.get(email.toLowerCase()),
      user: (accountId) => this.state.store.get('users', accountId),
      userByEmail: (email) => this.findUserByEmail(email),
      users: () => this.state.store.state.users.values(),
      addAccount: (email, displayName) => {
        const known = this.findUserByEmail(email);
        const user = known
          ? { ...known, membership: 'active' as const, managementSource: 'invited' as const }
          : this.state.newUser(email, displayName ?? email.split('@')[0]);
        this.state.putUser(user);
        return user;
      },
      group: (groupId) => this.state.store.get('groups', groupId),
      groupByName: (name) => this.findGroupByName(name),
      groups: () => this.state.store.state.groups.values(),
      createGroup: (name) => this.state.createGroupRecord(name, '', false),
      deleteGroup: (groupId) => {
        const group = this.state.store.get('groups', groupId);
        if (group) this.state.dropGroup(group);
      },
      members: (groupId) => this.membersOf(groupId),
      groupsOf: (accountId) => [...(this.state.userGroups.get(accountId) ?? [])],
      addMember: (groupId, accountId) => this.state.addMember(groupId, accountId),
      removeMember: (groupId, accountId) => this.state.removeMember(groupId, accountId),
      groupRoles: (groupId) => this.groupRoles(groupId),
      userRoles: (accountId) => this.userRoles(accountId),
      isAdmin,
    };
  }
}
