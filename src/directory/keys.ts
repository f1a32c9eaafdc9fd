import { createHash } from 'node:crypto';

/**
 * Storage keys allow only [a-zA-Z0-9:._ -#] and 500 characters, so values chosen by
 * identity providers (userNames, e-mails) never appear in keys directly: they are hashed.
 */
export function hashKey(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/**
 * Index attribute values are truncated to a bounded length; a lookup by a longer value
 * queries the truncated form and the filter predicate confirms the exact match.
 */
export const MAX_INDEXED_LENGTH = 256;

export function indexValue(value: string): string {
  return value.length > MAX_INDEXED_LENGTH ? value.slice(0, MAX_INDEXED_LENGTH) : value;
}

/**
 * Whether a string may not be written to a `string` attribute: Forge refuses one without a
 * non-whitespace character (storage-reference/entities-manifest, "Values"). Zero-width
 * characters count as blank here too, in case Forge's idea of whitespace is wider than ours.
 * Such a value (an identity provider's displayName "   ", say) is left out of the record's
 * attributes; the SCIM document keeps it.
 */
export function isBlankAttribute(value: string): boolean {
  return !/[^\s\u180e\u200b-\u200d\u2060]/.test(value);
}

/** Case-insensitive attributes are indexed and claimed in this folded form. */
export function fold(value: string): string {
  return value.normalize('NFC').toLowerCase();
}

/** Zero-padded so that lexical order of membership slots follows group order. */
export function padSeq(seq: number): string {
  return seq.toString().padStart(12, '0');
}
