/**
 * What the embedded Atlassian organization stores and exchanges. Shapes follow
 * Atlassian's Organizations REST API v2 (https://developer.atlassian.com/cloud/admin/organization/rest/;
 * the subset the adapter uses); records hold only what the answers are computed from.
 */

/** One HTTP request, as the transports hand it over (path under the gateway: /admin/...). */
export interface OrgRequest {
  method: string;
  /** Path and query string, e.g. `/admin/v2/orgs/<id>/directories?limit=10`. */
  path: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: string;
  /**
   * Who calls the Jira site API (paths under /site) when the call comes from a Forge product
   * fetch (`asApp()`/`asUser()`), set by the offline runtime's product backend, never from
   * HTTP; absent: Basic auth (e-mail + API token) decides.
   */
  caller?: ({ kind: 'app' } | { kind: 'user'; accountId: string }) & {
    /** The app's granted scopes: each operation needs one of its scope sets, as Jira checks. */
    scopes?: string[];
  };
}

export interface OrgResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON text, absent for 201/204 answers without a body. */
  body?: string;
  /**
   * Set when the call must look like a timeout to the client: the transport holds the
   * connection past the client's patience and then drops it. `applied` says whether the
   * state change happened first (a lost answer) or not at all.
   */
  timeout?: { applied: boolean };
}

/** `none`: the account exists in Atlassian but is not (or no longer) in the directory. */
export type Membership = 'active' | 'suspended' | 'none';

export interface UserRecord {
  accountId: string;
  email: string;
  name: string;
  nickname: string;
  membership: Membership;
  accountStatus: 'active' | 'inactive' | 'closed';
  addedToOrg: string;
  claimStatus: 'managed' | 'unmanaged';
  managementSource: 'invited' | 'synced' | null;
  emailVerified: boolean;
  mfaEnabled: boolean;
  /** Organization-level roles: atlassian/org-admin, atlassian/site-admin... */
  platformRoles: string[];
  /** User management API profile fields (user-management.ts); absent until set. */
  zoneinfo?: string;
  locale?: string;
  extendedProfile?: { job_title?: string; department?: string; organization?: string; location?: string };
  /** Profile fields the org's key may not write, drawn when the account is first managed. */
  lockedFields?: string[];
}

export interface GroupRecord {
  id: string;
  name: string;
  description: string;
  /** site-admins, org-admins: neither deletable nor modifiable (members, roles). */
  protected: boolean;
  createdAt: string;
}

/** A product role on a workspace, held by a group (through membership) or a user (directly). */
export interface RoleGrant {
  subject: string;
  resourceId: string;
  roleId: string;
}

export interface WorkspaceRecord {
  /** The product ARI: ari:cloud:<typeKey>::site/<cloudId>. */
  id: string;
  name: string;
  typeKey: string;
  hostUrl: string;
  createdAt: string;
}

export interface OrgMeta {
  orgId: string;
  orgName: string;
  directoryId: string;
  directoryName: string;
  /** The org admin API key (kept when generated, so a restart keeps it). */
  apiKey: string;
  cloudId: string;
  siteUrl: string;
  createdAt: string;
  workspaces: WorkspaceRecord[];
  /** The seed admin's Atlassian API token for the Jira site API (Basic auth); made on first use. */
  siteApiToken?: string;
}

export interface OrgState {
  meta: Map<string, OrgMeta>;
  users: Map<string, UserRecord>;
  groups: Map<string, GroupRecord>;
  /** Key `<groupId>|<accountId>`. */
  members: Map<string, true>;
  /** Key `<groupId>|<resourceId>|<roleId>`. */
  groupRoles: Map<string, RoleGrant>;
  /** Key `<accountId>|<resourceId>|<roleId>`: roles granted to the user directly. */
  userRoles: Map<string, RoleGrant>;
}

export type Collection = keyof OrgState;
