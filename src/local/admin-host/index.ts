/**
 * The admin page in a real browser, locally: `GET /admin` serves the page shell
 * (static/admin/index.html), its assets (the host and the app's bundle, see bundle.ts), and
 * `POST /admin/bridge` answers the page's bridge calls as a product does: `invoke` runs the
 * UI module's resolver through the offline Forge runtime, as the local admin, with the
 * module's context. The page's UI tree never leaves the browser.
 *
 * With several installations served (`npm start -- --installations N`), each has its own
 * page under its own path (`/installations/k/admin`): the shell's asset links are rewritten
 * to that path, and the host (static/admin/host/bridge.ts) calls the bridge beside the page it
 * is on. The pages can share one set of bundles, since every installation runs the same app.
 */
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { SEED_ACCOUNTS, type EmbeddedOrganization } from '../embedded-org';
import type { ForgeRuntime } from '../forge-runtime';
import { answerHostCommand, HOST_COMMANDS } from '../forge-runtime/ui-host';
import type { Mount } from '../server';
import { bridgeRefusal, refusal } from './access';
import { AdminBundles, createAdminBundles } from './bundle';

export { createAdminBundles } from './bundle';
export type { AdminBundles } from './bundle';

export const ADMIN_PAGE_PATH = '/admin';
/** A bridge call's body: Forge's invoke payload limit, plus room for the envelope. */
const MAX_BRIDGE_BYTES = 5 * 1024 * 1024 + 1024;

export interface AdminPageOptions {
  /** The project root: static/ is read from here. */
  root: string;
  /** Whose page this is: the resolvers run as this account (a site admin of the org). */
  accountId: string;
  /** The UI module shown by default (`?module=<key>` picks another); the first in the manifest. */
  moduleKey?: string;
  /** The page's code, instead of the module's resource (tests: a page using every component). */
  appEntry?: string;
  /** Where the page is served (default /admin): another installation's page, e.g. /installations/2/admin. */
  path?: string;
  /** Bundles shared with other pages of the same app (they are then not disposed by close()). */
  bundles?: AdminBundles;
}

/** Headers every answer carries: nothing cached (bridge answers carry a new token once), no framing. */
const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  // Inline styles: ADS components and the theme inject theirs at run time.
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
};

export function adminPageMount(
  runtime: ForgeRuntime,
  options: AdminPageOptions,
): Mount & { close(): Promise<void>; bundles: AdminBundles } {
  const modules = runtime.manifest.uiModules;
  const defaultModule = options.moduleKey ?? modules[0]?.key;
  if (!defaultModule) throw new Error('manifest.yml declares no UI module to show at /admin.');
  const prefix = (options.path ?? ADMIN_PAGE_PATH).replace(/\/+$/, '');
  const bundles =
    options.bundles ??
    createAdminBundles({
      root: options.root,
      appEntry: options.appEntry ?? runtime.resourceFile(defaultModule),
    });
  const staticDir = path.join(options.root, 'static/admin');
  const rebased = prefix !== ADMIN_PAGE_PATH;

  const serve = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    const refused = refusal(request);
    if (refused) return send(response, 403, 'text/plain; charset=utf-8', `${refused}\n`);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const route = url.pathname.slice(prefix.length).replace(/^\/+/, '');
    const moduleKey = url.searchParams.get('module') ?? defaultModule;

    if (route === 'bridge') {
      const notAllowed = bridgeRefusal(request);
      if (notAllowed) return sendJson(response, 403, { error: notAllowed });
      if (!modules.some((m) => m.key === moduleKey))
        return sendJson(response, 404, { error: `No UI module ${moduleKey} in manifest.yml.` });
      return bridge(runtime, { moduleKey, accountId: options.accountId }, request, response);
    }
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return send(response, 405, 'text/plain; charset=utf-8', 'GET only.\n');
    if (route === '') {
      bundles.rebuild();
      const html = await readFile(path.join(staticDir, 'index.html'));
      return send(response, 200, 'text/html; charset=utf-8', rebased ? rebaseShell(html, prefix) : html);
    }
    if (route === 'assets/admin.css') {
      return send(
        response,
        200,
        'text/css; charset=utf-8',
        await readFile(path.join(staticDir, 'admin.css')),
      );
    }
    if (route.startsWith('assets/')) {
      const name = route.slice('assets/'.length);
      try {
        const asset = await bundles.asset(name);
        if (asset) return send(response, 200, asset.contentType, asset.body);
      } catch (error) {
        return buildFailure(response, name, error);
      }
    }
    return send(response, 404, 'text/plain; charset=utf-8', `Not found. The admin page is ${prefix}.\n`);
  };

  return {
    prefix,
    title: 'Admin page',
    serve,
    bundles,
    close: () => (options.bundles ? Promise.resolve() : bundles.dispose()),
  };
}

/** The page shell (static/admin/index.html) with its /admin links under `prefix`. */
function rebaseShell(html: Buffer, prefix: string): string {
  return html.toString('utf8').replaceAll(`"${ADMIN_PAGE_PATH}/`, `"${prefix}/`);
}

async function bridge(
  runtime: ForgeRuntime,
  page: { moduleKey: string; accountId: string },
  request: http.IncomingMessage,
  response: http.ServerResponse,
): Promise<void> {
  const body = await readBody(request);
  if (body === undefined)
    return sendJson(response, 413, { error: 'The call is larger than the 5 MB Forge allows.' });
  let call: { command?: unknown; data?: unknown };
  try {
    call = JSON.parse(body) as typeof call;
  } catch {
    return sendJson(response, 400, { error: 'The bridge call is not JSON.' });
  }
  const command = String(call?.command);
  if (!(HOST_COMMANDS as readonly string[]).includes(command))
    return sendJson(response, 400, { error: `The server does not answer the bridge command "${command}".` });
  const data = call.data && typeof call.data === 'object' ? (call.data as Record<string, unknown>) : {};
  try {
    const result = await answerHostCommand(runtime, page, command, data);
    return sendJson(response, 200, { result });
  } catch (error) {
    // As on Forge, a resolver that throws rejects the page's invoke() with the message.
    return sendJson(response, 200, { error: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * The page's code does not compile (an edit in progress): the script throws esbuild's message,
 * which the host shows at the top of the page, instead of a blank page and a 500.
 */
function buildFailure(response: http.ServerResponse, name: string, error: unknown): void {
  const message = `The admin page did not build: ${error instanceof Error ? error.message : String(error)}`;
  if (name.endsWith('.js'))
    return send(
      response,
      200,
      'text/javascript; charset=utf-8',
      `throw new Error(${JSON.stringify(message)});\n`,
    );
  return send(response, 200, 'text/css; charset=utf-8', `/* ${message.replace(/\*\//g, '* /')} */\n`);
}

function send(
  response: http.ServerResponse,
  status: number,
  contentType: string,
  body: string | Uint8Array,
): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': contentType });
  response.end(body);
}

function sendJson(response: http.ServerResponse, status: number, value: unknown): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value ?? null));
}

function readBody(request: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BRIDGE_BYTES) chunks.push(chunk);
    });
    request.on('end', () =>
      resolve(size > MAX_BRIDGE_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')),
    );
    request.on('error', reject);
  });
}

/**
 * Whose admin page it is: the site admin of the installation's local Jira site (the embedded
 * organization's, or the local site kept beside another organization), the account whose
 * permissions that site answers when a resolver checks that its caller is an admin.
 */
export function localAdminAccountId(site: EmbeddedOrganization): string {
  const admin = site.findUserByEmail(SEED_ACCOUNTS.admin);
  if (!admin) throw new Error(`The local Jira site has no ${SEED_ACCOUNTS.admin} to open the admin page as.`);
  return admin.accountId;
}
