/**
 * What a test needs to call the admin resolver: every resolver asks Jira, as the calling
 * user, whether they administer the site (src/forge/authorize.ts). The embedded
 * organization's Jira site answers that, for its seed admin account: pass `products` to
 * createTestRuntime and invoke as `adminId` (a user who is not an admin: `userId`).
 */
import { EmbeddedOrganization, embeddedSiteProducts, SEED_ACCOUNTS } from '../../src/local/embedded-org';
import type { ProductBackend } from '../../src/local/forge-runtime/network';

export interface AdminSite {
  org: EmbeddedOrganization;
  products: ProductBackend;
  /** The seed org and site admin. */
  adminId: string;
  /** An active account of the directory who is not an admin. */
  userId: string;
}

export function adminSite(
  org = new EmbeddedOrganization({ placeBareInvites: true, timeoutHoldMs: 5 }),
): AdminSite {
  const accountOf = (email: string) => {
    const account = org.findUserByEmail(email);
    if (!account) throw new Error(`The embedded organization has no seed account ${email}.`);
    return account.accountId;
  };
  return {
    org,
    products: embeddedSiteProducts(org),
    adminId: accountOf(SEED_ACCOUNTS.admin),
    userId: accountOf(SEED_ACCOUNTS.existing),
  };
}
