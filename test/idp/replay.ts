/**
 * Assertions shared by the identity-provider replays in this folder. Each replay file keeps
 * its own request bodies and sequence; only the checks every IdP relies on live here
 * (SCIM media type, ETag, integer paging fields, the Error message shape).
 */
import { RequestOptions, ScimResult, TestApp } from '../support/harness';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** Every response with a body must say application/scim+json (Entra E1). */
export function expectScimJson(r: ScimResult): void {
  expect(r.headers['content-type']).toMatch(/^application\/scim\+json\b/);
}

/**
 * A single resource: status, media type, and an ETag that matches meta.version (meta is
 * absent when ?attributes= did not ask for it).
 */
export function expectResource(r: ScimResult, status: number, schema: string): void {
  expect(r.status).toBe(status);
  expectScimJson(r);
  expect(r.body.schemas).toContain(schema);
  expect(typeof r.body.id).toBe('string');
  expect(r.headers.etag).toMatch(/^W\/"\d+"$/);
  if (r.body.meta !== undefined) expect(r.body.meta.version).toBe(r.headers.etag);
}

/** 201 Created with a Location header that is the resource's meta.location. */
export function expectCreated(r: ScimResult, schema: string): void {
  expectResource(r, 201, schema);
  expect(r.headers.location).toBe(r.body.meta.location);
  expect(r.headers.location).toMatch(new RegExp(`/${r.body.id}$`));
}

/** PATCH without ?attributes answers 204 with no body and the new ETag. */
export function expectNoContent(r: ScimResult): void {
  expect(r.status).toBe(204);
  expect(r.body).toBeUndefined();
  expect(r.headers.etag).toMatch(/^W\/"\d+"$/);
}

/**
 * A ListResponse whose paging fields are JSON integers: Okta and Entra reject strings.
 * Returns the resources for further checks.
 */
export function expectListResponse(
  r: ScimResult,
  totalResults: number,
  startIndex = 1,
): Record<string, unknown>[] {
  expect(r.status).toBe(200);
  expectScimJson(r);
  expect(r.body.schemas).toEqual([LIST_RESPONSE]);
  for (const field of ['totalResults', 'itemsPerPage', 'startIndex']) {
    expect(Number.isInteger(r.body[field])).toBe(true);
  }
  expect(r.body.totalResults).toBe(totalResults);
  expect(r.body.startIndex).toBe(startIndex);
  expect(Array.isArray(r.body.Resources)).toBe(true);
  expect(r.body.itemsPerPage).toBe(r.body.Resources.length);
  return r.body.Resources;
}

/** RFC 7644 §3.12 error: Error schema, status as a string, a non-empty detail. */
export function expectScimError(r: ScimResult, status: number, scimType?: string): void {
  expect(r.status).toBe(status);
  expectScimJson(r);
  expect(r.body.schemas).toEqual([ERROR_SCHEMA]);
  expect(r.body.status).toBe(String(status));
  expect(typeof r.body.detail).toBe('string');
  expect(r.body.detail.length).toBeGreaterThan(0);
  if (scimType !== undefined) expect(r.body.scimType).toBe(scimType);
}

/** A group's member ids, sorted, read back with a plain GET. */
export async function memberIds(t: TestApp, groupId: string): Promise<string[]> {
  const r = await t.request('GET', `/Groups/${groupId}`);
  expect(r.status).toBe(200);
  const members: { value: string }[] = r.body.members ?? [];
  return members.map((m) => m.value).sort();
}

/** A user's group ids, read back with ?attributes=groups (the only way to get them). */
export async function groupIdsOf(t: TestApp, userId: string): Promise<string[]> {
  const r = await t.request('GET', `/Users/${userId}?attributes=groups`);
  expect(r.status).toBe(200);
  const groups: { value: string }[] = r.body.groups ?? [];
  return groups.map((g) => g.value).sort();
}

/** `ids` sorted, for comparing with memberIds / groupIdsOf. */
export function sorted(...ids: string[]): string[] {
  return [...ids].sort();
}

/** A PATCH request body with these operations. */
export function patchOps(...operations: Record<string, unknown>[]): RequestOptions {
  return { body: { schemas: [PATCH_OP], Operations: operations } };
}
