/**
 * Shared vocabulary of the RFC 7643 / RFC 7644 conformance suite. The URNs are spelled out
 * here rather than imported from src/: the suite checks the server against the RFCs, not
 * against itself.
 */
import { ScimResult, TestApp } from '../support/harness';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

export type Json = Record<string, unknown>;

export interface PatchOperation {
  op: string;
  path?: string;
  value?: unknown;
}

/** A PatchOp message (RFC 7644 §3.5.2). */
export function patchOp(...operations: PatchOperation[]): Json {
  return { schemas: [PATCH_OP], Operations: operations };
}

/** An encoded `attributes=` query fragment. */
export function attributes(list: string): string {
  return `attributes=${encodeURIComponent(list)}`;
}

/** An encoded `excludedAttributes=` query fragment. */
export function excluded(list: string): string {
  return `excludedAttributes=${encodeURIComponent(list)}`;
}

/** Creates a user and returns its representation; fails the test unless the POST is a 201. */
export async function createUser(t: TestApp, body: Json): Promise<Json & { id: string }> {
  const response = await t.request('POST', '/Users', { body: { schemas: [USER_SCHEMA], ...body } });
  expect({ status: response.status, body: response.body }).toMatchObject({ status: 201 });
  return response.body;
}

/** Creates a group and returns its representation; fails the test unless the POST is a 201. */
export async function createGroup(t: TestApp, body: Json): Promise<Json & { id: string }> {
  const response = await t.request('POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], ...body } });
  expect({ status: response.status, body: response.body }).toMatchObject({ status: 201 });
  return response.body;
}

/**
 * RFC 7644 §3.12: an error is a JSON body with the Error schema, the HTTP status as a
 * string, an optional scimType and a human-readable detail.
 */
export function expectScimError(response: ScimResult, status: number, scimType?: string): void {
  expect({ status: response.status, body: response.body }).toMatchObject({
    status,
    body: {
      schemas: [ERROR_SCHEMA],
      status: String(status),
      ...(scimType !== undefined ? { scimType } : {}),
    },
  });
  expect(response.headers['content-type']).toMatch(/^application\/scim\+json/);
  expect(typeof response.body.detail).toBe('string');
  expect(response.body.detail.length).toBeGreaterThan(0);
}

/** The ids of a ListResponse's resources, in order. */
export function ids(response: ScimResult): string[] {
  return (response.body.Resources as Json[]).map((r) => r.id as string);
}

/** A clock the test moves by hand, for meta.created / meta.lastModified. */
export function manualClock(start: string): { now: () => Date; set(iso: string): void } {
  let current = new Date(start);
  return {
    now: () => new Date(current.getTime()),
    set(iso) {
      current = new Date(iso);
    },
  };
}
