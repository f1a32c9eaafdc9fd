/**
 * The full reconcile's drift check, resource by resource, on what one page of the directory
 * showed (src/sync/paged-walk.ts): whether the forced reconcile of a user or a group
 * (user-reconciler.ts, group-reconciler.ts) could change or report anything. Only those are
 * marked; the rest are in step and cost no call of their own.
 *
 * Each rule mirrors a check of the forced reconcile; where a rule cannot tell, it answers
 * "check it" (marking too much costs requests, marking too little would hide drift).
 */
import type { AtlassianGroup, ObservedAccount } from '../atlassian/port';
import { isAdminRole } from '../atlassian/admin-roles';
import type { StoredResource } from '../directory/collection';
import { atlassianGroupName } from '../policies/group-names';
import { allowListed, Policies } from '../policies/policies';
import type { GroupLink, MemberLink, UserLink } from './links';
import { isAdminGroupName } from './privilege';
import { profileInStep } from './profile';
import { primaryEmail } from './user-reconciler';

/** The SCIM groups as their links have them: by SCIM id, and by linked Atlassian group. */
export interface GroupIndex {
  bySCIM: Map<string, GroupLink>;
  byAtlassian: Map<string, string>;
}

/** What the app believes about the SCIM user an account is linked to. */
export interface UserBelief {
  id: string;
  link: UserLink;
  /** The SCIM user now; undefined once deleted at the identity provider. */
  desired?: StoredResource;
  /** The SCIM groups the directory has the user in. */
  memberships: Set<string>;
  /** The membership links of the user, by SCIM group. */
  memberLinks: Map<string, MemberLink>;
}

/** Whether the account holds an admin role now (the paged counterpart of isAdmin). */
export function adminNow(account: ObservedAccount, adminAccounts: ReadonlySet<string>): boolean {
  return adminAccounts.has(account.accountId) || account.platformRoles.some(isAdminRole);
}

/**
 * Why the user's forced reconcile could change or report something, or undefined when its
 * account, admin answer, status and profile are as the app left them.
 */
export function userDrift(
  account: ObservedAccount,
  admin: boolean,
  user: UserBelief & { desired: StoredResource },
  policies: Policies,
): string | undefined {
  const { link, desired } = user;
  // Anything not settled: the forced reconcile tries again (or reports again).
  if (link.blocked || link.waiting || link.unplaced || link.protectedAccount || link.driftNoted) {
    return 'not settled';
  }
  const email = primaryEmail(desired.doc);
  if (!email || link.email !== email) return 'e-mail changed';
  if (allowListed(policies, account.accountId, email, account.email)) return 'on the allow-list';
  // An account the app invited was never asked (it was new): not an admin, as it believes.
  const believed = link.admin?.accountId === account.accountId && link.admin.value;
  if (believed !== admin) return 'admin role changed';
  if (desired.doc.active !== false) {
    if (link.applied !== 'active' || link.deactivation || link.removedAccess?.length) return 'reactivated';
    if (account.status !== 'active') return `account ${account.status}`;
  } else {
    if (link.applied !== 'suspended') return 'deactivated';
    // A suspension the app applied, undone by hand (the other policies leave the status alone).
    if ((link.deactivation ?? 'suspend') === 'suspend' && account.status === 'active') return 'restored';
  }
  if (!profileInStep(desired.doc, email, account, link.profile)) return 'profile changed';
  return undefined;
}

/**
 * The SCIM groups whose forced reconcile could change or report something about this account's
 * memberships: a membership the app added and Atlassian no longer has (or one still being
 * added, or one the identity provider removed), and a member in a group the app created that
 * the identity provider does not have there (added by hand).
 */
export function membershipDrift(
  account: ObservedAccount,
  admin: boolean,
  user: UserBelief | undefined,
  groups: GroupIndex,
  policies: Policies,
): Set<string> {
  const marked = new Set<string>();
  const has = new Set(account.groupIds);
  const linked = user && user.link.accountId === account.accountId && user.link.applied !== 'deleted';
  if (user && linked) {
    for (const scimGroup of user.memberships) {
      const group = groups.bySCIM.get(scimGroup);
      // An unlinked group is the group walk's; a protected one is never touched.
      if (!group?.groupId || group.protected) continue;
      // Taken out on deactivation: the user's own reconcile gives it back (it is marked).
      if (user.link.removedAccess?.includes(group.groupId)) continue;
      const member = user.memberLinks.get(scimGroup);
      if (!member || member.adding || !has.has(group.groupId)) marked.add(scimGroup);
    }
    for (const scimGroup of user.memberLinks.keys()) {
      if (!user.memberships.has(scimGroup)) marked.add(scimGroup);
    }
  }
  // Admins and protected accounts are never taken out of a group, so never a drift to mark.
  if (admin || allowListed(policies, account.accountId, account.email)) return marked;
  for (const groupId of account.groupIds) {
    const scimGroup = groups.byAtlassian.get(groupId);
    const group = scimGroup === undefined ? undefined : groups.bySCIM.get(scimGroup);
    if (scimGroup === undefined || !group?.created || group.protected) continue;
    if (linked && user) {
      if (user.memberLinks.has(scimGroup) || user.memberships.has(scimGroup)) continue;
      // The app put it there itself: a new user's default group or product access.
      if (user.link.welcome?.groups.includes(groupId)) continue;
    }
    marked.add(scimGroup);
  }
  return marked;
}

/**
 * Why the group's forced reconcile could change or report something, given the Atlassian
 * group its link names (undefined: not found), and whether that group holds an admin role.
 */
export function groupDrift(
  desired: StoredResource,
  link: GroupLink | undefined,
  observed: AtlassianGroup | undefined,
  adminRole: boolean,
  policies: Policies,
): string | undefined {
  if (!link?.groupId || link.creating !== undefined) return 'not linked';
  if (link.reported !== undefined || link.renameNeeded !== undefined) return 'reported';
  if (!observed) return 'deleted in Atlassian';
  if (link.protected) return observed.modifiable === false ? undefined : 'no longer protected';
  if (observed.modifiable === false) return 'protected in Atlassian';
  const naming = atlassianGroupName(String(desired.doc.displayName), policies.groups);
  if (!naming.ok || observed.name !== naming.name || link.name !== naming.name) return 'renamed';
  // Given an admin role since it was linked: its next member add is refused and reported.
  if (adminRole || isAdminGroupName(observed.name)) return 'admin power';
  return undefined;
}
