/** Inviting users (`POST /v2/orgs/{orgId}/users/invite`). */
import { badRequest, refuse } from './errors';
import { DEFAULT_LIMITS } from './paging';
import { Context, Json, ok, optionalBoolean, optionalString, optionalStrings } from './request';
import { ASSIGNABLE_ROLES, roleProblem } from './roles';
import type { OrganizationState } from './state';
import { limitReached } from './user-limits';
import type { OrgResponse } from './types';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Invite: per e-mail, the existing account (matched case-insensitively: one account per
 * e-mail) or a new one joins the directory; then the roles and groups are applied and
 * reported one by one (INVITED or ERROR). A suspended member stays suspended (UNCONFIRMED:
 * restoring is a separate call). 200 with the results; 402 without a paid subscription.
 */
export function invite(org: OrganizationState, ctx: Context): OrgResponse {
  if (!org.paid) {
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
    const known = org.findUserByEmail(email);
    for (const { resource, role } of permissionRules) {
      if (roleProblem(org, resource, role, ASSIGNABLE_ROLES)) continue;
      const limit = limitReached(org, known?.accountId, [resource]);
      if (limit) throw refuse(409, 'ADMIN-UAM-409-3', limit);
    }
  }
  // "Added to directories based on apps in your invitation" (Organizations REST API, Users: invite): with
  // roles or groups the account joins the directory; with neither, UNCONFIRMED (drawn).
  const places =
    permissionRules.length > 0 ||
    groups.length > 0 ||
    (org.options.placeBareInvites ?? org.answerRandom() < 0.5);
  const data = unique.map((email) => {
    let user = org.findUserByEmail(email);
    if (!user) {
      user = org.newUser(email, email.split('@')[0], places ? {} : { membership: 'none' });
      org.putUser(user);
    } else if (user.membership === 'none' && places) {
      user = { ...user, membership: 'active', managementSource: 'invited' };
      org.putUser(user);
    }
    const accountId = user.accountId;
    const placed = user.membership !== 'none';
    const roleAssignmentResult = permissionRules.map(({ resource, role }) => {
      const reason = roleProblem(org, resource, role, ASSIGNABLE_ROLES);
      if (!reason) org.grantUserRole(accountId, resource, role);
      return { resource, role, status: reason ? 'ERROR' : 'INVITED', statusReason: reason ?? null };
    });
    const groupAssignmentResult = groups.map((groupId) => {
      const group = org.store.get('groups', groupId);
      const reason = !group
        ? 'Group not found.'
        : group.protected
          ? 'The group cannot be modified.'
          : !placed
            ? 'User not found.'
            : limitReached(
                org,
                accountId,
                org.groupRoles(groupId).map((g) => g.resourceId),
              );
      if (!reason) org.addMember(groupId, accountId);
      return { group: groupId, status: reason ? 'ERROR' : 'INVITED', statusReason: reason ?? null };
    });
    return { id: accountId, email: user.email, results: [{ roleAssignmentResult, groupAssignmentResult }] };
  });
  return ok({ data });
}
