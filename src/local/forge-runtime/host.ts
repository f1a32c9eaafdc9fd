/**
 * The process side of the offline runtime: the globals the `@forge/*` packages read
 * (`__forge_fetch__`, `__forge_runtime__`), the egress guard on `fetch` and the routing of
 * function logs, installed once for every installation this process serves.
 *
 * Forge runs one warm process for several installations (`tenant-data-isolation`): the app's
 * modules are loaded once and each invocation carries its own installation. So does this host:
 * each invocation runs in a scope naming its installation (a ForgeRuntime), and every call the
 * app makes through a global is answered by that installation, whatever the app keeps in its
 * module-level variables. Code outside any invocation (the local runner's set-up, a test)
 * reaches an installation through `runtime.run()`, or the only one when just one is installed.
 *
 * The host lives on globalThis, not in this module: a test's fresh module registry
 * (jest.resetModules) loads this file again, and there must still be one set of globals.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** What the host needs of an installation (implemented by ForgeRuntime). */
export interface HostedInstallation {
  /** `global.__forge_fetch__` for a call made in this installation's scope. */
  forgeFetch(descriptor: Record<string, unknown>, target: string, init?: RequestInit): Promise<Response>;
  /** `global.__forge_runtime__` during one of its invocations (or outside any). */
  forgeRuntimeValue(invocation: unknown): Record<string, unknown>;
  /** `fetch` from inside one of its invocations (egress checked). */
  guardedFetch(url: URL, init: RequestInit | undefined): Promise<Response>;
  /** A console call made inside one of its invocations; false to print it as usual. */
  routeLog(level: ConsoleLevel, args: unknown[], invocation: unknown): boolean;
}

export interface Scope {
  installation: HostedInstallation;
  /** The invocation, or undefined for set-up work run in the installation's name. */
  invocation?: unknown;
}

export const CONSOLE_LEVELS = ['log', 'info', 'warn', 'error', 'debug'] as const;
export type ConsoleLevel = (typeof CONSOLE_LEVELS)[number];

type ForgeGlobals = typeof globalThis & {
  __forge_fetch__?: unknown;
  __forge_runtime__?: unknown;
};

interface Host {
  scopes: AsyncLocalStorage<Scope>;
  installed: Set<HostedInstallation>;
  restore?: () => void;
}

const HOST_KEY = Symbol.for('scim-for-atlassian.offline-forge-host');

function host(): Host {
  const g = globalThis as typeof globalThis & { [HOST_KEY]?: Host };
  g[HOST_KEY] ??= { scopes: new AsyncLocalStorage<Scope>(), installed: new Set() };
  return g[HOST_KEY];
}

/** The scope the caller runs in, if any. */
export function currentScope(): Scope | undefined {
  return host().scopes.getStore();
}

/** Runs `fn` in `scope`: every Forge call it makes is answered by that installation. */
export function runInScope<T>(scope: Scope, fn: () => T): T {
  return host().scopes.run(scope, fn);
}

/** Runs `fn` outside every scope (a log sink that itself prints). */
export function outsideScopes<T>(fn: () => T): T {
  return host().scopes.exit(fn);
}

/** The installation a call belongs to: its scope's, or the only one installed. */
function answering(what: string): Scope {
  const scope = currentScope();
  if (scope) return scope;
  const { installed } = host();
  if (installed.size === 1) return { installation: [...installed][0] };
  throw new Error(
    installed.size === 0
      ? `${what}: no offline Forge runtime is installed.`
      : `${what} outside any invocation, with ${installed.size} installations served: run it with runtime.run() so it has one.`,
  );
}

/** Serves `installation` from this process; the globals are installed with the first one. */
export function hostInstallation(installation: HostedInstallation): void {
  const h = host();
  h.installed.add(installation);
  if (h.restore) return;
  const g = globalThis as ForgeGlobals;
  const previousFetch = g.__forge_fetch__;
  const previousRuntimeDescriptor = Object.getOwnPropertyDescriptor(g, '__forge_runtime__');
  const originalFetch = globalThis.fetch;
  const originalConsole = Object.fromEntries(CONSOLE_LEVELS.map((level) => [level, console[level]]));

  g.__forge_fetch__ = (descriptor: Record<string, unknown>, target: string, init?: RequestInit) =>
    answering('A Forge platform call').installation.forgeFetch(descriptor, target, init);
  Object.defineProperty(g, '__forge_runtime__', {
    configurable: true,
    get: () => {
      const scope = currentScope();
      if (scope || h.installed.size <= 1) {
        const { installation, invocation } = scope ?? answering('The Forge runtime context');
        return installation.forgeRuntimeValue(invocation);
      }
      // A module loading outside any invocation (@forge/kvs reads the proxy on load): what
      // belongs to the process answers, what belongs to an installation refuses.
      const value = [...h.installed][0].forgeRuntimeValue(undefined);
      Object.defineProperty(value, 'appContext', {
        get: () => answering('The Forge app context'),
      });
      return value;
    },
  });
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    const scope = currentScope();
    if (!scope?.invocation) return originalFetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    return scope.installation.guardedFetch(url, init);
  };
  for (const level of CONSOLE_LEVELS) {
    console[level] = (...args: unknown[]) => {
      const scope = currentScope();
      const routed =
        scope?.invocation !== undefined &&
        outsideScopes(() => scope.installation.routeLog(level, args, scope.invocation));
      if (!routed) originalConsole[level].apply(console, args);
    };
  }
  h.restore = () => {
    if (previousFetch === undefined) delete g.__forge_fetch__;
    else g.__forge_fetch__ = previousFetch;
    if (previousRuntimeDescriptor) Object.defineProperty(g, '__forge_runtime__', previousRuntimeDescriptor);
    else delete g.__forge_runtime__;
    globalThis.fetch = originalFetch;
    for (const level of CONSOLE_LEVELS) console[level] = originalConsole[level];
  };
}

/** Stops serving `installation`; the globals go with the last one. */
export function unhostInstallation(installation: HostedInstallation): void {
  const h = host();
  if (!h.installed.delete(installation)) return;
  if (h.installed.size > 0) return;
  h.restore?.();
  h.restore = undefined;
}
