/**
 * The connection to Atlassian on Forge: which credential provisions, and how.
 *
 * Two modes (`mode` of the connection):
 * - `org`: an organization admin API key on the Organizations API
 *   (https://api.atlassian.com/admin), with the organization ID (and directory ID);
 * - `site`: a site admin's e-mail and Atlassian API token on one site's Jira REST API
 *   (https://<site>.atlassian.net), as miniOrange's cloud app asks for. Suspension, directory
 *   removal, rename and product-access writes are not possible there (src/atlassian/site-adapter.ts).
 *
 * - The credential (the key or the token) is a Forge secret (`kvs.setSecret`: encrypted,
 *   never queryable). Once set it is never returned: the admin page only learns that one is
 *   set. Saving without one keeps the stored one (of that mode), so the rest can change
 *   without pasting it again.
 * - The rest (`mode`, org/directory or site/e-mail, the credential's expiry date) is a plain
 *   kvs value: it is not secret. The view warns from 14 days before the expiry date.
 * - Without a stored connection, Forge environment variables stand in: ATLASSIAN_ORG_ID,
 *   ATLASSIAN_ORG_API_KEY (`forge variables set --encrypt`), optional ATLASSIAN_ORG_API_BASE and
 *   ATLASSIAN_ORG_DIRECTORY_ID; or, with ATLASSIAN_MODE=site (or no org variables),
 *   ATLASSIAN_SITE_URL, ATLASSIAN_SITE_EMAIL and ATLASSIAN_SITE_API_TOKEN. The local runner
 *   sets them for the embedded organization.
 * - The adapters talk through `fetch` from `@forge/api`, i.e. through the egress rule of
 *   manifest.yml (`api.atlassian.com`, `*.atlassian.net`). Reads the app may make itself go
 *   through `api.asApp().requestJira` instead (src/atlassian/app-reads.ts), sparing the
 *   credential and the egress budget.
 */
import { FORGE_EGRESS_PER_INVOCATION_MINUTE, RateLimitPacer } from '../atlassian/rate-limit';
import { asApp, assumeTrustedRoute, fetch, getAppContext, route } from '@forge/api';
import { kvs } from '@forge/kvs';
import type { Handlers } from '@forge/resolver';
import {
  AppReadable,
  appReadsClient,
  AppReadsPort,
  ORG_MODE_APP_READS,
  ProductFetch,
  SITE_MODE_APP_READS,
} from '../atlassian/app-reads';
import { FetchLike } from '../atlassian/http-client';
import {
  DEFAULT_ADMIN_BASE_URL,
  OrgAdminAdapter,
  OrgConnectionCheck,
  createOrgAdminAdapter,
} from '../atlassian/org-adapter';
import { AtlassianError, AtlassianPort } from '../atlassian/port';
import {
  createSiteAdminAdapter,
  SiteAdminAdapter,
  SiteConnectionCheck,
  siteOrigin,
} from '../atlassian/site-adapter';

const CONNECTION_KEY = 'atlassian-org-connection';
const API_KEY_SECRET = 'atlassian-org-api-key';
const SITE_TOKEN_SECRET = 'atlassian-site-api-token';
/** Left for the caller to record what happened after the last request. */
const DEADLINE_MARGIN_MS = 5_000;
/** The admin page warns this many days before the credential expires. */
export const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

/** `org`: organization admin API key (Organizations API); `site`: site admin e-mail + API token (Jira REST). */
export type ConnectionMode = 'org' | 'site';

/** A connection in either mode: the identifiers, never the credential. */
export interface AtlassianConnection {
  /** Absent: `org` (connections saved before site mode existed are org ones). */
  mode?: ConnectionMode;
  /** Org mode: the organization (admin.atlassian.com/o/<orgId>). */
  orgId?: string;
  /** Org mode. Absent: discovered (GET /v2/orgs/{orgId}/directories) when the org has exactly one. */
  directoryId?: string;
  /** Org mode. Absent: https://api.atlassian.com/admin. */
  baseUrl?: string;
  /** Site mode: https://<site>.atlassian.net. */
  siteUrl?: string;
  /** Site mode: the site admin's e-mail, whose API token is the credential. */
  email?: string;
  /** When the key or token expires (YYYY-MM-DD), as Atlassian showed it at creation. */
  expiresOn?: string;
}

interface StoredConnection extends AtlassianConnection {
  /** What "Test connection" discovered, used while no directoryId is configured. */
  discoveredDirectoryId?: string;
}

/**
 * What the admin page may see: never the credential.
 *
 * - `configured`: the mode's identifiers and its credential are all there (provisioning runs);
 * - `apiKeySet`: the credential of `mode` is stored (the org key, or the site token);
 * - `expiresInDays` / `expiryWarning`: from `expiresOn`; the warning is set from
 *   EXPIRY_WARNING_DAYS (14) days before, and once it has passed.
 */
export interface AtlassianConnectionView {
  configured: boolean;
  apiKeySet: boolean;
  /** The mode in force (or being set up): `org` when nothing says otherwise. */
  mode: ConnectionMode;
  /** Where the connection in use comes from: the admin page (kvs) or environment variables. */
  source?: 'admin' | 'environment';
  orgId?: string;
  directoryId?: string;
  baseUrl?: string;
  siteUrl?: string;
  email?: string;
  expiresOn?: string;
  /** Whole days until `expiresOn` (negative once expired). */
  expiresInDays?: number;
  /** A sentence for the page when the credential expires within 14 days or has expired. */
  expiryWarning?: string;
}

/**
 * What the admin page saves. `mode` defaults to `org`. Org mode needs `orgId` and an API key
 * (`apiKey`, or one stored before); site mode needs `siteUrl`, `email` and an API token
 * (`apiToken`, or one stored before). `expiresOn` (YYYY-MM-DD) is the credential's expiry;
 * `''` forgets it, absent keeps it.
 */
export interface AtlassianConnectionInput extends AtlassianConnection {
  /** Org mode. Omitted or empty: keep the stored key. */
  apiKey?: string;
  /** Site mode. Omitted or empty: keep the stored token. */
  apiToken?: string;
}

/**
 * "Test connection". On success, what the credential reaches (org: organization and directory;
 * site: the site, who the token belongs to, the Jira products) and whether the app's own reads
 * work. On failure, the kind (an AtlassianError kind or `not-configured`), a message naming
 * what is wrong, and `missing`: the permission, scope or setting to add, when known.
 */
export type ConnectionTestResult = ConnectionTestSuccess | ConnectionTestFailure;

/**
 * A working connection. Org mode fills orgId, orgName, directoryId, directoryName; site mode
 * fills siteUrl, cloudId, accountId (who the token belongs to) and displayName. Both list the
 * products provisioning can give access to, and whether reads as the app work.
 */
export interface ConnectionTestSuccess extends Partial<OrgConnectionCheck>, Partial<SiteConnectionCheck> {
  ok: true;
  mode: ConnectionMode;
  products: string[];
  appReads?: AppReadsCheck;
}

export interface ConnectionTestFailure {
  ok: false;
  mode?: ConnectionMode;
  kind: AtlassianError['kind'] | 'not-configured';
  message: string;
  /** e.g. "organization admin rights for this key", "site admin (Administer Jira) for this account". */
  missing?: string;
}

/** Whether reads as the app (asApp product fetch) work, and what they lack when not. */
export interface AppReadsCheck {
  available: boolean;
  detail?: string;
}

export interface ConnectOptions {
  /** Epoch ms; default: the invocation's remaining time less 5 s. */
  deadline?: number;
  /** Default: 100 per minute of the invocation's remaining time (Forge's egress limit). */
  requestBudget?: number;
  /** The installation's view of Atlassian's rate limit (src/atlassian/rate-limit.ts). */
  pacer?: RateLimitPacer;
  timeoutMs?: number;
  /** Default: `fetch` from @forge/api. */
  fetch?: FetchLike;
  /** Default: `api.asApp().requestJira`. */
  appFetch?: ProductFetch;
  log?: (message: string) => void;
}

const trimmed = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
const modeOf = (connection: AtlassianConnection | undefined): ConnectionMode =>
  connection?.mode === 'site' ? 'site' : 'org';

/**
 * Whole days from today (UTC) until the credential's expiry date (YYYY-MM-DD): 0 on its last
 * day, negative once it has passed; undefined without a readable date. The connection view
 * and the admin page's health line both judge expiry by it, so they never disagree.
 */
export function credentialDaysLeft(expiresOn: string | undefined, now = Date.now()): number | undefined {
  if (!expiresOn) return undefined;
  const end = Date.parse(`${expiresOn}T00:00:00Z`);
  if (Number.isNaN(end)) return undefined;
  const today = Date.UTC(
    new Date(now).getUTCFullYear(),
    new Date(now).getUTCMonth(),
    new Date(now).getUTCDate(),
  );
  return Math.round((end - today) / DAY_MS);
}

function expiry(expiresOn: string | undefined, now = Date.now()): Partial<AtlassianConnectionView> {
  if (!expiresOn) return {};
  const days = credentialDaysLeft(expiresOn, now);
  if (days === undefined) return { expiresOn };
  const warning =
    days < 0
      ? `The credential expired on ${expiresOn}: provisioning fails until a new one is saved.`
      : days <= EXPIRY_WARNING_DAYS
        ? `The credential expires on ${expiresOn} (in ${days} day${days === 1 ? '' : 's'}): create a new one and save it here before then.`
        : undefined;
  return { expiresOn, expiresInDays: days, ...(warning ? { expiryWarning: warning } : {}) };
}

function identified(connection: StoredConnection | undefined): boolean {
  if (!connection) return false;
  return modeOf(connection) === 'site'
    ? Boolean(connection.siteUrl && connection.email)
    : Boolean(connection.orgId);
}

function view(
  connection: StoredConnection | undefined,
  credentialSet: boolean,
  source?: AtlassianConnectionView['source'],
): AtlassianConnectionView {
  const configured = identified(connection) && credentialSet;
  const mode = modeOf(connection);
  const fields =
    mode === 'site'
      ? {
          ...(connection?.siteUrl ? { siteUrl: connection.siteUrl } : {}),
          ...(connection?.email ? { email: connection.email } : {}),
        }
      : {
          ...(connection?.orgId ? { orgId: connection.orgId } : {}),
          ...(connection?.directoryId ? { directoryId: connection.directoryId } : {}),
          ...(connection?.baseUrl ? { baseUrl: connection.baseUrl } : {}),
        };
  return {
    configured,
    apiKeySet: credentialSet,
    mode,
    ...(configured && source ? { source } : {}),
    ...fields,
    ...expiry(connection?.expiresOn),
  };
}

async function secretOf(mode: ConnectionMode): Promise<string | undefined> {
  return (await kvs.getSecret<string>(mode === 'site' ? SITE_TOKEN_SECRET : API_KEY_SECRET)) ?? undefined;
}

interface ActiveConnection {
  connection: StoredConnection;
  secret: string;
  source: 'admin' | 'environment';
}

/**
 * The environment's connection (Forge variables, or what the local runner sets), in a
 * development environment only. Forge variables belong to an environment, and every
 * installation of it reads the same ones: in production they would provision every customer
 * into one organization. Customers connect their own on the admin page (stored per
 * installation).
 */
function fromEnvironment(): ActiveConnection | undefined {
  if (!developmentEnvironment()) return undefined;
  const env = process.env;
  const orgId = trimmed(env.ATLASSIAN_ORG_ID);
  const key = trimmed(env.ATLASSIAN_ORG_API_KEY);
  const siteUrl = trimmed(env.ATLASSIAN_SITE_URL);
  const email = trimmed(env.ATLASSIAN_SITE_EMAIL);
  const token = trimmed(env.ATLASSIAN_SITE_API_TOKEN);
  const site = siteUrl && email && token;
  if (site && (trimmed(env.ATLASSIAN_MODE) === 'site' || !(orgId && key))) {
    return { connection: { mode: 'site', siteUrl, email }, secret: token, source: 'environment' };
  }
  if (!orgId || !key) return undefined;
  const baseUrl = trimmed(env.ATLASSIAN_ORG_API_BASE).replace(/\/+$/, '');
  const directoryId = trimmed(env.ATLASSIAN_ORG_DIRECTORY_ID);
  return {
    connection: { orgId, ...(baseUrl ? { baseUrl } : {}), ...(directoryId ? { directoryId } : {}) },
    secret: key,
    source: 'environment',
  };
}

function developmentEnvironment(): boolean {
  try {
    return getAppContext().environmentType === 'DEVELOPMENT';
  } catch {
    return false; // outside an invocation: no environment to trust
  }
}

/** The stored connection when complete, else the environment's. */
async function activeConnection(): Promise<ActiveConnection | undefined> {
  const connection = await kvs.get<StoredConnection>(CONNECTION_KEY);
  if (identified(connection)) {
    const secret = await secretOf(modeOf(connection));
    if (connection && secret) return { connection, secret, source: 'admin' };
  }
  return fromEnvironment();
}

/** The connection as the admin page shows it (the one in force, else what is half set up). */
export async function getAtlassianConnection(): Promise<AtlassianConnectionView> {
  const connection = (await kvs.get<StoredConnection>(CONNECTION_KEY)) ?? undefined;
  const secret = await secretOf(modeOf(connection));
  if (identified(connection) && secret) return view(connection, true, 'admin');
  const env = fromEnvironment();
  return env ? view(env.connection, true, 'environment') : view(connection, Boolean(secret));
}

/**
 * manifest.yml's egress (`permissions.external.fetch.backend`), mirrored here so a connection
 * is checked when it is saved rather than refused by Forge at its first request;
 * test/forge/atlassian-connection.test.ts checks the two match.
 */
export const EGRESS_HOSTS: readonly string[] = ['api.atlassian.com', '*.atlassian.net'];
/** The stand-ins of a local run (the embedded organization, a fake one): this machine only. */
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** Is the host one Forge lets the app reach (an exact entry, or a subdomain of a `*.` one)? */
export function egressAllowsHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return EGRESS_HOSTS.some((entry) =>
    entry.startsWith('*.') ? host.endsWith(entry.slice(1)) && host.length > entry.length - 1 : host === entry,
  );
}

/** Refuses, at save time, a host outside the manifest's egress (loopback stand-ins aside). */
function reachable(url: string, what: string): void {
  const { hostname } = new URL(url);
  if (LOOPBACK_HOSTS.includes(hostname) || egressAllowsHost(hostname)) return;
  throw new AtlassianError(
    'invalid',
    `The ${what} must be on a host the app may reach (manifest.yml egress: ${EGRESS_HOSTS.join(', ')}); ` +
      `${hostname} is not one of them, and Forge would refuse every request to it.`,
  );
}

function httpsUrl(raw: string, what: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // Plain http only to this machine: a stand-in organization of a local run.
  const loopback = url !== undefined && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url?.protocol !== 'https:' && !(url?.protocol === 'http:' && loopback)) {
    throw new AtlassianError('invalid', `The ${what} must be an https URL.`);
  }
  return raw;
}

function expiryDate(raw: unknown): string | undefined {
  const value = trimmed(raw);
  if (!value) return undefined;
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
  if (!valid || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new AtlassianError('invalid', 'The expiry date must be a date as YYYY-MM-DD.');
  }
  return value;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Validates and stores the connection (and the credential, when given); answers what is stored. */
export async function saveAtlassianConnection(
  input: AtlassianConnectionInput,
): Promise<AtlassianConnectionView> {
  const rawMode = input?.mode ?? 'org';
  if (rawMode !== 'org' && rawMode !== 'site')
    throw new AtlassianError('invalid', 'The mode must be org or site.');
  const mode: ConnectionMode = rawMode;
  const previous = (await kvs.get<StoredConnection>(CONNECTION_KEY)) ?? undefined;
  const expiresOn =
    input?.expiresOn === undefined
      ? modeOf(previous) === mode
        ? previous?.expiresOn
        : undefined
      : expiryDate(input.expiresOn);
  const secret = trimmed(mode === 'site' ? input?.apiToken : input?.apiKey);
  if (/\s/.test(secret)) {
    throw new AtlassianError(
      'invalid',
      `The ${mode === 'site' ? 'API token' : 'API key'} cannot contain spaces.`,
    );
  }

  let connection: StoredConnection;
  if (mode === 'site') {
    const raw = trimmed(input?.siteUrl);
    if (!raw)
      throw new AtlassianError('invalid', 'The site URL is required (https://<your-site>.atlassian.net).');
    const siteUrl = siteOrigin(httpsUrl(raw.includes('://') ? raw : `https://${raw}`, 'site URL'));
    reachable(siteUrl, 'site URL');
    const email = trimmed(input?.email);
    if (!EMAIL.test(email))
      throw new AtlassianError('invalid', "The site admin's e-mail address is required.");
    if (!secret && !(await secretOf('site')))
      throw new AtlassianError('invalid', 'An API token is required.');
    connection = { mode, siteUrl, email, ...(expiresOn ? { expiresOn } : {}) };
  } else {
    const orgId = trimmed(input?.orgId);
    const directoryId = trimmed(input?.directoryId);
    const baseUrl = trimmed(input?.baseUrl).replace(/\/+$/, '');
    if (!orgId || /[/?#\s]/.test(orgId))
      throw new AtlassianError('invalid', 'An organization ID is required.');
    if (/[/?#\s]/.test(directoryId)) throw new AtlassianError('invalid', 'The directory ID is not valid.');
    if (baseUrl) reachable(httpsUrl(baseUrl, 'API base URL'), 'API base URL');
    if (!secret && !(await secretOf('org')))
      throw new AtlassianError('invalid', 'An organization API key is required.');
    connection = {
      orgId,
      ...(directoryId ? { directoryId } : {}),
      ...(baseUrl && baseUrl !== DEFAULT_ADMIN_BASE_URL ? { baseUrl } : {}),
      ...(expiresOn ? { expiresOn } : {}),
      // A discovery is only good for the organization it was made in.
      ...(previous?.discoveredDirectoryId &&
      modeOf(previous) === 'org' &&
      previous.orgId === orgId &&
      previous.baseUrl === (baseUrl || undefined)
        ? { discoveredDirectoryId: previous.discoveredDirectoryId }
        : {}),
    };
  }
  if (secret) await kvs.setSecret(mode === 'site' ? SITE_TOKEN_SECRET : API_KEY_SECRET, secret);
  await kvs.set(CONNECTION_KEY, connection);
  return view(connection, true, 'admin');
}

/** Forgets the stored connection and both credentials (environment variables, if any, then apply). */
export async function clearAtlassianConnection(): Promise<AtlassianConnectionView> {
  await kvs.deleteSecret(API_KEY_SECRET);
  await kvs.deleteSecret(SITE_TOKEN_SECRET);
  await kvs.delete(CONNECTION_KEY);
  return getAtlassianConnection();
}

function invocationRemainingMs(): number | undefined {
  try {
    return getAppContext().invocationRemainingTimeInMillis();
  } catch {
    return undefined; // outside an invocation (or an old tunnel): no platform limit known
  }
}

function clientOptions(options: ConnectOptions) {
  const remaining = invocationRemainingMs();
  const deadline =
    options.deadline ?? (remaining === undefined ? undefined : Date.now() + remaining - DEADLINE_MARGIN_MS);
  // "100 requests per runtime minute" (limits-invocation; UNCONFIRMED how it scales past the first minute).
  const requestBudget =
    options.requestBudget ??
    (remaining === undefined
      ? undefined
      : FORGE_EGRESS_PER_INVOCATION_MINUTE * Math.max(1, Math.floor(remaining / 60_000)));
  return {
    fetch: options.fetch ?? fetch,
    ...(deadline !== undefined ? { deadline } : {}),
    ...(requestBudget !== undefined ? { requestBudget } : {}),
    // Within the total, each minute's allowance: a 900 s invocation spends it every minute.
    egressPerMinute: FORGE_EGRESS_PER_INVOCATION_MINUTE,
    ...(options.pacer ? { pacer: options.pacer } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.log ? { log: options.log } : {}),
  };
}

function orgAdapter(active: ActiveConnection, options: ConnectOptions): OrgAdminAdapter {
  const { connection, secret } = active;
  const directoryId = connection.directoryId ?? connection.discoveredDirectoryId;
  return createOrgAdminAdapter(
    {
      orgId: connection.orgId ?? '',
      apiKey: secret,
      ...(directoryId ? { directoryId } : {}),
      ...(connection.baseUrl ? { baseUrl: connection.baseUrl } : {}),
    },
    clientOptions(options),
  );
}

function siteAdapter(active: ActiveConnection, options: ConnectOptions): SiteAdminAdapter {
  const { connection, secret } = active;
  return createSiteAdminAdapter(
    { siteUrl: connection.siteUrl ?? '', email: connection.email ?? '', apiToken: secret },
    clientOptions(options),
  );
}

/**
 * The Organizations API adapter for the connection in use, or undefined when none is
 * configured or the connection is in site mode. Build one per invocation: its deadline and
 * request budget are this one's.
 */
export async function connectedOrgAdapter(
  options: ConnectOptions = {},
): Promise<OrgAdminAdapter | undefined> {
  const active = await activeConnection();
  if (!active || modeOf(active.connection) !== 'org') return undefined;
  return orgAdapter(active, options);
}

/** `api.asApp().requestJira`: the app's own reads of the site it is installed on. */
const asAppJira: ProductFetch = (path, init) => asApp().requestJira(assumeTrustedRoute(path), init);

/**
 * The Atlassian port for the connection in use (either mode), its reads served as the app
 * where it can, or undefined while nothing is configured (the sync then keeps its changes
 * for later). Build one per invocation: its deadline and request budget are this one's.
 */
export async function connectedAtlassian(options: ConnectOptions = {}): Promise<AtlassianPort | undefined> {
  const active = await activeConnection();
  if (!active) return undefined;
  const site = modeOf(active.connection) === 'site';
  const inner = site ? siteAdapter(active, options) : orgAdapter(active, options);
  return withAppReads(inner, site ? SITE_MODE_APP_READS : ORG_MODE_APP_READS, options);
}

function withAppReads(inner: AtlassianPort, reads: AppReadable[], options: ConnectOptions): AppReadsPort {
  const { deadline, timeoutMs } = clientOptions(options);
  const app = appReadsClient(options.appFetch ?? asAppJira, {
    ...(deadline !== undefined ? { deadline } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  // Not a warning: the credential answers instead, and "Test connection" says what is missing.
  return new AppReadsPort(inner, app, reads, (why) => console.info(why));
}

/** What a failed check means, and the permission or setting that is missing. */
function failure(
  mode: ConnectionMode,
  error: AtlassianError,
  expiresOn: string | undefined,
): ConnectionTestResult {
  const expired = expiresOn !== undefined && (expiry(expiresOn).expiresInDays ?? 0) < 0;
  const base = { ok: false as const, mode, kind: error.kind, message: error.message };
  if (error.status === 401) {
    const what = mode === 'site' ? 'The e-mail or the API token' : 'The API key';
    return {
      ...base,
      message: `${what} is wrong, revoked or expired${expired ? ` (it expired on ${expiresOn})` : ''}: Atlassian answered 401. ${error.message}`,
      missing: mode === 'site' ? 'a valid API token of this e-mail' : 'a valid organization API key',
    };
  }
  if (error.kind === 'forbidden') {
    if (/external fetch backend permissions/i.test(error.message)) {
      return { ...base, missing: "the host in manifest.yml's permissions.external.fetch.backend" };
    }
    if (mode === 'org' && /groups/.test(error.message)) {
      return { ...base, missing: 'organization admin rights over users and groups for this key' };
    }
    return {
      ...base,
      missing:
        mode === 'site'
          ? 'site admin (Administer Jira) for this account'
          : 'organization admin rights for this key',
    };
  }
  if (error.kind === 'not-found') {
    return {
      ...base,
      missing:
        mode === 'site'
          ? /no Jira product/.test(error.message)
            ? 'a Jira product on the site'
            : 'the site (check the site URL)'
          : /no product/i.test(error.message)
            ? 'a product in the organization'
            : 'the organization or its directory (check the IDs)',
    };
  }
  return base;
}

/**
 * Some keys administer the organization without managing its users and groups (a key scoped
 * to other APIs): one group search tells, naming what is missing.
 */
async function checkGroupAccess(adapter: OrgAdminAdapter): Promise<void> {
  try {
    await adapter.findGroupByName('org-admins');
  } catch (error) {
    if (error instanceof AtlassianError && error.kind === 'forbidden') {
      throw new AtlassianError(
        'forbidden',
        `The key cannot read the organization's groups (${error.message}): it needs organization admin rights over users and groups.`,
        error.status,
        error.code,
      );
    }
    throw error;
  }
}

/** Whether the app's own reads work: one read as the app, no credential involved. */
async function checkAppReads(appFetch: ProductFetch | undefined): Promise<AppReadsCheck> {
  try {
    const init = { method: 'GET', headers: { Accept: 'application/json' } };
    // A literal route, so `forge lint` checks this read's scopes against the manifest.
    const response = appFetch
      ? await appFetch('/rest/api/3/group/bulk?maxResults=1', init)
      : await asApp().requestJira(route`/rest/api/3/group/bulk?maxResults=1`, init);
    if (response.status >= 200 && response.status < 300) return { available: true };
    const text = (await response.text()).slice(0, 200);
    return {
      available: false,
      detail:
        response.status === 401 || response.status === 403
          ? `The app cannot read groups as itself (${response.status}): the read:group:jira and read:user:jira scopes are missing or not yet granted (upgrade the installation). The credential reads instead.`
          : `Reads as the app answered ${response.status}: ${text}. The credential reads instead.`,
    };
  } catch (error) {
    return {
      available: false,
      detail: `Reads as the app failed: ${String(error)}. The credential reads instead.`,
    };
  }
}

/**
 * "Test connection". Org mode: the key administers the org, its directory is known (and kept),
 * and the organization has products. Site mode: the token is the e-mail's, the account is a
 * site admin, and the site has a Jira product. Either way, whether reads as the app work.
 */
export async function testAtlassianConnection(options: ConnectOptions = {}): Promise<ConnectionTestResult> {
  const active = await activeConnection();
  if (!active) {
    const mode = modeOf((await kvs.get<StoredConnection>(CONNECTION_KEY)) ?? undefined);
    return {
      ok: false,
      mode,
      kind: 'not-configured',
      message:
        mode === 'site'
          ? "Enter the site URL, the site admin's e-mail and an API token first."
          : 'Enter the organization ID and an API key first.',
    };
  }
  const mode = modeOf(active.connection);
  try {
    if (mode === 'site') {
      const check = await siteAdapter(active, options).verify();
      return { ok: true, mode, ...check, appReads: await checkAppReads(options.appFetch) };
    }
    const adapter = orgAdapter(active, options);
    const check = await adapter.verify();
    await checkGroupAccess(adapter);
    const products = [...new Set((await adapter.listProducts()).map((p) => p.product))];
    if (products.length === 0) {
      throw new AtlassianError(
        'not-found',
        `Organization ${check.orgId} has no product: there is nothing to grant access to.`,
      );
    }
    const connection = await kvs.get<StoredConnection>(CONNECTION_KEY);
    if (
      connection?.orgId === check.orgId &&
      modeOf(connection) === 'org' &&
      !connection.directoryId &&
      connection.discoveredDirectoryId !== check.directoryId
    ) {
      await kvs.set(CONNECTION_KEY, { ...connection, discoveredDirectoryId: check.directoryId });
    }
    return { ok: true, mode, ...check, products, appReads: await checkAppReads(options.appFetch) };
  } catch (error) {
    if (error instanceof AtlassianError) return failure(mode, error, active.connection.expiresOn);
    throw error;
  }
}

/**
 * The admin page's calls for the connection (spread into the admin resolver):
 * - getAtlassianConnection: the view (never the credential);
 * - saveAtlassianConnection(AtlassianConnectionInput): validates, stores, answers the view; a bad
 *   value throws an error whose message says which field and why;
 * - testAtlassianConnection: ConnectionTestResult (ok, or the kind, message and what is missing);
 * - clearAtlassianConnection: forgets both modes' credentials, answers the view.
 */
export type AtlassianConnectionApi = {
  getAtlassianConnection: () => AtlassianConnectionView;
  saveAtlassianConnection: (input: AtlassianConnectionInput) => AtlassianConnectionView;
  testAtlassianConnection: () => ConnectionTestResult;
  clearAtlassianConnection: () => AtlassianConnectionView;
};

export const atlassianConnectionResolvers: Handlers<AtlassianConnectionApi> = {
  getAtlassianConnection: () => getAtlassianConnection(),
  saveAtlassianConnection: ({ payload }) => saveAtlassianConnection(payload),
  // A resolver has 25 s: leave room to answer.
  testAtlassianConnection: () =>
    testAtlassianConnection({ deadline: Date.now() + 20_000, timeoutMs: 10_000 }),
  clearAtlassianConnection: () => clearAtlassianConnection(),
};
