/**
 * The site-admin mode: the Atlassian port on one site's Jira Cloud REST API v3
 * (`https://<site>.atlassian.net/rest/api/3`) with a site admin's e-mail and API token (Basic
 * auth), as miniOrange's cloud app asks for. Requests follow Jira's REST API v3 reference
 * (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-groups/, and the
 * api-group-users and api-group-user-search pages beside it); test/site-mode/contract.test.ts
 * checks each one against its OpenAPI document.
 *
 * What the mode cannot do, and says so with `AtlassianError('unsupported')`:
 * - suspend / restore: Jira has no suspension. The reconcile worker then deactivates by
 *   removing the user's product-access groups (and gives them back on reactivation);
 * - removeFromDirectory: the directory belongs to the organization, not the site;
 * - renameGroup: neither Jira's nor Confluence's group API renames;
 * - grant/revoke a group's product access: Jira Cloud only reads application roles; product
 *   access is given to groups in Atlassian Administration.
 * Accounts are never deleted (DELETE /rest/api/3/user is never called).
 *
 * Like the org adapter, the writes that are not idempotent (create user, create group) look
 * up first and read the state back after an unknown outcome, never resending blindly.
 */
import { AtlassianHttpClient, FetchLike, HttpClientOptions } from './http-client';
import { JiraGroupName, JiraReads, JiraUser, toAccount, toGroup } from './jira-reads';
import {
  AtlassianAccount,
  AtlassianError,
  AtlassianGroup,
  AtlassianPort,
  InvitedAccount,
  InviteOptions,
  GroupRole,
  isKind,
  ProductAccessGroup,
  ProductResource,
  ProductRole,
  sameText,
  CreateGroupOptions,
} from './port';

export interface SiteConnectionConfig {
  /** https://<site>.atlassian.net */
  siteUrl: string;
  /** The site admin's Atlassian account e-mail. */
  email: string;
  /** An Atlassian API token of that account (id.atlassian.com › Security › API tokens). */
  apiToken: string;
}

/** What "Test connection" shows in site mode. */
export interface SiteConnectionCheck {
  siteUrl: string;
  cloudId?: string;
  accountId: string;
  displayName?: string;
  /** Jira products on the site (application roles), e.g. jira-software. */
  products: string[];
  /** What works but will fail later with this credential, and what to do about it. */
  warnings?: string[];
}

/** Why a new user cannot be created with a site admin's token alone, and what to do. */
export function notOrgAdminAdvice(who: string): string {
  return (
    `${who} does not show as an organization admin (not in org-admins): inviting new users will fail, ` +
    "because Jira's POST /rest/api/3/user needs an organization admin. Accounts already in the " +
    "directory are still linked and their groups managed. To invite new users, use an organization admin's " +
    'e-mail and API token here, or switch to the Organizations API mode with an org admin API key.'
  );
}

interface JiraApplicationRole {
  key?: string;
  name?: string;
  groups?: string[];
  groupDetails?: JiraGroupName[];
}

/** The Jira global permissions that make an account an admin the app must never touch. */
const ADMIN_PERMISSIONS = ['ADMINISTER', 'SYSTEM_ADMIN'];

/**
 * The client sends `Authorization: Bearer <apiKey>`; Jira's API tokens go as Basic auth with
 * the account's e-mail. This fetch swaps the header; the token stays the client's `apiKey`,
 * so the client still redacts it from every message (and the Basic value too).
 */
export function basicAuthFetch(fetch: FetchLike, email: string, apiToken: string): FetchLike {
  const basic = `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`;
  return (url, init) => fetch(url, { ...init, headers: { ...init.headers, Authorization: basic } });
}

/** Normalises a site URL to `https://<host>` (a path or trailing slash is dropped). */
export function siteOrigin(siteUrl: string): string {
  let url: URL;
  try {
    url = new URL(siteUrl.includes('://') ? siteUrl : `https://${siteUrl}`);
  } catch {
    throw new AtlassianError('invalid', `${siteUrl} is not a site URL (https://<your-site>.atlassian.net).`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new AtlassianError('invalid', 'The site URL must be an https URL.');
  }
  return url.origin;
}

export class SiteAdminAdapter implements AtlassianPort {
  readonly reads: JiraReads;

  constructor(
    readonly http: AtlassianHttpClient,
    readonly siteUrl: string,
  ) {
    this.reads = new JiraReads(http, 'in-answers');
  }

  /** Requests sent so far (Forge counts them against its egress limit). */
  get requests(): number {
    return this.http.requests;
  }

  /**
   * "Test connection": who the token is (GET /myself: 401 = wrong e-mail or token), that the
   * account is a site admin (ADMINISTER, else every group write is refused), and the
   * products (application roles). Creating a user also needs an organization admin (Jira's
   * reference for POST /rest/api/3/user); Jira has no call that says who is one, so an account
   * outside the org-admins group gets a warning that inviting new users will fail, and why.
   */
  async verify(): Promise<SiteConnectionCheck> {
    const me = (
      await this.http.request<JiraUser>({ method: 'GET', path: '/rest/api/3/myself', idempotent: true })
    ).body;
    if (!me?.accountId)
      throw new AtlassianError('invalid', 'The site did not say who the API token belongs to.');
    if (!(await this.isAdmin(me.accountId))) {
      throw new AtlassianError(
        'forbidden',
        `${me.emailAddress ?? me.displayName ?? me.accountId} is not a site admin of ${this.siteUrl}: ` +
          'groups and users can only be changed by a site admin (Administer Jira).',
      );
    }
    const products = (await this.applicationRoles()).flatMap((r) => (r.key ? [r.key] : []));
    if (products.length === 0) {
      throw new AtlassianError(
        'not-found',
        `${this.siteUrl} has no Jira product: there is nothing to grant access to.`,
      );
    }
    const cloudId = await this.cloudId().catch(() => undefined);
    const who = me.emailAddress ?? me.displayName ?? me.accountId;
    const orgAdmin = (await this.reads.groupsOf(me.accountId)).some((g) => g.name === 'org-admins');
    const warnings = orgAdmin ? [] : [notOrgAdminAdvice(who)];
    return {
      siteUrl: this.siteUrl,
      ...(cloudId ? { cloudId } : {}),
      accountId: me.accountId,
      ...(me.displayName ? { displayName: me.displayName } : {}),
      products,
      ...(warnings.length ? { warnings } : {}),
    };
  }

  /** The site's cloud ID (GET /_edge/tenant_info, outside the REST spec; public on every site). */
  private async cloudId(): Promise<string | undefined> {
    const answer = await this.http.request<{ cloudId?: string }>({
      method: 'GET',
      path: '/_edge/tenant_info',
      idempotent: true,
    });
    return answer.body?.cloudId;
  }

  // ---- accounts ------------------------------------------------------------------------------

  /**
   * Accounts this mode answers never say whether the organization manages them (`managed`
   * stays undefined): Jira's user API has no claim status. The reconcile worker then links an
   * existing account by e-mail only while the identity provider sends the user as active.
   */
  findAccountByEmail(email: string): Promise<AtlassianAccount | undefined> {
    return this.reads.findAccountByEmail(email);
  }

  getAccount(accountId: string): Promise<AtlassianAccount | undefined> {
    return this.reads.getAccount(accountId);
  }

  /**
   * POST /rest/api/3/user `{emailAddress, products}`: the products of the roles asked for
   * (Jira takes product keys, not roles; the reconciler gives access through groups, so
   * usually none). Jira's create has no groups: none is placed, and the caller adds them as
   * members (`placedGroups` empty). Create-or-find: the e-mail is searched first, unless the
   * caller just did (`lookedUp`). Jira answers 400 for an existing account without Jira
   * access: then the account is read back; one the site's search does not show (inactive) is
   * reported, never invited twice.
   */
  async invite(email: string, options: InviteOptions = {}): Promise<InvitedAccount> {
    if (!options.lookedUp) {
      const existing = await this.findAccountByEmail(email);
      if (existing) return { ...existing, placedGroups: [] };
    }
    // Jira's create takes Jira products only (jira-software, jira-servicedesk...).
    const products = [
      ...new Set((options.roles ?? []).flatMap((r) => productOfResource(r.resourceId) ?? [])),
    ].filter((p) => p.startsWith('jira-'));
    return { ...(await this.createUser(email, products)), placedGroups: [] };
  }

  /** `invite` after the caller has just looked the e-mail up (as the app) and found nothing. */
  inviteNew(email: string): Promise<AtlassianAccount> {
    return this.createUser(email, []);
  }

  private async createUser(email: string, products: string[]): Promise<AtlassianAccount> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { body } = await this.http.request<JiraUser>({
          method: 'POST',
          path: '/rest/api/3/user',
          body: { emailAddress: email, products },
          idempotent: false,
        });
        const account = body && toAccount(body, email);
        if (account) return account;
        const found = await this.findAccountByEmail(email);
        if (found) return found;
        throw new AtlassianError(
          'transient',
          `User ${email} was created but cannot be found yet.`,
          201,
          undefined,
          {
            outcomeUnknown: true,
          },
        );
      } catch (error) {
        if (isKind(error, 'forbidden') && error.status === 403) {
          // The token's account may change groups but not create users: not an org admin.
          throw new AtlassianError(
            'forbidden',
            `${email} could not be invited to ${this.siteUrl} (${error.message}). ${notOrgAdminAdvice("The API token's account")}`,
            error.status,
            error.code,
          );
        }
        const unknown = error instanceof AtlassianError && error.outcomeUnknown;
        if (!unknown && !isKind(error, 'invalid')) throw error;
        const found = await this.findAccountByEmail(email);
        if (found) return found;
        if (isKind(error, 'invalid')) {
          throw new AtlassianError(
            'conflict',
            `${email} could not be added to ${this.siteUrl} (${error.message}). An account with this e-mail may ` +
              'exist but be inactive: reactivate it in Atlassian Administration.',
            error.status,
            error.code,
          );
        }
        if (attempt >= 2) throw error;
      }
    }
  }

  suspend(accountId: string): Promise<void> {
    return Promise.reject(
      new AtlassianError(
        'unsupported',
        `Account ${accountId} cannot be suspended with a site-admin API token: Jira has no suspension. ` +
          'In site-admin mode a user is deactivated by removing the groups that give product access.',
      ),
    );
  }

  restore(accountId: string): Promise<void> {
    return Promise.reject(
      new AtlassianError(
        'unsupported',
        `Account ${accountId} cannot be restored with a site-admin API token: Jira has no suspension. ` +
          'In site-admin mode a user is reactivated by giving back the groups that give product access.',
      ),
    );
  }

  /**
   * POST /rest/api/3/permissions/check `{accountId, globalPermissions}` (needs Administer Jira).
   * An account the site does not know (404, or 400 for an unknown accountId) administers nothing here.
   */
  async isAdmin(accountId: string): Promise<boolean> {
    try {
      const { body } = await this.http.request<{ globalPermissions?: string[] }>({
        method: 'POST',
        path: '/rest/api/3/permissions/check',
        body: { accountId, globalPermissions: ADMIN_PERMISSIONS },
        idempotent: true,
      });
      return (body?.globalPermissions ?? []).some((p) => ADMIN_PERMISSIONS.includes(p));
    } catch (error) {
      if (isKind(error, 'not-found', 'invalid')) return false;
      throw error;
    }
  }

  removeFromDirectory(accountId: string): Promise<void> {
    return Promise.reject(
      new AtlassianError(
        'unsupported',
        `Account ${accountId} cannot be removed from the organization's directory with a site-admin API token: ` +
          'that needs an organization admin API key (Organizations API mode).',
      ),
    );
  }

  /** GET /rest/api/3/applicationrole: each Jira product's groups (groupDetails carry the IDs). */
  async productAccessGroups(): Promise<ProductAccessGroup[]> {
    const byId = new Map<string, ProductAccessGroup>();
    for (const role of await this.applicationRoles()) {
      if (!role.key) continue;
      const details = role.groupDetails ?? [];
      const named = (role.groups ?? []).filter((name) => !details.some((d) => sameText(d.name, name)));
      const groups = details.map(toGroup).filter((g): g is AtlassianGroup => g !== undefined);
      for (const name of named) {
        const group = await this.findGroupByName(name);
        if (group) groups.push(group);
      }
      for (const group of groups) {
        const entry = byId.get(group.id) ?? { group, products: [] };
        if (!entry.products.includes(role.key)) entry.products.push(role.key);
        byId.set(group.id, entry);
      }
    }
    return [...byId.values()];
  }

  /**
   * The roles a group holds on the site, in the port's terms (for the privilege check,
   * src/sync/privilege.ts): atlassian/user on each Jira product whose application role lists
   * it, and atlassian/site-admin or atlassian/admin when GET /rest/api/3/group/bulk with
   * `groupId` and `accessType` (Jira v3 spec: 'site-admin', 'admin', 'user') returns it.
   */
  async groupRoles(groupId: string): Promise<GroupRole[]> {
    const roles: GroupRole[] = [];
    for (const role of await this.applicationRoles()) {
      if (role.key && (role.groupDetails ?? []).some((g) => g.groupId === groupId)) {
        roles.push({ role: 'atlassian/user', product: role.key });
      }
    }
    for (const [accessType, role] of [
      ['site-admin', 'atlassian/site-admin'],
      ['admin', 'atlassian/admin'],
    ] as const) {
      const { body } = await this.http.request<{ values?: JiraGroupName[] }>({
        method: 'GET',
        path: '/rest/api/3/group/bulk',
        query: { groupId, accessType },
        idempotent: true,
      });
      if ((body?.values ?? []).some((g) => g.groupId === groupId)) roles.push({ role });
    }
    return roles;
  }

  private async applicationRoles(): Promise<JiraApplicationRole[]> {
    const { body } = await this.http.request<JiraApplicationRole[]>({
      method: 'GET',
      path: '/rest/api/3/applicationrole',
      idempotent: true,
    });
    return Array.isArray(body) ? body : [];
  }

  /**
   * The Jira products the account can still use, however granted: through a group or a role
   * given to the user directly in Atlassian Administration, which no group removal takes away
   * (issue 13, case 9). GET /rest/api/3/user?accountId=…&expand=applicationRoles (the Jira v3
   * spec's `applicationRoles` list of the user, a SimpleListWrapper {size, items}). Undefined
   * when the answer does not carry the whole list (no items, or fewer than its size: Jira
   * answers the size alone when the expand is not honoured), so the caller cannot mistake
   * "not said" for "none left".
   */
  async remainingAccess(accountId: string): Promise<string[] | undefined> {
    const { body } = await this.http.request<{
      applicationRoles?: { size?: number; items?: { key?: string }[] };
    }>({
      method: 'GET',
      path: '/rest/api/3/user',
      query: { accountId, expand: 'applicationRoles' },
      idempotent: true,
    });
    const items = body?.applicationRoles?.items;
    const size = body?.applicationRoles?.size;
    if (!Array.isArray(items) || (typeof size === 'number' && items.length < size)) return undefined;
    return items.flatMap((role) => (role.key ? [role.key] : []));
  }

  groupsOf(accountId: string): Promise<AtlassianGroup[]> {
    return this.reads.groupsOf(accountId);
  }

  // ---- groups --------------------------------------------------------------------------------

  findGroupByName(name: string): Promise<AtlassianGroup | undefined> {
    return this.reads.findGroupByName(name);
  }

  getGroup(groupId: string): Promise<AtlassianGroup | undefined> {
    return this.reads.getGroup(groupId);
  }

  /**
   * POST /rest/api/3/group `{name}` (Jira groups have no description). Create-or-find: the
   * name is looked up first; a 400 (name in use) or an unknown outcome is read back by name.
   */
  async createGroup(
    name: string,
    _description?: string,
    options: CreateGroupOptions = {},
  ): Promise<AtlassianGroup> {
    if (!options.lookedUp) {
      // Jira's create answers the group, so looking first costs no more than Atlassian's 409.
      const existing = await this.findGroupByName(name);
      if (existing && options.takenIsConflict) {
        throw new AtlassianError('conflict', `A group named ${name} already exists.`, 409);
      }
      if (existing) return existing;
    }
    return this.createNewGroup(name);
  }

  /** `createGroup` after the caller has just looked the name up (as the app) and found nothing. */
  async createNewGroup(name: string): Promise<AtlassianGroup> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { body } = await this.http.request<JiraGroupName>({
          method: 'POST',
          path: '/rest/api/3/group',
          body: { name },
          idempotent: false,
        });
        const group = (body && toGroup(body)) ?? (await this.findGroupByName(name));
        if (group) return group;
        throw new AtlassianError(
          'transient',
          `Group ${name} was created but cannot be found yet.`,
          201,
          undefined,
          {
            outcomeUnknown: true,
          },
        );
      } catch (error) {
        const unknown = error instanceof AtlassianError && error.outcomeUnknown;
        if (!unknown && !isKind(error, 'invalid', 'conflict')) throw error;
        const found = await this.findGroupByName(name);
        if (found) return found;
        if (!unknown || attempt >= 2) throw error;
      }
    }
  }

  renameGroup(groupId: string, name: string): Promise<void> {
    return Promise.reject(
      new AtlassianError(
        'unsupported',
        `Group ${groupId} cannot be renamed to "${name}" in site-admin mode: Jira's and Confluence's group APIs ` +
          'offer no rename. Rename it in Atlassian Administration; the app finds it by its id.',
      ),
    );
  }

  /** DELETE /rest/api/3/group?groupId= (no swap group); a group already gone is success. */
  async deleteGroup(groupId: string): Promise<void> {
    try {
      await this.http.request({
        method: 'DELETE',
        path: '/rest/api/3/group',
        query: { groupId },
        idempotent: true,
      });
    } catch (error) {
      if (isKind(error, 'not-found')) return;
      throw error;
    }
  }

  // ---- memberships ---------------------------------------------------------------------------

  isMember(groupId: string, accountId: string): Promise<boolean> {
    return this.reads.isMember(groupId, accountId);
  }

  listMembers(groupId: string, cursor?: string): Promise<{ accountIds: string[]; cursor?: string }> {
    return this.reads.listMembers(groupId, cursor);
  }

  /**
   * POST /rest/api/3/group/user?groupId= `{accountId}`: 201. Jira answers 400 when the user
   * is already a member: success once the user's groups say so.
   */
  async addMember(groupId: string, accountId: string): Promise<void> {
    try {
      await this.http.request({
        method: 'POST',
        path: '/rest/api/3/group/user',
        query: { groupId },
        body: { accountId },
        idempotent: true,
      });
    } catch (error) {
      if (isKind(error, 'invalid', 'conflict') && (await this.isMember(groupId, accountId))) return;
      throw error;
    }
  }

  /** DELETE /rest/api/3/group/user?groupId=&accountId=: "not a member" is success once read back. */
  async removeMember(groupId: string, accountId: string): Promise<void> {
    try {
      await this.http.request({
        method: 'DELETE',
        path: '/rest/api/3/group/user',
        query: { groupId, accountId },
        idempotent: true,
      });
    } catch (error) {
      if (!isKind(error, 'not-found', 'invalid', 'conflict')) throw error;
      if (await this.isMember(groupId, accountId)) throw error;
    }
  }

  // ---- product access ------------------------------------------------------------------------

  /** The site's Jira products (application roles) as product ARIs on its cloud ID. */
  async listProducts(): Promise<ProductResource[]> {
    const [roles, cloudId] = await Promise.all([this.applicationRoles(), this.cloudId()]);
    if (!cloudId) return [];
    return roles.flatMap((role) =>
      role.key
        ? [
            {
              id: `ari:cloud:${role.key}::site/${cloudId}`,
              product: role.key,
              ...(role.name ? { name: role.name } : {}),
              hostUrl: this.siteUrl,
            },
          ]
        : [],
    );
  }

  grantGroupAccess(groupId: string, resourceId: string, role: ProductRole): Promise<void> {
    return Promise.reject(this.noProductAccessWrites(groupId, resourceId, role));
  }

  revokeGroupAccess(groupId: string, resourceId: string, role: ProductRole): Promise<void> {
    return Promise.reject(this.noProductAccessWrites(groupId, resourceId, role));
  }

  private noProductAccessWrites(groupId: string, resourceId: string, role: ProductRole): AtlassianError {
    return new AtlassianError(
      'unsupported',
      `${role} on ${resourceId} cannot be changed for group ${groupId} in site-admin mode: Jira Cloud's API only ` +
        'reads product access (application roles). Give the group product access in Atlassian Administration.',
    );
  }
}

/** The site adapter over the one HTTP client, Basic auth with the admin's e-mail and API token. */
export function createSiteAdminAdapter(
  config: SiteConnectionConfig,
  client: Omit<HttpClientOptions, 'baseUrl' | 'apiKey'>,
): SiteAdminAdapter {
  if (!config.email || !config.apiToken) {
    throw new AtlassianError('invalid', 'The site-admin mode needs the admin e-mail and an API token.');
  }
  const siteUrl = siteOrigin(config.siteUrl);
  const http = new AtlassianHttpClient({
    ...client,
    fetch: basicAuthFetch(client.fetch, config.email, config.apiToken),
    baseUrl: siteUrl,
    apiKey: config.apiToken,
  });
  return new SiteAdminAdapter(http, siteUrl);
}

/** The product key of a workspace ARI (`ari:cloud:jira-software::site/<id>` → jira-software). */
function productOfResource(resourceId: string): string | undefined {
  return /^ari:cloud:([^:]+)::/.exec(resourceId)?.[1];
}
