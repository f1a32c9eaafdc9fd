/**
 * Bearer-token authentication. Web triggers are public URLs, so every SCIM request proves
 * itself with the token the admin pasted into the identity provider. Tokens are kept only
 * as SHA-256 hashes and compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TokenHashSource {
  /** Hashes of the currently valid tokens (more than one during a rotation). */
  tokenHashes(): Promise<string[]>;
  /**
   * A request just proved itself with the token of this hash: record "last used" (cheaply,
   * it runs on every request). Awaited, so the write is not cut off with the invocation; a
   * failure is ignored, since the request itself is fine.
   */
  used?(hash: string): Promise<void>;
}

/**
 * Marks a request whose bearer token was verified. Only such a request may leave its path,
 * headers or user agent in a log the admin reads: before that, anyone on the internet could
 * write there (the web trigger is a public URL). A symbol on the request object, not a module
 * registry: one warm process serves several customers, and the mark dies with the request.
 */
const AUTHENTICATED = Symbol('authenticated');

export function markAuthenticated(request: object): void {
  Object.defineProperty(request, AUTHENTICATED, { value: true });
}

/** Whether the request proved itself with a live token (markAuthenticated). */
export function isAuthenticated(request: object): boolean {
  return (request as { [AUTHENTICATED]?: unknown })[AUTHENTICATED] === true;
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
   *
   * Only SP and HTAB are stripped: they are the only whitespace HTTP has (RFC 9110 §5.6.3
   * OWS around a field value, §11.4 between scheme and credentials), and the scheme name is
   * case-insensitive (§11.1). Everything else, a no-break space or a vertical tab included,
   * is part of the token as presented and must match exactly; JavaScript's `\s` would have
   * trimmed those and let "<token>\u00a0" in.
   */
  static bearer(header: string | undefined): string | undefined {
    const match = /^[ \t]*(?:bearer[ \t]+)?([^ \t]+)[ \t]*$/i.exec(header ?? '');
    return match?.[1];
  }

  async verify(token: string | undefined): Promise<boolean> {
    if (!token) return false;
    const presented = Buffer.from(hashToken(token), 'hex');
    let matched: string | undefined;
    for (const hash of await this.source.tokenHashes()) {
      const expected = Buffer.from(hash, 'hex');
      // Compare against every stored hash so timing says nothing about which one matched.
      if (expected.length === presented.length && timingSafeEqual(expected, presented)) matched = hash;
    }
    if (matched === undefined) return false;
    await this.source.used?.(matched).catch((error: unknown) => {
      console.warn('Could not record when the SCIM token was last used', String(error));
    });
    return true;
  }
}
