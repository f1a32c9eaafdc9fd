/**
 * Product and platform roles: which can be granted where, the role assignments of a user or a
 * group, and granting and revoking them (per user on the v1 path, per group on v2).
 */
import { badRequest, refuse } from './errors';
import { decodeCursor, DEFAULT_LIMITS, pageLimit, paginate } from './paging';
import { Context, Json, noContent, ok, optionalString, optionalStrings, queryAsBody } from './request';
import type { OrganizationState } from './state';
import type { OrgResponse } from './types';

export const ASSIGNABLE_ROLES = new Set([
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
export const PLATFORM_ROLES = new Set(['atlassian/org-admin', 'atlassian/site-admin']);
/** Roles that only make sense on a service desk (our rule; Atlassian's matrix is unpublished). */
const SERVICE_DESK_ONLY = new Set(['atlassian/customer', 'atlassian/stakeholder']);

/** Why a role cannot be granted on a resource, if it cannot. */
export function roleProblem(
  org: OrganizationState,
  resourceId: string,
  roleId: string,
  allowed: Set<string>,
): string | undefined {
  const workspace = org.meta.workspaces.find((w) => w.id === resourceId);
  if (!workspace) return `Resource ${resourceId} not found.`;
  if (!allowed.has(roleId)) return `Role ${roleId} cannot be granted.`;
  if (SERVICE_DESK_ONLY.has(roleId) && workspace.typeKey !== 'jira-servicedesk') {
    return `Role ${roleId} is not valid for ${workspace.typeKey}.`;
  }
  return undefined;
}

/**
 * A role-assignment listing's page state (from its cursor, or from the query on the first
 * page) and its filters: the user and group listings take the same parameters.
 */
function roleListing(ctx: Context, op: string) {
  const cursor = ctx.query.get('cursor') ?? undefined;
  const dir = ctx.params.directoryId;
  const state = cursor
    ? decodeCursor(cursor, op, dir)
    : {
        op,
        dir,
        q: queryAsBody(ctx.query, ['directoryIds', 'resourceOwners', 'resourceIds', 'roleIds']),
        limit: pageLimit(ctx.query.get('limit'), DEFAULT_LIMITS.other),
      };
  return {
    cursor,
    state,
    resourceOwners: optionalStrings(state.q, 'resourceOwners'),
    resourceIds: optionalStrings(state.q, 'resourceIds'),
    roleIds: optionalStrings(state.q, 'roleIds'),
  };
}

export function userRoleAssignments(org: OrganizationState, ctx: Context): OrgResponse {
  const user = org.user(ctx.params.accountId);
  const { cursor, state, resourceOwners, resourceIds, roleIds } = roleListing(
    ctx,
    `user-roles:${user.accountId}`,
  );
  const status = user.membership === 'none' ? 'no_membership' : user.membership;
  const rows: Json[] = [];
  for (const [resourceId, roles] of org.effectiveRoles(user.accountId)) {
    const owner = org.meta.workspaces.find((w) => w.id === resourceId)?.typeKey ?? 'unknown';
    if (resourceOwners && !resourceOwners.includes(owner)) continue;
    if (resourceIds && !resourceIds.includes(resourceId)) continue;
    const kept = [...roles].filter(([role]) => !roleIds || roleIds.includes(role));
    if (kept.length === 0) continue;
    rows.push({
      resourceId,
      resourceOwner: owner,
      roles: kept.map(([role]) => role),
      roleAssignments: kept.map(([role, methods]) => ({ role, roleAssignmentMethods: [...methods] })),
      directoryId: org.meta.directoryId,
      userDirectoryStatus: status,
    });
  }
  // Platform roles are not tied to a directory (directoryId and status null, as documented).
  for (const role of user.platformRoles) {
    if (roleIds && !roleIds.includes(role)) continue;
    const resourceId =
      role === 'atlassian/org-admin'
        ? `ari:cloud:platform::org/${org.meta.orgId}`
        : `ari:cloud:platform::site/${org.meta.cloudId}`;
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
 * Per-user roles (v1 path). 204; granting a held role or revoking one not held is a 204
 * that changes nothing (UNCONFIRMED). Platform roles (org-admin, site-admin) need no
 * resource; revoking the last org admin is 409.
 */
export function userRole(org: OrganizationState, ctx: Context, grant: boolean): OrgResponse {
  const body = ctx.body();
  const role = optionalString(body, 'role');
  const resource = optionalString(body, 'resource');
  if (!role) throw badRequest('role is required.', 'ADMIN-UAM-400-1');
  if (!USER_ROLES.has(role)) throw badRequest(`Unknown role ${role}.`, 'ADMIN-UAM-400-3');
  const user = org.store.get('users', ctx.params.userId);
  if (!user || user.membership === 'none') throw refuse(404, 'ADMIN-UAM-404-1', 'User not found.');
  if (PLATFORM_ROLES.has(role)) {
    const has = user.platformRoles.includes(role);
    if (grant && !has) org.putUser({ ...user, platformRoles: [...user.platformRoles, role] });
    if (!grant && has) {
      const admins = [...org.store.state.users.values()].filter(
        (u) => u.membership !== 'none' && u.platformRoles.includes(role),
      );
      if (role === 'atlassian/org-admin' && admins.length <= 1) {
        throw refuse(409, 'ADMIN-UAM-409-2', 'The organization needs at least one org admin.');
      }
      org.putUser({ ...user, platformRoles: user.platformRoles.filter((r) => r !== role) });
    }
    return noContent();
  }
  if (!resource) throw badRequest('resource is required for this role.', 'ADMIN-UAM-400-1');
  org.workspace(resource, 'ADMIN-UAM-404-1');
  const problem = roleProblem(org, resource, role, ASSIGNABLE_ROLES);
  if (problem) throw badRequest(problem, 'ADMIN-UAM-400-3');
  const key = `${user.accountId}|${resource}|${role}`;
  if (grant) org.grantUserRole(user.accountId, resource, role);
  else org.revokeUserRole(key, user.accountId);
  return noContent();
}

export function groupRoleAssignments(org: OrganizationState, ctx: Context): OrgResponse {
  const group = org.group(ctx.params.groupId);
  const { cursor, state, resourceOwners, resourceIds, roleIds } = roleListing(ctx, `group-roles:${group.id}`);
  const byResource = new Map<string, string[]>();
  for (const grant of org.groupRoles(group.id)) {
    if (roleIds && !roleIds.includes(grant.roleId)) continue;
    if (resourceIds && !resourceIds.includes(grant.resourceId)) continue;
    (byResource.get(grant.resourceId) ?? byResource.set(grant.resourceId, []).get(grant.resourceId))?.push(
      grant.roleId,
    );
  }
  const rows = [...byResource]
    .map(([resourceId, roles]) => ({
      resourceId,
      resourceOwner: org.workspace(resourceId).typeKey,
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
export function groupRole(org: OrganizationState, ctx: Context, grant: boolean): OrgResponse {
  const body = ctx.body();
  const resourceId = optionalString(body, 'resourceId');
  const roleId = optionalString(body, 'roleId');
  if (!resourceId || !roleId) throw badRequest('resourceId and roleId are required.');
  const group = org.modifiableGroup(ctx.params.groupId);
  org.workspace(resourceId);
  const problem = roleProblem(org, resourceId, roleId, ASSIGNABLE_ROLES);
  if (problem) throw badRequest(problem, 'ADMIN-UAM-400-3');
  const key = `${group.id}|${resourceId}|${roleId}`;
  if (grant) org.store.put('groupRoles', key, { subject: group.id, resourceId, roleId });
  else org.store.delete('groupRoles', key);
  return noContent();
}
