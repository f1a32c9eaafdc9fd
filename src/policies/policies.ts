/**
 * Provisioning policies: what the reconcile worker does in Atlassian for each kind of change
 * the identity provider sends. Stored as configuration (a kvs value on Forge, edited on the
 * admin page or through the `savePolicies` resolver; locally also a JSON file), validated
 * before it is stored. The defaults are what the app did before policies existed, so an
 * installation that never touches them behaves as it always has.
 *
 * This module is the contract shared by the worker, the resolvers and the admin page: types
 * and defaults only, no storage and no Atlassian calls.
 */
import type { ProductRole } from '../atlassian/port';

/** What happens to a user's Atlassian account when the identity provider deactivates it. */
export type DeactivationAction =
  /** The account is suspended in the organization (it keeps its groups; restored on return). */
  | 'suspend'
  /** The account stays active but leaves every group that grants product access. */
  | 'remove-product-access'
  /** Nothing happens in Atlassian; the log notes the change. */
  | 'none';

/** Deletion offers the same choices, and removal from the organization's directory. */
export type DeletionAction = DeactivationAction | 'remove-from-directory';

/** A product the app can grant access to, with the role (default `atlassian/user`). */
export interface ProductAccessGrant {
  /** jira-software, jira-servicedesk, jira-product-discovery, confluence, bitbucket... */
  product: string;
  role?: ProductRole;
}

export interface Policies {
  linking: {
    /**
     * true: an existing Atlassian account with the user's e-mail is linked instead of
     * invited. false: it is reported as a conflict and left alone. Either way, once linked
     * the link is by accountId, so an e-mail change at the identity provider keeps it.
     */
    linkExistingByEmail: boolean;
  };
  deactivation: {
    action: DeactivationAction;
    /** On reactivation, put the user back in the groups it had (Entra does not resend them). */
    restoreMemberships: boolean;
  };
  deletion: {
    action: DeletionAction;
  };
  protectedAccounts: {
    /** Organization and site admins are never touched (always true; shown for clarity). */
    admins: true;
    /** Further accounts the app never touches, by Atlassian accountId. */
    accountIds: string[];
    /** ... or by e-mail address (case-insensitive). */
    emails: string[];
  };
  newUsers: {
    /** Atlassian group names every newly provisioned user joins. */
    defaultGroups: string[];
    /** Product access every newly provisioned user gets. */
    productAccess: ProductAccessGrant[];
  };
  groups: {
    /** SCIM displayName → Atlassian group name; applied first, exactly. */
    nameMap: Record<string, string>;
    /** A regular expression rewrite of names the map does not cover (JavaScript syntax). */
    rewrite?: { pattern: string; replacement: string; flags?: string };
    /** Prepended to every name the map does not cover, after the rewrite ('' for none). */
    prefix: string;
    /** false: a group that does not exist in Atlassian is reported, not created. */
    createUnknown: boolean;
    /** A group of that name exists already and the app did not create it: adopt or report. */
    onExistingName: 'adopt' | 'report';
  };
  seatCap: {
    /** Users the app may have active in Atlassian; beyond it new users wait as pending. */
    limit?: number;
  };
  /** Plan and log every Atlassian write without making it. */
  dryRun: boolean;
  drift: {
    /** What the scheduled full reconcile does with a change made by hand in Atlassian. */
    action: 'repair' | 'report';
  };
}

export const DEFAULT_POLICIES: Policies = {
  linking: { linkExistingByEmail: true },
  deactivation: { action: 'suspend', restoreMemberships: true },
  deletion: { action: 'suspend' },
  protectedAccounts: { admins: true, accountIds: [], emails: [] },
  newUsers: { defaultGroups: [], productAccess: [] },
  groups: { nameMap: {}, prefix: '', createUnknown: true, onExistingName: 'adopt' },
  seatCap: {},
  dryRun: false,
  drift: { action: 'repair' },
};

/** One reason a policy document was refused, by the path of the offending field. */
export interface PolicyProblem {
  /** e.g. `groups.rewrite.pattern` */
  path: string;
  reason: string;
}

/**
 * Whether the account is on the allow-list of protected accounts (`protectedAccounts`), by its
 * id or any of the e-mails given (compared trimmed and case-insensitively).
 */
export function allowListed(
  policies: Pick<Policies, 'protectedAccounts'>,
  accountId: string | undefined,
  ...emails: (string | undefined)[]
): boolean {
  const listed = policies.protectedAccounts;
  if (accountId && listed.accountIds.includes(accountId)) return true;
  const wanted = new Set(listed.emails.map((e) => e.trim().toLowerCase()));
  return emails.some((e) => e !== undefined && wanted.has(e.trim().toLowerCase()));
}
