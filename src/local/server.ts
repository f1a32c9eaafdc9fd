/**
 * The local runtime's HTTP front: turns each request under /scim/v2 into the web trigger
 * event Forge would deliver (arrays for header and query values, query values split at
 * commas as Forge may do, the rest of the path in `userPath`) and hands it to the same
 * handler the Forge app exports.
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
  serve: (request: http.IncomingMessage, response: http.ServerResponse) => Promise<void>;
}

export function createLocalServer(handle: EventHandler, mounts: Mount[] = []): http.Server {
  return http.createServer((request, response) => {
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
    serve(handle, request, response).catch((error: unknown) => {
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
  });
}

async function serve(
  handle: EventHandler,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const pathname = url.pathname;
  if (pathname !== SCIM_BASE_PATH && !pathname.startsWith(`${SCIM_BASE_PATH}/`)) {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end(`Not found. The SCIM base URL is ${SCIM_BASE_PATH}.\n`);
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
    userPath: pathname.slice(SCIM_BASE_PATH.length),
    queryParameters,
  };
  const result = await handle(event);
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
