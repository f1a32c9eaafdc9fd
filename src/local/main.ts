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
 * provisions through it with the site-admin mode (admin e-mail + API token) instead. With
 * another organization, the installation's Jira site is still a local one (DATA_DIR/local-site),
 * so the admin resolvers' admin check has a Jira to ask.
 *
 *   --installations N  serve N installations (customers) from this one process, as Forge does
 *                      with one warm process (default 1: everything above, unchanged).
 *
 * With N ≥ 2, installation 1 is the one above (DATA_DIR, PORT, POLICIES_FILE,
 * SCIM_BEARER_TOKEN, ATLASSIAN_* and EMBEDDED_ORG_API_KEY/SITE_TOKEN apply to it only), and
 * each installation k ≥ 2 has its own:
 *   - cloudId and site (https://site-k.offline.atlassian.net);
 *   - state in $DATA_DIR/installations/k (its storage, secrets, queue, embedded organization;
 *     policies from $DATA_DIR/installations/k/policies.json when it exists);
 *   - embedded organization, served at /installations/k/atlassian (admin API and Jira site);
 *   - SCIM base URL /installations/k/scim/v2 (its web trigger URL) and bearer token (generated,
 *     kept as a hash in its storage like installation 1's);
 *   - admin page /installations/k/admin, as its organization's admin.
 * The organization connections are not published as Forge variables then (those are
 * environment-wide: every installation would read the same credential); each installation's
 * is saved in its own storage, as its admin page saves it (a different one already saved
 * there on the admin page is kept). It stays saved: a later one-installation run uses
 * installation 1's before the Forge variables (ATLASSIAN_ORG_*) until it is cleared on the
 * admin page. FORGE_LICENSE, SCIM_QUIET, ATLASSIAN_MODE and the other
 * EMBEDDED_ORG_* knobs apply to every installation; --new-token replaces every one's token.
 * Scheduled triggers and the event queue run per installation; function logs are prefixed
 * with [k]. A banner per installation, under "Installation k (<site>)"; SIGINT stops all.
 */
import http from 'node:http';
import path from 'node:path';
import { stop as stopEsbuild } from 'esbuild';
import type * as ForgeConnection from '../forge/atlassian-connection';
import type * as ForgeEntryPoints from '../forge/index';
import type * as ForgePolicyStore from '../forge/policy-store';
import type * as ForgeTokens from '../forge/tokens';
import type * as KvsStore from '../forge/kvs-store';
import type * as SyncLogModule from '../sync/log';
import type { LogEntryInput } from '../sync/log';
import type { TokenView } from '../forge/admin-api';
import {
  EMBEDDED_ORG_MOUNT,
  embeddedOrgBackend,
  embeddedSiteBackend,
  embeddedOrgOptionsFromEnv,
  embeddedSiteProducts,
  externalOrgFromEnv,
  httpBackend,
  SEED_ACCOUNTS,
  serveEmbeddedOrg,
  SITE_PREFIX,
  startLocalOrganization,
  type LocalOrganization,
} from './embedded-org';
import { ForgeRuntime, offlineLicense, parseOfflineLicenceState } from './forge-runtime';
import { ADMIN_PAGE_PATH, adminPageMount, localAdminAccountId } from './admin-host';
import {
  applyPolicyFile,
  checkPolicyFile,
  policyFilePath,
  type PolicyFileCheck,
  type PolicyFileOutcome,
} from './policy-file';
import { localRequestListener, Mount, SCIM_BASE_PATH, ScimRoute, startingListener } from './server';
import { claimDataDir, listen, StartRefused } from './start-checks';
import { modeBanner, policiesBanner, type PoliciesInForce } from './start-banner';

const ROOT = path.resolve(__dirname, '../..');
const port = Number(process.env.PORT ?? 8787);
const dataDir = path.resolve(process.env.DATA_DIR ?? '.data');
const quiet = process.env.SCIM_QUIET === '1';
const licence = parseOfflineLicenceState(process.env.FORGE_LICENSE);
const installationCount = parseInstallations(process.argv.slice(2));
/** How long Ctrl-C waits for running sync invocations before it stops them (their work stays queued). */
const STOP_GRACE_MS = 5_000;

/** `--installations N` (or `--installations=N`): how many installations to serve (default 1). */
function parseInstallations(args: string[]): number {
  const index = args.findIndex((a) => a === '--installations' || a.startsWith('--installations='));
  if (index < 0) return 1;
  const raw = args[index].includes('=') ? args[index].split('=')[1] : args[index + 1];
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > 100) {
    console.error(`--installations takes a whole number from 1 to 100, not ${raw ?? 'nothing'}.`);
    process.exit(2);
  }
  return count;
}

/** Installation k's cloudId: installation 1 keeps the runtime's default one. */
function cloudIdOf(k: number): string {
  return `00000000-0000-4000-8000-${(0xc1000 + k).toString(16).padStart(12, '0')}`;
}

/** What the functions print (Forge's function logs), shown the way `forge tunnel` does. */
function logger(label: string): (level: string, args: unknown[]) => void {
  return (level, args) => {
    const [message, fields] = args as [unknown, Record<string, unknown> | undefined];
    const prefix = label ? [label] : [];
    if (level === 'warn' || level === 'error') {
      console[level](...prefix, `${level}:`, ...args);
    } else if (!quiet) {
      if (message === 'scim' && fields)
        console.log(
          `${label ? `${label} ` : ''}${fields.method} ${fields.path || '/'} ${fields.status} ${fields.ms}ms`,
        );
      else console.log(...prefix, ...args);
    }
  };
}

/** Knobs that name one organization's credentials: installation 1's only. */
const INSTALLATION_1_ONLY = [
  'ATLASSIAN_ORG_API_BASE',
  'ATLASSIAN_ORG_API_KEY',
  'ATLASSIAN_ORG_ID',
  'ATLASSIAN_ORG_DIRECTORY_ID',
  'EMBEDDED_ORG_API_KEY',
  'EMBEDDED_ORG_SITE_TOKEN',
];

/** One installation this process serves. */
interface Served {
  k: number;
  runtime: ForgeRuntime;
  dataDir: string;
  org: LocalOrganization;
  scimPath: string;
  adminPath: string;
  orgMount: string;
  token?: string;
  origin: 'environment' | 'generated' | 'stored';
  /** The policy file as checked before the start wrote anything. */
  policyFile: PolicyFileCheck;
  policies: PolicyFileOutcome;
  /** The policies in force once the file (if any) is applied, and where they come from. */
  inForce?: PoliciesInForce;
  /** The Atlassian connection in force, as the admin page shows it. */
  mode?: ForgeConnection.AtlassianConnectionView;
  /** What the token this start installed did to the others (for the banner). */
  tokenChange?: string;
  /** N ≥ 2: what happened to the connection in the installation's storage. */
  connection?: string;
}

/** Installation k: where its state lives, its environment, its site, its policy file (checked). */
function plan(k: number) {
  const dir = k === 1 ? dataDir : path.join(dataDir, 'installations', String(k));
  const site = k === 1 ? {} : { cloudId: cloudIdOf(k), siteUrl: `https://site-${k}.offline.atlassian.net` };
  const env =
    k === 1
      ? process.env
      : Object.fromEntries(
          Object.entries(process.env).filter(([name]) => !INSTALLATION_1_ONLY.includes(name)),
        );
  try {
    // The knobs are read again when the organization starts; a bad one refuses the start here.
    if (!externalOrgFromEnv(env)) embeddedOrgOptionsFromEnv(env);
  } catch (error) {
    throw new StartRefused(`${(error as Error).message} Nothing was written to DATA_DIR.`, 2);
  }
  const policyFile = checkPolicyFile(policyFilePath(k === 1 ? process.env : {}, dir));
  return { k, dir, env, site, policyFile };
}

/**
 * The token this start installed (SCIM_BEARER_TOKEN, or one generated by the first start or
 * `--new-token`) is the only one accepted from now on: any other, e.g. one generated on the
 * admin page, is revoked. An admin who sets the variable means that token; two would leave one
 * nobody remembers. The change goes to the sync log, as a revocation on the admin page does.
 */
async function logTokenChange(
  s: Served,
  before: TokenView[],
  after: TokenView[],
  write: (entry: LogEntryInput) => Promise<void>,
): Promise<string | undefined> {
  const revoked = before.filter((old) => !after.some((live) => live.id === old.id));
  const added = after.filter((live) => !before.some((old) => old.id === live.id));
  if (added.length === 0 && revoked.length === 0) return undefined;
  const why =
    s.origin === 'environment'
      ? 'SCIM_BEARER_TOKEN set for npm start'
      : before.length === 0
        ? 'first npm start'
        : 'npm start -- --new-token';
  const revokedText = revoked.map((token) => token.fingerprint).join(', ');
  await write({
    source: 'sync',
    operation: 'token',
    status: 'ok',
    why,
    result: `token ${added.map((token) => token.fingerprint).join(', ')} is the only one accepted${
      revoked.length > 0 ? `; revoked ${revokedText} (refused with 401 from now on)` : ''
    }`,
  });
  return revoked.length > 0
    ? `(${why}: it replaced ${revoked.length === 1 ? 'token' : 'tokens'} ${revokedText}, now refused; see npm run log)`
    : undefined;
}

async function main(): Promise<void> {
  // The network fetch, before the runtime wraps it with its egress guard.
  const realFetch = globalThis.fetch;
  const several = installationCount > 1;

  // First whatever can refuse the start, before anything is written to DATA_DIR: a failed
  // start leaves it as it found it (start-checks.ts). The policy files and the knobs...
  const plans = Array.from({ length: installationCount }, (_, i) => plan(i + 1));
  for (const { k, policyFile } of plans) {
    if (policyFile.kind !== 'invalid') continue;
    const which = several ? ` (installation ${k})` : '';
    throw new StartRefused(
      [
        `Policies file ${policyFile.file}${which} is not valid; nothing was applied and DATA_DIR is unchanged. Fix these and start again (or unset POLICIES_FILE):`,
        ...policyFile.lines.map((line) => `  ${line}`),
      ].join('\n'),
      2,
    );
  }
  // ...then the directory, held by this server alone (data-dir-lock.ts)...
  const claim = claimDataDir(dataDir);
  // ...and the port (requests before the app is ready are answered 503, to be retried).
  const server = http.createServer(startingListener);
  let base: string;
  try {
    base = `http://127.0.0.1:${await listen(server, port)}`;
  } catch (error) {
    claim.abandon();
    throw error;
  }
  claim.lock.describe(base);

  const served: Served[] = [];
  for (const { k, dir, env, site, policyFile } of plans) {
    // One installation: before the app loads, as it reads the connection from ATLASSIAN_ORG_*
    // as Forge variables. Several: nothing is published (see the header).
    const org = startLocalOrganization({
      env,
      dataDir: dir,
      ...site,
      ...(several ? { publish: false } : {}),
    });
    const runtime = new ForgeRuntime({
      root: ROOT,
      dataDir: dir,
      log: logger(several ? `[${k}]` : ''),
      warn: (message) => console.warn(`forge runtime${several ? ` [${k}]` : ''}: ${message}`),
      external: org.embedded
        ? embeddedOrgBackend(org.embedded)
        : embeddedSiteBackend(org.site, httpBackend(realFetch)),
      // api.asApp()/asUser().requestJira reach the installation's local Jira site (the admin
      // check of every admin resolver among them), whichever organization is provisioned.
      products: embeddedSiteProducts(org.site),
      extraEgress: org.extraEgress,
      installation: { license: offlineLicense(licence), ...site },
    }).install();
    runtime.setBaseUrl(base);
    const prefix = k === 1 ? '' : `/installations/${k}`;
    served.push({
      k,
      runtime,
      dataDir: dir,
      org,
      scimPath: `${prefix}${SCIM_BASE_PATH}`,
      adminPath: `${prefix}${ADMIN_PAGE_PATH}`,
      orgMount: `${prefix}${EMBEDDED_ORG_MOUNT}`,
      origin: 'stored',
      policyFile,
      policies: { kind: 'none' },
    });
  }
  const first = served[0].runtime;
  // Only now, with the Forge globals in place, load what ships (it builds its app on import).
  // Node's module cache: every installation runs the same loaded modules, as on Forge.
  const forge = await first.loadModule<typeof ForgeEntryPoints>('forge/index');
  const tokens = await first.loadModule<typeof ForgeTokens>('forge/tokens');
  const policyStore = await first.loadModule<typeof ForgePolicyStore>('forge/policy-store');
  const connections = await first.loadModule<typeof ForgeConnection>('forge/atlassian-connection');
  const { SyncLog } = await first.loadModule<typeof SyncLogModule>('sync/log');
  const { ForgeEntityStore } = await first.loadModule<typeof KvsStore>('forge/kvs-store');
  // On a cold start (the first after a clone or an edit) tsx compiled the modules its cache
  // lacked with esbuild's synchronous API, which starts a worker thread and an esbuild service
  // process and keeps both for the rest of the run: about 30 MB a server that has loaded its
  // code never uses again. They are stopped (a later compile starts them again; the service,
  // left without its worker, stays as a `<defunct>` entry until npm start exits: no memory).
  // No-op on a warm start, when tsx compiled nothing.
  await stopEsbuild();

  for (const s of served) {
    const { runtime } = s;
    runtime.webTriggerPaths[forge.SCIM_TRIGGER_KEY] = s.scimPath;
    // Set-up outside any invocation: run in the installation's name, so its storage is used.
    await runtime.run(async () => {
      if (several) s.connection = await storeConnection(connections, s.org);

      // The policy file, checked above, through the storage the savePolicies resolver uses.
      if (s.policyFile.kind === 'valid') {
        s.policies = await applyPolicyFile(s.policyFile.file, policyStore.applyPolicies);
      }
      s.inForce = await policyStore.readPolicies();
      s.mode = await connections.getAtlassianConnection();

      // The bearer token lives where it does on Forge: its hash in a kvs secret. Made last,
      // just before the banner prints it: a start that fails earlier leaves no unseen token.
      const before = await tokens.listTokens();
      const fixed = s.k === 1 ? process.env.SCIM_BEARER_TOKEN : undefined;
      if (fixed) {
        await tokens.installToken(fixed);
        [s.token, s.origin] = [fixed, 'environment'];
      } else if (process.argv.includes('--new-token') || before.length === 0) {
        [s.token, s.origin] = [await tokens.rotateToken(), 'generated'];
      }
      if (s.token)
        s.tokenChange = await logTokenChange(s, before, await tokens.listTokens(), (entry) =>
          new SyncLog(new ForgeEntityStore()).write(entry),
        );
    });
  }

  const mounts: Mount[] = [];
  for (const s of served) {
    const { embedded, site } = s.org;
    // The embedded organization: its admin API and its site. Another organization: only the
    // installation's local site (its admin API is elsewhere).
    mounts.push({
      prefix: embedded ? s.orgMount : `${s.orgMount}${SITE_PREFIX}`,
      serve: (request, response) => serveEmbeddedOrg(site, request, response, s.orgMount),
    });
  }
  // The admin page in a browser, as the org's admin (src/local/admin-host); one per
  // installation, sharing the first one's bundles (the same app).
  const adminPages: ReturnType<typeof adminPageMount>[] = [];
  for (const s of served) {
    adminPages.push(
      adminPageMount(s.runtime, {
        root: ROOT,
        accountId: localAdminAccountId(s.org.site),
        path: s.adminPath,
        ...(adminPages[0] ? { bundles: adminPages[0].bundles } : {}),
      }),
    );
  }
  mounts.push(...adminPages);
  const routes: ScimRoute[] = served.map((s) => ({
    basePath: s.scimPath,
    handle: (event) => s.runtime.invokeWebTrigger(forge.SCIM_TRIGGER_KEY, event),
  }));
  server.off('request', startingListener);
  server.on('request', localRequestListener(routes, mounts));
  const maintenance = setInterval(() => {
    for (const s of served) s.runtime.store.maintain();
  }, 60_000);
  maintenance.unref();

  for (const s of served) {
    s.runtime.start();
    // Jobs left by an earlier run (a group deleted just before a crash) are finished now, as
    // the sweep does about five minutes after a deploy on Forge.
    void s.runtime.fireScheduledTrigger('directory-sweep');
  }
  for (const s of served) {
    const lines = banner(s, base, forge.SCIM_TRIGGER_KEY);
    if (!several) {
      for (const line of lines) console.log(line);
      continue;
    }
    const { siteUrl, cloudId } = s.runtime.installation;
    console.log(`Installation ${s.k} (${new URL(siteUrl).host}, cloud ${cloudId})`);
    for (const line of lines) console.log(`  ${line}`);
  }
  if (several) console.log(`Serving ${served.length} installations; Ctrl-C stops them all.`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second Ctrl-C: what was answered is on disk already (the store answers nothing
      // before it is), so leaving now loses no acknowledged write.
      console.log(`${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    console.log(`${signal}: stopping (running syncs get ${STOP_GRACE_MS / 1000} s to finish)`);
    clearInterval(maintenance);
    server.close(() => {
      // Waits for running invocations (a consumer run may take minutes: it is given a few
      // seconds, and its work stays queued), then folds each journal into a snapshot.
      void Promise.all(served.map((s) => s.runtime.stop({ graceMs: STOP_GRACE_MS })))
        .then((stopped) => {
          const abandoned = stopped.reduce((n, s) => n + s.abandoned, 0);
          if (abandoned > 0) {
            console.log(
              `${abandoned} sync run(s) stopped mid-way; their work stays queued and resumes at the next start.`,
            );
          }
        })
        .finally(() => Promise.allSettled(adminPages.map((page) => page.close())))
        .finally(() => {
          for (const s of served) s.org.site.close();
        })
        .finally(() => process.exit(0));
    });
    server.closeAllConnections();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** The banner lines of one installation (the whole banner when it is the only one). */
function banner(s: Served, base: string, triggerKey: string): string[] {
  const lines: string[] = [];
  const embedded = s.org.embedded;
  if (embedded) {
    lines.push(`Atlassian org: ${embedded.orgId} (embedded: ${base}${s.orgMount}/admin)`);
    lines.push(`Org API key:   ${embedded.apiKey}`);
    lines.push(
      `Jira site:     ${embedded.meta.siteUrl} (embedded: ${base}${s.orgMount}/site), ${SEED_ACCOUNTS.admin} / API token ${embedded.siteApiToken}`,
    );
  } else {
    lines.push(`Atlassian org: ${s.org.connection.orgId} at ${s.org.connection.baseUrl} (ATLASSIAN_ORG_*)`);
    lines.push(
      `Jira site:     ${s.org.site.meta.siteUrl} (local: ${base}${s.orgMount}${SITE_PREFIX}), the installation's site; it answers the admin page's admin check for ${SEED_ACCOUNTS.admin}`,
    );
  }
  if (s.connection) lines.push(`Connection:    ${s.connection}`);
  if (s.mode) lines.push(modeBanner(s.mode));
  lines.push(`SCIM base URL: ${s.runtime.webTriggerUrl(triggerKey)}`);
  lines.push(`Admin page:    ${base}${s.adminPath}`);
  if (s.token) {
    lines.push(`Bearer token:  ${s.token}`);
    if (s.origin === 'generated') lines.push('(shown once: only its hash is kept in DATA_DIR)');
    if (s.origin === 'environment' && installationCount > 1)
      lines.push('(SCIM_BEARER_TOKEN: installation 1 only; the others have their own)');
  } else {
    lines.push('Bearer token:  unchanged (stored only as a hash; `npm start -- --new-token` replaces it)');
  }
  if (s.tokenChange) lines.push(s.tokenChange);
  if (s.inForce)
    lines.push(...policiesBanner(s.inForce, s.policies.kind === 'applied' ? s.policies.file : undefined));
  lines.push(`Data:          ${s.dataDir}`);
  return lines;
}

/**
 * Several installations: the installation's organization saved in its own storage, as its
 * admin page saves it (Forge variables would be every installation's). A connection to
 * another organization saved there on the admin page is kept. Run in the installation's name.
 */
async function storeConnection(connections: typeof ForgeConnection, org: LocalOrganization): Promise<string> {
  const site = process.env.ATLASSIAN_MODE?.trim() === 'site' && org.embedded;
  const saved = await connections.getAtlassianConnection();
  const target = site ? new URL(org.embedded!.meta.siteUrl).origin : org.connection.orgId;
  const savedTarget = saved.mode === 'site' ? saved.siteUrl : saved.orgId;
  if (saved.source === 'admin' && savedTarget !== target) {
    return `kept the one saved on the admin page (${saved.mode} ${savedTarget ?? '?'})`;
  }
  if (site) {
    await connections.saveAtlassianConnection({
      mode: 'site',
      siteUrl: target,
      email: SEED_ACCOUNTS.admin,
      apiToken: org.embedded!.siteApiToken,
    });
    return `site admin ${SEED_ACCOUNTS.admin} on ${target}, saved in this installation's storage`;
  }
  const { orgId, apiKey, baseUrl, directoryId } = org.connection;
  await connections.saveAtlassianConnection({
    mode: 'org',
    orgId,
    apiKey,
    baseUrl,
    ...(directoryId ? { directoryId } : {}),
  });
  return `org ${orgId}, saved in this installation's storage`;
}

main().catch((error: unknown) => {
  // A refusal the admin can fix is one line (or the policy file's problems); anything else is a bug.
  if (error instanceof StartRefused) {
    console.error(error.message);
    process.exit(error.exitCode);
  }
  console.error(error);
  process.exit(1);
});
