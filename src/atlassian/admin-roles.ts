/**
 * Which Atlassian roles give admin power: Atlassian's own vocabulary, so it lives beside the
 * adapters that read role assignments (the org adapter's isAdmin) and is used by the sync's
 * privilege boundary (src/sync/privilege.ts) before every grant.
 */

/** The admin roles of the Organizations API (RoleId / platform roles). */
export const ADMIN_ROLES: ReadonlySet<string> = new Set([
  'atlassian/org-admin',
  'atlassian/site-admin',
  'atlassian/admin',
  'atlassian/user-access-admin',
]);

/** Whether a role gives admin power: a known admin role, or any role named "...admin". */
export function isAdminRole(role: string): boolean {
  return ADMIN_ROLES.has(role) || /admin$/i.test(role);
}
