/**
 * The privilege boundary: the one place that says what "admin power" is in Atlassian, and
 * whether the app may grant anything through a group. An identity provider (or an admin's
 * policy mistake) must never make anyone an admin through the app, so before every grant
 * (a SCIM group's member add, adopting an existing group for a SCIM group, a new user's
 * default groups and product access) the reconcilers ask this module about the group.
 *
 * A group holds admin power when:
 * - it holds an admin role on any resource: the platform roles atlassian/org-admin and
 *   atlassian/site-admin, the product admin role atlassian/admin and atlassian/user-access-admin
 *   (it administers the very users and groups the app provisions); role names from the
 *   Organizations API's RoleId (developer.atlassian.com/cloud/admin/organization/rest/api-group-groups).
 *   Any other role whose name ends in "admin" counts too, so a role Atlassian adds later is
 *   refused rather than granted;
 * - or it is one of the admin groups Atlassian makes on every site (site-admins, org-admins,
 *   administrators, jira-admins-<site>, confluence-admins-<site>...): Jira's global permissions
 *   (Administer Jira) are granted to groups on the site, which no role assignment shows;
 * - or Atlassian protects it (managementAccess.modifiable false: site-admins and the like).
 *
 * A group's roles are read at most once per run, and shared with the runs going on at the same
 * time for the installation (src/sync/group-role-cache.ts); a run never trusts a read sent
 * before it began: an admin may give a group an admin role at any time.
 */
import type {
  AtlassianGroup,
  AtlassianPort,
  GroupRole,
  ProductAccessGroup,
  ProductRole,
} from '../atlassian/port';
import { isAdminRole } from '../atlassian/admin-roles';
import type { AtlassianCalls } from './atlassian-calls';
import { GroupRoleCache, GroupRoleReader } from './group-role-cache';

/**
 * The admin groups Atlassian creates on a site (support.atlassian.com "default groups"):
 * site-admins, org-admins, administrators, system-administrators, jira-administrators,
 * confluence-administrators, and `<product>-admins[-<site>]` (jira-admins-acme,
 * confluence-admins-acme, jira-servicemanagement-admins-acme...).
 */
const ADMIN_GROUP_NAME =
  /^(?:(?:site|org|system)-admins|administrators|system-administrators|jira-administrators|confluence-administrators|(?:jira|jira-core|jira-software|jira-servicedesk|jira-servicemanagement|jira-product-discovery|jira-work-management|confluence|bitbucket|opsgenie|statuspage|compass|trello|atlas|loom)-admins(?:-.+)?)$/i;

/** Whether the name is one of Atlassian's own admin groups. */
export function isAdminGroupName(name: string): boolean {
  return ADMIN_GROUP_NAME.test(name.trim());
}

/** What the log says to do about a refused grant, by where the grant came from. */
export const FIXES = {
  scimGroup:
    'rename the group at the identity provider, or map it with groups.nameMap to a group without admin roles',
  defaultGroup:
    'remove it from the new-user default groups, or take the admin role off the group in Atlassian Administration (Directory › Groups)',
  linkedGroup:
    'take the admin role off the group in Atlassian Administration, or map the SCIM group with groups.nameMap to a group without admin roles',
} as const;

/** The group that grants a product role, or why there is none. */
export type ProductGroupChoice = { group: AtlassianGroup } | { problem: string };

export class PrivilegeBoundary {
  /** The product-access groups, read once per run, only for a port without groupRoles. */
  private access: Promise<ProductAccessGroup[]> | undefined;

  constructor(
    private readonly port: AtlassianPort,
    /** This run's view of the installation's group roles; by default, the run's own. */
    private readonly roles: GroupRoleReader = new GroupRoleCache().beginRun(),
  ) {}

  /**
   * Why a grant through this group would give admin power, or undefined when it would not.
   * The name and Atlassian's protection are checked first, so a well-known admin group costs
   * no call.
   */
  async adminPower(group: AtlassianGroup, calls: AtlassianCalls): Promise<string | undefined> {
    if (isAdminGroupName(group.name)) return `"${group.name}" is one of Atlassian's admin groups`;
    if (group.modifiable === false) return `"${group.name}" is protected by Atlassian`;
    const admin = (await this.rolesOf(group.id, calls)).find((r) => isAdminRole(r.role));
    if (!admin) return undefined;
    return `"${group.name}" holds the admin role ${admin.role}${admin.product ? ` on ${admin.product}` : ''}`;
  }

  /**
   * The group through which a new user gets exactly `role` on `product`, and nothing more:
   * its only roles are that role on that product's resources (a group that also grants other
   * products or roles would give more than the policy names, an admin role above all). Among
   * several, the first by name, so the choice is the same on every run.
   */
  async productGroup(
    access: ProductAccessGroup[],
    product: string,
    role: ProductRole,
    calls: AtlassianCalls,
  ): Promise<ProductGroupChoice> {
    const candidates = access
      .filter((a) => a.products.includes(product) && a.group.modifiable !== false)
      .sort((a, b) => a.group.name.localeCompare(b.group.name));
    for (const { group, roles: carried } of candidates) {
      if (isAdminGroupName(group.name)) continue;
      const roles = carried ?? (await this.rolesOf(group.id, calls));
      if (roles.length > 0 && roles.every((r) => r.role === role && r.product === product)) return { group };
    }
    if (candidates.length === 0) {
      return {
        problem: `no group grants ${product} access: give a group ${product} access (only ${role}) in Atlassian Administration (Directory › Groups), or change the new-user product access`,
      };
    }
    const others = candidates.map((c) => c.group.name).join(', ');
    return {
      problem: `no group grants exactly ${role} on ${product} and nothing more (${others} grant other roles or products too, an admin role would make every new user an admin): give a group only ${role} on ${product} in Atlassian Administration (Directory › Groups), or change the new-user product access`,
    };
  }

  private rolesOf(groupId: string, calls: AtlassianCalls): Promise<GroupRole[]> {
    return this.roles.roles(groupId, () => calls.read('groupRoles', () => this.readRoles(groupId)));
  }

  /**
   * The port's groupRoles; a port without it (a decorator) still tells, through the
   * product-access groups, the roles of every group holding a product role, atlassian/admin
   * included.
   */
  private async readRoles(groupId: string): Promise<GroupRole[]> {
    if (this.port.groupRoles) return this.port.groupRoles(groupId);
    this.access ??= this.port.productAccessGroups();
    this.access.catch(() => (this.access = undefined));
    return (await this.access).find((a) => a.group.id === groupId)?.roles ?? [];
  }
}
