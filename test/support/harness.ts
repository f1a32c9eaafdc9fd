/**
 * Drives the app the way an identity provider does: HTTP-shaped requests go in as Forge web
 * trigger events (array-valued headers, query values split at commas, the SCIM path in
 * userPath) and come out as Forge responses. Only the storage boundary is replaced, by the
 * local store that enforces Forge's limits.
 */
import { App, createApp } from '../../src/app';
import { ENTITIES } from '../../src/entities';
import { LocalEntityStore } from '../../src/local/entity-store';
import { hashToken } from '../../src/scim/auth';
import { Logger } from '../../src/scim/resources/common';
import { EntityStore } from '../../src/storage/port';
import { WebTriggerEvent } from '../../src/webtrigger/event';
import { CountingStore } from './counting-store';

export const TOKEN = 'test-token-0123456789';
export const TRIGGER_PATH = '/public/11111111-2222-3333-4444-555555555555';
export const HOST = '1234abcd.webtrigger.atlassian.app';
export const BASE_URL = `https://${HOST}${TRIGGER_PATH}`;

export interface ScimResult {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON body, or undefined for an empty body. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  text?: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent verbatim instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
  token?: string | null;
  /** Leave background jobs the request queued for an explicit runJobs() (round-trip counts). */
  deferJobs?: boolean;
}

export const silentLogger: Logger & { warnings: string[]; errors: string[] } = {
  warnings: [],
  errors: [],
  info: () => undefined,
  warn(message) {
    this.warnings.push(message);
  },
  error(message, fields) {
    this.errors.push(`${message} ${JSON.stringify(fields)}`);
  },
};

export interface TestApp {
  app: App;
  store: CountingStore;
  local: LocalEntityStore;
  request(method: string, pathAndQuery: string, options?: RequestOptions): Promise<ScimResult>;
  /** Runs the background jobs requests queued, as the queue consumer would. */
  runJobs(): Promise<void>;
}

export function createTestApp(
  options: { store?: EntityStore; clock?: () => Date; scanLimit?: number; logger?: Logger } = {},
): TestApp {
  const local = new LocalEntityStore(ENTITIES);
  const store = new CountingStore(options.store ?? local);
  // Like the queue consumer on Forge and the local server's runner, jobs a request queued
  // run right after it answered.
  let signals = 0;
  const runJobs = async () => {
    await app.directory.jobs.runPending();
  };
  const app = createApp({
    store,
    tokens: { tokenHashes: async () => [hashToken(TOKEN)] },
    logger: options.logger ?? {
      info: () => undefined,
      warn: () => undefined,
      error: (m, f) => console.error(m, f),
    },
    clock: options.clock,
    scanLimit: options.scanLimit,
    onJobsPending: () => signals++,
  });
  return {
    app,
    store,
    local,
    request: async (method, pathAndQuery, requestOptions = {}) => {
      const before = signals;
      const result = await send(app, method, pathAndQuery, requestOptions);
      if (signals > before && !requestOptions.deferJobs) await runJobs();
      return result;
    },
    runJobs,
  };
}

/** Builds the event Forge would deliver for this request. */
export function webTriggerEvent(
  method: string,
  pathAndQuery: string,
  options: RequestOptions = {},
): WebTriggerEvent {
  const url = new URL(pathAndQuery, 'https://example.invalid');
  const queryParameters: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) (queryParameters[name] ??= []).push(...value.split(','));
  const headers: Record<string, string[]> = { Host: [HOST] };
  if (options.token !== null) headers.Authorization = [`Bearer ${options.token ?? TOKEN}`];
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers['Content-Type'] = ['application/scim+json'];
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name] = [value];
  return {
    method,
    headers,
    body,
    path: `${TRIGGER_PATH}${url.pathname}`,
    userPath: url.pathname,
    queryParameters,
  };
}

async function send(
  app: App,
  method: string,
  pathAndQuery: string,
  options: RequestOptions,
): Promise<ScimResult> {
  const response = await app.handleWebTrigger(webTriggerEvent(method, pathAndQuery, options));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers))
    headers[name.toLowerCase()] = value.join(', ');
  let body: unknown;
  if (response.body) body = JSON.parse(response.body);
  return { status: response.statusCode, headers, body, text: response.body };
}

/** A URL-encoded filter query string. */
export function filter(expression: string): string {
  return `filter=${encodeURIComponent(expression)}`;
}
