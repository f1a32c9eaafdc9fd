/**
 * What the directory refuses, in its own words. The directory knows nothing of HTTP or SCIM:
 * the composition's adapter (src/directory-store.ts) raises these as the SCIM store's refusals
 * (src/scim/store.ts), which src/scim/errors.ts (fromStoreError) maps to protocol errors in one
 * place, as an elimity-com/scim ResourceHandler raises the protocol's errors through its own.
 */

/** No resource of that id (it never existed, or it was deleted). */
export class ResourceNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`Resource ${id} not found.`);
    this.name = 'ResourceNotFoundError';
  }
}

/** A value that must be unique (a userName, a displayName, an externalId) belongs to another resource. */
export class UniquenessConflictError extends Error {
  constructor(readonly what: string) {
    super(`${what} is already taken.`);
    this.name = 'UniquenessConflictError';
  }
}
