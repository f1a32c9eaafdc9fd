/**
 * Translation between Forge web trigger events and the SCIM layer's request and response.
 * Pure: the local server feeds it the same events Forge would, so both run one code path.
 *
 * What Forge sends (https://developer.atlassian.com/platform/forge/events-reference/web-trigger/):
 * header names in any case with array values, the body as a string, the sub-path after the trigger
 * URL in `userPath`, and query parameters as arrays, where one value may have been split at its
 * commas.
 */
import { ScimRequest, ScimResponse } from '../scim/http';

export interface WebTriggerEvent {
  method: string;
  headers?: Record<string, string[] | string | undefined>;
  body?: string | null;
  path?: string;
  userPath?: string;
  queryParameters?: Record<string, string[] | string | undefined>;
  [extra: string]: unknown;
}

export interface WebTriggerResponse {
  statusCode: number;
  headers: Record<string, string[]>;
  body?: string;
}

function values(value: string[] | string | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function toScimRequest(event: WebTriggerEvent): ScimRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    const key = name.toLowerCase();
    const joined = values(value).join(', ');
    headers[key] = headers[key] === undefined ? joined : `${headers[key]}, ${joined}`;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryParameters ?? {})) {
    // "attributes=userName,emails" may arrive as ["userName", "emails"]: join it back.
    query[name] = values(value).join(',');
  }
  const userPath = event.userPath ?? '';
  return {
    method: (event.method ?? 'GET').toUpperCase(),
    path: userPath.startsWith('/') ? userPath : `/${userPath}`,
    query,
    headers,
    body: typeof event.body === 'string' ? event.body : undefined,
    baseUrl: baseUrl(event, headers, userPath),
  };
}

/** The trigger URL the identity provider called, without the SCIM sub-path. */
function baseUrl(event: WebTriggerEvent, headers: Record<string, string>, userPath: string): string {
  const host = (headers['x-forwarded-host'] ?? headers.host ?? 'localhost').split(',')[0].trim();
  const protocol = (headers['x-forwarded-proto'] ?? 'https').split(',')[0].trim();
  const path = event.path ?? '';
  const base = userPath && path.endsWith(userPath) ? path.slice(0, path.length - userPath.length) : path;
  return `${protocol}://${host}${base.replace(/\/+$/, '')}`;
}

export function toWebTriggerResponse(response: ScimResponse): WebTriggerResponse {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(response.headers)) headers[canonicalHeader(name)] = [value];
  return {
    statusCode: response.status,
    headers,
    ...(response.body !== undefined ? { body: response.body } : {}),
  };
}

const SPECIAL_HEADERS: Record<string, string> = { etag: 'ETag', 'www-authenticate': 'WWW-Authenticate' };

function canonicalHeader(name: string): string {
  const special = SPECIAL_HEADERS[name.toLowerCase()];
  if (special) return special;
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}
