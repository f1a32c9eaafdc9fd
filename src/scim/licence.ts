/**
 * Whether SCIM writes are allowed, as the SCIM layer sees it: the platform-specific answer
 * (on Forge, the installation's Marketplace licence: src/forge/licence.ts) is passed in.
 * Reads never ask.
 */
export type WriteDecision = { allowed: true } | { allowed: false; reason: string };

export interface LicenceGate {
  writes(): Promise<WriteDecision>;
}
