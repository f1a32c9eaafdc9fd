/**
 * `npm start`: the Forge app on a laptop, run by the offline Forge runtime
 * (src/local/forge-runtime) exactly as it ships: each HTTP request under /scim/v2 becomes a
 * web trigger event for the function manifest.yml names (`scim` of src/forge/index.ts),
 * storage and the token secret go through @forge/kvs, background jobs through Queue.push
 * and the consumer, and the hourly sweep fires on its schedule. State lives in $DATA_DIR.
 *
 *   PORT               listen port (default 8787)
 *   SCIM_BEARER_TOKEN  fixed bearer token; otherwise one is generated, stored as a hash, printed
 *   DATA_DIR           where local state lives (default .data/)
 *   SCIM_QUIET=1       no request log
 *   FORGE_LICENSE      active | inactive | none (default): the licence Forge passes the app
 *   POLICIES_FILE      provisioning policies (JSON) to apply at start; default
 *                      $DATA_DIR/policies.json when it exists (see policy-file.ts)
 *   --new-token        replace the stored token with a new one
 *
 * The app provisions into the embedded Atlassian organization (src/local/embedded-org),
 * served at /atlassian/admin and reached by the app's fetch to api.atlassian.com, unless
 * ATLASSIAN_ORG_API_BASE/KEY/ID name another one (see embedded-org/connection.ts for those
 * and the EMBEDDED_ORG_* knobs). The organization's Jira site is served at /atlassian/site
 * and answers the app's product fetch (asApp/asUser requestJira); ATLASSIAN_MODE=site
 * provisions through it with the site-admin mode (admin e-mail + API token) instead.
 */
import path from 'node:path';
import type * as ForgeEntryPoints from '../forge/index';
import type * as ForgePolicyStore from '../forge/policy-store';
import type * as ForgeTokens from '../forge/tokens';
import {
  EMBEDDED_ORG_MOUNT,
  embeddedOrgBackend,
  embeddedSiteProducts,
  httpBackend,
  SEED_ACCOUNTS,
  serveEmbeddedOrg,
  startLocalOrganization,
} from './embedded-org';
import { ForgeRuntime, offlineLicense, parseOfflineLicenceState } from './forge-runtime';
import { adminPageMount, localAdminAccountId } from './admin-host';
import { applyPolicyFile, policyFilePath } from './policy-file';
import { createLocalServer, Mount, SCIM_BASE_PATH } from './server';

const ROOT = path.resolve(__dirname, '../..');
const port = Number(process.env.PORT ?? 8787);
const dataDir = path.resolve(process.env.DATA_DIR ?? '.data');
const quiet = process.env.SCIM_QUIET === '1';
const licence = parseOfflineLicenceState(process.env.FORGE_LICENSE);

/** What the functions print (Forge's function logs), shown the way `forge tunnel` does. */
function log(level: string, args: unknown[]): void {
  const [message, fields] = args as [unknown, Record<string, unknown> | undefined];
  if (level === 'warn' || level === 'error') {
    console[level](`${level}:`, ...args);
  } else if (!quiet) {
    if (message === 'scim' && fields)
      console.log(`${fields.method} ${fields.path || '/'} ${fields.status} ${fields.ms}ms`);
    else console.log(...args);
  }
}

async function main(): Promise<void> {
  // The network fetch, before the runtime wraps it with its egress guard.
  const realFetch = globalThis.fetch;
  // Before the app loads: it reads the connection from ATLASSIAN_ORG_* as Forge variables.
  const org = startLocalOrganization({ env: process.env, dataDir });
  const runtime = new ForgeRuntime({
    root: ROOT,
    dataDir,
    log,
    warn: (message) => console.warn(`forge runtime: ${message}`),
    external: org.embedded ? embeddedOrgBackend(org.embedded) : httpBackend(realFetch),
    // api.asApp()/asUser().requestJira reach the embedded organization's Jira site.
    ...(org.embedded ? { products: embeddedSiteProducts(org.embedded) } : {}),
    extraEgress: org.extraEgress,
    installation: { license: offlineLicense(licence) },
  }).install();
  // Only now, with the Forge globals in place, load what ships (it builds its app on import).
  const forge = await runtime.loadModule<typeof ForgeEntryPoints>('forge/index');
  const tokens = await runtime.loadModule<typeof ForgeTokens>('forge/tokens');
  runtime.webTriggerPaths[forge.SCIM_TRIGGER_KEY] = SCIM_BASE_PATH;

  // The bearer token lives where it does on Forge: its hash in a kvs secret.
  const fixed = process.env.SCIM_BEARER_TOKEN;
  let token: string | undefined;
  let origin: 'environment' | 'generated' | 'stored';
  if (fixed) {
    await tokens.installToken(fixed);
    [token, origin] = [fixed, 'environment'];
  } else if (process.argv.includes('--new-token') || !(await tokens.hasToken())) {
    [token, origin] = [await tokens.rotateToken(), 'generated'];
  } else {
    origin = 'stored';
  }

  // The policy file, through the validation and storage the savePolicies resolver uses.
  const policyStore = await runtime.loadModule<typeof ForgePolicyStore>('forge/policy-store');
  const policies = await applyPolicyFile(policyFilePath(process.env, dataDir), policyStore.applyPolicies);
  if (policies.kind === 'invalid') {
    console.error(`Policies file ${policies.file} is not valid; nothing was applied:`);
    for (const line of policies.lines) console.error(`  ${line}`);
    await runtime.stop();
    org.embedded?.close();
    process.exit(2);
  }

  const embedded = org.embedded;
  const mounts: Mount[] = embedded
    ? [
        {
          prefix: EMBEDDED_ORG_MOUNT,
          serve: (request, response) => serveEmbeddedOrg(embedded, request, response),
        },
      ]
    : [];
  // The admin page in a browser, as the org's admin (src/local/admin-host).
  const adminPage = adminPageMount(runtime, { root: ROOT, accountId: localAdminAccountId(embedded) });
  mounts.push(adminPage);
  const server = createLocalServer(
    (event) => runtime.invokeWebTrigger(forge.SCIM_TRIGGER_KEY, event),
    mounts,
  );
  const maintenance = setInterval(() => runtime.store.maintain(), 60_000);
  maintenance.unref();

  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    runtime.setBaseUrl(`http://127.0.0.1:${actualPort}`);
    runtime.start();
    // Jobs left by an earlier run (a group deleted just before a crash) are finished now, as
    // the sweep does about five minutes after a deploy on Forge.
    void runtime.fireScheduledTrigger('directory-sweep');
    if (embedded) {
      console.log(
        `Atlassian org: ${embedded.orgId} (embedded: http://127.0.0.1:${actualPort}${EMBEDDED_ORG_MOUNT}/admin)`,
      );
      console.log(`Org API key:   ${embedded.apiKey}`);
      console.log(
        `Jira site:     ${embedded.meta.siteUrl} (embedded: http://127.0.0.1:${actualPort}${EMBEDDED_ORG_MOUNT}/site), ${SEED_ACCOUNTS.admin} / API token ${embedded.siteApiToken}`,
      );
    } else {
      console.log(`Atlassian org: ${org.connection.orgId} at ${org.connection.baseUrl} (ATLASSIAN_ORG_*)`);
    }
    console.log(`SCIM base URL: ${runtime.webTriggerUrl(forge.SCIM_TRIGGER_KEY)}`);
    console.log(`Admin page:    http://127.0.0.1:${actualPort}/admin`);
    if (token) {
      console.log(`Bearer token:  ${token}`);
      if (origin === 'generated') console.log('(shown once: only its hash is kept in DATA_DIR)');
    } else {
      console.log('Bearer token:  unchanged (stored only as a hash; `npm start -- --new-token` replaces it)');
    }
    if (policies.kind === 'applied') console.log(`Policies:      ${policies.file}`);
    console.log(`Data:          ${dataDir}`);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    clearInterval(maintenance);
    server.close(() => {
      // Waits for running invocations, then folds the journal into a snapshot.
      void runtime
        .stop()
        .finally(() => adminPage.close())
        .finally(() => embedded?.close())
        .finally(() => process.exit(0));
    });
    server.closeAllConnections();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
