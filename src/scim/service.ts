/**
 * The SCIM service provider: authenticates, routes and turns every failure into a SCIM
 * error. One instance serves the Forge web trigger and the local server alike; it knows
 * nothing of either.
 */
import { ConditionFailedError, StorageLimitError, TransientStorageError } from '../storage/port';
import { isAuthenticated, markAuthenticated, TokenVerifier } from './auth';
import { resourceTypesResponse, schemasResponse, serviceProviderConfig } from './discovery';
import { fromStoreError, ScimError } from './errors';
import { jsonResponse, ScimRequest, ScimResponse } from './http';
import type { LicenceGate } from './licence';
import { EndpointContext, Logger, readJson } from './resources/common';
import { GroupsEndpoint } from './resources/groups';
import { param, readListParams, readSearchRequest } from './resources/listing';
import { UsersEndpoint } from './resources/users';
import type { ScimStore } from './store';

export interface ScimServiceOptions {
  /** Where users and groups live (src/scim/store.ts). */
  store: ScimStore;
  tokens: TokenVerifier;
  logger?: Logger;
  /** Largest page a list answers (ServiceProviderConfig filter.maxResults). */
  maxResults?: number;
  /** Resources an unindexed filter may examine before it is refused with tooMany. */
  scanLimit?: number;
  /** Asked before every write; absent: writes are always allowed. */
  licence?: LicenceGate;
}

export const consoleLogger: Logger = {
  info: (message, fields) => console.log(message, fields ?? ''),
  warn: (message, fields) => console.warn(message, fields ?? ''),
  error: (message, fields) => console.error(message, fields ?? ''),
};

/** Forge's web trigger payload limit is 5 MB; keep headroom for headers. */
export const MAX_RESPONSE_BYTES = 5 * 1024 * 1024 - 64 * 1024;

type Handler = (request: ScimRequest, id?: string) => Promise<ScimResponse>;

interface Route {
  /** Lower-case first path segment. */
  collection: string;
  methods: Record<string, Handler>;
  itemMethods?: Record<string, Handler>;
}

export class ScimService {
  private readonly tokens: TokenVerifier;
  private readonly logger: Logger;
  private readonly maxResults: number;
  private readonly routes: Route[];
  private readonly licence?: LicenceGate;

  constructor(options: ScimServiceOptions) {
    this.tokens = options.tokens;
    this.logger = options.logger ?? consoleLogger;
    this.maxResults = options.maxResults ?? 100;
    this.licence = options.licence;
    const context: EndpointContext = {
      store: options.store,
      maxResults: this.maxResults,
      scanLimit: options.scanLimit ?? 10_000,
      logger: this.logger,
    };
    const users = new UsersEndpoint(context);
    const groups = new GroupsEndpoint(context);
    const list =
      (endpoint: UsersEndpoint | GroupsEndpoint): Handler =>
      (request) =>
        endpoint.list(request, readListParams(request.query, this.maxResults));
    const searchBy =
      (endpoint: UsersEndpoint | GroupsEndpoint): Handler =>
      (request) =>
        endpoint.list(request, readSearchRequest(readJson(request), this.maxResults));
    const discovery =
      (render: (baseUrl: string, id?: string) => unknown): Handler =>
      async (request, id) => {
        if (param(request.query, 'filter') !== undefined) {
          throw new ScimError(403, 'Discovery endpoints do not support filtering (RFC 7644 §4).');
        }
        return jsonResponse(200, render(request.baseUrl, id));
      };
    const config = discovery((baseUrl) => serviceProviderConfig(baseUrl, this.maxResults));
    const resource = (endpoint: UsersEndpoint | GroupsEndpoint): Pick<Route, 'methods' | 'itemMethods'> => ({
      methods: { GET: list(endpoint), POST: (r) => endpoint.create(r) },
      itemMethods: {
        GET: (r, id) => endpoint.get(r, id as string),
        PUT: (r, id) => endpoint.replace(r, id as string),
        PATCH: (r, id) => endpoint.patch(r, id as string),
        DELETE: (r, id) => endpoint.delete(r, id as string),
        // POST /Users/.search (RFC 7644 §3.4.3) arrives as an item route with id ".search".
        POST: (r, id) => (id === '.search' ? searchBy(endpoint)(r) : methodNotAllowed(r)),
      },
    });
    const notImplemented =
      (what: string): Handler =>
      async () => {
        throw new ScimError(501, `${what} is not supported by this service provider.`);
      };
    this.routes = [
      { collection: 'users', ...resource(users) },
      { collection: 'groups', ...resource(groups) },
      { collection: 'serviceproviderconfig', methods: { GET: config } },
      // Microsoft's test collection asks for /serviceConfiguration.
      { collection: 'serviceconfiguration', methods: { GET: config } },
      {
        collection: 'resourcetypes',
        methods: { GET: discovery(resourceTypesResponse) },
        itemMethods: { GET: discovery(resourceTypesResponse) },
      },
      {
        collection: 'schemas',
        methods: { GET: discovery(schemasResponse) },
        itemMethods: { GET: discovery(schemasResponse) },
      },
      { collection: 'bulk', methods: { POST: notImplemented('Bulk') } },
      {
        collection: 'me',
        methods: allMethods(notImplemented('/Me')),
        itemMethods: allMethods(notImplemented('/Me')),
      },
      { collection: '.search', methods: { POST: notImplemented('Searching across resource types') } },
    ];
  }

  async handle(request: ScimRequest): Promise<ScimResponse> {
    const started = Date.now();
    let response: ScimResponse;
    try {
      response = await this.dispatch(request);
      const size = response.body === undefined ? 0 : Buffer.byteLength(response.body, 'utf8');
      if (size > MAX_RESPONSE_BYTES) {
        // Forge would replace an oversized web trigger response with a bare 500.
        throw new ScimError(
          400,
          `The response would be ${size} bytes, more than the ${MAX_RESPONSE_BYTES} a web trigger can return. ` +
            'Ask for less with count, attributes or excludedAttributes=members.',
          'tooMany',
        );
      }
    } catch (error) {
      response = this.failure(error, request);
    }
    // A request without a live token is anyone's: its path is not written anywhere.
    this.logger.info('scim', {
      method: request.method,
      path: isAuthenticated(request) ? request.path : '(refused before authentication)',
      status: response.status,
      ms: Date.now() - started,
    });
    return response;
  }

  private async dispatch(request: ScimRequest): Promise<ScimResponse> {
    const token = TokenVerifier.bearer(request.headers.authorization);
    if (!(await this.tokens.verify(token))) {
      throw new ScimError(401, 'A valid bearer token is required.');
    }
    markAuthenticated(request);
    const segments = request.path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => safeDecode(s));
    const route = this.routes.find((r) => r.collection === segments[0]?.toLowerCase());
    if (!route || segments.length > 2) {
      throw new ScimError(404, `No SCIM endpoint at ${request.path || '/'}.`);
    }
    const table = segments.length === 2 ? route.itemMethods : route.methods;
    const handler = table?.[request.method];
    if (!table) throw new ScimError(404, `No SCIM endpoint at ${request.path}.`);
    if (!handler) return methodNotAllowed(request, Object.keys(table));
    if (isWrite(request.method, segments[1])) await this.checkWritesAllowed(request);
    return handler(request, segments[1]);
  }

  /** An unlicensed installation answers reads but refuses writes, saying why (403). */
  private async checkWritesAllowed(request: ScimRequest): Promise<void> {
    if (!this.licence) return;
    let decision;
    try {
      decision = await this.licence.writes();
    } catch (error) {
      // Not knowing is no reason to stop provisioning: the write goes ahead.
      this.logger.warn('Could not check the licence; allowing the write.', {
        path: request.path,
        error: String(error),
      });
      return;
    }
    if (!decision.allowed) throw new ScimError(403, decision.reason);
  }

  private failure(thrown: unknown, request: ScimRequest): ScimResponse {
    // The token check itself can fail (storage): the path is then still anyone's.
    const path = isAuthenticated(request) ? request.path : '(before authentication)';
    const error = fromStoreError(thrown) ?? thrown;
    if (error instanceof ScimError) {
      const headers: Record<string, string> =
        error.status === 401 ? { 'www-authenticate': 'Bearer realm="SCIM"' } : {};
      return jsonResponse(error.status, error, headers);
    }
    if (error instanceof ConditionFailedError || error instanceof TransientStorageError) {
      // Contention or a storage rate limit: the identity provider should simply retry.
      this.logger.warn('Storage busy; asking the client to retry.', { path });
      return jsonResponse(503, new ScimError(503, 'The directory is busy; retry shortly.'), {
        'retry-after': '5',
      });
    }
    const kind = error instanceof StorageLimitError ? 'storage limit' : 'unexpected error';
    this.logger.error(`SCIM request failed: ${kind}`, {
      method: request.method,
      path,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    return jsonResponse(500, new ScimError(500, 'Internal error; the request may be retried.'));
  }
}

function methodNotAllowed(request: ScimRequest, allowed?: string[]): Promise<ScimResponse> {
  const error = new ScimError(405, `${request.method} is not supported on ${request.path}.`);
  return Promise.resolve(jsonResponse(405, error, allowed ? { allow: allowed.join(', ') } : {}));
}

/** POST, PUT, PATCH and DELETE change the directory; POST .../.search is a read. */
function isWrite(method: string, id: string | undefined): boolean {
  if (method === 'POST') return id !== '.search';
  return method === 'PUT' || method === 'PATCH' || method === 'DELETE';
}

function allMethods(handler: Handler): Record<string, Handler> {
  return { GET: handler, POST: handler, PUT: handler, PATCH: handler, DELETE: handler };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
