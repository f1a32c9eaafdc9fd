/** Products' user limits (EmbeddedOrgOptions.userLimits): who holds a seat, and when one more is refused. */
import type { OrganizationState } from './state';

/**
 * Why giving the account access to these resources would pass a product's user limit
 * (EmbeddedOrgOptions.userLimits), if it would: the product's active users with any role
 * that grants use (user-access-admin grants none) are at the limit, and the account is not
 * one of them. Suspended users are not billed (Organizations REST API, Users: suspend), so not counted.
 */
export function limitReached(
  org: OrganizationState,
  accountId: string | undefined,
  resourceIds: string[],
): string | undefined {
  const limits = org.options.userLimits;
  if (!limits) return undefined;
  // A suspended member is not billed (Organizations REST API, Users: suspend): what it is given takes no seat.
  const account = accountId === undefined ? undefined : org.store.get('users', accountId);
  if (account && account.membership === 'suspended') return undefined;
  for (const resourceId of new Set(resourceIds)) {
    const product = org.meta.workspaces.find((w) => w.id === resourceId)?.typeKey;
    const limit = product === undefined ? undefined : limits[product];
    if (product === undefined || limit === undefined) continue;
    const users = [...org.store.state.users.values()].filter(
      (u) => u.membership === 'active' && usesProduct(org, u.accountId, product),
    );
    if (users.some((u) => u.accountId === accountId)) continue;
    if (users.length >= limit) {
      return `The user limit of ${product} (${limit} users) is reached.`;
    }
  }
  return undefined;
}

function usesProduct(org: OrganizationState, accountId: string, product: string): boolean {
  for (const [resourceId, roles] of org.effectiveRoles(accountId)) {
    if (org.meta.workspaces.find((w) => w.id === resourceId)?.typeKey !== product) continue;
    if ([...roles.keys()].some((role) => role !== 'atlassian/user-access-admin')) return true;
  }
  return false;
}
