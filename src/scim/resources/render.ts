/** Stored resources rendered as SCIM representations (RFC 7643 §3). */
import type { StoredResource } from '../../directory/collection';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from '../schema/definitions';
import { ScimObject } from '../schema/normalize';

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

export function renderUser(stored: StoredResource, baseUrl: string, groups?: ScimObject[]): ScimObject {
  const { externalId, ...attributes } = stored.doc;
  const schemas = [USER_SCHEMA];
  if (attributes[ENTERPRISE_USER_SCHEMA] !== undefined) schemas.push(ENTERPRISE_USER_SCHEMA);
  return {
    schemas,
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
    schemas: [GROUP_SCHEMA],
    id: stored.id,
    ...(externalId !== undefined ? { externalId } : {}),
    ...attributes,
    ...(members ? { members } : {}),
    meta: meta('Group', stored, location(baseUrl, '/Groups', stored.id)),
  };
}
