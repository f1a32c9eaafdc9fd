/**
 * The connection to the Atlassian organization on Forge: which organization (and directory)
 * to provision into, and the organization admin API key that may do it.
 *
 * - The key is a Forge secret (`kvs.setSecret`: encrypted, never queryable). Once set it is
 *   never returned: the admin page only learns that one is set. Saving without a key keeps
 *   the stored one, so the org or directory can be changed without pasting it again.
 * - The rest (`{orgId, directoryId?, baseUrl?}`) is a plain kvs value: it is not secret.
 * - Without a stored connection, Forge environment variables stand in (`forge variables set
 *   --encrypt ATLASSIAN_ORG_API_KEY`, ATLASSIAN_ORG_ID, optional ATLASSIAN_ORG_API_BASE and
 *   ATLASSIAN_ORG_DIRECTORY_ID): what the local runner sets for the embedded organization.
 * - The adapter talks through `fetch` from `@forge/api`, i.e. through the egress rule of
 *   manifest.yml (`permissions.external.fetch.backend: [api.atlassian.com]`, facts §8).
 */
import { fetch, getAppContext } from '@forge/api';
import { kvs } from '@forge/kvs';
import type { Handlers } from '@forge/resolver';
import { FetchLike } from '../atlassian/http-client';
import {
  DEFAULT_ADMIN_BASE_URL,
  OrgAdminAdapter,
  OrgConnectionCheck,
  createOrgAdminAdapter,
} from '../atlassian/org-adapter';
import { AtlassianError } from '../atlassian/port';

const CONNECTION_KEY = 'atlassian-org-connection';
const API_KEY_SECRET = 'atlassian-org-api-key';
/** Forge: 100 egress requests per invocation-minute (forge-platform.md §4, §5.1). */
const EGRESS_PER_MINUTE = 100;
/** Left for the caller to record what happened after the last request. */
const DEADLINE_MARGIN_MS = 5_000;

export interface OrgConnection {
  orgId: string;
  /** Absent: discovered (GET /v2/orgs/{orgId}/directories) when the org has exactly one. */
  directoryId?: string;
  /** Absent: https://api.atlassian.com/admin. */
  baseUrl?: string;
}

interface StoredConnection extends OrgConnection {
  /** What "Test connection" discovered, used while no directoryId is configured. */
  discoveredDirectoryId?: string;
}

/** What the admin page may see: never the key. */
export interface OrgConnectionView {
  configured: boolean;
  apiKeySet: boolean;
  /** Where the connection in use comes from: the admin page (kvs) or environment variables. */
  source?: 'admin' | 'environment';
  orgId?: string;
  directoryId?: string;
  baseUrl?: string;
}

export interface OrgConnectionInput extends OrgConnection {
  /** Omitted or empty: keep the stored key. */
  apiKey?: string;
}

export type ConnectionTestResult =
  | ({ ok: true } & OrgConnectionCheck)
  | { ok: false; kind: AtlassianError['kind'] | 'not-configured'; message: string };

export interface ConnectOptions {
  /** Epoch ms; default: the invocation's remaining time less 5 s. */
  deadline?: number;
  /** Default: 100 per minute of the invocation's remaining time (Forge's egress limit). */
  requestBudget?: number;
  timeoutMs?: number;
  /** Default: `fetch` from @forge/api. */
  fetch?: FetchLike;
  log?: (message: string) => void;
}

const trimmed = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

function view(
  connection: StoredConnection | undefined,
  apiKeySet: boolean,
  source?: OrgConnectionView['source'],
): OrgConnectionView {
  const configured = Boolean(connection?.orgId) && apiKeySet;
  return {
    configured,
    apiKeySet,
    ...(configured && source ? { source } : {}),
    ...(connection?.orgId ? { orgId: connection.orgId } : {}),
    ...(connection?.directoryId ? { directoryId: connection.directoryId } : {}),
    ...(connection?.baseUrl ? { baseUrl: connection.baseUrl } : {}),
  };
}

async function apiKey(): Promise<string | undefined> {
  return (await kvs.getSecret<string>(API_KEY_SECRET)) ?? undefined;
}

interface ActiveConnection {
  connection: StoredConnection;
  key: string;
  source: 'admin' | 'environment';
}

/** The environment's connection (Forge variables, or what the local runner sets). */
function fromEnvironment(): ActiveConnection | undefined {
  const env = process.env;
  const orgId = trimmed(env.ATLASSIAN_ORG_ID);
  const key = trimmed(env.ATLASSIAN_ORG_API_KEY);
  if (!orgId || !key) return undefined;
  const baseUrl = trimmed(env.ATLASSIAN_ORG_API_BASE).replace(/\/+$/, '');
  const directoryId = trimmed(env.ATLASSIAN_ORG_DIRECTORY_ID);
  return {
    connection: { orgId, ...(baseUrl ? { baseUrl } : {}), ...(directoryId ? { directoryId } : {}) },
    key,
    source: 'environment',
  };
}

/** The stored connection when complete, else the environment's. */
async function activeConnection(): Promise<ActiveConnection | undefined> {
  const [connection, key] = await Promise.all([kvs.get<StoredConnection>(CONNECTION_KEY), apiKey()]);
  if (connection?.orgId && key) return { connection, key, source: 'admin' };
  return fromEnvironment();
}

export async function getOrgConnection(): Promise<OrgConnectionView> {
  const [connection, key] = await Promise.all([kvs.get<StoredConnection>(CONNECTION_KEY), apiKey()]);
  if (connection?.orgId && key) return view(connection, true, 'admin');
  const env = fromEnvironment();
  return env ? view(env.connection, true, 'environment') : view(connection, Boolean(key));
}

/** Validates and stores the connection (and the key, when given); answers what is stored. */
export async function saveOrgConnection(input: OrgConnectionInput): Promise<OrgConnectionView> {
  const orgId = trimmed(input?.orgId);
  const directoryId = trimmed(input?.directoryId);
  const baseUrl = trimmed(input?.baseUrl).replace(/\/+$/, '');
  const key = trimmed(input?.apiKey);
  if (!orgId || /[/?#\s]/.test(orgId)) throw new AtlassianError('invalid', 'An organization ID is required.');
  if (/[/?#\s]/.test(directoryId)) throw new AtlassianError('invalid', 'The directory ID is not valid.');
  if (baseUrl) {
    let url: URL | undefined;
    try {
      url = new URL(baseUrl);
    } catch {
      url = undefined;
    }
    // Plain http only to this machine: a stand-in organization of a local run.
    const loopback = url !== undefined && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (url?.protocol !== 'https:' && !(url?.protocol === 'http:' && loopback)) {
      throw new AtlassianError('invalid', 'The API base URL must be an https URL.');
    }
  }
  if (/\s/.test(key)) throw new AtlassianError('invalid', 'The API key cannot contain spaces.');
  if (!key && !(await apiKey())) throw new AtlassianError('invalid', 'An organization API key is required.');

  const previous = await kvs.get<StoredConnection>(CONNECTION_KEY);
  const connection: StoredConnection = {
    orgId,
    ...(directoryId ? { directoryId } : {}),
    ...(baseUrl && baseUrl !== DEFAULT_ADMIN_BASE_URL ? { baseUrl } : {}),
    // A discovery is only good for the organization it was made in.
    ...(previous?.discoveredDirectoryId &&
    previous.orgId === orgId &&
    previous.baseUrl === (baseUrl || undefined)
      ? { discoveredDirectoryId: previous.discoveredDirectoryId }
      : {}),
  };
  if (key) await kvs.setSecret(API_KEY_SECRET, key);
  await kvs.set(CONNECTION_KEY, connection);
  return view(connection, true, 'admin');
}

/** Forgets the stored connection and key (environment variables, if any, then apply). */
export async function clearOrgConnection(): Promise<OrgConnectionView> {
  await kvs.deleteSecret(API_KEY_SECRET);
  await kvs.delete(CONNECTION_KEY);
  return getOrgConnection();
}

function invocationRemainingMs(): number | undefined {
  try {
    return getAppContext().invocationRemainingTimeInMillis();
  } catch {
    return undefined; // outside an invocation (or an old tunnel): no platform limit known
  }
}

/**
 * The Organizations API adapter for the connection in use, or undefined when none is
 * configured (the sync then keeps its changes for later). Build one per invocation: its deadline and request budget are this one's.
 */
export async function connectedOrgAdapter(
  options: ConnectOptions = {},
): Promise<OrgAdminAdapter | undefined> {
  const active = await activeConnection();
  if (!active) return undefined;
  const { connection, key } = active;
  const remaining = invocationRemainingMs();
  const deadline =
    options.deadline ?? (remaining === undefined ? undefined : Date.now() + remaining - DEADLINE_MARGIN_MS);
  // "100 requests per runtime minute" (UNCONFIRMED how it scales past the first minute, facts §8).
  const requestBudget =
    options.requestBudget ??
    (remaining === undefined ? undefined : EGRESS_PER_MINUTE * Math.max(1, Math.floor(remaining / 60_000)));
  const directoryId = connection.directoryId ?? connection.discoveredDirectoryId;
  return createOrgAdminAdapter(
    {
      orgId: connection.orgId,
      apiKey: key,
      ...(directoryId ? { directoryId } : {}),
      ...(connection.baseUrl ? { baseUrl: connection.baseUrl } : {}),
    },
    {
      fetch: options.fetch ?? fetch,
      ...(deadline !== undefined ? { deadline } : {}),
      ...(requestBudget !== undefined ? { requestBudget } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.log ? { log: options.log } : {}),
    },
  );
}

/** "Test connection": the key administers the org, and its directory is known (and kept). */
export async function testOrgConnection(options: ConnectOptions = {}): Promise<ConnectionTestResult> {
  const adapter = await connectedOrgAdapter(options);
  if (!adapter) {
    return { ok: false, kind: 'not-configured', message: 'Enter the organization ID and an API key first.' };
  }
  try {
    const check = await adapter.verify();
    const connection = await kvs.get<StoredConnection>(CONNECTION_KEY);
    if (
      connection?.orgId === check.orgId &&
      !connection.directoryId &&
      connection.discoveredDirectoryId !== check.directoryId
    ) {
      await kvs.set(CONNECTION_KEY, { ...connection, discoveredDirectoryId: check.directoryId });
    }
    return { ok: true, ...check };
  } catch (error) {
    if (error instanceof AtlassianError) return { ok: false, kind: error.kind, message: error.message };
    throw error;
  }
}

/** The admin page's calls for the connection (spread into the admin resolver). */
export type AtlassianConnectionApi = {
  getAtlassianConnection: () => OrgConnectionView;
  saveAtlassianConnection: (input: OrgConnectionInput) => OrgConnectionView;
  testAtlassianConnection: () => ConnectionTestResult;
  clearAtlassianConnection: () => OrgConnectionView;
};

export const atlassianConnectionResolvers: Handlers<AtlassianConnectionApi> = {
  getAtlassianConnection: () => getOrgConnection(),
  saveAtlassianConnection: ({ payload }) => saveOrgConnection(payload),
  // A resolver has 25 s: leave room to answer.
  testAtlassianConnection: () => testOrgConnection({ deadline: Date.now() + 20_000, timeoutMs: 10_000 }),
  clearAtlassianConnection: () => clearOrgConnection(),
};
