/** List and query parameters (RFC 7644 §3.4.2) and the ListResponse message. */
import { badRequest } from '../errors';
import { isPlainObject, ScimObject } from '../schema/normalize';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export interface ListParams {
  filter?: string;
  startIndex: number;
  count: number;
  attributes?: string;
  excludedAttributes?: string;
}

/** Query parameter names are matched case-insensitively ("startindex" works too). */
export function param(query: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(query)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

export function readListParams(query: Record<string, string>, maxResults: number): ListParams {
  return listParams(
    {
      filter: param(query, 'filter'),
      startIndex: param(query, 'startIndex'),
      count: param(query, 'count'),
      attributes: param(query, 'attributes'),
      excludedAttributes: param(query, 'excludedAttributes'),
    },
    maxResults,
  );
}

/** Parameters of a POST /.search body (RFC 7644 §3.4.3). */
export function readSearchRequest(body: unknown, maxResults: number): ListParams {
  if (!isPlainObject(body)) throw badRequest('invalidSyntax', 'A search request must be a JSON object.');
  const field = (name: string): string | undefined => {
    const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
    const value = key === undefined ? undefined : body[key];
    if (value === undefined || value === null) return undefined;
    const parts = Array.isArray(value) ? value : [value];
    if (!parts.every((p) => typeof p === 'string' || typeof p === 'number' || typeof p === 'boolean')) {
      throw badRequest('invalidValue', `"${name}" must be a string, a number or a list of strings.`);
    }
    return parts.join(',');
  };
  return listParams(
    {
      filter: field('filter'),
      startIndex: field('startIndex'),
      count: field('count'),
      attributes: field('attributes'),
      excludedAttributes: field('excludedAttributes'),
    },
    maxResults,
  );
}

function listParams(raw: Record<keyof ListParams, string | undefined>, maxResults: number): ListParams {
  const startIndex = integer(raw.startIndex, 'startIndex', 1);
  const count = integer(raw.count, 'count', maxResults);
  return {
    filter: raw.filter?.trim() ? raw.filter.trim() : undefined,
    // RFC 7644 §3.4.2.4: startIndex below 1 means 1; a negative count means 0.
    startIndex: Math.max(1, startIndex),
    count: Math.min(Math.max(0, count), maxResults),
    attributes: raw.attributes,
    excludedAttributes: raw.excludedAttributes,
  };
}

function integer(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw badRequest('invalidValue', `"${name}" must be an integer.`);
  return Math.trunc(value);
}

export function listResponse(resources: ScimObject[], total: number, startIndex: number): ScimObject {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: total,
    itemsPerPage: resources.length,
    startIndex,
    Resources: resources,
  };
}
