/**
 * Reads as the app: an AtlassianPort decorator that answers the reads the app may make with
 * its own identity (`api.asApp().requestJira`, scopes read:jira-user, read:group:jira,
 * read:user:jira, read:email-address:jira in manifest.yml) and leaves everything else to the
 * admin credential's adapter. It spares the credential (an org key or a site admin's token,
 * with their rate limits) and Forge's egress budget: product fetch is not egress
 * ("excluding requestJira/requestConfluence",
 * https://developer.atlassian.com/platform/forge/limits-invocation/).
 *
 * Which reads: a group by name or id, a user's groups, membership, a group's members, and
 * (site-admin mode only) accounts by id or e-mail. In the Organizations API mode account
 * reads stay with the key: the org's status (suspended, not in the directory) is not what
 * Jira's `active` says, and group flags (modifiable) come from the org, so group lookups stay
 * there too; memberships mean the same on both.
 *
 * Reads as the app are retried as the shared HTTP client retries any read: a 429 waits for
 * Retry-After (else X-RateLimit-Reset, else a jittered backoff) within the invocation's
 * deadline, and so does a 5xx. The decorator falls back to the credential only when the app
 * truly cannot read: refused (401/403, a scope missing), product fetch unavailable, or its
 * retries used up. A refusal turns the app's reads off for every later call of this instance
 * (an instance lives one invocation); a transient failure sends only that call to the
 * credential, and three in a row turn them off too. The sync never fails for it.
 */
import { AtlassianHttpClient, FetchLike, FetchResponse, HttpClientOptions } from './http-client';
import { JiraReads } from './jira-reads';
import {
  AtlassianAccount,
  AtlassianError,
  AtlassianGroup,
  AtlassianPort,
  InvitedAccount,
  InviteOptions,
  GroupRole,
  isKind,
  ProductAccessGroup,
  ProductResource,
  ProductRole,
  CreateGroupOptions,
} from './port';

/** What a product fetch looks like from src/atlassian: a path on the site, the init, an answer. */
export type ProductFetch = (
  path: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<FetchResponse>;

/** Base the app client's URLs are built on; only the path reaches the product fetch. */
const PRODUCT_BASE = 'https://product-fetch.invalid';

/** A FetchLike over a product fetch: drops the origin and the client's credential header. */
export function productFetchLike(request: ProductFetch): FetchLike {
  return (url, init) => {
    const target = new URL(url);
    const headers = Object.fromEntries(
      Object.entries(init.headers).filter(([name]) => name.toLowerCase() !== 'authorization'),
    );
    return request(`${target.pathname}${target.search}`, {
      method: init.method,
      headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
  };
}

/** Attempts per read as the app: a 429 or a 5xx is retried before the credential is used. */
export const APP_READ_ATTEMPTS = 4;
/** The longest rate-limit wait a read as the app sleeps through; a longer one falls back. */
export const APP_READ_MAX_WAIT_MS = 10_000;
/** Transient failures in a row (retries used up) after which the app's reads are off. */
const APP_READ_TRANSIENT_LIMIT = 3;

/**
 * The HTTP client of the app's reads: retries and 429s handled as the shared client does
 * (Retry-After, else backoff) within the deadline given; product fetch is not egress, so no
 * request budget.
 */
export function appReadsClient(
  request: ProductFetch,
  options: Omit<HttpClientOptions, 'baseUrl' | 'apiKey' | 'fetch' | 'requestBudget'> = {},
): AtlassianHttpClient {
  return new AtlassianHttpClient({
    maxAttempts: APP_READ_ATTEMPTS,
    maxWaitMs: APP_READ_MAX_WAIT_MS,
    ...options,
    fetch: productFetchLike(request),
    baseUrl: PRODUCT_BASE,
    // The client wants a credential; product fetch carries the app's own, so none is sent.
    apiKey: 'forge-app',
  });
}

export type AppReadable =
  | 'findGroupByName'
  | 'getGroup'
  | 'groupsOf'
  | 'isMember'
  | 'listMembers'
  | 'getAccount'
  | 'findAccountByEmail';

/** Membership reads mean the same through Jira as through the Organizations API. */
export const ORG_MODE_APP_READS: AppReadable[] = ['groupsOf', 'isMember', 'listMembers'];
/** In site-admin mode every read the credential's adapter makes, the app can make. */
export const SITE_MODE_APP_READS: AppReadable[] = [
  ...ORG_MODE_APP_READS,
  'findGroupByName',
  'getGroup',
  'getAccount',
  'findAccountByEmail',
];

/**
 * An adapter whose create-or-find can skip the find when the caller has just made it (the
 * site adapter): the app's look-up then spares the credential's. After an unknown outcome the
 * adapter still reads back with the credential before sending again.
 */
export interface CreatesWithoutLookup {
  inviteNew(email: string): Promise<AtlassianAccount>;
  createNewGroup(name: string): Promise<AtlassianGroup>;
}

function hasCreateWithoutLookup(port: AtlassianPort): port is AtlassianPort & CreatesWithoutLookup {
  const candidate = port as Partial<CreatesWithoutLookup>;
  return typeof candidate.inviteNew === 'function' && typeof candidate.createNewGroup === 'function';
}

/** A cursor of the app's member pages, told apart from the credential adapter's own. */
const APP_CURSOR = 'app:';

export interface AppReadsStats {
  /** Reads answered as the app. */
  app: number;
  /** Reads that fell back to the credential (each failed read, then every later one once off). */
  fallback: number;
}

export class AppReadsPort implements AtlassianPort {
  readonly stats: AppReadsStats = { app: 0, fallback: 0 };
  private unavailable = false;
  /** Transient failures (retries used up) in a row, since the last read answered as the app. */
  private transientInARow = 0;
  private readonly reads: JiraReads;
  private readonly served: Set<AppReadable>;
  /**
   * The port's optional reads, forwarded to the credential exactly when its adapter has them:
   * the privilege check (src/sync/privilege.ts) reads a group's roles where the port can, and
   * the site-admin mode's deactivation asks what access remains (issue 13, cases 1, 2 and 9).
   * Left undefined otherwise, so callers still see that the adapter cannot answer.
   */
  readonly groupRoles?: (groupId: string) => Promise<GroupRole[]>;
  readonly remainingAccess?: (accountId: string) => Promise<string[] | undefined>;
  /** Profile writes (User management API) have no app-side read: the credential's, if it has them. */
  readonly profileControls?: AtlassianPort['profileControls'];
  readonly updateProfile?: AtlassianPort['updateProfile'];
  readonly setEmail?: AtlassianPort['setEmail'];
  /**
   * The full reconcile's paged reads of the whole directory: the credential's (the app's Jira
   * reads have no org status, claim status or platform roles), if its adapter has them.
   */
  readonly pages?: AtlassianPort['pages'];
  /**
   * The batched account look-ups (src/sync/account-prefetch.ts): the credential's, if its
   * adapter has them (the app's Jira reads have no org status or claim status).
   */
  readonly findAccountsByEmail?: AtlassianPort['findAccountsByEmail'];
  readonly getAccounts?: AtlassianPort['getAccounts'];

  constructor(
    readonly inner: AtlassianPort,
    app: AtlassianHttpClient,
    served: AppReadable[],
    /** Told once when the app cannot read, with why (the sync log or function log). */
    private readonly onUnavailable?: (why: string) => void,
  ) {
    this.reads = new JiraReads(app, 'via-email-api');
    this.served = new Set(served);
    if (typeof inner.groupRoles === 'function') this.groupRoles = (groupId) => inner.groupRoles!(groupId);
    if (typeof inner.remainingAccess === 'function')
      this.remainingAccess = (accountId) => inner.remainingAccess!(accountId);
    if (inner.profileControls && inner.updateProfile && inner.setEmail) {
      this.profileControls = inner.profileControls.bind(inner);
      this.updateProfile = inner.updateProfile.bind(inner);
      this.setEmail = inner.setEmail.bind(inner);
    }
    if (inner.pages) this.pages = inner.pages;
    if (inner.findAccountsByEmail) this.findAccountsByEmail = inner.findAccountsByEmail.bind(inner);
    if (inner.getAccounts) this.getAccounts = inner.getAccounts.bind(inner);
  }

  /** Whether the app's reads failed and the credential answers instead. */
  get appReadsUnavailable(): boolean {
    return this.unavailable;
  }

  private async read<T>(
    name: AppReadable,
    asApp: () => Promise<T>,
    credential: () => Promise<T>,
  ): Promise<T> {
    if (!this.served.has(name) || this.unavailable) return credential();
    try {
      const result = await asApp();
      this.stats.app++;
      this.transientInARow = 0;
      return result;
    } catch (error) {
      // Not found as the app is not found: the app sees the same site.
      if (isKind(error, 'not-found')) throw error;
      this.stats.fallback++;
      // Rate limited or failing after the client's retries: this read only, unless it repeats.
      if (isKind(error, 'transient') && ++this.transientInARow < APP_READ_TRANSIENT_LIMIT) {
        return credential();
      }
      this.unavailable = true;
      this.onUnavailable?.(
        `Reads as the app are unavailable, the admin credential reads instead: ${String(error)}`,
      );
      return credential();
    }
  }

  // ---- reads the app may serve -----------------------------------------------------------------

  findAccountByEmail(email: string): Promise<AtlassianAccount | undefined> {
    return this.read(
      'findAccountByEmail',
      () => this.reads.findAccountByEmail(email),
      () => this.inner.findAccountByEmail(email),
    );
  }

  getAccount(accountId: string): Promise<AtlassianAccount | undefined> {
    return this.read(
      'getAccount',
      () => this.reads.getAccount(accountId),
      () => this.inner.getAccount(accountId),
    );
  }

  groupsOf(accountId: string): Promise<AtlassianGroup[]> {
    return this.read(
      'groupsOf',
      () => this.reads.groupsOf(accountId),
      () => this.inner.groupsOf(accountId),
    );
  }

  findGroupByName(name: string): Promise<AtlassianGroup | undefined> {
    return this.read(
      'findGroupByName',
      () => this.reads.findGroupByName(name),
      () => this.inner.findGroupByName(name),
    );
  }

  getGroup(groupId: string): Promise<AtlassianGroup | undefined> {
    return this.read(
      'getGroup',
      () => this.reads.getGroup(groupId),
      () => this.inner.getGroup(groupId),
    );
  }

  isMember(groupId: string, accountId: string): Promise<boolean> {
    return this.read(
      'isMember',
      () => this.reads.isMember(groupId, accountId),
      () => this.inner.isMember(groupId, accountId),
    );
  }

  /** Pages stay with whoever began the walk: an app cursor continues as the app. */
  async listMembers(groupId: string, cursor?: string): Promise<{ accountIds: string[]; cursor?: string }> {
    if (cursor !== undefined && !cursor.startsWith(APP_CURSOR))
      return this.inner.listMembers(groupId, cursor);
    const appCursor = cursor?.slice(APP_CURSOR.length);
    const asApp = async () => {
      const page = await this.reads.listMembers(groupId, appCursor);
      return page.cursor === undefined ? page : { ...page, cursor: `${APP_CURSOR}${page.cursor}` };
    };
    // A walk begun as the app that cannot go on restarts with the credential (drift is idempotent).
    return this.read('listMembers', asApp, () => this.inner.listMembers(groupId));
  }

  // ---- everything else: the credential -------------------------------------------------------

  /**
   * An account already there is found as the app; only a new one costs the credential. A
   * caller that looked the e-mail up just now (`lookedUp`) is not asked again.
   */
  async invite(email: string, options?: InviteOptions): Promise<InvitedAccount> {
    if (options?.lookedUp) return this.inner.invite(email, options);
    if (this.served.has('findAccountByEmail') && !this.unavailable) {
      const found = await this.findAccountByEmail(email);
      if (found && found.status !== 'not_invited') return found;
      // Looked up as the app just now: the adapter skips its own look-up.
      if (!found && !this.unavailable) return this.inner.invite(email, { ...options, lookedUp: true });
    }
    return this.inner.invite(email, options);
  }
  suspend(accountId: string): Promise<void> {
    return this.inner.suspend(accountId);
  }
  restore(accountId: string): Promise<void> {
    return this.inner.restore(accountId);
  }
  isAdmin(accountId: string): Promise<boolean> {
    return this.inner.isAdmin(accountId);
  }
  removeFromDirectory(accountId: string): Promise<void> {
    return this.inner.removeFromDirectory(accountId);
  }
  productAccessGroups(): Promise<ProductAccessGroup[]> {
    return this.inner.productAccessGroups();
  }
  /** A group already there is found as the app; only a new one costs the credential. */
  async createGroup(
    name: string,
    description?: string,
    options: CreateGroupOptions = {},
  ): Promise<AtlassianGroup> {
    if (this.served.has('findGroupByName') && !this.unavailable) {
      // Looked up just now by the caller: not again.
      const found = options.lookedUp ? undefined : await this.findGroupByName(name);
      // Asked to create, not to adopt: a taken name is the caller's decision (as the adapter's 409).
      if (found && options.takenIsConflict) {
        throw new AtlassianError('conflict', `A group named ${name} already exists.`, 409);
      }
      if (found) return found;
      if (!this.unavailable && hasCreateWithoutLookup(this.inner)) return this.inner.createNewGroup(name);
    }
    return this.inner.createGroup(name, description, options);
  }
  renameGroup(groupId: string, name: string): Promise<void> {
    return this.inner.renameGroup(groupId, name);
  }
  deleteGroup(groupId: string): Promise<void> {
    return this.inner.deleteGroup(groupId);
  }
  addMember(groupId: string, accountId: string): Promise<void> {
    return this.inner.addMember(groupId, accountId);
  }
  removeMember(groupId: string, accountId: string): Promise<void> {
    return this.inner.removeMember(groupId, accountId);
  }
  listProducts(): Promise<ProductResource[]> {
    return this.inner.listProducts();
  }
  grantGroupAccess(groupId: string, resourceId: string, role: ProductRole): Promise<void> {
    return this.inner.grantGroupAccess(groupId, resourceId, role);
  }
  revokeGroupAccess(groupId: string, resourceId: string, role: ProductRole): Promise<void> {
    return this.inner.revokeGroupAccess(groupId, resourceId, role);
  }
}
