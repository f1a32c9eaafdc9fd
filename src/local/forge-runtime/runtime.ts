/**
 * An offline Forge runtime: it answers what the `@forge/*` packages send through the two
 * globals Forge provides, `global.__forge_fetch__` and `global.__forge_runtime__`, so the
 * shipped entry points (src/forge/index.ts) run unchanged on a laptop, like `forge tunnel`
 * but without the cloud. Production code never imports it.
 *
 * - manifest.yml is the source of truth: functions and handlers, web triggers, consumers and
 *   queues, scheduled triggers, UI modules with resolvers, resources, scopes, egress, entities.
 * - Storage (kvs.ts): the KVS, Custom Entity Store and secrets on LocalEntityStore in DATA_DIR.
 * - Async events (events.ts) delivered to the consumer function; schedules fire on interval.
 * - Web triggers (web-triggers.ts): `webTrigger.getUrl` answers `<baseUrl><path of the trigger>`.
 * - The installation (installation.ts): its site, ids and licence.
 * - Product and external fetch (network.ts) with scopes and egress enforced.
 * - Each invocation runs in its own context (AsyncLocalStorage): `__forge_runtime__` is that
 *   invocation's (module key, invocation id, remaining time, principal), its time limit is
 *   enforced (55 s web trigger, 25 s resolver, timeoutSeconds up to 900 s for consumers and
 *   schedules), and so are the 5 MB request and response limits. A timed-out invocation
 *   cannot be killed inside one process: its later platform calls fail instead.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { LocalEntityStore } from '../entity-store';
import {
  EVENT_INTERNAL_ENTITIES,
  EventQueues,
  defaultRetryDelayMs,
  DeliveryOutcome,
  StoredEvent,
} from './events';
import { ConsoleLevel, currentScope, hostInstallation, runInScope, unhostInstallation } from './host';
import { Installation, offlineInstallation } from './installation';
import { KVS_INTERNAL_ENTITIES, KvsService } from './kvs';
import { loadAppModule } from './app-modules';
import { AppManifest, INTERVAL_MS, ModuleKind, readManifest, resolveHandler, timeoutMs } from './manifest';
import {
  egressAllows,
  egressRefusal,
  ExternalBackend,
  grantsProduct,
  jsonResponse,
  noExternalHosts,
  noProducts,
  ProductBackend,
  scopeMismatch,
} from './network';
import { platformError, WebTriggerResult, WebTriggerUrls, webTriggerResponse } from './web-triggers';

/** Forge's invocation payload limit, for requests and responses (`limits-invocation`). */
export const MAX_PAYLOAD_BYTES = 5 * 1024 * 1024;
/** A front-end invocation's request (`invoke` from @forge/bridge): 500 KB (`limits-invocation`). */
export const MAX_FRONTEND_REQUEST_BYTES = 500 * 1000;

export interface ForgeRuntimeOptions {
  /** The project root: manifest.yml and src/ are read from here. */
  root: string;
  manifest?: AppManifest;
  /** Where handlers resolve (default <root>/src). */
  sourceRoot?: string;
  /** Durable state; in memory when absent. */
  dataDir?: string;
  /** e.g. http://127.0.0.1:8787; webTrigger.getUrl fails until it is known. */
  baseUrl?: string;
  /** URL path of each web trigger under baseUrl (default /x1/<module key>). */
  webTriggerPaths?: Record<string, string>;
  installation?: Partial<Installation>;
  products?: ProductBackend;
  external?: ExternalBackend;
  /**
   * Hosts admitted for external fetch beyond the manifest's egress: a local stand-in the
   * developer points the app at (ATLASSIAN_ORG_API_BASE=http://127.0.0.1:...), which no
   * manifest would declare. Everything else stays subject to the manifest.
   */
  extraEgress?: string[];
  /** Overrides the documented time limits (tests). */
  timeouts?: Partial<Record<ModuleKind, number>>;
  retryDelayMs?: (retryCount: number) => number;
  /** Where functions' console output goes (default: the console, like `forge tunnel`). */
  log?: (level: 'log' | 'info' | 'warn' | 'error' | 'debug', args: unknown[], invocation: Invocation) => void;
  /** The runtime's own warnings. */
  warn?: (message: string) => void;
  now?: () => number;
}

export interface Invocation {
  id: string;
  functionKey: string;
  moduleKey: string;
  kind: ModuleKind;
  deadline: number;
  expired: boolean;
  /**
   * The function has returned. Forge does not promise that work it did not await goes on
   * (runtime and function docs say nothing of it), so its later platform calls are refused.
   */
  returned: boolean;
  accountId?: string;
  /** Push chain depth for async events (0 unless this is a consumer). */
  chain: number;
}

/** A timed-out invocation. */
export class InvocationTimeoutError extends Error {
  constructor(kind: ModuleKind, functionKey: string, ms: number) {
    super(`Function ${functionKey} (${kind}) timed out after ${ms / 1000} s.`);
    this.name = 'InvocationTimeoutError';
  }
}

type AnyFunction = (...args: unknown[]) => unknown;

const noopMetrics = {
  counter: () => ({ incr() {}, incrBy() {}, decr() {}, decrBy() {} }),
  timing: () => ({ measure: () => ({ stop() {} }) }),
  gauge: () => ({ set() {} }),
};

export class ForgeRuntime {
  readonly manifest: AppManifest;
  readonly store: LocalEntityStore;
  readonly kvs: KvsService;
  readonly events: EventQueues;
  readonly installation: Installation;
  /** The web trigger URLs `webTrigger.getUrl` answers, and those deleted. */
  private readonly webTriggers: WebTriggerUrls;
  private readonly sourceRoot: string;
  private readonly handlers = new Map<string, Promise<AnyFunction>>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly schedules: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  private installed = false;
  private closed = false;

  constructor(private readonly options: ForgeRuntimeOptions) {
    this.manifest = options.manifest ?? readManifest(path.join(options.root, 'manifest.yml'));
    this.sourceRoot = options.sourceRoot ?? path.join(options.root, 'src');
    this.now = options.now ?? Date.now;
    this.webTriggers = new WebTriggerUrls(this.manifest.webtriggers, options.baseUrl, {
      ...options.webTriggerPaths,
    });
    this.installation = offlineInstallation(options.installation);
    this.store = new LocalEntityStore(
      this.manifest.entities,
      options.dataDir ? path.join(options.dataDir, 'store') : undefined,
      [...KVS_INTERNAL_ENTITIES, ...EVENT_INTERNAL_ENTITIES],
    );
    this.kvs = new KvsService(this.store, this.manifest.scopes, this.now);
    this.events = new EventQueues(
      this.store,
      {
        consumer: (queue) => {
          const consumer = this.manifest.consumers.find((c) => c.queue === queue);
          if (!consumer) return undefined;
          return {
            functionKey: consumer.function,
            timeoutSeconds: timeoutMs(this.manifest, consumer.function, 'consumer') / 1000,
          };
        },
        deliver: (event) => this.deliverEvent(event),
        currentChain: () => this.current()?.chain ?? 0,
        warn: (message) => this.warn(message),
      },
      this.now,
      options.retryDelayMs ?? defaultRetryDelayMs,
    );
  }

  /** URL path of each web trigger under the base URL (default /x1/<module key>). */
  get webTriggerPaths(): Record<string, string> {
    return this.webTriggers.paths;
  }

  get installContext(): string {
    return `ari:cloud:${this.installation.product}::site/${this.installation.cloudId}`;
  }

  setBaseUrl(url: string): void {
    this.webTriggers.setBaseUrl(url);
  }

  /** The URL `webTrigger.getUrl(moduleKey)` answers. */
  webTriggerUrl(moduleKey: string): string | undefined {
    return this.webTriggers.url(moduleKey);
  }

  /** The invocation of this installation the caller runs in, if any. */
  current(): Invocation | undefined {
    const scope = currentScope();
    return scope?.installation === this ? (scope.invocation as Invocation | undefined) : undefined;
  }

  /**
   * Runs `fn` in this installation's name outside any invocation (the local runner's set-up, a
   * test's direct call into the app): with several installations served, the app's Forge calls
   * must know whose they are.
   */
  run<T>(fn: () => T): T {
    return runInScope({ installation: this }, fn);
  }

  // ---- globals ----------------------------------------------------------------------------

  /**
   * Serves this installation from the process (host.ts): the Forge globals, the egress guard
   * on fetch and function log routing are installed with the first installation and answer
   * each call for the installation whose invocation made it.
   */
  install(): this {
    if (!this.installed) hostInstallation(this);
    this.installed = true;
    return this;
  }

  uninstall(): void {
    unhostInstallation(this);
    this.installed = false;
  }

  /** `fetch` from one of this installation's invocations: the manifest's egress applies. */
  guardedFetch(url: URL, init: RequestInit | undefined): Promise<Response> {
    const egress = [...this.manifest.egress, ...(this.options.extraEgress ?? [])];
    if (!egressAllows(egress, url)) return Promise.reject(egressRefusal(url));
    return (this.options.external ?? noExternalHosts)(url, init);
  }

  /** A console call inside one of this installation's invocations, to the `log` sink if any. */
  routeLog(level: ConsoleLevel, args: unknown[], invocation: unknown): boolean {
    if (!this.options.log) return false;
    this.options.log(level, args, invocation as Invocation);
    return true;
  }

  /** What `global.__forge_runtime__` holds during an invocation (or a background one outside). */
  forgeRuntimeValue(scoped: unknown): Record<string, unknown> {
    const invocation = scoped as Invocation | undefined;
    const appUuid = this.manifest.appId.split('/').pop() ?? this.manifest.appId;
    const traceId = randomUUID().replace(/-/g, '');
    return {
      proxy: { token: 'offline-forge-runtime', url: this.webTriggers.base ?? 'http://127.0.0.1' },
      metrics: noopMetrics,
      tracing: { traceId, spanId: traceId.slice(0, 16) },
      contextAri: this.installContext,
      aaid: invocation?.accountId,
      appContext: {
        appId: appUuid,
        appVersion: '1.0.0',
        environmentId: '00000000-0000-4000-8000-00000000e001',
        environmentType: this.installation.environmentType,
        invocationId: invocation?.id ?? 'background',
        installationId: this.installation.installationId,
        moduleKey: invocation?.moduleKey ?? '',
        license: this.installation.license,
        installation: { ari: this.installContext, contexts: [this.installContext] },
        permissions: {
          scopes: this.manifest.scopes,
          external: { fetch: { backend: this.manifest.egress } },
        },
      },
      lambdaContext: {
        getRemainingTimeInMillis: () =>
          invocation ? Math.max(0, invocation.deadline - this.now()) : 900_000,
      },
    };
  }

  /** `global.__forge_fetch__`: storage, platform GraphQL, queues, products. */
  async forgeFetch(descriptor: Record<string, unknown>, target: string, init?: RequestInit) {
    const invocation = this.current();
    if (invocation?.expired) {
      throw new Error(
        `Invocation ${invocation.id} of ${invocation.functionKey} has timed out; the platform refuses its calls.`,
      );
    }
    if (invocation?.returned) {
      throw new Error(
        `Invocation ${invocation.id} of ${invocation.functionKey} has returned; work it did not await is dropped (Forge does not promise it runs).`,
      );
    }
    if (this.closed) throw new Error('The offline Forge runtime is stopped.');
    const body = typeof init?.body === 'string' ? init.body : undefined;
    const parsed = () => {
      try {
        return body === undefined ? undefined : (JSON.parse(body) as unknown);
      } catch {
        return undefined;
      }
    };
    if (descriptor.type === 'kvs') {
      const answer = await this.kvs.handle(target, parsed(), { invocationId: invocation?.id });
      return jsonResponse(answer.status, answer.body);
    }
    if (descriptor.type === 'fpp' && descriptor.remote === 'stargate') {
      if (target === '/graphql') return this.webTriggers.graphql(parsed());
      if (target.startsWith('/webhook/queue/')) {
        const answer = await this.events.handle(target, parsed());
        return jsonResponse(answer.status, answer.body);
      }
      return jsonResponse(404, { message: `The offline Forge runtime does not emulate ${target}.` });
    }
    if (descriptor.type === 'fpp' && typeof descriptor.remote === 'string') {
      const product = descriptor.remote;
      if (!grantsProduct(this.manifest.scopes, product)) return scopeMismatch();
      return (this.options.products ?? noProducts)({
        product,
        provider: String(descriptor.provider ?? 'none'),
        // asUser() without an account ID acts for the invoking user (Forge's aaid).
        ...(typeof descriptor.accountId === 'string'
          ? { accountId: descriptor.accountId }
          : descriptor.provider === 'user' && invocation?.accountId
            ? { accountId: invocation.accountId }
            : {}),
        path: target,
        scopes: this.manifest.scopes,
        method: init?.method ?? 'GET',
        headers: new Headers(init?.headers),
        ...(body !== undefined ? { body } : {}),
      });
    }
    return jsonResponse(501, {
      message: `The offline Forge runtime does not emulate ${String(descriptor.type)} calls.`,
    });
  }

  // ---- invocations ------------------------------------------------------------------------

  /** The file of the resource a UI module renders (manifest `resources`), absolute. */
  resourceFile(moduleKey: string): string {
    const resource = this.manifest.uiModules.find((m) => m.key === moduleKey)?.resource;
    const file = resource ? this.manifest.resources.get(resource) : undefined;
    if (!file) throw new Error(`UI module ${moduleKey} renders no resource of manifest.yml.`);
    return path.resolve(this.options.root, file);
  }

  /**
   * A module of the app (`forge/tokens` under the source root), loaded the way handlers are,
   * so a caller shares the instances the functions use. Only after `install()`.
   */
  loadModule<T>(modulePath: string): Promise<T> {
    return loadAppModule<T>(path.resolve(this.sourceRoot, modulePath));
  }

  private loadFunction(functionKey: string): Promise<AnyFunction> {
    let loaded = this.handlers.get(functionKey);
    if (!loaded) {
      const definition = this.manifest.functions.get(functionKey);
      if (!definition) return Promise.reject(new Error(`No function ${functionKey} in manifest.yml.`));
      const { module, exportName } = resolveHandler(this.sourceRoot, definition.handler);
      loaded = this.loadModule<Record<string, unknown>>(module).then((exports: Record<string, unknown>) => {
        const fn = exports[exportName];
        if (typeof fn !== 'function') throw new Error(`${definition.handler} is not an exported function.`);
        return fn as AnyFunction;
      });
      loaded.catch(() => this.handlers.delete(functionKey));
      this.handlers.set(functionKey, loaded);
    }
    return loaded;
  }

  /** Runs a manifest function as one invocation of `kind`, within its time limit. */
  async invoke(
    kind: ModuleKind,
    functionKey: string,
    moduleKey: string,
    args: unknown[],
    extra: { accountId?: string; chain?: number } = {},
  ): Promise<unknown> {
    if (this.closed) throw new Error('The offline Forge runtime is stopped.');
    const fn = await this.loadFunction(functionKey);
    const ms = this.options.timeouts?.[kind] ?? timeoutMs(this.manifest, functionKey, kind);
    const invocation: Invocation = {
      id: randomUUID(),
      functionKey,
      moduleKey,
      kind,
      deadline: this.now() + ms,
      expired: false,
      returned: false,
      chain: extra.chain ?? 0,
      ...(extra.accountId ? { accountId: extra.accountId } : {}),
    };
    const run = runInScope({ installation: this, invocation }, () =>
      Promise.resolve().then(() => fn(...args)),
    ).finally(() => {
      invocation.returned = true;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        invocation.expired = true;
        reject(new InvocationTimeoutError(kind, functionKey, ms));
      }, ms);
    });
    const settled = Promise.race([run, timeout]).finally(() => clearTimeout(timer));
    this.running.add(settled);
    try {
      return await settled;
    } finally {
      this.running.delete(settled);
      run.catch(() => undefined);
    }
  }

  /**
   * One HTTP request to a web trigger, as Forge runs it: the function the manifest names for
   * the trigger gets the event, and its answer is checked the way Forge checks it.
   *
   *   413  request (body and headers) larger than 5 MB
   *   404  the URL was deleted with webTrigger.deleteUrl
   *   500  the function threw, or answered something that is not { statusCode, headers?, body? }
   *        with string body and string-array header values, or more than 5 MB
   *   504  the function ran past 55 s
   */
  async invokeWebTrigger(moduleKey: string, event: Record<string, unknown>): Promise<WebTriggerResult> {
    const trigger = this.manifest.webtriggers.find((w) => w.key === moduleKey);
    if (!trigger) return platformError(404, `No web trigger ${moduleKey} in manifest.yml.`);
    const url = this.webTriggerUrl(moduleKey);
    if (url && this.webTriggers.isDeleted(url))
      return platformError(404, 'This web trigger URL was deleted.');
    if (Buffer.byteLength(JSON.stringify({ headers: event.headers, body: event.body })) > MAX_PAYLOAD_BYTES) {
      return platformError(413, 'The request is larger than the 5 MB Forge allows.');
    }
    let result: unknown;
    try {
      result = await this.invoke('webtrigger', trigger.function, moduleKey, [event, this.backendContext()]);
    } catch (error) {
      if (error instanceof InvocationTimeoutError) return platformError(504, error.message);
      this.warn(`Web trigger ${moduleKey} failed: ${String(error)}`);
      return platformError(500, 'The web trigger function failed.');
    }
    const response = webTriggerResponse(result);
    if (!response)
      return platformError(500, 'The web trigger function answered something Forge cannot send.');
    if (Buffer.byteLength(JSON.stringify(response)) > MAX_PAYLOAD_BYTES) {
      return platformError(500, 'The web trigger response is larger than the 5 MB Forge allows.');
    }
    return response;
  }

  private async deliverEvent(event: StoredEvent): Promise<DeliveryOutcome> {
    const consumer = this.manifest.consumers.find((c) => c.queue === event.queueName);
    if (!consumer) return { kind: 'error', reason: 'FUNCTION_UNHANDLED_ERROR', error: 'no consumer' };
    const { chain, enqueuedAt, ...asyncEvent } = event;
    const retention = {
      startTime: new Date(enqueuedAt).toISOString(),
      remainingTimeMs: enqueuedAt + 86_400_000 - this.now(),
    };
    try {
      const result = await this.invoke(
        'consumer',
        consumer.function,
        consumer.key,
        [
          {
            ...asyncEvent,
            ...(event.retryContext
              ? { retryContext: { ...event.retryContext, retentionWindow: retention } }
              : {}),
          },
          this.backendContext(),
        ],
        { chain },
      );
      const retry =
        (result as { _retry?: boolean; retryOptions?: Record<string, unknown> } | undefined) ?? {};
      if (retry._retry) {
        const options = retry.retryOptions ?? {};
        return {
          kind: 'retry',
          retryAfterSeconds: Number(options.retryAfter ?? 1),
          retryReason: String(options.retryReason ?? 'FUNCTION_RETRY_REQUEST'),
          retryData: options.retryData,
        };
      }
      return { kind: 'success' };
    } catch (error) {
      return {
        kind: 'error',
        reason: error instanceof InvocationTimeoutError ? 'FUNCTION_TIME_OUT' : 'FUNCTION_UNHANDLED_ERROR',
        error,
      };
    }
  }

  /** Fires a scheduled trigger now (what its interval does), and returns when it has run. */
  async fireScheduledTrigger(moduleKey: string): Promise<void> {
    const trigger = this.manifest.scheduledTriggers.find((t) => t.key === moduleKey);
    if (!trigger) throw new Error(`No scheduled trigger ${moduleKey} in manifest.yml.`);
    // Errors are not retried. The function answers `{ statusCode }` (events-reference/
    // scheduled-trigger: required; 204 is success, the 500 series are errors); anything else
    // is reported as a failed run, as Forge records it.
    await this.invoke('scheduledTrigger', trigger.function, moduleKey, [
      { context: { cloudId: this.installation.cloudId, moduleKey } },
      this.backendContext(),
    ]).then(
      (result: unknown) => {
        const status = (result as { statusCode?: unknown } | undefined)?.statusCode;
        if (!Number.isInteger(status) || (status as number) >= 500) {
          this.warn(
            `Scheduled trigger ${moduleKey} answered ${JSON.stringify(result) ?? 'nothing'}; Forge expects { statusCode } (204 for success) and records a failed run.`,
          );
        }
      },
      (error: unknown) => this.warn(`Scheduled trigger ${moduleKey} failed: ${String(error)}`),
    );
  }

  /**
   * What `invoke(functionKey, payload)` from @forge/bridge reaches: the resolver function of
   * the UI module, called as Forge calls it (`{ call, context }` and the backend payload with
   * the principal, installation context and license), within 25 s, a request of at most 500 KB
   * and a response of at most 5 MB (`limits-invocation`).
   */
  async invokeResolver(request: {
    moduleKey: string;
    functionKey: string;
    payload?: unknown;
    accountId: string;
  }): Promise<unknown> {
    const module = this.manifest.uiModules.find((m) => m.key === request.moduleKey);
    if (!module?.resolverFunction)
      throw new Error(`UI module ${request.moduleKey} has no resolver in manifest.yml.`);
    if (Buffer.byteLength(JSON.stringify(request.payload ?? {})) > MAX_FRONTEND_REQUEST_BYTES) {
      throw new Error('The invoke payload is larger than the 500 KB Forge allows a front-end invocation.');
    }
    const context = {
      accountId: request.accountId,
      cloudId: this.installation.cloudId,
      siteUrl: this.installation.siteUrl,
      moduleKey: request.moduleKey,
      localId: `${request.moduleKey}-offline`,
      extension: { type: module.type },
      environmentId: '00000000-0000-4000-8000-00000000e001',
      environmentType: this.installation.environmentType,
    };
    const result = await this.invoke(
      'resolver',
      module.resolverFunction,
      request.moduleKey,
      [
        { call: { functionKey: request.functionKey, payload: request.payload }, context },
        {
          principal: { accountId: request.accountId },
          installContext: this.installContext,
          license: this.installation.license,
          installation: { ari: this.installContext, contexts: [this.installContext] },
        },
      ],
      { accountId: request.accountId },
    );
    if (result !== undefined && Buffer.byteLength(JSON.stringify(result)) > MAX_PAYLOAD_BYTES) {
      throw new Error('The resolver response is larger than the 5 MB Forge allows.');
    }
    return result;
  }

  /** The context argument of web triggers, consumers and scheduled triggers. */
  private backendContext(): Record<string, unknown> {
    return {
      installContext: this.installContext,
      principal: undefined,
      license: this.installation.license,
    };
  }

  // ---- lifecycle --------------------------------------------------------------------------

  /** Delivers queued events as they fall due and fires scheduled triggers on their interval. */
  start(): void {
    this.events.start();
    for (const trigger of this.manifest.scheduledTriggers) {
      const timer = setInterval(
        () => void this.fireScheduledTrigger(trigger.key),
        INTERVAL_MS[trigger.interval],
      );
      timer.unref();
      this.schedules.push(timer);
    }
  }

  /**
   * Stops timers, waits for running invocations, makes storage durable, removes the globals.
   * With `graceMs`, waits that long at most and answers how many invocations were still
   * running: their storage is closed under them (each later call is refused, as Forge ends an
   * invocation at its timeout), so nothing they do after is acknowledged, and their queued
   * work, durable before it ran, is delivered again at the next start.
   */
  async stop(options: { graceMs?: number } = {}): Promise<{ abandoned: number }> {
    for (const timer of this.schedules.splice(0)) clearInterval(timer);
    const finished = Promise.allSettled([this.events.stop(), ...this.running]);
    if (options.graceMs === undefined) await finished;
    else {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.graceMs)));
      await Promise.race([finished, grace]).finally(() => clearTimeout(timer));
    }
    const abandoned = this.running.size;
    this.closed = true;
    this.store.close();
    this.uninstall();
    return { abandoned };
  }

  private warn(message: string): void {
    (this.options.warn ?? ((m: string) => console.warn(`forge runtime: ${m}`)))(message);
  }
}
