/**
 * The Atlassian port on the Organizations REST API (`https://api.atlassian.com/admin`) with an
 * organization admin API key. Every call follows Atlassian's reference pages, named below by
 * their group: https://developer.atlassian.com/cloud/admin/organization/rest/api-group-users/,
 * …/api-group-groups/ and …/api-group-workspaces/ (test/atlassian/ checks each request against
 * the contract; what they leave UNCONFIRMED is in README.md "The Organizations API adapter").
 *
 * What is safe to send twice is sent through the client's retries; what is not (invite,
 * create group) is never resent blindly: both look the e-mail / group name up first (so a
 * call repeated after an unknown outcome finds what the first one made), and after a timeout
 * or 5xx they read the state back before sending once more.
 */
import { AtlassianHttpClient, encodePath, HttpClientOptions } from './http-client';
import {
  AccountStatus,
  AtlassianAccount,
  AtlassianError,
  AtlassianGroup,
  AtlassianPort,
  GroupRole,
  InvitedAccount,
  InviteOptions,
  isKind,
  ProductAccessGroup,
  ProductResource,
  ProductRole,
  sameText,
  CreateGroupOptions,
  AccountPage,
  DirectoryPages,
} from './port';
import type { ProfileChanges, ProfileControls } from './profile';
import { UserManagementClient, userManagementBase } from './user-management';
// What an admin role is (org, site, product and user-access admins) is defined once, there.
import { ADMIN_ROLES, isAdminRole } from './admin-roles';

export const DEFAULT_ADMIN_BASE_URL = 'https://api.atlassian.com/admin';

export interface OrgAdapterOptions {
  http: AtlassianHttpClient;
  orgId: string;
  /** Discovered with GET /v2/orgs/{orgId}/directories (and cached) when absent. */
  directoryId?: string;
  /** The http client's base URL: a next-page link without a cursor is followed only under it. */
  baseUrl?: string;
}

export interface OrgDirectory {
  directoryId: string;
  name?: string;
}

export interface OrgSummary {
  id: string;
  name?: string;
}

/** What "Test connection" shows. */
export interface OrgConnectionCheck {
  orgId: string;
  orgName?: string;
  directoryId: string;
  directoryName?: string;
}

// ---- wire shapes (only the fields read; everything optional because nothing is promised) ----

interface Links {
  next?: string | null;
}
interface Page<T> {
  data?: T[];
  links?: Links;
}
interface WireUser {
  accountId?: string;
  email?: string;
  name?: string;
  status?: string;
  accountStatus?: string;
  membershipStatus?: string;
  /** `managed` or `unmanaged` (spec ClaimStatus, in search answers and a user's details). */
  claimStatus?: string;
  /** With `expand: ['groups']` (spec DirectoryUser.groups). */
  groups?: WireGroup[];
  /** With `expand: ['platformRoles']` (spec DirectoryUser.platformRoles). */
  platformRoles?: string[];
}
interface WireGroup {
  id?: string;
  name?: string;
  description?: string;
  managementAccess?: { modifiable?: boolean; deletable?: boolean };
}
interface WireWorkspace {
  id?: string;
  type?: string;
  attributes?: { name?: string; typeKey?: string; type?: string; hostUrl?: string | null };
}
interface WireInviteResult {
  id?: string;
  email?: string;
  results?: Array<{
    roleAssignmentResult?: Array<{
      resource?: string;
      role?: string;
      status?: string;
      statusReason?: string | null;
    }>;
    groupAssignmentResult?: Array<{ group?: string; status?: string; statusReason?: string | null }>;
  }>;
}
interface WireRoleAssignment {
  resourceId?: string;
  /** The product owning the resource (jira-software, confluence...), spec GroupRoleAssignment. */
  resourceOwner?: string;
  roles?: string[];
  /** Spec UserRoleAssignment: `roles` is deprecated there in favour of this. */
  roleAssignments?: Array<{ role?: string }>;
}

/** Pages followed at most, so a cursor that never ends cannot eat the invocation. */
const MAX_PAGES = 50;
/** Members per page of listMembers (the search's default is 50; clients send 100). */
const MEMBER_PAGE = 100;
/**
 * Accounts or groups asked for per page of a whole-directory read (DirectoryPages). The
 * maximum `limit` is UNCONFIRMED (independent clients send 100); a page may hold fewer, and
 * only `links.next` says whether more follow.
 */
const DIRECTORY_PAGE = 100;
/**
 * E-mails or account ids per batched users search, and its page size: the search's `limit`
 * maximum is UNCONFIRMED (default 50, spec UserSearchRequest; independent clients send 100),
 * and a page short of the answer is followed with `links.next`.
 */
export const SEARCH_BATCH = 100;
const STATUSES: readonly AccountStatus[] = [
  'active',
  'suspended',
  'not_invited',
  'deactivated',
  'for_deletion',
];

/** Every product role but user-access-admin, which grants no use of the product (spec RoleId). */
const grantsProductUse = (role: string) => role !== 'atlassian/user-access-admin';

/**
 * `links.next` is an opaque cursor on the v2 user/group/directory calls; the workspaces call
 * documents it as a URL (spec WorkspacePageLinks, UNVERIFIED how to follow it), as does v1.
 * A URL carrying a `cursor` parameter gives that parameter; a bare token is the cursor; a URL
 * without one gives none (see nextPageOf, which follows such a URL).
 */
export function cursorOf(next: string | null | undefined): string | undefined {
  if (!next) return undefined;
  if (/^https?:\/\//i.test(next) || next.startsWith('/')) {
    const cursor = new URL(next, 'https://api.atlassian.com').searchParams.get('cursor');
    return cursor ?? undefined;
  }
  return next;
}

/** How to ask for the next page: with a cursor, or at a path under the API base. */
export type NextPage = { cursor: string } | { path: string; query: Record<string, string> };

/**
 * The next page `links.next` names (undefined: the last page). A bare token, or a URL's
 * `cursor` parameter, is a cursor. A URL without one is followed itself when it lies under
 * `baseUrl` (same host and base path); anywhere else it is an error, never a silent end of
 * paging (the workspaces call types links.next as a URL, UNVERIFIED which form it takes).
 */
export function nextPageOf(next: string | null | undefined, baseUrl: string): NextPage | undefined {
  if (!next) return undefined;
  if (!/^https?:\/\//i.test(next) && !next.startsWith('/')) return { cursor: next };
  const base = new URL(baseUrl.replace(/\/+$/, ''));
  let url: URL;
  try {
    url = new URL(next, base.origin);
  } catch {
    throw new AtlassianError('invalid', 'Atlassian answered a next-page link that is not a URL.');
  }
  const cursor = url.searchParams.get('cursor');
  if (cursor) return { cursor };
  const basePath = base.pathname.replace(/\/+$/, '');
  if (url.origin !== base.origin || !url.pathname.startsWith(`${basePath}/`)) {
    throw new AtlassianError(
      'invalid',
      `Atlassian answered a next-page link outside ${base.origin}${basePath}, so the listing cannot be read to its end.`,
    );
  }
  return { path: url.pathname.slice(basePath.length), query: Object.fromEntries(url.searchParams) };
}

/**
 * "You cannot add if the add would exceed an app's user limit" (Groups, add user to group): the
 * error catalogue's codes for it, UNCONFIRMED which one the service answers.
 */
const USER_LIMIT_CODES = new Set(['ADMIN-409-3', 'ADMIN-UAM-409-3']);

function isUserLimit(error: unknown): error is AtlassianError {
  return isKind(error, 'conflict') && error.code !== undefined && USER_LIMIT_CODES.has(error.code);
}

/** A user-limit refusal as `user-limit`, with what the admin can do; anything else as it is. */
function userLimitError(error: unknown, what: string): unknown {
  if (!isUserLimit(error)) return error;
  return new AtlassianError(
    'user-limit',
    `${what} was refused: a product's user limit is reached (${error.message}). Fix: raise the product's user tier ` +
      'in Atlassian Administration (Billing), or free seats by removing product access from users who no longer ' +
      'need it; then Retry.',
    error.status,
    error.code,
  );
}

/** The assignable product roles (spec AssignableRoleId) but user-access-admin. */
const PRODUCT_ROLES = [
  'atlassian/user',
  'atlassian/admin',
  'atlassian/guest',
  'atlassian/contributor',
  'atlassian/customer',
  'atlassian/basic',
  'atlassian/stakeholder',
  'atlassian/viewer',
];

function rolesOf(assignment: WireRoleAssignment): string[] {
  const roles = (assignment.roleAssignments ?? []).flatMap((r) => (r.role ? [r.role] : []));
  return roles.length > 0 ? roles : (assignment.roles ?? []);
}

/** `ari:cloud:jira-software::site/<cloudId>` → `jira-software` (Workspaces). */
function productOfAri(ari: string | undefined): string | undefined {
  return /^ari:cloud:([^:]+)::/.exec(ari ?? '')?.[1];
}

function toStatus(user: WireUser): AccountStatus {
  if (user.status && (STATUSES as readonly string[]).includes(user.status))
    return user.status as AccountStatus;
  // `status` is the composite of these two (spec UserStatus); derive it when it is missing.
  if (user.accountStatus === 'inactive' || user.accountStatus === 'closed') return 'deactivated';
  if (user.membershipStatus === 'suspended') return 'suspended';
  if (user.membershipStatus === 'no_membership') return 'not_invited';
  return 'active';
}

function toAccount(user: WireUser, fallbackEmail = ''): AtlassianAccount | undefined {
  if (!user.accountId) return undefined;
  return {
    accountId: user.accountId,
    email: user.email ?? fallbackEmail,
    ...(user.name ? { name: user.name } : {}),
    status: toStatus(user),
    // Only the two values the spec names: anything else leaves `managed` unknown, so a new
    // value can never make an account linkable (Users, spec ClaimStatus).
    ...(user.claimStatus === 'managed' || user.claimStatus === 'unmanaged'
      ? { managed: user.claimStatus === 'managed' }
      : {}),
  };
}

function toGroup(group: WireGroup): AtlassianGroup | undefined {
  if (!group.id || group.name === undefined) return undefined;
  return {
    id: group.id,
    name: group.name,
    ...(group.description ? { description: group.description } : {}),
    ...(group.managementAccess?.modifiable !== undefined
      ? { modifiable: group.managementAccess.modifiable }
      : {}),
    ...(group.managementAccess?.deletable !== undefined
      ? { deletable: group.managementAccess.deletable }
      : {}),
  };
}

export class OrgAdminAdapter implements AtlassianPort {
  readonly http: AtlassianHttpClient;
  readonly orgId: string;
  private readonly baseUrl: string;
  private directory: Promise<string> | undefined;
  /** The last directory list read, so verify() names the directory without asking again. */
  private knownDirectories: OrgDirectory[] | undefined;

  constructor(options: OrgAdapterOptions) {
    if (!options.orgId) throw new AtlassianError('invalid', 'No Atlassian organization ID is configured.');
    this.http = options.http;
    this.orgId = options.orgId;
    this.baseUrl = options.baseUrl ?? DEFAULT_ADMIN_BASE_URL;
    if (options.directoryId) this.directory = Promise.resolve(options.directoryId);
  }

  /** Requests sent so far (Forge counts them against its egress limit). */
  get requests(): number {
    return this.http.requests;
  }

  // ---- organization and directories -------------------------------------------------------

  /** GET /v1/orgs: the organizations this key administers (v1 2022 spec, still current). */
  async listOrganizations(): Promise<OrgSummary[]> {
    const orgs: OrgSummary[] = [];
    for await (const data of this.getPages<{ id?: string; attributes?: { name?: string } }>('/v1/orgs')) {
      for (const org of data) {
        if (org.id) orgs.push({ id: org.id, ...(org.attributes?.name ? { name: org.attributes.name } : {}) });
      }
    }
    return orgs;
  }

  async listDirectories(): Promise<OrgDirectory[]> {
    const directories: OrgDirectory[] = [];
    const path = encodePath`/v2/orgs/${this.orgId}/directories`;
    for await (const data of this.getPages<{ directoryId?: string; name?: string }>(path)) {
      for (const d of data) {
        if (d.directoryId)
          directories.push({ directoryId: d.directoryId, ...(d.name ? { name: d.name } : {}) });
      }
    }
    this.knownDirectories = directories;
    return directories;
  }

  /**
   * The directory every user and group call addresses. Centralized orgs have one; an org on
   * the original experience may have several (Atlassian's article "New Organization APIs"),
   * and then the admin must pick: `-` ("every directory") is documented for reads only, so it
   * is never used for writes.
   */
  directoryId(): Promise<string> {
    this.directory ??= this.listDirectories().then((directories) => {
      if (directories.length === 1) return directories[0].directoryId;
      if (directories.length === 0) {
        throw new AtlassianError(
          'not-found',
          `Organization ${this.orgId} has no directory this API key can manage.`,
        );
      }
      const names = directories.map((d) => `${d.name ?? '?'} (${d.directoryId})`).join(', ');
      throw new AtlassianError(
        'invalid',
        `Organization ${this.orgId} has ${directories.length} directories: ${names}. Choose one as the directory ID.`,
      );
    });
    this.directory.catch(() => (this.directory = undefined));
    return this.directory;
  }

  /** "Test connection": the key administers the org, and the directory is known. */
  async verify(): Promise<OrgConnectionCheck> {
    const orgs = await this.listOrganizations();
    const org = orgs.find((o) => o.id === this.orgId);
    if (!org) {
      throw new AtlassianError(
        'forbidden',
        `This API key does not administer organization ${this.orgId} (it administers ${orgs.length === 0 ? 'none' : orgs.map((o) => o.id).join(', ')}).`,
      );
    }
    const directoryId = await this.directoryId();
    const directories = this.knownDirectories ?? (await this.listDirectories().catch(() => []));
    const name = directories.find((d) => d.directoryId === directoryId)?.name;
    return {
      orgId: org.id,
      ...(org.name ? { orgName: org.name } : {}),
      directoryId,
      ...(name ? { directoryName: name } : {}),
    };
  }

  private async dirPath(suffix: string): Promise<string> {
    const directoryId = await this.directoryId();
    return encodePath`/v2/orgs/${this.orgId}/directories/${directoryId}` + suffix;
  }

  /** DELETE on the directory, sent through retries; a 404 (already gone) is success. */
  private async deleteFromDirectory(suffix: string): Promise<void> {
    try {
      await this.http.request({ method: 'DELETE', path: await this.dirPath(suffix), idempotent: true });
    } catch (error) {
      if (isKind(error, 'not-found')) return;
      throw error;
    }
  }

  // ---- users -------------------------------------------------------------------------------

  /** Users: exact e-mail search `{"emails":[e]}`, never with `searchTerm` (400 together). */
  async findAccountByEmail(email: string): Promise<AtlassianAccount | undefined> {
    const users = await this.searchUsers({ emails: [email] }, (user) => sameText(user.email, email));
    const match = users.find((user) => sameText(user.email, email));
    return match && toAccount(match, email);
  }

  /**
   * Users: `{"emails":[...], "limit": 100}` per ≤ SEARCH_BATCH e-mails (exact match, spec
   * UserSearchRequest.emails), every page of each (`links.next`). Only exact matches count,
   * case-insensitively, as findAccountByEmail.
   */
  async findAccountsByEmail(emails: string[]): Promise<AtlassianAccount[]> {
    const wanted = new Map(emails.map((e) => [e.toLowerCase(), e]));
    const found = await this.searchInBatches('emails', [...wanted.values()]);
    return found.flatMap((user) => {
      const email = user.email?.toLowerCase();
      const account = email !== undefined && wanted.has(email) ? toAccount(user) : undefined;
      return account ? [account] : [];
    });
  }

  /** Users: `{"accountIds":[...], "limit": 100}` per ≤ SEARCH_BATCH ids, every page of each. */
  async getAccounts(accountIds: string[]): Promise<AtlassianAccount[]> {
    const wanted = new Set(accountIds);
    const found = await this.searchInBatches('accountIds', [...wanted]);
    return found.flatMap((user) => {
      const account = user.accountId && wanted.has(user.accountId) ? toAccount(user) : undefined;
      return account ? [account] : [];
    });
  }

  /** One search per SEARCH_BATCH values of the filter, each followed to its last page. */
  private async searchInBatches(filter: 'emails' | 'accountIds', values: string[]): Promise<WireUser[]> {
    const path = await this.dirPath('/users/search');
    const users: WireUser[] = [];
    for (let i = 0; i < values.length; i += SEARCH_BATCH) {
      const body = { [filter]: values.slice(i, i + SEARCH_BATCH), limit: SEARCH_BATCH };
      for await (const data of this.searchPages<WireUser>(path, body)) users.push(...data);
    }
    return users;
  }

  async getAccount(accountId: string): Promise<AtlassianAccount | undefined> {
    try {
      const { body } = await this.http.request<{ data?: WireUser } & WireUser>({
        method: 'GET',
        path: await this.dirPath(encodePath`/users/${accountId}`),
        idempotent: true,
      });
      return toAccount(body?.data ?? body ?? {});
    } catch (error) {
      if (isKind(error, 'not-found')) return undefined;
      throw error;
    }
  }

  /**
   * Invite: one e-mail per call (the maximum per call is UNCONFIRMED), with what places the
   * user: `additionalGroups` (the groups it joins) and `permissionRules` (product roles), since
   * invited people are "added to directories based on apps in your invitation" and an invite
   * with neither may place no one. `sendNotification: false` (the identity provider owns the
   * onboarding). The name is not sent: the invite API has no such field.
   *
   * Create-or-find: an account with this e-mail already in the directory is returned without
   * inviting, unless the caller looked the e-mail up just now (`lookedUp`: one search per new
   * user). An account the search reports `not_invited` (an Atlassian account with no
   * membership in the directory, spec UserStatus) is invited: that is how it joins.
   *
   * The answer carries no status, so the account is read back: not in the directory (404)
   * comes back `not_invited`, and the caller must not add memberships (404 "User not found").
   * Not read back when the e-mail had no account before and the invite placed it in a group
   * (status INVITED for an `additionalGroups` entry): a group member is in the directory, and
   * a new account is active, so the read would only confirm it (one request per new user).
   * Groups and roles the invite refused (status ERROR) come back one by one in `refused`, not
   * as a failure of the whole invite.
   */
  async invite(email: string, options: InviteOptions = {}): Promise<InvitedAccount> {
    let before = options.notInvited;
    if (!options.lookedUp) {
      const existing = await this.findAccountByEmail(email);
      if (existing && existing.status !== 'not_invited') return existing;
      before = existing?.accountId;
    }
    // After an unknown outcome: an account in the directory, or one `not_invited` that was not
    // there before (the invite made it but did not place it), means the invite happened.
    const readBack = async () => {
      const found = await this.findAccountByEmail(email);
      return found?.status === 'not_invited' && found.accountId === before ? undefined : found;
    };
    return this.writeWithReadBack<InvitedAccount>(
      () => this.sendInvite(email, options, before === undefined),
      readBack,
    );
  }

  /** `fresh`: the look-up found no account with this e-mail, so the invite makes a new one. */
  private async sendInvite(email: string, options: InviteOptions, fresh: boolean): Promise<InvitedAccount> {
    const groups = [...new Set(options.groups ?? [])];
    const roles = options.roles ?? [];
    let answer: { data?: WireInviteResult[] } | undefined;
    try {
      ({ body: answer } = await this.http.request<{ data?: WireInviteResult[] }>({
        method: 'POST',
        path: encodePath`/v2/orgs/${this.orgId}/users/invite`,
        body: {
          emails: [email],
          ...(roles.length > 0
            ? { permissionRules: roles.map((r) => ({ resource: r.resourceId, role: r.role })) }
            : {}),
          ...(groups.length > 0 ? { additionalGroups: groups } : {}),
          sendNotification: false,
        },
        idempotent: false,
      }));
    } catch (error) {
      throw userLimitError(error, `Invite of ${email}`);
    }
    const results = answer?.data ?? [];
    const result =
      results.find((r) => sameText(r.email, email)) ?? (results.length === 1 ? results[0] : undefined);
    // Invite: failures are per e-mail, role and group, under a 2xx: each one is reported.
    const refused: Array<{ what: string; reason: string }> = [];
    const placedGroups = new Set<string>();
    for (const r of result?.results ?? []) {
      for (const x of r.roleAssignmentResult ?? []) {
        if (x.status !== 'INVITED')
          refused.push({ what: `role ${x.role} on ${x.resource}`, reason: x.statusReason ?? x.status ?? '' });
      }
      for (const x of r.groupAssignmentResult ?? []) {
        if (x.status === 'INVITED' && x.group) placedGroups.add(x.group);
        else refused.push({ what: `group ${x.group}`, reason: x.statusReason ?? x.status ?? '' });
      }
    }
    const placement = { placedGroups: groups.filter((g) => placedGroups.has(g)), refused };
    if (result?.id && options.deferReadBack) {
      // The caller reads this account back with others in one search (InviteOptions), which
      // also tells its claim status (whether its profile can be managed).
      const invited = { accountId: result.id, email: result.email ?? email };
      return { ...invited, status: 'not_invited', placementUnknown: true, ...placement };
    }
    if (result?.id && fresh && placement.placedGroups.length > 0) {
      // A new account the invite put in a group is a directory member, and active: an account
      // found `not_invited` before is read back, as it may be deactivated (accountStatus).
      return { accountId: result.id, email: result.email ?? email, status: 'active', ...placement };
    }
    if (result?.id) {
      // The answer carries no status (Invite): read back whether the account is in the directory.
      const account = await this.getAccount(result.id);
      const found: AtlassianAccount = account ?? {
        accountId: result.id,
        email: result.email ?? email,
        status: 'not_invited',
      };
      return { ...found, ...placement };
    }
    const found = await this.findAccountByEmail(email);
    if (found) return { ...found, ...placement };
    throw new AtlassianError(
      'transient',
      `Invite of ${email} was accepted but returned no account, and none is found yet.`,
      undefined,
      undefined,
      { outcomeUnknown: true },
    );
  }

  /** Users: POST with `{}` and JSON content type (415 otherwise, reported by a third party). */
  suspend(accountId: string): Promise<void> {
    return this.setAccess(accountId, 'suspend', 'suspended');
  }

  restore(accountId: string): Promise<void> {
    return this.setAccess(accountId, 'restore', 'active');
  }

  private async setAccess(
    accountId: string,
    action: 'suspend' | 'restore',
    target: AccountStatus,
  ): Promise<void> {
    try {
      // Repeating either leaves the same state, so the client may retry it.
      await this.http.request({
        method: 'POST',
        path: await this.dirPath(encodePath`/users/${accountId}/${action}`),
        body: {},
        idempotent: true,
      });
    } catch (error) {
      // Suspending a suspended user (or restoring an active one) may be refused: its
      // answer is UNCONFIRMED (Users), so a refusal is success when the state is already right.
      if (isKind(error, 'conflict', 'invalid') && (await this.getAccount(accountId))?.status === target)
        return;
      throw error;
    }
  }

  /**
   * The user's role assignments (spec getUserRoleAssignments): platform roles come with a null
   * directory, product roles per resource. Stops at the first admin role. An account not in
   * the directory (404) administers nothing here.
   */
  async isAdmin(accountId: string): Promise<boolean> {
    try {
      const path = await this.dirPath(encodePath`/users/${accountId}/role-assignments`);
      for await (const data of this.getPages<WireRoleAssignment>(path)) {
        if (data.some((a) => rolesOf(a).some(isAdminRole))) return true;
      }
      return false;
    } catch (error) {
      if (isKind(error, 'not-found')) return false;
      throw error;
    }
  }

  /**
   * Users: DELETE …/users/{accountId} removes the user from the directory (the account itself
   * stays; Atlassian may finish it asynchronously). A second removal is 404 (the user is no
   * longer in the directory): removed is what was asked, so that is success.
   */
  async removeFromDirectory(accountId: string): Promise<void> {
    await this.deleteFromDirectory(encodePath`/users/${accountId}`);
  }

  /** Users: search `{accountIds:[id], expand:['groups']}`. */
  async groupsOf(accountId: string): Promise<AtlassianGroup[]> {
    const users = await this.searchUsers(
      { accountIds: [accountId], expand: ['groups'] },
      (user) => user.accountId === accountId,
    );
    const user = users.find((u) => u.accountId === accountId);
    return (user?.groups ?? []).map(toGroup).filter((g): g is AtlassianGroup => g !== undefined);
  }

  /**
   * Groups: the groups holding any product role (groups search by `roleIds`), then each
   * one's role assignments, which name the product owning each resource. A group holding only
   * user-access-admin grants no product use and is left out.
   */
  async productAccessGroups(): Promise<ProductAccessGroup[]> {
    const path = await this.dirPath('/groups/search');
    const candidates: AtlassianGroup[] = [];
    for await (const data of this.searchPages<WireGroup>(path, { roleIds: PRODUCT_ROLES })) {
      for (const wire of data) {
        const group = toGroup(wire);
        if (group) candidates.push(group);
      }
    }
    const result: ProductAccessGroup[] = [];
    for (const group of candidates) {
      // The group's every role comes with it: the privilege check (src/sync/privilege.ts)
      // reads them to keep admin groups out of grants.
      const roles = await this.groupRoles(group.id);
      const products = [
        ...new Set(roles.flatMap((r) => (r.product && grantsProductUse(r.role) ? [r.product] : []))),
      ];
      if (products.length > 0) result.push({ group, products, roles });
    }
    return result;
  }

  /**
   * Spec getGroupRoleAssignments: every role the group holds, one entry per role and
   * resource; the product is the resource's owner (or read off its ARI). Platform roles, if a
   * group ever holds one, come without a resource. A group not found holds nothing.
   */
  async groupRoles(groupId: string): Promise<GroupRole[]> {
    const roles: GroupRole[] = [];
    try {
      const path = await this.dirPath(encodePath`/groups/${groupId}/role-assignments`);
      for await (const data of this.getPages<WireRoleAssignment>(path)) {
        for (const assignment of data) {
          const product = assignment.resourceOwner ?? productOfAri(assignment.resourceId);
          for (const role of rolesOf(assignment)) {
            roles.push({
              role,
              ...(assignment.resourceId ? { resourceId: assignment.resourceId } : {}),
              ...(product ? { product } : {}),
            });
          }
        }
      }
    } catch (error) {
      if (isKind(error, 'not-found')) return [];
      throw error;
    }
    return roles;
  }

  // ---- the directory in pages (the full reconcile's drift check) ----------------------------

  /** DirectoryPages on the users and groups searches (Users; Groups: search). */
  readonly pages: DirectoryPages = {
    pageAccounts: (cursor) => this.pageAccounts(cursor),
    adminAccountIds: () => this.adminAccountIds(),
    groupsById: (groupIds) => this.groupsById(groupIds),
    adminGroupIds: (groupIds) => this.adminGroupIds(groupIds),
  };

  /**
   * Users: search `{limit, expand: ["groups", "platformRoles"], cursor}`, one page of every
   * account in the directory (not_invited ones too) with its groups (spec DirectoryUser.groups,
   * UserGroupRef) and platform roles. Whether `expand: groups` lists every group of an account
   * in many groups is UNCONFIRMED: a group missing from the list only makes the reconcile check
   * that membership itself (it marks the group), never hides a drift.
   */
  private async pageAccounts(cursor?: string): Promise<AccountPage> {
    const filter = { limit: DIRECTORY_PAGE, expand: ['groups', 'platformRoles'] };
    const { data, next } = await this.userSearchPage(filter, cursor);
    const accounts = data.flatMap((user) => {
      const account = toAccount(user);
      if (!account) return [];
      const groupIds = (user.groups ?? []).flatMap((g) => (g.id ? [g.id] : []));
      return [{ ...account, groupIds, platformRoles: user.platformRoles ?? [] }];
    });
    // A cursor answered again would page forever: taken as the end.
    return next && next.cursor !== cursor ? { accounts, cursor: next.cursor } : { accounts };
  }

  /**
   * Users: search `{roleIds: [the admin roles]}`, every page: the accounts holding an admin
   * role, directly or through a group (the roles `isAdmin` reads one account at a time).
   */
  private async adminAccountIds(): Promise<string[]> {
    const path = await this.dirPath('/users/search');
    const ids: string[] = [];
    const filter = { roleIds: [...ADMIN_ROLES], limit: DIRECTORY_PAGE };
    for await (const data of this.searchPages<WireUser>(path, filter)) {
      for (const user of data) if (user.accountId) ids.push(user.accountId);
    }
    return ids;
  }

  /** Groups: search `{groupIds}` (how many ids one search takes is UNCONFIRMED; we send ≤ 100). */
  private async groupsById(groupIds: string[]): Promise<AtlassianGroup[]> {
    if (groupIds.length === 0) return [];
    const path = await this.dirPath('/groups/search');
    const groups: AtlassianGroup[] = [];
    for await (const data of this.searchPages<WireGroup>(path, { groupIds, limit: DIRECTORY_PAGE })) {
      for (const wire of data) {
        const group = toGroup(wire);
        if (group && groupIds.includes(group.id)) groups.push(group);
      }
    }
    return groups;
  }

  /** Groups: search `{groupIds, roleIds: [the admin roles]}`: those holding an admin role. */
  private async adminGroupIds(groupIds: string[]): Promise<string[]> {
    if (groupIds.length === 0) return [];
    const path = await this.dirPath('/groups/search');
    const filter = { groupIds, roleIds: [...ADMIN_ROLES], limit: DIRECTORY_PAGE };
    const ids: string[] = [];
    for await (const data of this.searchPages<WireGroup>(path, filter)) {
      for (const wire of data) if (wire.id && groupIds.includes(wire.id)) ids.push(wire.id);
    }
    return ids;
  }

  // ---- groups ------------------------------------------------------------------------------

  /** Groups: `{"groupNames":[n]}` (exact, case-insensitive; never with searchTerm or groupIds). */
  async findGroupByName(name: string): Promise<AtlassianGroup | undefined> {
    const path = await this.dirPath('/groups/search');
    for await (const data of this.searchPages<WireGroup>(path, { groupNames: [name] })) {
      const match = data.find((g) => sameText(g.name, name));
      if (match) return toGroup(match);
    }
    return undefined;
  }

  async getGroup(groupId: string): Promise<AtlassianGroup | undefined> {
    try {
      const { body } = await this.http.request<{ data?: WireGroup } & WireGroup>({
        method: 'GET',
        path: await this.dirPath(encodePath`/groups/${groupId}`),
        idempotent: true,
      });
      return toGroup(body?.data ?? body ?? {});
    } catch (error) {
      if (isKind(error, 'not-found')) return undefined;
      throw error;
    }
  }

  /**
   * Create-or-find, like invite: the name is looked up first (unless the caller just did,
   * `lookedUp`, or asked to create first, `takenIsConflict`: a taken name answers 409), so
   * calling again after an unknown outcome never makes a second group. The create answers 201 without a body (spec
   * createGroup), so the new group's id is read back by name. A 409 (names are unique) means
   * someone made it in between: that group is returned.
   */
  async createGroup(
    name: string,
    description?: string,
    options: CreateGroupOptions = {},
  ): Promise<AtlassianGroup> {
    if (!options.lookedUp && !options.takenIsConflict) {
      const existing = await this.findGroupByName(name);
      if (existing) return existing;
    }
    let attempt = 0;
    return this.writeWithReadBack(
      async () => {
        attempt++;
        let created: { data?: WireGroup } & WireGroup = {};
        try {
          const path = await this.dirPath('/groups');
          const answer = await this.http.request<{ data?: WireGroup } & WireGroup>({
            method: 'POST',
            path,
            body: { name, ...(description ? { description } : {}) },
            idempotent: false,
          });
          created = answer.body ?? {};
        } catch (error) {
          if (!isKind(error, 'conflict')) throw error;
          // Taken before this call: the caller decides whether to adopt it (takenIsConflict).
          if (options.takenIsConflict && attempt === 1) throw error;
          const found = await this.findGroupByName(name);
          if (found) return found;
          throw error;
        }
        const group = toGroup(created.data ?? created) ?? (await this.findGroupByName(name));
        if (group) return group;
        throw new AtlassianError(
          'transient',
          `Group ${name} was created but cannot be found yet.`,
          undefined,
          undefined,
          { outcomeUnknown: true },
        );
      },
      () => this.findGroupByName(name),
    );
  }

  /**
   * UNCONFIRMED endpoint: Atlassian's tutorial …/organization/rename-group/ exists, but its
   * method, path and body could not be read, and the contract has no such operation. Guessing
   * PUT/PATCH could do something else; delete-and-recreate would drop the group's product
   * access and every membership not managed here. So: unsupported, with what to do instead.
   */
  async renameGroup(groupId: string, name: string): Promise<void> {
    throw new AtlassianError(
      'unsupported',
      `Atlassian group ${groupId} cannot be renamed to "${name}" by this app: the Organizations API operation for it ` +
        'could not be confirmed. Rename it in Atlassian Administration (Directory › Groups); the app finds it by ' +
        'its id, so nothing else changes.',
    );
  }

  /** A group already gone is success: deleting is what was asked. */
  /**
   * DELETE .../groups/{groupId}; already gone is success. A group that still has members is
   * refused with 409 `ADMIN-409-5` "Group not empty" (the error catalogue): that comes back as
   * a `conflict` AtlassianError, for the caller to empty the group (GroupReconciler).
   */
  async deleteGroup(groupId: string): Promise<void> {
    await this.deleteFromDirectory(encodePath`/groups/${groupId}`);
  }

  // ---- memberships -------------------------------------------------------------------------

  /** Users: search `{accountIds:[id], groupIds:[gid]}`. */
  async isMember(groupId: string, accountId: string): Promise<boolean> {
    const users = await this.searchUsers(
      { accountIds: [accountId], groupIds: [groupId] },
      (user) => user.accountId === accountId,
    );
    return users.some((user) => user.accountId === accountId);
  }

  /**
   * Users: one page of the search `{groupIds:[gid]}`; the next page is asked for with the
   * cursor links.next gives AND the filter again: nothing says a search cursor carries the
   * filters (UNCONFIRMED), and without them page 2 would list non-members.
   */
  async listMembers(groupId: string, cursor?: string): Promise<{ accountIds: string[]; cursor?: string }> {
    const filter = { groupIds: [groupId], limit: MEMBER_PAGE };
    const { data, next } = await this.userSearchPage(filter, cursor);
    const accountIds = data.flatMap((user) => (user.accountId ? [user.accountId] : []));
    return next && next.cursor !== cursor ? { accountIds, cursor: next.cursor } : { accountIds };
  }

  /**
   * One page of the users search: the filter sent again with the cursor (nothing says a
   * search cursor carries the filters, UNCONFIRMED), and the next page's cursor from
   * links.next (a token or a URL).
   */
  private async userSearchPage(
    filter: Record<string, unknown>,
    cursor: string | undefined,
  ): Promise<{ data: WireUser[]; next?: { cursor: string } }> {
    const { body } = await this.http.request<Page<WireUser>>({
      method: 'POST',
      path: await this.dirPath('/users/search'),
      body: cursor ? { ...filter, cursor } : filter,
      idempotent: true,
    });
    const next = nextPageOf(body?.links?.next, this.baseUrl);
    if (next && !('cursor' in next)) {
      throw new AtlassianError('invalid', 'The users search answered a next-page link without a cursor.');
    }
    return { data: body?.data ?? [], ...(next ? { next } : {}) };
  }

  /**
   * Groups: `{"accountId"}`, 204. Adding twice leaves one membership, so the client may retry.
   * What "already a member" answers is UNCONFIRMED: a 409 or 400 is success when the search
   * says the account is a member. A 404 ("User not found": not in the directory yet) stays.
   * A group granting a product at its licence's user limit is refused (Groups: add user to group): `user-limit`.
   */
  async addMember(groupId: string, accountId: string): Promise<void> {
    try {
      await this.http.request({
        method: 'POST',
        path: await this.dirPath(encodePath`/groups/${groupId}/memberships`),
        body: { accountId },
        idempotent: true,
      });
    } catch (error) {
      if (isUserLimit(error)) throw userLimitError(error, `Adding ${accountId} to group ${groupId}`);
      if (isKind(error, 'conflict', 'invalid') && (await this.isMember(groupId, accountId))) return;
      throw error;
    }
  }

  /** Groups: DELETE, 204. "Not a member" (UNCONFIRMED: 404?) is success once the search agrees. */
  async removeMember(groupId: string, accountId: string): Promise<void> {
    try {
      await this.http.request({
        method: 'DELETE',
        path: await this.dirPath(encodePath`/groups/${groupId}/memberships/${accountId}`),
        idempotent: true,
      });
    } catch (error) {
      if (!isKind(error, 'not-found', 'conflict', 'invalid')) throw error;
      const member = await this.isMember(groupId, accountId).catch((readError: unknown) => {
        // The group itself is gone: nobody is a member of it.
        if (isKind(readError, 'not-found')) return false;
        throw readError;
      });
      if (member) throw error;
    }
  }

  // ---- product access ----------------------------------------------------------------------

  /**
   * Workspaces: POST …/workspaces. The first page is asked for with an empty body; later
   * ones with `{cursor}` alone ("when a cursor is provided… no other properties may be present":
   * the filter is empty, so searchPages' filter-plus-cursor is the cursor alone).
   */
  async listProducts(): Promise<ProductResource[]> {
    const products: ProductResource[] = [];
    const path = encodePath`/v2/orgs/${this.orgId}/workspaces`;
    for await (const data of this.searchPages<WireWorkspace>(path, {})) {
      for (const w of data) {
        if (!w.id) continue;
        products.push({
          id: w.id,
          product: w.attributes?.typeKey ?? w.attributes?.type ?? w.type ?? 'unknown',
          ...(w.attributes?.name ? { name: w.attributes.name } : {}),
          ...(w.attributes?.hostUrl ? { hostUrl: w.attributes.hostUrl } : {}),
        });
      }
    }
    return products;
  }

  grantGroupAccess(groupId: string, resourceId: string, role: ProductRole): Promise<void> {
    return this.setGroupRole(groupId, resourceId, role, 'assign');
  }

  revokeGroupAccess(groupId: string, resourceId: string, role: ProductRole): Promise<void> {
    return this.setGroupRole(groupId, resourceId, role, 'revoke');
  }

  /**
   * Groups: `{resourceId, roleId}`; repeating leaves the same state, so the client may retry.
   * Assigning a held role or revoking an absent one may be refused (UNCONFIRMED): success when
   * the group's role assignments already say so.
   */
  private async setGroupRole(
    groupId: string,
    resourceId: string,
    role: ProductRole,
    action: 'assign' | 'revoke',
  ): Promise<void> {
    try {
      await this.http.request({
        method: 'POST',
        path: await this.dirPath(encodePath`/groups/${groupId}/role-assignments/${action}`),
        body: { resourceId, roleId: role },
        idempotent: true,
      });
    } catch (error) {
      if (!isKind(error, 'conflict', 'invalid')) throw error;
      const held = await this.groupHasRole(groupId, resourceId, role);
      if (held !== (action === 'assign')) throw error;
    }
  }

  private async groupHasRole(groupId: string, resourceId: string, role: ProductRole): Promise<boolean> {
    const path = await this.dirPath(encodePath`/groups/${groupId}/role-assignments`);
    for await (const data of this.getPages<WireRoleAssignment>(path, { resourceIds: resourceId })) {
      if (data.some((a) => a.resourceId === resourceId && (a.roles ?? []).includes(role))) return true;
    }
    return false;
  }

  // ---- shared ------------------------------------------------------------------------------

  /**
   * The pages of a GET listing, each page's data in turn, following `links.next` (at most
   * MAX_PAGES pages). The first page is asked for with `first`, if given; later ones with
   * `{cursor}` alone ("other parameters are discarded" when a cursor is given), or at the URL
   * links.next names when it carries no cursor (nextPageOf).
   */
  private async *getPages<T>(path: string, first?: Record<string, string>): AsyncGenerator<T[]> {
    let request: { path: string; query?: Record<string, string> } = {
      path,
      ...(first ? { query: first } : {}),
    };
    let last: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { body } = await this.http.request<Page<T>>({ method: 'GET', ...request, idempotent: true });
      yield body?.data ?? [];
      const link = body?.links?.next ?? undefined;
      const next = nextPageOf(link, this.baseUrl);
      if (!next || link === last) return;
      last = link;
      request = 'cursor' in next ? { path, query: { cursor: next.cursor } } : next;
    }
  }

  /**
   * The pages of a POST search, each page's data in turn, following `links.next` (at most
   * MAX_PAGES pages). The first page is asked for with `filter`; later ones with the cursor
   * AND `filter` again: "other parameters are discarded" is documented for the GET listings
   * only, and nothing says a search cursor carries the filters (UNCONFIRMED), so sending them
   * again is right either way. A links.next URL without a cursor is POSTed to with `filter`.
   */
  private async *searchPages<T>(path: string, filter: Record<string, unknown>): AsyncGenerator<T[]> {
    let request: { path: string; query?: Record<string, string>; body: Record<string, unknown> } = {
      path,
      body: filter,
    };
    let last: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { body } = await this.http.request<Page<T>>({ method: 'POST', ...request, idempotent: true });
      yield body?.data ?? [];
      const link = body?.links?.next ?? undefined;
      const next = nextPageOf(link, this.baseUrl);
      if (!next || link === last) return;
      last = link;
      request =
        'cursor' in next ? { path, body: { ...filter, cursor: next.cursor } } : { ...next, body: filter };
    }
  }

  /** Pages of a user search until `done` matches a user (or the pages end). */
  private async searchUsers(
    filter: Record<string, unknown>,
    done: (user: WireUser) => boolean,
  ): Promise<WireUser[]> {
    const path = await this.dirPath('/users/search');
    const users: WireUser[] = [];
    for await (const data of this.searchPages<WireUser>(path, filter)) {
      users.push(...data);
      if (data.some(done)) break;
    }
    return users;
  }

  /**
   * Sends a write that is not idempotent. When its outcome is unknown, reads the state back:
   * found means it happened; absent means it did not (or is not visible yet), and it is sent
   * once more. A second unknown outcome is read back once more, then reported.
   */
  private async writeWithReadBack<T>(
    send: () => Promise<T>,
    readBack: () => Promise<T | undefined>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (!(error instanceof AtlassianError) || !error.outcomeUnknown) throw error;
        const found = await readBack();
        if (found) return found;
        if (attempt >= 2) throw error;
      }
    }
  }

  // ---- profiles (User management API, src/atlassian/user-management.ts) ----------------------

  private get userManagement(): UserManagementClient {
    return (this.profiles ??= new UserManagementClient(this.http.at(userManagementBase(this.baseUrl))));
  }
  private profiles: UserManagementClient | undefined;

  profileControls(accountId: string): Promise<ProfileControls | undefined> {
    return this.userManagement.controls(accountId);
  }

  updateProfile(accountId: string, changes: ProfileChanges): Promise<void> {
    return this.userManagement.updateProfile(accountId, changes);
  }

  setEmail(accountId: string, email: string): Promise<void> {
    return this.userManagement.setEmail(accountId, email);
  }
}

export interface OrgAdapterConfig {
  orgId: string;
  directoryId?: string;
  /** Default https://api.atlassian.com/admin. */
  baseUrl?: string;
  apiKey: string;
}

/** The adapter with its client, for callers that need no client options beyond these. */
export function createOrgAdminAdapter(
  config: OrgAdapterConfig,
  client: Omit<HttpClientOptions, 'baseUrl' | 'apiKey'>,
): OrgAdminAdapter {
  const http = new AtlassianHttpClient({
    ...client,
    baseUrl: config.baseUrl ?? DEFAULT_ADMIN_BASE_URL,
    apiKey: config.apiKey,
  });
  return new OrgAdminAdapter({
    http,
    orgId: config.orgId,
    baseUrl: config.baseUrl ?? DEFAULT_ADMIN_BASE_URL,
    ...(config.directoryId ? { directoryId: config.directoryId } : {}),
  });
}
