/**
 * Every operation the embedded organization serves: the route table, which reads as a table of
 * contents of the API (paths under /admin and operation IDs as in the spec), and the handler
 * of each.
 */
import { listDirectories, listOrgs } from './directories';
import { addMembership, createGroup, deleteGroup, getGroup, removeMembership, searchGroups } from './groups';
import { invite } from './invite';
import type { Context } from './request';
import { groupRole, groupRoleAssignments, userRole, userRoleAssignments } from './roles';
import type { OrganizationState } from './state';
import type { OrgResponse } from './types';
import { getUser, removeUser, searchUsers, setSuspended } from './users';
import { queryWorkspaces } from './workspaces';

export interface Route {
  method: string;
  /** Path under /admin, with {parameters}, as in the spec. */
  template: string;
  operationId: string;
  /** Reads accept `-` as directory ID (every directory the key can manage). */
  read: boolean;
  run: (org: OrganizationState, ctx: Context) => OrgResponse;
}

const D = '/v2/orgs/{orgId}/directories/{directoryId}';

/** Every operation served, with the spec's paths (under /admin) and operation IDs. */
export const ROUTES: Route[] = [
  { method: 'GET', template: '/v1/orgs', operationId: 'getOrgs', read: true, run: (o) => listOrgs(o) },
  {
    method: 'GET',
    template: '/v2/orgs/{orgId}/directories',
    operationId: 'getDirectoriesForOrg',
    read: true,
    run: (o, c) => listDirectories(o, c),
  },
  {
    method: 'POST',
    template: `${D}/users/search`,
    operationId: 'searchDirectoryUsers',
    read: true,
    run: (o, c) => searchUsers(o, c, false),
  },
  {
    method: 'GET',
    template: `${D}/users`,
    operationId: 'getDirectoryUsers',
    read: true,
    run: (o, c) => searchUsers(o, c, true),
  },
  {
    method: 'GET',
    template: `${D}/users/{accountId}`,
    operationId: 'getDirectoryUserDetails',
    read: true,
    run: (o, c) => getUser(o, c),
  },
  {
    method: 'DELETE',
    template: `${D}/users/{accountId}`,
    operationId: 'removeDirectoryUser',
    read: false,
    run: (o, c) => removeUser(o, c),
  },
  {
    method: 'GET',
    template: `${D}/users/{accountId}/role-assignments`,
    operationId: 'getUserRoleAssignments',
    read: true,
    run: (o, c) => userRoleAssignments(o, c),
  },
  {
    method: 'POST',
    template: `${D}/users/{accountId}/suspend`,
    operationId: 'suspendDirectoryUser',
    read: false,
    run: (o, c) => setSuspended(o, c, true),
  },
  {
    method: 'POST',
    template: `${D}/users/{accountId}/restore`,
    operationId: 'restoreDirectoryUser',
    read: false,
    run: (o, c) => setSuspended(o, c, false),
  },
  {
    method: 'POST',
    template: '/v2/orgs/{orgId}/users/invite',
    operationId: 'inviteUsers',
    read: false,
    run: (o, c) => invite(o, c),
  },
  {
    method: 'POST',
    template: '/v1/orgs/{orgId}/users/{userId}/roles/assign',
    operationId: 'grantUserAccess',
    read: false,
    run: (o, c) => userRole(o, c, true),
  },
  {
    method: 'POST',
    template: '/v1/orgs/{orgId}/users/{userId}/roles/revoke',
    operationId: 'revokeUserAccess',
    read: false,
    run: (o, c) => userRole(o, c, false),
  },
  {
    method: 'POST',
    template: `${D}/groups`,
    operationId: 'createGroup',
    read: false,
    run: (o, c) => createGroup(o, c),
  },
  {
    method: 'GET',
    template: `${D}/groups`,
    operationId: 'getGroups',
    read: true,
    run: (o, c) => searchGroups(o, c, true),
  },
  {
    method: 'POST',
    template: `${D}/groups/search`,
    operationId: 'searchDirectoryGroups',
    read: true,
    run: (o, c) => searchGroups(o, c, false),
  },
  {
    method: 'GET',
    template: `${D}/groups/{groupId}`,
    operationId: 'getGroup',
    read: true,
    run: (o, c) => getGroup(o, c),
  },
  {
    method: 'DELETE',
    template: `${D}/groups/{groupId}`,
    operationId: 'deleteGroup',
    read: false,
    run: (o, c) => deleteGroup(o, c),
  },
  {
    method: 'POST',
    template: `${D}/groups/{groupId}/memberships`,
    operationId: 'addUserToGroup',
    read: false,
    run: (o, c) => addMembership(o, c),
  },
  {
    method: 'DELETE',
    template: `${D}/groups/{groupId}/memberships/{accountId}`,
    operationId: 'removeUserFromGroup',
    read: false,
    run: (o, c) => removeMembership(o, c),
  },
  {
    method: 'GET',
    template: `${D}/groups/{groupId}/role-assignments`,
    operationId: 'getGroupRoleAssignments',
    read: true,
    run: (o, c) => groupRoleAssignments(o, c),
  },
  {
    method: 'POST',
    template: `${D}/groups/{groupId}/role-assignments/assign`,
    operationId: 'grantGroupAccess',
    read: false,
    run: (o, c) => groupRole(o, c, true),
  },
  {
    method: 'POST',
    template: `${D}/groups/{groupId}/role-assignments/revoke`,
    operationId: 'revokeGroupAccess',
    read: false,
    run: (o, c) => groupRole(o, c, false),
  },
  {
    method: 'POST',
    template: '/v2/orgs/{orgId}/workspaces',
    operationId: 'queryWorkspaces',
    read: true,
    run: (o, c) => queryWorkspaces(o, c),
  },
];

export function matchTemplate(template: string, path: string): Record<string, string> | undefined {
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
