/**
 * How the embedded organization is reached:
 *
 * - over HTTP, mounted by the local server: `http://127.0.0.1:$PORT/atlassian/admin/...`
 *   answers what `https://api.atlassian.com/admin/...` would (`serveEmbeddedOrg`);
 * - from Forge functions on the offline runtime: their `fetch` to api.atlassian.com goes
 *   to `embeddedOrgBackend`, an ExternalBackend of the runtime (the manifest's egress
 *   allow-list is still enforced by the runtime before it gets here);
 * - the Jira site (site-api.ts): `https://<site>.atlassian.net/<path>` is
 *   `http://127.0.0.1:$PORT/atlassian/site/<path>` over HTTP, the site's host through
 *   `embeddedOrgBackend` (the site-admin mode's Basic-auth calls), and the app's product
 *   fetch (`api.asApp()/asUser().requestJira/requestConfluence`) through
 *   `embeddedSiteProducts`, the runtime's ProductBackend, which says who calls.
 *
 * A timeout fault holds the request until the client gives up (its AbortSignal, or the
 * closed socket) or `timeoutHoldMs` passes, then drops the connection without an answer.
 */
import type http from 'node:http';
import type { ExternalBackend, ProductBackend } from '../forge-runtime/network';
import type { EmbeddedOrganization } from './organization';
import { jiraError, SITE_PREFIX } from './site-api';
import type { OrgRequest, OrgResponse } from './types';

export const EMBEDDED_ORG_MOUNT = '/atlassian';
export const ATLASSIAN_API_HOST = 'api.atlassian.com';

/** Serves one HTTP request whose path starts with `mount` (default /atlassian). */
export async function serveEmbeddedOrg(
  org: EmbeddedOrganization,
  request: http.IncomingMessage,
  response: http.ServerResponse,
  mount = EMBEDDED_ORG_MOUNT,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const answer = await org.handle({
    method: request.method ?? 'GET',
    path: (request.url ?? '/').slice(mount.length) || '/',
    headers: request.headers,
    ...(body ? { body } : {}),
  });
  if (answer.timeout) {
    const timer = setTimeout(() => request.socket.destroy(), org.timeoutHoldMs);
    timer.unref();
    request.socket.once('close', () => clearTimeout(timer));
    return;
  }
  response.writeHead(answer.status, answer.headers);
  response.end(answer.body);
}

/**
 * The runtime's ExternalBackend: calls to api.atlassian.com are answered by `org`, other
 * (allowed) hosts by `fallback` (by default the runtime's "nothing answers" 503).
 */
export function embeddedOrgBackend(
  org: EmbeddedOrganization,
  fallback?: ExternalBackend,
  host = ATLASSIAN_API_HOST,
): ExternalBackend {
  return async (url, init) => {
    if (url.hostname.toLowerCase() === host) return answer(org, url, init);
    if (url.hostname.toLowerCase() === siteHost(org)) return answer(org, url, init, SITE_PREFIX);
    if (fallback) return fallback(url, init);
    return new Response(
      JSON.stringify({
        code: 'NO_EXTERNAL_HOST_OFFLINE',
        message: `Nothing answers for ${url.host} offline.`,
      }),
      { status: 503, headers: { 'content-type': 'application/json' } },
    );
  };
}

/**
 * The runtime's ExternalBackend when another organization is used (ATLASSIAN_ORG_*): only the
 * local site's host is answered by `site` (the site-admin mode's Basic-auth calls); every other
 * allowed host, api.atlassian.com included, goes to `fallback` (real HTTP).
 */
export function embeddedSiteBackend(site: EmbeddedOrganization, fallback: ExternalBackend): ExternalBackend {
  return async (url, init) =>
    url.hostname.toLowerCase() === siteHost(site)
      ? answer(site, url, init, SITE_PREFIX)
      : fallback(url, init);
}

/**
 * A fetch answered by `org` whatever the host, for unit tests of a client without the Forge
 * runtime (e.g. the adapter's HTTP client with `fetch: embeddedOrgFetch(org)`).
 */
export function embeddedOrgFetch(
  org: EmbeddedOrganization,
): (input: string | URL, init?: RequestInit) => Promise<Response> {
  return (input, init) => answer(org, new URL(String(input)), init);
}

async function answer(
  org: EmbeddedOrganization,
  url: URL,
  init: RequestInit | undefined,
  prefix = '',
): Promise<Response> {
  const signal = init?.signal ?? undefined;
  signal?.throwIfAborted();
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
  const result = await org.handle({
    method: init?.method ?? 'GET',
    path: `${prefix}${url.pathname}${url.search}`,
    headers,
    ...(await bodyText(init?.body)),
  });
  if (result.timeout) return holdThenDrop(org.timeoutHoldMs, signal);
  return toResponse(result);
}

/** The host of the embedded organization's site, e.g. offline.atlassian.net. */
export function siteHost(org: EmbeddedOrganization): string {
  return new URL(org.meta.siteUrl).hostname.toLowerCase();
}

/**
 * A fetch answered by the embedded site whatever the host (`https://x.atlassian.net/rest/...`
 * is `/site/rest/...`), for unit tests of the site adapter without the Forge runtime.
 */
export function embeddedSiteFetch(
  org: EmbeddedOrganization,
): (input: string | URL, init?: RequestInit) => Promise<Response> {
  return (input, init) => answer(org, new URL(String(input)), init, SITE_PREFIX);
}

/**
 * The offline runtime's ProductBackend: Jira and Confluence product fetch reach the embedded
 * site as the app (`asApp()`), or as the invoking user (`asUser()`: the call carries that
 * accountId). Other products get the runtime's "nothing here" answer.
 */
export function embeddedSiteProducts(org: EmbeddedOrganization): ProductBackend {
  return async (request) => {
    if (request.product !== 'jira' && request.product !== 'confluence') {
      return new Response(
        JSON.stringify({
          code: 'NO_PRODUCT_OFFLINE',
          message: `The embedded site has no ${request.product}.`,
        }),
        { status: 503, headers: { 'content-type': 'application/json' } },
      );
    }
    let caller: OrgRequest['caller'];
    if (request.provider === 'user') {
      if (!request.accountId)
        return toResponse(jiraError(401, ['asUser() outside a user invocation: no user.']));
      caller = { kind: 'user', accountId: request.accountId };
    } else {
      caller = { kind: 'app' };
    }
    if (request.scopes) caller = { ...caller, scopes: request.scopes };
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    const result = await org.handle({
      method: request.method,
      path: `${SITE_PREFIX}${request.path.startsWith('/') ? '' : '/'}${request.path}`,
      headers,
      caller,
      ...(request.body !== undefined ? { body: request.body } : {}),
    });
    if (result.timeout) return holdThenDrop(org.timeoutHoldMs, undefined);
    return toResponse(result);
  };
}

/** A backend doing real HTTP (ATLASSIAN_ORG_API_BASE pointing at another implementation). */
export function httpBackend(realFetch: typeof fetch): ExternalBackend {
  return (url, init) => realFetch(url, init);
}

function toResponse(answer: OrgResponse): Response {
  const noBody = answer.status === 204 || answer.status === 304 || answer.body === undefined;
  return new Response(noBody ? null : answer.body, { status: answer.status, headers: answer.headers });
}

async function bodyText(body: RequestInit['body']): Promise<{ body?: string }> {
  if (body === undefined || body === null) return {};
  if (typeof body === 'string') return { body };
  // Anything else fetch accepts (bytes, URLSearchParams, Blob...) read as text, as a server would.
  return { body: await new Response(body).text() };
}

/** What a client sees when the server never answers: its own abort, or a dropped connection. */
function holdThenDrop(holdMs: number, signal: AbortSignal | undefined): Promise<Response> {
  return new Promise((_, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      // What undici's fetch throws when the server closes the socket without answering.
      reject(new TypeError('fetch failed', { cause: new Error('other side closed') }));
    }, holdMs);
    // A held request must not keep a stopping process alive.
    timer.unref();
    const onAbort = () => {
      clearTimeout(timer);
      // As fetch does: the signal's reason (a TimeoutError for AbortSignal.timeout).
      reject(signal?.reason ?? new DOMException('This operation was aborted', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
