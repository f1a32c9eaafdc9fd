/**
 * Directory groups (`.../directories/{directoryId}/groups`): create, search and list, details,
 * delete, and their memberships; and how a group is answered.
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
import { Context, Json, noContent, ok, optionalString, optionalStrings, queryAsBody } from './request';
import type { OrganizationState } from './state';
import { limitReached } from './user-limits';
import type { GroupRecord, OrgResponse } from './types';

const GROUP_EXPANDS = ['counts.resources', 'counts.users'];

function groupJson(org: OrganizationState, group: GroupRecord, expand: Set<string>): Json {
  const out: Json = {
    id: group.id,
    name: group.name,
    description: group.description,
    directoryId: org.meta.directoryId,
    managementAccess: { readable: true, deletable: !group.protected, modifiable: !group.protected },
    externalSynced: false,
    managedBy: 'admins',
  };
  const counts: Json = {};
  if (expand.has('counts.users')) counts.users = org.groupMembers.get(group.id)?.size ?? 0;
  if (expand.has('counts.resources')) {
    counts.resources = new Set(org.groupRoles(group.id).map((g) => g.resourceId)).size;
  }
  if (Object.keys(counts).length > 0) out.counts = counts;
  return out;
}

/** Create: 201 without a body; names are unique case-insensitively (409 otherwise). */
export function createGroup(org: OrganizationState, ctx: Context): OrgResponse {
  const body = ctx.body();
  const name = optionalString(body, 'name')?.trim();
  const description = optionalString(body, 'description') ?? '';
  if (!name) throw badRequest('name is required.');
  if (name.length > 255) throw badRequest('name is longer than 255 characters.');
  if (org.byGroupName.has(name.toLowerCase())) {
    throw refuse(409, 'ADMIN-UAM-409-2', `A group named ${name} already exists.`);
  }
  org.createGroupRecord(name, description, false);
  return noContent(201);
}

export function searchGroups(org: OrganizationState, ctx: Context, fromQuery: boolean): OrgResponse {
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
  if (!fromQuery) state = { ...state, carry: drawCursorCarry(org.pagingRandom) };
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
    ? groupNames.flatMap((n) => org.findGroupByName(n) ?? [])
    : [...org.store.state.groups.values()];
  const matches = candidates.filter((group) => {
    if (directoryIds && !directoryIds.includes(org.meta.directoryId)) return false;
    if (groupIds && !groupIds.includes(group.id)) return false;
    if (searchTerm && !group.name.toLowerCase().includes(searchTerm)) return false;
    if (accountIds && !accountIds.some((a) => org.groupMembers.get(group.id)?.has(a))) return false;
    if (roleIds || resourceIds || resourceOwners) {
      const grants = org.groupRoles(group.id);
      if (roleIds && !grants.some((g) => roleIds.includes(g.roleId))) return false;
      if (resourceIds && !grants.some((g) => resourceIds.includes(g.resourceId))) return false;
      if (
        resourceOwners &&
        !grants.some((g) => resourceOwners.includes(org.workspace(g.resourceId).typeKey))
      ) {
        return false;
      }
    }
    return true;
  });
  const unique = [...new Map(matches.map((g) => [g.id, g])).values()];
  const page = paginate(unique, (g) => [g.name.toLowerCase(), g.id], descending, state, cursor);
  return ok({ data: page.data.map((g) => groupJson(org, g, expand)), links: page.links });
}

export function getGroup(org: OrganizationState, ctx: Context): OrgResponse {
  return ok({
    data: groupJson(org, org.group(ctx.params.groupId), new Set(['counts.users', 'counts.resources'])),
  });
}

/**
 * Delete: 204; protected groups (site-admins, org-admins) are refused with 403, and a group
 * that still has members with 409 `ADMIN-409-5` "Group not empty" (the error catalogue's
 * code, as the client generated from the spec, github.com/MrRefactoring/jira.js, carries it). Jira's own DELETE /rest/api/3/group (site-api.ts) still deletes.
 */
export function deleteGroup(org: OrganizationState, ctx: Context): OrgResponse {
  const group = org.group(ctx.params.groupId);
  if (group.protected) {
    throw refuse(403, 'ADMIN-403-7', `${group.name} grants admin access and cannot be deleted.`);
  }
  if ((org.groupMembers.get(group.id)?.size ?? 0) > 0) {
    throw refuse(409, 'ADMIN-409-5', 'Group not empty.');
  }
  org.dropGroup(group);
  return noContent();
}

/**
 * Add a member: 204. The account must be in the directory (404 "User not found"; invite
 * first: Groups, add user to group, and Atlassian's KB "How to add uninvited users to groups using REST API"), `org.user` refuses any other. Adding a member twice is a 204 that changes nothing (UNCONFIRMED; the facts say
 * treat 204 and 409 alike).
 */
export function addMembership(org: OrganizationState, ctx: Context): OrgResponse {
  const accountId = optionalString(ctx.body(), 'accountId');
  if (!accountId) throw badRequest('accountId is required.');
  const group = org.modifiableGroup(ctx.params.groupId);
  org.user(accountId);
  if (!org.groupMembers.get(group.id)?.has(accountId)) {
    // "You cannot add if the add would exceed an app's user limit" (Groups: add user to group).
    const limit = limitReached(
      org,
      accountId,
      org.groupRoles(group.id).map((g) => g.resourceId),
    );
    if (limit) throw refuse(409, 'ADMIN-409-3', limit);
    org.addMember(group.id, accountId);
  }
  return noContent();
}

/** Remove a member: 204; a user who is not a member is 404 (UNCONFIRMED; our choice). */
export function removeMembership(org: OrganizationState, ctx: Context): OrgResponse {
  const group = org.modifiableGroup(ctx.params.groupId);
  const { accountId } = ctx.params;
  if (!org.groupMembers.get(group.id)?.has(accountId)) {
    throw refuse(404, 'ADMIN-404-8', 'User not found in this group.');
  }
  org.removeMember(group.id, accountId);
  return noContent();
}
