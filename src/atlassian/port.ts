/**
 * The Atlassian port: what provisioning needs from an Atlassian organization, whatever the
 * credential behind it. The reconcile worker (src/sync) speaks only this; two adapters map it
 * onto real calls: org-adapter.ts (the Organizations REST API with an org admin API key) and
 * site-adapter.ts (one site's Jira REST API with a site admin's API token). Every method is safe to call again after a failure whose outcome is
 * unknown: adapters read state back rather than repeat a write blindly.
 */

import type { ProfileChanges, ProfileControls } from './profile';

/** Account status in the organization's directory, as the Organizations API reports it. */
export type AccountStatus = 'active' | 'suspended' | 'not_invited' | 'deactivated' | 'for_deletion';

export interface AtlassianAccount {
  accountId: string;
  email: string;
  name?: string;
  status: AccountStatus;
  /**
   * Whether the organization manages the account (Organizations API `claimStatus`: `managed`
   * when the account's e-mail domain is verified and the account claimed,
   * https://developer.atlassian.com/cloud/admin/organization/rest/api-group-users/).
   * Undefined where the adapter cannot tell: Jira's REST API (the site-admin mode) has no claim
   * status. Linking by e-mail takes only a managed account (src/sync/user-reconciler.ts).
   */
  managed?: boolean;
}

export interface AtlassianGroup {
  id: string;
  name: string;
  description?: string;
  /** False for groups an identity provider syncs or Atlassian protects (site-admin...). */
  modifiable?: boolean;
  deletable?: boolean;
}

/** A product site the organization can grant access to (a workspace, by its ARI). */
export interface ProductResource {
  /** Workspace id = product ARI, e.g. ari:cloud:jira-software::site/<cloudId>. */
  id: string;
  /** jira-software, jira-servicedesk, confluence, bitbucket, ... */
  product: string;
  name?: string;
  hostUrl?: string;
}

/**
 * One role a group holds (Organizations API: the group's role assignments): a product role on
 * a resource, or a platform role (atlassian/site-admin...) with no resource.
 */
export interface GroupRole {
  role: string;
  /** The resource's ARI; absent for platform roles or where the API names only the product. */
  resourceId?: string;
  /** The product owning the resource: jira-software, confluence... */
  product?: string;
}

/** A group whose members get product access, and the products (jira-software, ...) it grants. */
export interface ProductAccessGroup {
  group: AtlassianGroup;
  products: string[];
  /**
   * Every role the group holds, where the adapter read them to find its products (so the
   * privilege check, src/sync/privilege.ts, needs no second read).
   */
  roles?: GroupRole[];
}

export type ProductRole =
  | 'atlassian/user'
  | 'atlassian/admin'
  | 'atlassian/guest'
  | 'atlassian/basic'
  | 'atlassian/customer'
  | 'atlassian/contributor'
  | 'atlassian/stakeholder'
  | 'atlassian/viewer'
  | 'atlassian/user-access-admin';

/**
 * Why a call failed, in terms the worker can act on:
 * - `transient`: rate limited, 5xx or timeout even after the client's retries: try later;
 * - `payment-required`: the organization has no paid subscription (402 on invite): report,
 *   never retry until the admin changes something;
 * - `user-limit`: the grant would take a product past its licence's user limit (409
 *   `ADMIN-409-3`/`ADMIN-UAM-409-3`, UNCONFIRMED codes, Organizations REST API error catalogue): report with the
 *   fix (raise the user tier or free seats), never retry until something changes;
 * - `not-found`, `conflict`, `forbidden`, `invalid`: the request cannot succeed as it is;
 * - `unsupported`: this adapter cannot do it at all (e.g. a rename the API does not offer).
 */
export type AtlassianErrorKind =
  | 'transient'
  | 'payment-required'
  | 'user-limit'
  | 'not-found'
  | 'conflict'
  | 'forbidden'
  | 'invalid'
  | 'unsupported';

/** Optional details of an AtlassianError (all additive: older callers pass none). */
export interface AtlassianErrorDetails {
  /**
   * A write that is not idempotent (invite, create group) was sent and no answer came back
   * (timeout, 5xx): it may or may not have happened. Adapters read the state back before
   * sending it again; the worker must do the same (or just call the adapter again later).
   */
  outcomeUnknown?: boolean;
  /** When rate limited or out of time: how long to wait before trying again, if known. */
  retryAfterMs?: number;
}

export class AtlassianError extends Error {
  readonly outcomeUnknown: boolean;
  readonly retryAfterMs?: number;
  constructor(
    readonly kind: AtlassianErrorKind,
    message: string,
    /** The HTTP status and Atlassian's error code, when there was an answer. */
    readonly status?: number,
    readonly code?: string,
    details: AtlassianErrorDetails = {},
  ) {
    super(message);
    this.name = 'AtlassianError';
    this.outcomeUnknown = details.outcomeUnknown ?? false;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
  }
}

/** Whether `error` is an AtlassianError of one of these kinds. */
export const isKind = (error: unknown, ...kinds: AtlassianError['kind'][]): error is AtlassianError =>
  error instanceof AtlassianError && kinds.includes(error.kind);

/** Names and e-mail addresses compare case-insensitively in Atlassian. */
export const sameText = (a: string | undefined, b: string) =>
  a !== undefined && a.toLowerCase() === b.toLowerCase();

export type { ProfileChanges, ProfileControls, ProfileField } from './profile';
/**
 * What an invite places the user with (Organizations REST API, Users: invite,
 * https://developer.atlassian.com/cloud/admin/organization/rest/api-group-users/:
 * invited people are "added to directories based on apps in your invitation" and to the
 * groups; an invite with neither may place no one).
 */
export interface InviteOptions {
  name?: string;
  /** Atlassian group ids the account joins with the invite (`additionalGroups`). */
  groups?: string[];
  /** Product roles given to the account itself (`permissionRules`: workspace id and role). */
  roles?: Array<{ resourceId: string; role: ProductRole }>;
  /**
   * The caller searched the e-mail just now and found no account in the directory (none, or
   * one `not_invited`): the adapter sends the invite without searching again. After an
   * unknown outcome it still reads back before sending once more.
   */
  lookedUp?: boolean;
  /**
   * With `lookedUp`: the account the look-up found `not_invited`, if any. After an unknown
   * outcome, a `not_invited` account other than this one is the invite's (made, not placed).
   */
  notInvited?: string;
  /**
   * The caller reads the account's status back itself, batched with others (one
   * `users/search {accountIds}` for many invites, which also tells the claim status): the
   * adapter answers `placementUnknown` for an account its invite made or found, instead of
   * reading it back or inferring its status from the groups that placed it.
   */
  deferReadBack?: boolean;
}

export interface CreateGroupOptions {
  /**
   * The caller searched the name just now and found no group: the adapter creates without
   * searching again (one look-up per new group). After an unknown outcome it still reads back
   * before sending once more.
   */
  lookedUp?: boolean;
  /**
   * Create first, without looking the name up (names are unique in a directory, so a taken
   * name is refused with 409): a name someone else has answers `conflict`, for the caller to
   * look up and decide whether to adopt it. One request for the name per new group (the
   * create's own answer has no body, so its id is read back by name). A 409 on a second
   * attempt after an unknown outcome is this call's own group and is answered as created.
   */
  takenIsConflict?: boolean;
}

/** The account an invite made or found, and what it could place. */
export interface InvitedAccount extends AtlassianAccount {
  /**
   * The groups (of InviteOptions.groups) the invite put the account in; the rest are for the
   * caller to add as members. Undefined: the adapter cannot tell (treat as none).
   */
  placedGroups?: string[];
  /** Groups and roles the invite refused, each with Atlassian's reason. */
  refused?: Array<{ what: string; reason: string }>;
  /**
   * Not read back (InviteOptions.deferReadBack): whether the invite put the account in the
   * directory is unknown, and `status` says nothing; the caller reads it before adding any
   * membership (a member add of an account outside the directory is 404).
   */
  placementUnknown?: boolean;
}

/**
 * An account as one page of the whole directory shows it (the daily full reconcile reads the
 * directory in pages rather than one call per account and membership, src/sync/paged-walk.ts).
 */
export interface ObservedAccount extends AtlassianAccount {
  /** The Atlassian groups the account is a member of (users search `expand: ["groups"]`). */
  groupIds: string[];
  /** Its platform roles (`expand: ["platformRoles"]`): org-admin, site-admin... */
  platformRoles: string[];
}

/** One page of the directory's accounts, and the cursor of the next (none: the last page). */
export interface AccountPage {
  accounts: ObservedAccount[];
  cursor?: string;
}

/**
 * Reading the directory in pages, for the full reconcile's drift check. Optional: an adapter
 * without it (the site-admin mode: Jira's REST API has no such search) is checked resource by
 * resource, as every forced reconcile does.
 */
export interface DirectoryPages {
  /** One page of every account in the directory, with its groups and platform roles. */
  pageAccounts(cursor?: string): Promise<AccountPage>;
  /**
   * Every account holding an admin role (org, site, product or user-access admin), directly
   * or through a group: the paged counterpart of `isAdmin`.
   */
  adminAccountIds(): Promise<string[]>;
  /** These groups as Atlassian has them (those not found are left out); at most 100 ids. */
  groupsById(groupIds: string[]): Promise<AtlassianGroup[]>;
  /** Which of these groups hold an admin role (see src/atlassian/admin-roles.ts); at most 100 ids. */
  adminGroupIds(groupIds: string[]): Promise<string[]>;
}

export interface AtlassianPort {
  /** The account with exactly this e-mail address (case-insensitive), if any. */
  findAccountByEmail(email: string): Promise<AtlassianAccount | undefined>;
  getAccount(accountId: string): Promise<AtlassianAccount | undefined>;
  /**
   * The accounts with these e-mail addresses (exact, case-insensitive), as few requests as the
   * API allows (the Organizations API: one `users/search {emails}` per ≤ 100). An e-mail with
   * no account is simply absent from the answer. Optional: an adapter without a batch form
   * leaves it out, and the worker looks each e-mail up on its own (src/sync/account-prefetch.ts).
   */
  findAccountsByEmail?(emails: string[]): Promise<AtlassianAccount[]>;
  /**
   * These accounts as the directory has them (status, claim status), in as few requests as
   * the API allows (`users/search {accountIds}` per ≤ 100); an account not in the directory is
   * absent or `not_invited`. Optional, as findAccountsByEmail.
   */
  getAccounts?(accountIds: string[]): Promise<AtlassianAccount[]>;
  /**
   * Invites one e-mail with what places it (groups, roles); returns the account it created or
   * found, its status read back after the invite: `not_invited` when Atlassian did not add it
   * to the directory (then no membership can be added yet).
   */
  invite(email: string, options?: InviteOptions): Promise<InvitedAccount>;
  suspend(accountId: string): Promise<void>;
  restore(accountId: string): Promise<void>;
  /**
   * An organization admin or a site/product admin: an account the app never touches
   * (no suspend, no group change, no removal). False for an account not in the directory.
   */
  isAdmin(accountId: string): Promise<boolean>;
  /**
   * Removes the account from the organization's directory (it loses its groups and roles
   * there); never deletes the account. Already removed is success. `unsupported` where the
   * credential cannot.
   */
  removeFromDirectory(accountId: string): Promise<void>;
  /**
   * The products (jira-software, jira-servicedesk...) the account can still use however they
   * were granted, groups or a role given to the user directly; undefined when the answer does
   * not say. Optional: only the site-admin mode needs it, to find access that removing
   * product-access groups left behind (it cannot suspend); the org adapter suspends instead.
   */
  remainingAccess?(accountId: string): Promise<string[] | undefined>;
  /** The groups whose members get product access, and the products each grants. */
  productAccessGroups(): Promise<ProductAccessGroup[]>;
  /**
   * Every role the group holds, on any resource (none for a group not found). Optional so
   * decorators that predate it still compile; the privilege check falls back to the roles
   * productAccessGroups carries when a port lacks it.
   */
  groupRoles?(groupId: string): Promise<GroupRole[]>;
  /** The groups the account is a member of (none for an account not in the directory). */
  groupsOf(accountId: string): Promise<AtlassianGroup[]>;

  /** The group with exactly this name (case-insensitive), if any. */
  findGroupByName(name: string): Promise<AtlassianGroup | undefined>;
  getGroup(groupId: string): Promise<AtlassianGroup | undefined>;
  createGroup(name: string, description?: string, options?: CreateGroupOptions): Promise<AtlassianGroup>;
  /** Renames a group in place, keeping its permissions; `unsupported` where impossible. */
  renameGroup(groupId: string, name: string): Promise<void>;
  deleteGroup(groupId: string): Promise<void>;

  /** Whether the account is a member of the group. */
  isMember(groupId: string, accountId: string): Promise<boolean>;
  addMember(groupId: string, accountId: string): Promise<void>;
  removeMember(groupId: string, accountId: string): Promise<void>;
  /**
   * One page of the group's members in Atlassian (accountIds), `cursor` continuing where the
   * previous page ended: the full reconcile finds members added by hand (drift).
   */
  listMembers(groupId: string, cursor?: string): Promise<{ accountIds: string[]; cursor?: string }>;

  /** Product sites the organization has. */
  listProducts(): Promise<ProductResource[]>;
  /** Grants the group's members a role on a product (access through the group). */
  grantGroupAccess(groupId: string, resourceId: string, role: ProductRole): Promise<void>;
  revokeGroupAccess(groupId: string, resourceId: string, role: ProductRole): Promise<void>;

  // Profiles (Atlassian's User management API, accounts the organization manages). Optional:
  // the site-admin mode has no profile write (Jira's REST API offers none to an app), and the
  // sync then notes once that profiles are not synced (src/sync/profile.ts).
  /** What may be changed on the account; undefined when the organization does not manage it. */
  profileControls?(accountId: string): Promise<ProfileControls | undefined>;
  /** Sets these profile fields, in one request; sending the same changes again is harmless. */
  updateProfile?(accountId: string, changes: ProfileChanges): Promise<void>;
  /** Changes the account's e-mail (to an address on a verified domain). */
  setEmail?(accountId: string, email: string): Promise<void>;

  /** The directory in pages (the full reconcile's drift check); absent in site-admin mode. */
  readonly pages?: DirectoryPages;
}
