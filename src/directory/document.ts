/**
 * A resource document as the directory stores it: the normalized JSON of a SCIM user or
 * group. Defined here, below the protocol layer, so the directory depends on nothing above
 * it; src/scim/ validates and normalizes documents into this shape (scim/schema/normalize.ts).
 */
export type ScimObject = Record<string, unknown>;
