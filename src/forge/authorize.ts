/**
 * Who may call the admin resolvers: site and product admins only. Forge shows the admin page
 * only to admins, but a resolver is an HTTP endpoint any signed-in user of the site could
 * invoke, so every resolver checks again on the server, as the calling user:
 * `GET /rest/api/3/mypermissions?permissions=ADMINISTER` (the global "Administer Jira"
 * permission, which site admins and Jira admins hold), through `asUser()`, so the answer is
 * Jira's, about the invoking account, not something the browser claims.
 *
 * Only a positive answer is cached, per function instance and for one minute: a user just
 * made admin gets in at once, one just demoted keeps access for at most a minute. The cache is
 * the installation's own: account IDs are the same on every site, and an admin of one
 * customer's site may be nobody on another's.
 */
import api, { NeedsAuthenticationError, route } from '@forge/api';
import { makeResolver } from '@forge/resolver';
import type { Handlers } from '@forge/resolver';
import { perInstallation } from './installation';

/**
 * A refusal the admin page shows as it is: not an admin, a third token, an unknown token...
 * Its message is written for the admin and never holds a secret.
 */
export class AdminRefusal extends Error {
  override readonly name = 'AdminRefusal';
}

const ADMIN_CACHE_MS = 60_000;
const adminsOfInstallation = perInstallation(() => new Map<string, number>());

interface MyPermissions {
  permissions?: Record<string, { havePermission?: boolean } | undefined>;
}

/** Throws AdminRefusal unless the invoking account is a site or Jira admin. */
export async function requireAdmin(accountId: unknown): Promise<void> {
  if (typeof accountId !== 'string' || accountId === '') {
    throw new AdminRefusal(
      'Only site and product admins can use this page, and no signed-in user made this call.',
    );
  }
  const admins = adminsOfInstallation();
  const checkedAt = admins.get(accountId);
  if (checkedAt !== undefined && Date.now() - checkedAt < ADMIN_CACHE_MS) return;
  let response: Awaited<ReturnType<ReturnType<typeof api.asUser>['requestJira']>>;
  try {
    response = await api.asUser().requestJira(route`/rest/api/3/mypermissions?permissions=ADMINISTER`, {
      headers: { Accept: 'application/json' },
    });
  } catch (error) {
    // The user has not yet allowed the app to act for them: Forge answers this error with its
    // consent prompt, so it must reach the page as it is.
    if (error instanceof NeedsAuthenticationError) throw error;
    throw new AdminRefusal(`Could not check that you are an admin (${String(error)}); try again.`);
  }
  if (response.status === 401 || response.status === 403) {
    throw new AdminRefusal(
      `Only site and product admins can use this page: Jira does not know your account on this site (${response.status}).`,
    );
  }
  if (!response.ok) {
    throw new AdminRefusal(
      `Could not check that you are an admin: Jira answered ${response.status} to the permission check; try again.`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as MyPermissions;
  if (body.permissions?.ADMINISTER?.havePermission !== true) {
    admins.delete(accountId);
    throw new AdminRefusal(
      'Only site and product admins can use this page: your account is not an admin of this site.',
    );
  }
  admins.set(accountId, Date.now());
}

/** What `makeResolver` takes its handlers' types from (@forge/resolver's `Definitions`). */
type Definitions = Record<string, (input: never) => unknown>;

/**
 * Marks handler objects adminOnly made, the only ones makeAdminResolver accepts: a symbol,
 * not a key `makeResolver` sees (it reads Object.keys), and no module state.
 */
const GUARDED = Symbol('adminOnly');

/**
 * Every handler, each first checking that its caller is an admin. The result has no
 * prototype, so nothing but the handlers given is a key of it.
 */
export function adminOnly<H extends Handlers<Definitions>>(handlers: H): H {
  const guarded: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, handler] of Object.entries(handlers)) {
    guarded[key] = async (request: Parameters<typeof handler>[0]) => {
      await requireAdmin(request.context?.accountId);
      return handler(request);
    };
  }
  Object.defineProperty(guarded, GUARDED, { value: true });
  return guarded as H;
}

type ResolverDefinitions = ReturnType<typeof makeResolver>;

/**
 * The admin page's resolver (the function `resolver.function` names in manifest.yml): only
 * the handlers given, which must come from adminOnly, so each is behind the admin check.
 *
 * `makeResolver` copies the handlers into an object of its own with Object.prototype and finds
 * the invoked key with `in`, so `constructor`, `toString`, `hasOwnProperty`... would be found
 * and run for whoever can invoke the page's resolver (any signed-in user of the site), with
 * no admin check. A key that is not one of the handlers' own is refused before it gets there.
 */
export function makeAdminResolver<D extends Definitions>(handlers: Handlers<D>): ResolverDefinitions {
  if ((handlers as { [GUARDED]?: unknown })[GUARDED] !== true) {
    throw new Error('The admin resolver takes handlers from adminOnly, so each checks its caller first.');
  }
  const own = new Set(Object.keys(handlers));
  const definitions = makeResolver<D>(handlers);
  return (payload, backendRuntimePayload) => {
    const key: unknown = payload?.call?.functionKey;
    if (typeof key !== 'string' || !own.has(key)) {
      const shown = typeof key === 'string' ? key.slice(0, 80) : String(key);
      return Promise.reject(new Error(`The admin resolver has no function "${shown}".`));
    }
    return definitions(payload, backendRuntimePayload);
  };
}
