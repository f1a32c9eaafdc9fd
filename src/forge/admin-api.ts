/**
 * The contract between the admin page and its resolver (typed on both sides). Each group of
 * resolvers is implemented in its own module of src/forge/ and spread into `adminResolver`
 * in index.ts; the page (src/frontend) imports only these types.
 *
 * Every resolver checks on the server that the caller is a site or product admin, and none
 * ever returns a secret after it was created (a new SCIM token is returned once, by the call
 * that generates it).
 */
import type { LogEntry, LogQuery } from '../sync/log';
import type { RefusedCount } from '../sync/requests';
import type { Policies, PolicyProblem } from '../policies/policies';
import type { FullReconcileProgress } from '../sync/progress';
import type { AtlassianConnectionApi } from './atlassian-connection';

// ---- overview --------------------------------------------------------------------------

export interface AdminStatus {
  /** The SCIM base URL, whole; and split for clients that ask for host and path apart. */
  scimBaseUrl: string;
  scimHost: string;
  scimPath: string;
  /** Whether at least one SCIM bearer token is live. */
  tokenConfigured: boolean;
  tokens: TokenView[];
  users: number;
  groups: number;
  /** Users and groups waiting to be reconciled into Atlassian. */
  pending: number;
  /** Sync log entries with status `failed` in the last 24 hours. */
  failed: number;
  /** Counting stops at 500 (a bounded read): true means "500 or more". */
  pendingAtLeast?: boolean;
  failedAtLeast?: boolean;
  /**
   * Epoch ms of the last request an identity provider sent with a live token (whatever its
   * answer), if any; recorded at most every 5 minutes, so it may be up to 5 minutes old.
   */
  lastScimRequestAt?: number;
  health: AdminHealth;
  licence: AdminLicence;
  /**
   * Requests refused for a missing or wrong bearer token, once there was one: how many, since
   * when, the latest. Only counted (what they sent is anyone's and never shown), and not part
   * of the health line: a stranger's requests say nothing about the identity provider.
   */
  refusedRequests?: RefusedCount;
}

/**
 * One line the admin reads first (src/forge/status.ts). `error` when nothing arrived from the
 * identity provider for a day while a token exists, failures pile up (10 in 24 h), the
 * licence is inactive or the Atlassian key expired; `warning` for a few failures, a licence
 * or key ending within 14 days, or Atlassian not connected; `idle` before any token or
 * request. The message names every reason of that severity.
 */
export interface AdminHealth {
  state: 'ok' | 'warning' | 'error' | 'idle';
  message: string;
}

/** The installation's Marketplace licence (src/forge/licence.ts). */
export interface AdminLicence {
  /** `none`: no licence applies (free, development or unlisted installation): writes work. */
  state: 'active' | 'inactive' | 'none';
  /** False while the licence is inactive: SCIM writes are refused, reads still work. */
  writesAllowed: boolean;
  detail: string;
  endDate?: string;
}

// ---- SCIM bearer tokens ----------------------------------------------------------------

/** A live token as the page may see it: never the token, never its hash. */
export interface TokenView {
  id: string;
  /** The token's first characters and a short hash, enough to tell two tokens apart. */
  fingerprint: string;
  createdAt: number;
  lastUsedAt?: number;
}

// ---- sync log --------------------------------------------------------------------------

/**
 * The sync log's query and entries, as src/sync/log.ts defines them (type-only: the admin
 * page's bundle gets no sync code). A page is newest first.
 */
export type SyncLogQuery = LogQuery;
export type SyncLogEntryView = LogEntry;

// ---- full reconcile (drift) ------------------------------------------------------------

/** The full reconcile's progress record, as src/sync/progress.ts keeps it. */
export type ReconcileProgress = FullReconcileProgress;

// ---- the resolver ----------------------------------------------------------------------

export type AdminApi = AtlassianConnectionApi & {
  getStatus: () => AdminStatus;

  /** Live tokens, oldest first. */
  listTokens: () => { tokens: TokenView[] };
  /**
   * Adds a token and returns it, the only time it is ever returned. Earlier tokens stay valid
   * until revoked, so the identity provider can be switched over without downtime; at most
   * two are live at once (a third is refused with a reason).
   */
  generateToken: () => { token: string; view: TokenView };
  revokeToken: (input: { id: string }) => { tokens: TokenView[] };

  getPolicies: () => { policies: Policies; source: 'admin' | 'file' | 'default' };
  /** Validates and stores the whole document; refused with every problem found. */
  savePolicies: (input: {
    policies: unknown;
  }) => { ok: true; policies: Policies } | { ok: false; problems: PolicyProblem[] };

  getSyncLog: (query: SyncLogQuery) => { entries: SyncLogEntryView[]; cursor?: string };
  /** Reconciles one user or group again now, even if it was blocked or given up. */
  retryResource: (input: { resourceType: 'user' | 'group'; resource: string }) => { queued: true };

  /** Starts a full reconcile of every user and group (or a dry run of one). */
  reconcileNow: (input: { dryRun?: boolean }) => ReconcileProgress;
  getReconcileProgress: () => ReconcileProgress;
};
