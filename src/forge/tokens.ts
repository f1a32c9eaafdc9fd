/**
 * The SCIM bearer token on Forge: only its SHA-256 hash is kept, as a Forge secret
 * (encrypted, never queryable). Several hashes may be valid at once, so a rotation can
 * overlap while the identity provider is being updated.
 */
import { kvs } from '@forge/kvs';
import { generateToken, hashToken, TokenHashSource } from '../scim/auth';

const SECRET_KEY = 'scim-token-hashes';
/** How long one function instance trusts what it read, to spare a storage read per request. */
const CACHE_MS = 30_000;

let cached: { hashes: string[]; at: number } | undefined;

export const forgeTokens: TokenHashSource = {
  async tokenHashes() {
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.hashes;
    const hashes = (await kvs.getSecret<string[]>(SECRET_KEY)) ?? [];
    cached = { hashes, at: Date.now() };
    return hashes;
  },
};

export async function hasToken(): Promise<boolean> {
  return ((await kvs.getSecret<string[]>(SECRET_KEY)) ?? []).length > 0;
}

/** Replaces every token with a new one and returns it; it is never retrievable again. */
export async function rotateToken(): Promise<string> {
  const token = generateToken();
  await installToken(token);
  return token;
}

/** Makes `token` the only valid token (the local runtime's SCIM_BEARER_TOKEN seeds it so). */
export async function installToken(token: string): Promise<void> {
  await kvs.setSecret(SECRET_KEY, [hashToken(token)]);
  cached = undefined;
}
