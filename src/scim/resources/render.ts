/** Stored resources rendered as SCIM representations (RFC 7643 §3). */
import { GROUP_SCHEMA, USER_SCHEMA } from '../schema/definitions';
import { ScimObject } from '../schema/normalize';
import type { StoredResource } from '../store';

/** Weak ETag of a resource version (RFC 7644 §3.14). */
export function etag(version: number): string {
  return `W/"${version}"`;
}

export function location(baseUrl: string, endpoint: string, id: string): string {
  return `${baseUrl}${endpoint}/${id}`;
}

function meta(resourceType: string, stored: StoredResource, href: string): ScimObject {
  return {
    resourceType,
    created: stored.created,
    lastModified: stored.modified,
    location: href,
    version: etag(stored.version),
  };
}

/**
 * RFC 7643 §3: "schemas" names the core schema and every extension the resource has values
 * in. A stored document keeps each extension's values under its URN, and only those keys
 * are URNs: the enterprise extension, and extensions we do not define (kept as sent).
 */
function schemasOf(core: string, attributes: ScimObject): string[] {
  return [core, ...Object.keys(attributes).filter((key) => /^urn:/i.test(key))];
}

export function renderUser(stored: StoredResource, baseUrl: string, groups?: ScimObject[]): ScimObject {
  const { externalId, ...attributes } = stored.doc;
  return {
    schemas: schemasOf(USER_SCHEMA, attributes),
    id: stored.id,
    ...(externalId !== undefined ? { externalId } : {}),
    ...attributes,
    ...(groups && groups.length > 0 ? { groups } : {}),
    meta: meta('User', stored, location(baseUrl, '/Users', stored.id)),
  };
}

export function renderGroup(stored: StoredResource, baseUrl: string, members?: ScimObject[]): ScimObject {
  const { externalId, ...attributes } = stored.doc;
  return {
    schemas: schemasOf(GROUP_SCHEMA, attributes),
    id: stored.id,
    ...(externalId !== undefined ? { externalId } : {}),
    ...attributes,
    ...(members ? { members } : {}),
    meta: meta('Group', stored, location(baseUrl, '/Groups', stored.id)),
  };
}
