/**
 * Bearer-token authentication. Web triggers are public URLs, so every SCIM request proves
 * itself with the token the admin pasted into the identity provider. Tokens are kept only
 * as SHA-256 hashes and compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TokenHashSource {
  /** Hashes of the currently valid tokens (more than one during a rotation). */
  tokenHashes(): Promise<string[]>;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token: 32 bytes, base64url, prefixed so it is recognisable in an IdP form. */
export function generateToken(): string {
  return `scim_${randomBytes(32).toString('base64url')}`;
}

export class TokenVerifier {
  constructor(private readonly source: TokenHashSource) {}

  /**
   * The token from an Authorization header: "Bearer <token>", or a bare token, which some
   * custom SCIM clients send. Any other scheme (Basic, ...) yields no token.
   */
  static bearer(header: string | undefined): string | undefined {
    const match = /^\s*(?:bearer\s+)?(\S+)\s*$/i.exec(header ?? '');
    return match?.[1];
  }

  async verify(token: string | undefined): Promise<boolean> {
    if (!token) return false;
    const presented = Buffer.from(hashToken(token), 'hex');
    let valid = false;
    for (const hash of await this.source.tokenHashes()) {
      const expected = Buffer.from(hash, 'hex');
      // Compare against every stored hash so timing says nothing about which one matched.
      if (expected.length === presented.length && timingSafeEqual(expected, presented)) valid = true;
    }
    return valid;
  }
}
