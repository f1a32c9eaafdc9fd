/**
 * What the user-policy tests share: policies as an admin would set them (the defaults with a
 * few choices changed), the identity providers' ways of deactivating, reactivating and
 * changing a user, and the organization's product-access groups set up through its REST API.
 */
import type { AtlassianPort } from '../../src/atlassian/port';
import { DEFAULT_POLICIES, Policies } from '../../src/policies/policies';
import type { LogEntry, LogStatus } from '../../src/sync/log';
import { client } from '../embedded-org/helpers';
import type { World } from './support';

type Choices = { [K in keyof Policies]?: Partial<Policies[K]> };

/** The defaults with these choices changed (each section merged, as the admin page saves). */
export function policiesWith(choices: Choices): Policies {
  const policies = structuredClone(DEFAULT_POLICIES) as Policies;
  for (const [section, values] of Object.entries(choices)) {
    const key = section as keyof Policies;
    const current = policies[key];
    (policies as unknown as Record<string, unknown>)[key] =
      typeof current === 'object' && current !== null ? { ...current, ...(values as object) } : values;
  }
  return policies;
}

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTRA = { 'User-Agent': 'Azure Active Directory SCIM client' };
const OKTA = { 'User-Agent': 'Okta SCIM Client 1.0.0' };

async function ok(status: Promise<{ status: number }>): Promise<void> {
  expect([200, 204]).toContain((await status).status);
}

/** Entra ID: POST with its enterprise schema. */
export async function entraCreate(world: World, email: string): Promise<string> {
  const given = email.split('@')[0];
  const response = await world.scim(
    'POST',
    '/Users',
    {
      schemas: [USER_SCHEMA, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      externalId: given,
      userName: email,
      active: true,
      displayName: given,
      emails: [{ primary: true, type: 'work', value: email }],
      name: { formatted: given, givenName: given, familyName: 'Test' },
    },
    ENTRA,
  );
  expect(response.status).toBe(201);
  return response.body.id;
}

/** Entra ID: PATCH active with its string booleans ("False" / "True"). */
export function entraSetActive(world: World, id: string, active: boolean): Promise<void> {
  return ok(
    world.scim(
      'PATCH',
      `/Users/${id}`,
      { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: active ? 'True' : 'False' }] },
      ENTRA,
    ),
  );
}

/** Entra ID: a new e-mail, PATCHed on the primary work address. */
export function entraChangeEmail(world: World, id: string, email: string): Promise<void> {
  return ok(
    world.scim(
      'PATCH',
      `/Users/${id}`,
      {
        schemas: [PATCH],
        Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: email },
          { op: 'Replace', path: 'userName', value: email },
        ],
      },
      ENTRA,
    ),
  );
}

export function entraDelete(world: World, id: string): Promise<void> {
  return ok(world.scim('DELETE', `/Users/${id}`, undefined, ENTRA));
}

/** Okta: a full PUT of the user (its deactivation sends active false this way). */
export async function oktaPut(world: World, id: string, email: string, active: boolean): Promise<void> {
  await ok(
    world.scim(
      'PUT',
      `/Users/${id}`,
      {
        schemas: [USER_SCHEMA],
        id,
        userName: email,
        name: { givenName: 'Okta', familyName: 'User' },
        emails: [{ primary: true, value: email, type: 'work' }],
        displayName: 'Okta User',
        active,
      },
      OKTA,
    ),
  );
}

/** Okta (PATCH mode): active, or a new userName and e-mail, with a PatchOp. */
export function oktaPatch(world: World, id: string, value: Record<string, unknown>): Promise<void> {
  return ok(
    world.scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value }] }, OKTA),
  );
}

/** A group in Atlassian whose members get `product` (atlassian/user on its workspace). */
export async function productGroup(world: World, name: string, product: string): Promise<string> {
  const api = client(world.org);
  expect((await api.call('POST', `${api.d}/groups`, { name })).status).toBe(201);
  const groupId = (await api.groupOf(name)) as string;
  const workspaces = await api.call('POST', `${api.o}/workspaces`, {});
  const workspace = (workspaces.body.data as { id: string; attributes: { typeKey: string } }[]).find(
    (w) => w.attributes.typeKey === product,
  );
  expect(workspace).toBeDefined();
  const grant = await api.call('POST', `${api.d}/groups/${groupId}/role-assignments/assign`, {
    resourceId: workspace?.id,
    roleId: 'atlassian/user',
  });
  expect(grant.status).toBe(204);
  return groupId;
}

/** A plain group in Atlassian (no product access), made by an admin. */
export async function plainGroup(world: World, name: string): Promise<string> {
  const api = client(world.org);
  expect((await api.call('POST', `${api.d}/groups`, { name })).status).toBe(201);
  return (await api.groupOf(name)) as string;
}

/** An admin's change in Atlassian by hand: suspend or restore, add or remove a membership. */
export async function byHand(
  world: World,
  change:
    | { suspend: string }
    | { restore: string }
    | { add: string; to: string }
    | { remove: string; from: string },
): Promise<void> {
  const api = client(world.org);
  const account = async (email: string) => (await api.accountOf(email)) as string;
  let answer;
  if ('suspend' in change) {
    answer = await api.call('POST', `${api.d}/users/${await account(change.suspend)}/suspend`, {});
  } else if ('restore' in change) {
    answer = await api.call('POST', `${api.d}/users/${await account(change.restore)}/restore`, {});
  } else if ('add' in change) {
    const group = (await api.groupOf(change.to)) as string;
    answer = await api.call('POST', `${api.d}/groups/${group}/memberships`, {
      accountId: await account(change.add),
    });
  } else {
    const group = (await api.groupOf(change.from)) as string;
    answer = await api.call('DELETE', `${api.d}/groups/${group}/memberships/${await account(change.remove)}`);
  }
  expect(answer.status).toBe(204);
}

/** The sync log of one resource (all statuses, or one), oldest first. */
export async function logOf(world: World, resource: string, status?: LogStatus): Promise<LogEntry[]> {
  const page = await world.app.sync.log.query({ resource, ...(status ? { status } : {}), limit: 100 });
  return [...page.entries].reverse();
}

/** How many requests of this method and path the organization answered (faults included). */
export function requests(world: World, method: string, path: RegExp): number {
  return world.org.calls.filter((c) => c.method === method && path.test(c.path)).length;
}

export const INVITES = /\/users\/invite$/;
export const ROLE_CHECKS = /\/users\/[^/]+\/role-assignments$/;

/** Counts the worker's Atlassian calls. */
export function counter() {
  let calls = 0;
  const wrapPort = (port: AtlassianPort): AtlassianPort =>
    new Proxy(port, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return { wrapPort, calls: () => calls };
}
