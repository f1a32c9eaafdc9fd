/**
 * The protocol layer's view of HTTP: a request in, a response out. Adapters (the Forge web
 * trigger, the local node:http server, tests) translate to and from these shapes.
 */
export interface ScimRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** Path below the SCIM base URL, always starting with "/" (e.g. "/Users/2819c223"). */
  path: string;
  /** Query parameters, one value each; names as sent (the router matches them case-insensitively). */
  query: Record<string, string>;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body?: string;
  /** Absolute SCIM base URL this request came through, used for Location and meta.location. */
  baseUrl: string;
}

export interface ScimResponse {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

export const SCIM_CONTENT_TYPE = 'application/scim+json';

export function jsonResponse(
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): ScimResponse {
  return {
    status,
    headers: { 'content-type': SCIM_CONTENT_TYPE, ...headers },
    body: JSON.stringify(payload),
  };
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): ScimResponse {
  return { status, headers };
}
