/**
 * SCIM error responses (RFC 7644 §3.12). Every failure the protocol layer reports is a
 * ScimError; anything else reaching the router is a bug and becomes a 500 with no detail
 * leaked.
 */
import { ResourceMissingError, ValueTakenError } from './store';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail);
    this.name = 'ScimError';
  }

  toJSON(): Record<string, unknown> {
    return {
      schemas: [ERROR_SCHEMA],
      // RFC 7644 §3.12: "status" is a string; Okta compares it as one.
      status: String(this.status),
      ...(this.scimType ? { scimType: this.scimType } : {}),
      detail: this.detail,
    };
  }
}

export const badRequest = (scimType: ScimType, detail: string): ScimError =>
  new ScimError(400, detail, scimType);

export const notFound = (detail: string): ScimError => new ScimError(404, detail);

export const conflict = (detail: string): ScimError => new ScimError(409, detail, 'uniqueness');

export const preconditionFailed = (detail: string): ScimError => new ScimError(412, detail);

/**
 * The store's refusals (scim/store.ts) as the protocol says them, the one place they are
 * mapped: an unknown id is 404 (RFC 7644 §3.12), a value another resource holds is 409
 * `uniqueness` (§3.3, §3.12). Anything else is not the store's refusal: undefined.
 */
export function fromStoreError(error: unknown): ScimError | undefined {
  if (error instanceof ResourceMissingError) return notFound(error.message);
  if (error instanceof ValueTakenError) return conflict(error.message);
  return undefined;
}
