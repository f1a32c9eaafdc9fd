/**
 * The SCIM bearer tokens on Forge. Each live token is `{id, hash, createdAt, fingerprint}`,
 * kept together in one Forge secret (encrypted, never queryable); the token itself is never
 * stored, only its SHA-256 hash. At most two are live, so the identity provider can be
 * switched to a new token while the old one still works, then the old one revoked.
 *
 * "Last used" is not in the secret: the web trigger would have to read, change and write the
 * secret back, and secrets have no conditional write, so a token generated at that moment
 * could be lost. It is a plain kvs value per token (`scim-token-used:<id>`, epoch ms; not a
 * secret), written by the web trigger at most once per token per five minutes per function
 * instance: most requests write nothing.
 *
 * What an instance remembers (the token list for 30 s, when it last recorded a use) is kept
 * per installation (./installation.ts): one warm process serves several customers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { kvs } from '@forge/kvs';
import { CLAIM } from '../directory/entities';
import { generateToken as newToken, hashToken, TokenHashSource } from '../scim/auth';
import { ConditionFailedError } from '../storage/port';
import type { TokenView } from './admin-api';
import { AdminRefusal } from './authorize';
import { perInstallation } from './installation';
import { ForgeEntityStore } from './kvs-store';

const SECRET_KEY = 'scim-tokens';
/** Before several tokens: a list of hashes. Read when SECRET_KEY is absent, replaced on the next write. */
const LEGACY_SECRET_KEY = 'scim-token-hashes';
const usedKey = (id: string) => `scim-token-used:${id}`;
/**
 * Held while the token list is read, changed and written back: secrets have no conditional
 * write, so without it two changes at once (a double-clicked "Generate token") could each
 * write a list without the other's token, and a token shown to the admin would not work.
 *
 * A lease in the claims entity (`{owner, at}`), not a key with a TTL: expired kvs data may be
 * read for up to 48 hours (`storage-reference/kvs-api`), so expiry cannot free a lock. A lease
 * older than any resolver can run (25 s) belongs to a holder that died; it is taken over by a
 * write conditional on its owner, so two takers cannot both win.
 */
const LEASE_KEY = 'lease:scim-tokens';
const STALE_LEASE_MS = 60_000;

/** Old and new during a rotation; a third would be one nobody remembers to revoke. */
export const MAX_LIVE_TOKENS = 2;
/** How long one function instance trusts what it read, to spare a storage read per request. */
const CACHE_MS = 30_000;
/** "Last used" is recorded at most this often per token (per function instance). */
export const LAST_USED_RESOLUTION_MS = 5 * 60_000;

interface StoredToken {
  id: string;
  hash: string;
  createdAt: number;
  fingerprint: string;
}

interface InstanceMemory {
  cached?: { tokens: StoredToken[]; at: number };
  /** When this instance last recorded each token's use. */
  recorded: Map<string, number>;
}
const memory = perInstallation((): InstanceMemory => ({ recorded: new Map() }));

async function readTokens(): Promise<StoredToken[]> {
  const tokens = await kvs.getSecret<StoredToken[]>(SECRET_KEY);
  if (tokens) return tokens;
  const legacy = (await kvs.getSecret<string[]>(LEGACY_SECRET_KEY)) ?? [];
  return legacy.map((hash, index) => ({
    id: `legacy-${index + 1}`,
    hash,
    createdAt: 0,
    fingerprint: 'set before fingerprints were kept',
  }));
}

async function writeTokens(tokens: StoredToken[]): Promise<void> {
  await kvs.setSecret(SECRET_KEY, tokens);
  await kvs.deleteSecret(LEGACY_SECRET_KEY);
  memory().cached = undefined;
}

/**
 * Enough to tell two tokens apart on the admin page and in the identity provider's form,
 * without helping anyone guess one: a generated token's first four random characters and
 * eight hex digits of a digest that is not the stored hash. A token set from outside (the
 * local SCIM_BEARER_TOKEN, possibly short) shows the digest only.
 */
function fingerprint(token: string): string {
  const digest = createHash('sha256').update(`fingerprint:${token}`, 'utf8').digest('hex').slice(0, 8);
  return /^scim_[A-Za-z0-9_-]{40,}$/.test(token) ? `${token.slice(0, 9)}…${digest}` : `…${digest}`;
}

function record(token: string, createdAt = Date.now()): StoredToken {
  return {
    id: `tok_${randomBytes(6).toString('hex')}`,
    hash: hashToken(token),
    createdAt,
    fingerprint: fingerprint(token),
  };
}

async function liveTokens(): Promise<StoredToken[]> {
  const mine = memory();
  if (mine.cached && Date.now() - mine.cached.at < CACHE_MS) return mine.cached.tokens;
  const tokens = await readTokens();
  mine.cached = { tokens, at: Date.now() };
  return tokens;
}

/** The web trigger's token source: hashes from a 30 s cache, and "last used" recorded. */
export const forgeTokens: TokenHashSource = {
  async tokenHashes() {
    return (await liveTokens()).map((token) => token.hash);
  },
  async used(hash) {
    const { cached, recorded } = memory();
    const token = cached?.tokens.find((t) => t.hash === hash);
    if (!token) return;
    const now = Date.now();
    if (now - (recorded.get(token.id) ?? 0) < LAST_USED_RESOLUTION_MS) return;
    recorded.set(token.id, now);
    await kvs.set(usedKey(token.id), now);
  },
};

interface Lease {
  owner: string;
  value: string;
  at: number;
}

/** Runs a change of the token list alone; a change already running refuses this one. */
async function changingTokens<T>(change: () => Promise<T>): Promise<T> {
  const store = new ForgeEntityStore();
  const owner = `tokens-${randomBytes(8).toString('hex')}`;
  const lease: Lease = { owner, value: 'scim-tokens', at: Date.now() };
  if (!(await store.createIfAbsent(CLAIM, LEASE_KEY, lease))) {
    const held = await store.get<Lease>(CLAIM, LEASE_KEY);
    const stale = held !== undefined && Date.now() - held.at >= STALE_LEASE_MS;
    try {
      if (!stale) throw new ConditionFailedError();
      await store.transact([
        {
          type: 'set',
          entity: CLAIM,
          key: LEASE_KEY,
          value: lease,
          condition: { attribute: 'owner', equals: held.owner },
        },
      ]);
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      throw new AdminRefusal('Another change to the tokens is in progress: try again in a moment.');
    }
  }
  try {
    return await change();
  } finally {
    // Only our own lease: had we outlived it, the one who took it over keeps theirs.
    await store
      .transact([
        { type: 'delete', entity: CLAIM, key: LEASE_KEY, condition: { attribute: 'owner', equals: owner } },
      ])
      .catch((error: unknown) => {
        if (!(error instanceof ConditionFailedError)) throw error;
      });
  }
}

/** Live tokens as the admin page may see them (never a token, never a hash), oldest first. */
export async function listTokens(): Promise<TokenView[]> {
  const tokens = await readTokens();
  const used = await Promise.all(tokens.map((token) => kvs.get<number>(usedKey(token.id))));
  return tokens
    .map((token, index) => ({
      id: token.id,
      fingerprint: token.fingerprint,
      createdAt: token.createdAt,
      ...(typeof used[index] === 'number' ? { lastUsedAt: used[index] } : {}),
    }))
    .sort((a, b) => a.createdAt - b.createdAt);
}

export async function hasToken(): Promise<boolean> {
  return (await readTokens()).length > 0;
}

/**
 * Adds a token and returns it: the only time it exists outside the identity provider. The
 * tokens already live stay valid; with two live, the admin must revoke one first.
 */
export function generateToken(): Promise<{ token: string; view: TokenView }> {
  return changingTokens(async () => {
    const tokens = await readTokens();
    if (tokens.length >= MAX_LIVE_TOKENS) {
      throw new AdminRefusal(
        `${MAX_LIVE_TOKENS} tokens are live already. Revoke the one the identity provider no longer uses, then generate a new one.`,
      );
    }
    const token = newToken();
    const stored = record(token);
    await writeTokens([...tokens, stored]);
    return { token, view: { id: stored.id, fingerprint: stored.fingerprint, createdAt: stored.createdAt } };
  });
}

/**
 * Revokes one token: requests with it are refused (401) within 30 s on every instance.
 * Answers the fingerprint it had, for the log.
 */
export function revokeToken(id: string): Promise<{ fingerprint: string }> {
  return changingTokens(async () => {
    const tokens = await readTokens();
    const revoked = tokens.find((token) => token.id === id);
    if (!revoked) {
      throw new AdminRefusal(
        `No live token has the id "${String(id).slice(0, 40)}": it may be revoked already.`,
      );
    }
    await writeTokens(tokens.filter((token) => token.id !== id));
    await kvs.delete(usedKey(id));
    return { fingerprint: revoked.fingerprint };
  });
}

/** Replaces every token with a new one and returns it (`npm start -- --new-token`). */
export async function rotateToken(): Promise<string> {
  const token = newToken();
  await installToken(token);
  return token;
}

/**
 * Makes `token` the only valid token (the local runner's SCIM_BEARER_TOKEN seeds it so). The
 * same token installed again keeps its id, creation time and last use.
 */
export function installToken(token: string): Promise<void> {
  return changingTokens(async () => {
    const tokens = await readTokens();
    const hash = hashToken(token);
    if (tokens.length === 1 && tokens[0].hash === hash && !tokens[0].id.startsWith('legacy-')) {
      memory().cached = undefined;
      return;
    }
    await writeTokens([record(token)]);
    await Promise.all(tokens.map((old) => kvs.delete(usedKey(old.id))));
  });
}

/** Epoch ms of the last request an identity provider made with a live token, if any. */
export function lastRequestAt(tokens: TokenView[]): number | undefined {
  const times = tokens.map((token) => token.lastUsedAt).filter((at): at is number => at !== undefined);
  return times.length > 0 ? Math.max(...times) : undefined;
}
