/**
 * Which Atlassian organization the local runtime provisions into, from the environment:
 *
 *   ATLASSIAN_ORG_API_BASE, ATLASSIAN_ORG_API_KEY, ATLASSIAN_ORG_ID (ATLASSIAN_ORG_DIRECTORY_ID)
 *       point at another implementation (a real organization, or a stand-in on localhost):
 *       no embedded organization is started, the runtime's egress admits that host, and
 *       calls go out as real HTTP. KEY and ID are required together; BASE defaults to
 *       https://api.atlassian.com/admin.
 *   otherwise the embedded organization (state in DATA_DIR), with its knobs:
 *   EMBEDDED_ORG_API_KEY      fixed admin API key (else generated once and kept)
 *   EMBEDDED_ORG_SITE_TOKEN   fixed API token of admin@offline.example for the Jira site (else generated once)
 *   EMBEDDED_ORG_PAID         0 = no paid subscription (invite answers 402); default 1
 *   EMBEDDED_ORG_FAULT_RATE   0–1 share of calls that fail (429, 500, timeouts)
 *   EMBEDDED_ORG_FAULT_KINDS  comma list of 429,500,timeout-before,timeout-after (default all)
 *   EMBEDDED_ORG_FAULT_SEED   seed of the fault draw (reproducible runs)
 *   EMBEDDED_ORG_LATENCY_MS   added to every answer
 *   EMBEDDED_ORG_RATE_LIMIT   requests per second before 429 + Retry-After
 *   EMBEDDED_ORG_TIMEOUT_MS   how long a timed-out call is held before the connection drops (30000)
 *   EMBEDDED_ORG_USER_LIMITS  per-product user limits, e.g. jira-software=10,confluence=5: a member
 *                             add or invite past one answers 409 ADMIN-409-3 (none by default)
 *
 * With the embedded organization the runner also publishes its site's site-admin credential
 * (ATLASSIAN_SITE_URL, ATLASSIAN_SITE_EMAIL, ATLASSIAN_SITE_API_TOKEN); the app uses it instead
 * of the org key when ATLASSIAN_MODE=site (the site-admin mode, src/atlassian/site-adapter.ts).
 *
 * The app finds the connection the way it would on Forge, as environment variables
 * (`forge variables set`), which src/forge/atlassian-connection.ts reads when no connection
 * was saved on the admin page: the runner sets ATLASSIAN_ORG_API_BASE/KEY/ID and
 * ATLASSIAN_ORG_DIRECTORY_ID in process.env before loading the app, and
 * `embeddedOrgConnection()` returns the same values.
 *
 * Forge variables are environment-wide: every installation reads the same ones, so they cannot
 * carry one customer's credentials. A runner serving several installations
 * (`npm start -- --installations N`) passes `publish: false` and stores each installation's
 * connection in that installation's storage instead, as its admin page would.
 */
import path from 'node:path';
import { FAULT_KINDS, FaultKind } from './faults';
import type { EmbeddedOrgOptions } from './options';
import { EmbeddedOrganization } from './organization';
import { SEED_ACCOUNTS } from './seed';

export const DEFAULT_API_BASE = 'https://api.atlassian.com/admin';

export interface OrgConnection {
  /** What the app sends its calls to, e.g. https://api.atlassian.com/admin. */
  baseUrl: string;
  orgId: string;
  apiKey: string;
  /** Saves the app a directory lookup (ATLASSIAN_ORG_DIRECTORY_ID); optional outside. */
  directoryId?: string;
}

type Env = Record<string, string | undefined>;

/** The organization named by ATLASSIAN_ORG_* (none set: undefined). Throws when incomplete. */
export function externalOrgFromEnv(env: Env): OrgConnection | undefined {
  const baseUrl = env.ATLASSIAN_ORG_API_BASE;
  const apiKey = env.ATLASSIAN_ORG_API_KEY;
  const orgId = env.ATLASSIAN_ORG_ID;
  if (!baseUrl && !apiKey && !orgId) return undefined;
  if (!apiKey || !orgId) {
    throw new Error(
      'ATLASSIAN_ORG_API_KEY and ATLASSIAN_ORG_ID must be set together (with ATLASSIAN_ORG_API_BASE).',
    );
  }
  const base = new URL(baseUrl || DEFAULT_API_BASE);
  const directoryId = env.ATLASSIAN_ORG_DIRECTORY_ID;
  return {
    baseUrl: base.toString().replace(/\/+$/, ''),
    orgId,
    apiKey,
    ...(directoryId ? { directoryId } : {}),
  };
}

function number(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name} must be a number from ${min} to ${max}, not ${raw}.`);
  }
  return value;
}

/** The embedded organization's options from EMBEDDED_ORG_* (dataDir and site come from the caller). */
export function embeddedOrgOptionsFromEnv(env: Env): EmbeddedOrgOptions {
  const kinds = env.EMBEDDED_ORG_FAULT_KINDS?.split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .flatMap((k): FaultKind[] => (k === 'timeout' ? ['timeout-before', 'timeout-after'] : [k as FaultKind]));
  const unknown = kinds?.find((k) => !FAULT_KINDS.includes(k));
  if (unknown)
    throw new Error(`EMBEDDED_ORG_FAULT_KINDS: unknown kind ${unknown} (${FAULT_KINDS.join(', ')}).`);
  const rate = number(env, 'EMBEDDED_ORG_FAULT_RATE', 0, 1);
  const seed = number(env, 'EMBEDDED_ORG_FAULT_SEED', 0, 2 ** 32);
  const latencyMs = number(env, 'EMBEDDED_ORG_LATENCY_MS', 0, 600_000);
  const rateLimit = number(env, 'EMBEDDED_ORG_RATE_LIMIT', 0, 1_000_000);
  const timeoutHoldMs = number(env, 'EMBEDDED_ORG_TIMEOUT_MS', 0, 3_600_000);
  const userLimits = userLimitsFromEnv(env.EMBEDDED_ORG_USER_LIMITS);
  return {
    ...(env.EMBEDDED_ORG_API_KEY ? { apiKey: env.EMBEDDED_ORG_API_KEY } : {}),
    ...(env.EMBEDDED_ORG_SITE_TOKEN ? { siteApiToken: env.EMBEDDED_ORG_SITE_TOKEN } : {}),
    paid: env.EMBEDDED_ORG_PAID !== '0' && env.EMBEDDED_ORG_PAID !== 'false',
    faults: {
      ...(rate !== undefined ? { rate } : {}),
      ...(kinds?.length ? { kinds } : {}),
      ...(seed !== undefined ? { seed } : {}),
    },
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    ...(timeoutHoldMs !== undefined ? { timeoutHoldMs } : {}),
    ...(userLimits ? { userLimits } : {}),
  };
}

/** `jira-software=10,confluence=5` → {"jira-software": 10, confluence: 5}; empty: none. */
function userLimitsFromEnv(raw: string | undefined): Record<string, number> | undefined {
  if (!raw?.trim()) return undefined;
  const limits: Record<string, number> = {};
  const parts = raw.split(',').map((p) => p.trim());
  for (const part of parts.filter(Boolean)) {
    const match = /^([a-z][a-z-]*)=(\d+)$/.exec(part);
    if (!match) {
      throw new Error(
        `EMBEDDED_ORG_USER_LIMITS: "${part}" is not product=limit (e.g. jira-software=10,confluence=5).`,
      );
    }
    limits[match[1]] = Number(match[2]);
  }
  return limits;
}

let current: OrgConnection | undefined;

/** The connection the local runner gave the app (embedded or external); undefined before. */
export function embeddedOrgConnection(): OrgConnection | undefined {
  return current ? { ...current } : undefined;
}

/** Where the installation's own Jira site keeps its state when another organization is used. */
export const LOCAL_SITE_DIR = 'local-site';

export interface LocalOrganization {
  connection: OrgConnection;
  /** Set when the embedded organization runs (not when ATLASSIAN_ORG_* name another). */
  embedded?: EmbeddedOrganization;
  /**
   * The installation's Jira site (the one Forge's product fetch reaches, which answers the
   * admin page's admin check): the embedded organization's, or, when ATLASSIAN_ORG_* name
   * another organization, a local one of its own (state in DATA_DIR/local-site), since
   * nothing else serves a Jira site for this installation offline. Only its site is served.
   */
  site: EmbeddedOrganization;
  /** Hosts the runtime's egress must admit beyond the manifest (the external host). */
  extraEgress: string[];
}

/**
 * Decides between the embedded organization and the one ATLASSIAN_ORG_* names, starts the
 * embedded one if so, records the connection for `embeddedOrgConnection()`, and publishes
 * it to the app as the Forge environment variables ATLASSIAN_ORG_API_BASE/KEY/ID.
 */
export function startLocalOrganization(options: {
  env: Env;
  dataDir?: string;
  cloudId?: string;
  siteUrl?: string;
  /**
   * Where to publish the connection (default process.env); false: nowhere, and not recorded
   * for `embeddedOrgConnection()` either (one of several installations' organizations).
   */
  publish?: Env | false;
}): LocalOrganization {
  const external = externalOrgFromEnv(options.env);
  let result: LocalOrganization;
  if (external) {
    const host = new URL(external.baseUrl).hostname;
    const site = new EmbeddedOrganization({
      ...(options.dataDir ? { dataDir: path.join(options.dataDir, LOCAL_SITE_DIR) } : {}),
      ...(options.cloudId ? { cloudId: options.cloudId } : {}),
      ...(options.siteUrl ? { siteUrl: options.siteUrl } : {}),
    });
    result = { connection: external, site, extraEgress: [host] };
  } else {
    const embedded = new EmbeddedOrganization({
      ...embeddedOrgOptionsFromEnv(options.env),
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.cloudId ? { cloudId: options.cloudId } : {}),
      ...(options.siteUrl ? { siteUrl: options.siteUrl } : {}),
    });
    result = {
      connection: {
        baseUrl: DEFAULT_API_BASE,
        orgId: embedded.orgId,
        apiKey: embedded.apiKey,
        directoryId: embedded.directoryId,
      },
      embedded,
      site: embedded,
      extraEgress: [],
    };
  }
  if (options.publish === false) return result;
  current = result.connection;
  const publish = options.publish ?? process.env;
  publish.ATLASSIAN_ORG_API_BASE = result.connection.baseUrl;
  publish.ATLASSIAN_ORG_API_KEY = result.connection.apiKey;
  publish.ATLASSIAN_ORG_ID = result.connection.orgId;
  if (result.connection.directoryId) publish.ATLASSIAN_ORG_DIRECTORY_ID = result.connection.directoryId;
  if (result.embedded) {
    // The embedded site's site-admin credential, used instead when ATLASSIAN_MODE=site.
    publish.ATLASSIAN_SITE_URL = result.embedded.meta.siteUrl;
    publish.ATLASSIAN_SITE_EMAIL = SEED_ACCOUNTS.admin;
    publish.ATLASSIAN_SITE_API_TOKEN = result.embedded.siteApiToken;
  }
  return result;
}
