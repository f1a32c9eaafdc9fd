/**
 * The local runtime's HTTP front: turns each request under /scim/v2 into the web trigger
 * event Forge would deliver (arrays for header and query values, query values split at
 * commas as Forge may do, the rest of the path in `userPath`) and hands it to the same
 * handler the Forge app exports.
 *
 * Several installations can be served from one process (`npm start -- --installations N`):
 * each has its own web trigger URL path (installation 1 /scim/v2, installation k
 * /installations/k/scim/v2) and its requests reach its own runtime's handler.
 */
import http from 'node:http';
import type { WebTriggerEvent, WebTriggerResponse } from '../webtrigger/event';

export const SCIM_BASE_PATH = '/scim/v2';
/** Forge's documented payload limit for a web trigger invocation. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export type EventHandler = (event: WebTriggerEvent) => Promise<WebTriggerResponse>;

/** Something else served beside SCIM under a path prefix (the embedded organization's /atlassian). */
export interface Mount {
  prefix: string;
  /** What a person finds there, listed by `GET /` and by a 404 (e.g. "Admin page"). */
  title?: string;
  serve: (request: http.IncomingMessage, response: http.ServerResponse) => Promise<void>;
}

/** One installation's SCIM web trigger: requests under `basePath` become its events. */
export interface ScimRoute {
  basePath: string;
  handle: EventHandler;
}

/**
 * `handle` answers the one installation at /scim/v2; `routes` serves several, each at its own
 * base path. Mounts are matched first.
 */
export function createLocalServer(handle: EventHandler | ScimRoute[], mounts: Mount[] = []): http.Server {
  return http.createServer(localRequestListener(handle, mounts));
}

/** What createLocalServer answers with, for a server that listens before it is ready to serve. */
export function localRequestListener(
  handle: EventHandler | ScimRoute[],
  mounts: Mount[] = [],
): http.RequestListener {
  const routes: ScimRoute[] = typeof handle === 'function' ? [{ basePath: SCIM_BASE_PATH, handle }] : handle;
  return (request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    const mount = mounts.find((m) => pathname === m.prefix || pathname.startsWith(`${m.prefix}/`));
    if (mount) {
      mount.serve(request, response).catch((error: unknown) => {
        console.error('local server error', error);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end('Internal error.\n');
      });
      return;
    }
    serve(routes, mounts, request, response).catch((error: unknown) => {
      console.error('local server error', error);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/scim+json' });
      response.end(
        JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
          status: '500',
          detail: 'Internal error.',
        }),
      );
    });
  };
}

/** Before the app is loaded: 503 with Retry-After, which identity providers retry. */
export const startingListener: http.RequestListener = (_request, response) => {
  response.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' });
  response.end('Starting; try again in a second.\n');
};

async function serve(
  routes: ScimRoute[],
  mounts: Mount[],
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const pathname = url.pathname;
  const route = routes.find((r) => pathname === r.basePath || pathname.startsWith(`${r.basePath}/`));
  if (!route) {
    // `GET /` (someone opening the server's address) gets the directions with a 200.
    const home = pathname === '/' && (request.method === 'GET' || request.method === 'HEAD');
    response.writeHead(home ? 200 : 404, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(
      `${home ? 'SCIM provisioning for Atlassian Cloud, run locally.' : 'Not found.'}\n${directions(routes, mounts)}`,
    );
    return;
  }
  const body = await readBody(request);
  if (body === undefined) {
    response.writeHead(413, { 'content-type': 'text/plain' });
    response.end('Payload too large.\n');
    return;
  }
  const headers: Record<string, string[]> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i];
    (headers[name] ??= []).push(request.rawHeaders[i + 1]);
  }
  // Like the proxy in front of a Forge web trigger, tell the handler how it was reached.
  headers['X-Forwarded-Proto'] = ['http'];
  const queryParameters: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    (queryParameters[name] ??= []).push(...value.split(','));
  }
  const event: WebTriggerEvent = {
    method: request.method ?? 'GET',
    headers,
    body,
    path: pathname,
    userPath: pathname.slice(route.basePath.length),
    queryParameters,
  };
  const result = await route.handle(event);
  const outgoing: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers)) outgoing[name] = value.join(', ');
  response.writeHead(result.statusCode, outgoing);
  response.end(result.body);
}

function readBody(request: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Where things are: the SCIM base URL(s) for the identity provider, and the titled mounts. */
function directions(routes: ScimRoute[], mounts: Mount[]): string {
  const lines = [
    routes.length === 1
      ? `The SCIM base URL is ${routes[0].basePath}.`
      : `The SCIM base URLs are ${routes.map((r) => r.basePath).join(', ')}.`,
    ...mounts.filter((m) => m.title).map((m) => `${m.title}: ${m.prefix}`),
  ];
  return `${lines.join('\n')}\n`;
}
