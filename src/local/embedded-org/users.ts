/**
 * Directory users (`.../directories/{directoryId}/users`): search and list, details, suspend
 * and restore, remove from the directory; and how a user is answered.
 */
import { badRequest, refuse } from './errors';
import {
  CursorState,
  decodeCursor,
  DEFAULT_LIMITS,
  drawCursorCarry,
  pageLimit,
  paginate,
  resumeSearch,
  sortDirection,
} from './paging';
import {
  Context,
  headerOf,
  Json,
  noContent,
  ok,
  optionalBoolean,
  optionalString,
  optionalStrings,
  queryAsBody,
} from './request';
import type { OrganizationState } from './state';
import type { GroupRecord, OrgResponse, UserRecord } from './types';

const USER_STATUSES = ['active', 'suspended', 'not_invited', 'deactivated', 'for_deletion'];
const ACCOUNT_STATUSES = ['active', 'inactive', 'closed'];
const MEMBERSHIP_STATUSES = ['active', 'suspended', 'no_membership'];
const MEMBERSHIP_STATUS = { active: 'active', suspended: 'suspended', none: 'no_membership' } as const;
const USER_EXPANDS = ['platformRoles', 'counts.resources', 'productAccess', 'groups'];

function statusOf(user: UserRecord): string {
  if (user.accountStatus !== 'active') return 'deactivated';
  return { active: 'active', suspended: 'suspended', none: 'not_invited' }[user.membership];
}

function userJson(org: OrganizationState, user: UserRecord, expand: Set<string>, details = false): Json {
  const avatar = `https://avatar-management.services.atlassian.com/default/${encodeURIComponent(user.accountId)}`;
  const out: Json = {
    accountId: user.accountId,
    accountType: 'atlassian',
    status: statusOf(user),
    accountStatus: user.accountStatus,
    membershipStatus: MEMBERSHIP_STATUS[user.membership],
    addedToOrg: user.addedToOrg,
    name: user.name,
    nickname: user.nickname,
    email: user.email,
    emailVerified: user.emailVerified,
    claimStatus: org.claimStatusOf(user.email),
    managementSource: user.managementSource,
    mfaEnabled: user.mfaEnabled,
    picture: avatar,
    avatar,
  };
  if (details || expand.has('platformRoles')) out.platformRoles = [...user.platformRoles];
  if (details || expand.has('counts.resources')) {
    out.counts = { resources: org.effectiveRoles(user.accountId).size };
  }
  // Last-active dates are not emulated: nobody uses the products offline.
  if (expand.has('productAccess')) out.productAccess = [];
  if (expand.has('groups')) {
    out.groups = [...(org.userGroups.get(user.accountId) ?? [])]
      .map((id) => org.store.get('groups', id))
      .filter((g): g is GroupRecord => g !== undefined)
      .map((g) => ({ id: g.id, name: g.name, description: g.description }));
  }
  return out;
}

export function searchUsers(org: OrganizationState, ctx: Context, fromQuery: boolean): OrgResponse {
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
  if (!fromQuery) state = { ...state, carry: drawCursorCarry(org.pagingRandom) };
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
    candidates = emails.flatMap((e) => org.findUserByEmail(e) ?? []);
  } else if (accountIds) {
    candidates = accountIds.flatMap((id) => org.store.get('users', id) ?? []);
  } else if (groupIds) {
    const ids = new Set(groupIds.flatMap((g) => [...(org.groupMembers.get(g) ?? [])]));
    candidates = [...ids].flatMap((id) => org.store.get('users', id) ?? []);
  } else {
    candidates = [...org.store.state.users.values()];
  }
  // Accounts with no membership in the directory are listed too, as `not_invited` (spec
  // UserStatus, membershipStatus no_membership): the seed's outside account, those removed,
  // and those an invite did not place.
  const matches = candidates.filter((user) => {
    if (directoryIds && !directoryIds.includes(org.meta.directoryId)) return false;
    if (accountIds && !accountIds.includes(user.accountId)) return false;
    if (groupIds && !groupIds.some((g) => org.groupMembers.get(g)?.has(user.accountId))) return false;
    if (mfaEnabled !== undefined && user.mfaEnabled !== mfaEnabled) return false;
    if (claimStatus && org.claimStatusOf(user.email) !== claimStatus) return false;
    if (status && !status.includes(statusOf(user))) return false;
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
      const roles = org.effectiveRoles(user.accountId);
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
  return ok({ data: page.data.map((u) => userJson(org, u, expand)), links: page.links });
}

export function getUser(org: OrganizationState, ctx: Context): OrgResponse {
  return ok({ data: userJson(org, org.user(ctx.params.accountId), new Set(), true) });
}

/**
 * Suspend and restore. Atlassian answers 415 unless the body is `{}` sent as JSON (a
 * third-party observation the spec records); we enforce exactly that. Success is 204
 * (UNCONFIRMED: a third party logs 204) and repeating either is a 204 that changes nothing
 * (UNCONFIRMED; idempotent is the safer emulation of a lifecycle toggle).
 */
export function setSuspended(org: OrganizationState, ctx: Context, suspended: boolean): OrgResponse {
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
  const user = org.user(ctx.params.accountId);
  if (suspended && user.platformRoles.includes('atlassian/org-admin')) {
    // Our rule (UNCONFIRMED): an org admin cannot be suspended through the API.
    throw refuse(403, 'ADMIN-403-3', 'An organization admin cannot be suspended.');
  }
  const membership = suspended ? 'suspended' : 'active';
  if (user.membership !== membership) org.putUser({ ...user, membership });
  return noContent();
}

/**
 * Remove from the directory: the account stays (it belongs to its owner), its membership,
 * groups and direct roles here go. Synchronous here (Atlassian may queue it). A second
 * remove is 404: the user is no longer in the directory.
 */
export function removeUser(org: OrganizationState, ctx: Context): OrgResponse {
  const user = org.user(ctx.params.accountId);
  if (user.platformRoles.includes('atlassian/org-admin')) {
    throw refuse(403, 'ADMIN-403-3', 'An organization admin cannot be removed from the directory.');
  }
  for (const groupId of [...(org.userGroups.get(user.accountId) ?? [])]) {
    org.removeMember(groupId, user.accountId);
  }
  for (const key of [...(org.userRoleKeys.get(user.accountId) ?? [])])
    org.revokeUserRole(key, user.accountId);
  org.putUser({ ...user, membership: 'none' });
  return noContent();
}
