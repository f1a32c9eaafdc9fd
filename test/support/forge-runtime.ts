/**
 * A fresh offline Forge runtime for one test: its own temporary DATA_DIR, its globals
 * installed before anything from src/forge is loaded, and a fresh module registry so the
 * entry points create their app against this runtime (as a new Forge function instance does).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ForgeRuntime, ForgeRuntimeOptions } from '../../src/local/forge-runtime';

export const ROOT = path.resolve(__dirname, '../..');

export interface TestRuntime {
  runtime: ForgeRuntime;
  dataDir: string;
  /** Function output (console.* inside invocations), one line per call. */
  logs: string[];
  warnings: string[];
  /** Requires a module from the runtime's module registry (after the globals are installed). */
  load<T>(modulePath: string): T;
  close(): Promise<void>;
}

export function createTestRuntime(options: Partial<ForgeRuntimeOptions> = {}): TestRuntime {
  // A fresh module registry: the runtime, the entry points it loads and whatever the test
  // loads with `load` share it, and nothing is shared with the previous test's runtime.
  jest.resetModules();
  return installationRuntime(options);
}

/**
 * Several installations served by one process, as a warm Forge function instance serves
 * several customers: one module registry (the app is loaded once and shared), and for each
 * installation its own runtime (storage, secrets, queue, trigger URL, licence, backends).
 * Installation k (from 0) has its own cloudId and its SCIM trigger at /i<k>/scim/v2.
 */
export function createTestInstallations(
  count: number,
  options: (index: number) => Partial<ForgeRuntimeOptions> = () => ({}),
): TestRuntime[] {
  jest.resetModules();
  return Array.from({ length: count }, (_, index) =>
    installationRuntime({
      webTriggerPaths: { 'scim-endpoint': `/i${index}/scim/v2` },
      installation: {
        cloudId: `00000000-0000-4000-8000-00000000c${String(index).padStart(3, '0')}`,
        siteUrl: `https://site-${index}.offline.atlassian.net`,
      },
      ...options(index),
    }),
  );
}

function installationRuntime(options: Partial<ForgeRuntimeOptions>): TestRuntime {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'forge-runtime-'));
  const logs: string[] = [];
  const warnings: string[] = [];
  const { ForgeRuntime: Runtime } = load<typeof import('../../src/local/forge-runtime')>(
    '../../src/local/forge-runtime',
  );
  const runtime: ForgeRuntime = new Runtime({
    root: ROOT,
    dataDir,
    baseUrl: 'http://127.0.0.1:8787',
    webTriggerPaths: { 'scim-endpoint': '/scim/v2' },
    log: (level, args) =>
      logs.push(`${level}: ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`),
    warn: (message) => warnings.push(message),
    ...options,
  }).install();
  return {
    runtime,
    dataDir,
    logs,
    warnings,
    load,
    async close() {
      await runtime.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `require` of a package, or of a path relative to test/<folder>/, typed by the caller. */
function load<T>(modulePath: string): T {
  const resolved = modulePath.startsWith('.') ? path.resolve(__dirname, modulePath) : modulePath;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must run after the Forge globals exist
  return require(resolved) as T;
}

/**
 * A SCIM request to the app's web trigger, as an identity provider sends it (bearer token,
 * SCIM JSON), with any `headers` added (a User-Agent, say): the status and the parsed body.
 */
export async function scimRequest(
  test: TestRuntime,
  request: {
    method: string;
    userPath: string;
    token: string;
    body?: unknown;
    headers?: Record<string, string[]>;
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- SCIM answers are arbitrary JSON
): Promise<[number, any]> {
  const { method, userPath, token, body } = request;
  const base = test.runtime.webTriggerPaths['scim-endpoint'] ?? '/scim/v2';
  const result = await test.runtime.invokeWebTrigger('scim-endpoint', {
    method,
    path: `${base}${userPath}`,
    userPath,
    headers: {
      Authorization: [`Bearer ${token}`],
      'Content-Type': ['application/scim+json'],
      ...request.headers,
      Host: ['127.0.0.1'],
    },
    queryParameters: {},
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return [result.statusCode, result.body ? JSON.parse(result.body) : undefined];
}

/** The admin page's module (manifest.yml): its resolvers are invoked through it. */
export const ADMIN_MODULE = 'scim-admin-jira';

/** An admin-page resolver invoked as this account, as the page's `invoke` calls it. */
export function invokeAdmin<T>(test: TestRuntime, accountId: string, functionKey: string, payload?: unknown) {
  return test.runtime.invokeResolver({
    moduleKey: ADMIN_MODULE,
    functionKey,
    accountId,
    payload,
  }) as Promise<T>;
}

/**
 * The hourly sweep as the runtime runs it: the trigger (the directory's jobs, the connection
 * check) wakes a consumer run of each partition with sync jobs (src/sync/partitions.ts), and
 * those runs, with whatever they queue in turn, are delivered until none is left.
 */
export async function sweep(test: TestRuntime): Promise<void> {
  await test.runtime.fireScheduledTrigger('directory-sweep');
  await test.runtime.events.drain();
}
