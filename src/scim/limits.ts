/**
 * How long a list an identity provider may send in one request. Each bound is checked on the
 * raw JSON, before a value is coerced or a member looked up, so a request beyond it costs no
 * storage read and no log line per entry; it is refused with a 400 whose detail names the
 * limit and what to do (RFC 7644 §3.12: invalidValue, "the value specified was not
 * compatible with the operation or attribute type"; tooMany is for filters that select too
 * many results).
 */
import { badRequest, ScimError } from './errors';

/**
 * Members added, replaced or removed by one request: a POST or PUT member list, or the values
 * of a PATCH's operations together. Each new member costs a read of its user and a checked
 * write, so 1,000 is about 1,000 storage round trips, within one web trigger invocation (55 s)
 * and the installation's storage rate. Identity providers send far fewer: Entra and Okta push
 * large groups as PATCHes of at most a few hundred members; a group of up to Atlassian's 35,000
 * members is built by successive PATCHes (test/scim/large-group.test.ts). A POST or PUT list was
 * already bounded, less clearly, by the 96 KiB a resource body may hold (about 2,500 bare ids).
 */
export const MAX_MEMBERS_PER_REQUEST = 1_000;

/**
 * Values of any other multi-valued attribute in one resource (emails, phoneNumbers, addresses,
 * ims, photos, entitlements, roles, x509Certificates, and lists in extensions we do not
 * define). A person has a handful; 100 leaves room and keeps value-by-value work (duplicate
 * and primary checks, Entra's removal by value) small.
 */
export const MAX_VALUES_PER_ATTRIBUTE = 100;

/**
 * Values in all the operations of one PATCH (an array counts its elements, anything else one).
 * As many as the members one request may change, so a PATCH of 1,000 members still fits.
 */
export const MAX_PATCH_VALUES = MAX_MEMBERS_PER_REQUEST;

/** The 400 for a list beyond its bound: what, how many were sent, the limit, and the fix. */
export function tooLong(what: string, sent: number, limit: number, fix: string): ScimError {
  return badRequest('invalidValue', `${what}: at most ${limit} per request; this one has ${sent}. ${fix}`);
}
