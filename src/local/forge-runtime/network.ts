/**
 * Where a Forge function's outbound calls go offline.
 *
 * - Product calls (`api.asApp().requestJira(route...)`, requestConfluence, requestBitbucket,
 *   asUser variants) arrive through `__forge_fetch__` as `{ type: 'fpp', remote: 'jira' }`.
 *   The manifest must grant a scope of that product, or the answer is Jira's own
 *   `401 {"code":401,"message":"Unauthorized; scope does not match"}`. Then the call goes to
 *   the `ProductBackend`.
 * - External calls (`fetch` from @forge/api, or the global fetch) made inside an invocation
 *   must be to a host in `permissions.external.fetch.backend`; any other host is refused with
 *   the error Forge's runtime throws. Allowed calls go to the `ExternalBackend`.
 *
 * Both backends are pluggable: until an embedded Atlassian organization is attached, the
 * default ones answer 503 with a JSON message saying nothing is there.
 */
export interface ProductRequest {
  product: string;
  /** 'app' (asApp), 'user' (asUser) or 'none' (bare requestJira). */
  provider: string;
  accountId?: string;
  path: string;
  method: string;
  headers: Headers;
  body?: string;
  /** The app's granted scopes (the manifest's), for a backend that checks them per operation. */
  scopes?: string[];
}

export type ProductBackend = (request: ProductRequest) => Promise<Response>;
export type ExternalBackend = (url: URL, init: RequestInit | undefined) => Promise<Response>;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A platform answer with a JSON body (none for 204). */
export function jsonResponse(status: number, body: unknown): Response {
  if (status === 204 || body === undefined) return new Response(null, { status });
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export const noProducts: ProductBackend = async (request) =>
  json(503, {
    code: 'NO_PRODUCT_OFFLINE',
    message: `No Atlassian site is attached to the offline Forge runtime: ${request.method} ${request.path} on ${request.product} has nowhere to go.`,
  });

export const noExternalHosts: ExternalBackend = async (url) =>
  json(503, {
    code: 'NO_EXTERNAL_HOST_OFFLINE',
    message: `The offline Forge runtime does not reach the network: nothing answers for ${url.host}.`,
  });

/** Which product a scope grants, by Forge's scope naming (read:jira-user, write:group:confluence...). */
export function grantsProduct(scopes: string[], product: string): boolean {
  return scopes.some((scope) => scope.split(/[:-]/).includes(product));
}

export const scopeMismatch = () => json(401, { code: 401, message: 'Unauthorized; scope does not match' });

/** Does an egress entry (`api.example.com`, `*.example.com`, `https://x.example.com`) allow the URL? */
export function egressAllows(egress: string[], url: URL): boolean {
  const host = url.hostname.toLowerCase();
  return egress.some((entry) => {
    const pattern = entry
      .toLowerCase()
      .replace(/^[a-z]+:\/\//, '')
      .replace(/[/:].*$/, '');
    if (pattern === '*') return true;
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
    return host === pattern;
  });
}

export function egressRefusal(url: URL): Error {
  return new Error(
    `URL not included in the external fetch backend permissions: ${url.hostname}. Visit go.atlassian.com/forge-egress for more information.`,
  );
}
