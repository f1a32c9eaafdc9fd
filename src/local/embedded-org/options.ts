/** How an embedded organization is set up (organization.ts). */
import type { FaultOptions } from './faults';

export interface EmbeddedOrgOptions {
  /** Where the state lives (DATA_DIR); in memory when absent. */
  dataDir?: string;
  /** A fixed org admin API key; otherwise one is generated on first start and kept. */
  apiKey?: string;
  /** Whether the organization has a paid subscription (invite answers 402 when not). */
  paid?: boolean;
  faults?: FaultOptions;
  /** Added to every answer (ms). */
  latencyMs?: number;
  /** Requests per second before 429 (none when absent). */
  rateLimit?: number;
  /** How long transports hold a timed-out request before dropping it (default 30 s). */
  timeoutHoldMs?: number;
  /** The site the seeded workspaces belong to (the offline runtime's installation). */
  cloudId?: string;
  siteUrl?: string;
  orgName?: string;
  /** Public base of the API, used in v1 links (default https://api.atlassian.com/admin). */
  publicBaseUrl?: string;
  /** A fixed API token of the seed admin for the Jira site API (else generated once and kept). */
  siteApiToken?: string;
  /**
   * The e-mail domains the organization has verified (default DEFAULT_VERIFIED_DOMAINS, the
   * seed accounts' and the tests' domains). Accounts on them answer `claimStatus: managed`,
   * every other account `unmanaged`, as the users search does (Organizations REST API Users search, spec
   * ClaimStatus). Atlassian also wants verified accounts claimed; here verifying claims them.
   */
  verifiedDomains?: string[];
  /**
   * Seed of the paging draws where the reference is silent (default: random): whether a
   * users/groups search cursor carries the filters, what a cursor without them answers, and
   * whether the workspaces' links.next is a bare token or a URL. Fix it to replay a run.
   */
  pagingSeed?: number;
  /**
   * User management API (user-management.ts): the share of accounts whose name and nickname
   * the key may not write (default 0.1), and the seed of that draw and of the answer to an
   * e-mail in use (default: random).
   */
  profileLockRate?: number;
  profileSeed?: number;
  /**
   * Seed of the other draws where the reference is silent (default: random): whether an
   * invite with neither groups nor roles adds the account to the directory, and whether a 429
   * carries Retry-After. Fix it to replay a run.
   */
  answerSeed?: number;
  /**
   * Whether an invite with neither `permissionRules` nor `additionalGroups` adds the account to
   * the directory: UNCONFIRMED (Users: invite: invited people are "added to directories
   * based on apps in your invitation", so such an invite may place no one). Default: drawn per
   * invite (answerSeed); true or false fixes it.
   */
  placeBareInvites?: boolean;
  /**
   * Whether a 429 carries Retry-After besides X-RateLimit-Reset: the Organizations API
   * documents only X-RateLimit-Limit/Remaining/Reset (Organizations REST API, Rate limiting). Default:
   * drawn per answer (answerSeed); true or false fixes it.
   */
  retryAfterOn429?: boolean;
  /**
   * Users each product may have (typeKey → limit, e.g. {"jira-software": 10}): a member add
   * or an invite that would give one more user the product is refused (409 `ADMIN-409-3`,
   * UNCONFIRMED code, Groups: add user to group). No limit when absent.
   */
  userLimits?: Record<string, number>;
  now?: () => number;
}
