/** Workspaces (`POST /v2/orgs/{orgId}/workspaces`): the site's products, queried and paged. */
import { badRequest } from './errors';
import { CursorState, decodeCursor, DEFAULT_LIMITS, pageLimit, paginate } from './paging';
import { Context, Json, ok, optionalString } from './request';
import type { OrganizationState } from './state';
import type { OrgResponse, WorkspaceRecord } from './types';

/**
 * Workspaces: body {query?, limit?, sort?, cursor?}; a cursor must come alone (400
 * otherwise). Queries: `{field:{name, values}}` on id, name, typeKey, type, status,
 * hostUrl; `{searchWorkspaces}` (partial name/URL); `and`, `nor`.
 */
export function queryWorkspaces(org: OrganizationState, ctx: Context): OrgResponse {
  const body = ctx.body();
  const cursor = optionalString(body, 'cursor');
  let state: CursorState;
  if (cursor) {
    if (Object.keys(body).some((k) => k !== 'cursor' && body[k] !== undefined && body[k] !== null)) {
      throw badRequest('When a cursor is given no other property may be sent.');
    }
    state = decodeCursor(cursor, 'workspaces', '');
  } else {
    const { limit, sort, query } = body;
    if (sort !== undefined && sort !== null && !Array.isArray(sort))
      throw badRequest('sort must be an array.');
    state = {
      op: 'workspaces',
      dir: '',
      q: { query: query ?? null, sort: sort ?? null },
      limit: pageLimit(limit, DEFAULT_LIMITS.users),
    };
  }
  const query = state.q.query;
  const sort = (state.q.sort as { field?: string; order?: string }[] | null)?.[0];
  const all = org.meta.workspaces.map((w) => workspaceJson(org, w));
  const matched = all.filter((w) => matchesWorkspaceQuery(query, w));
  const field = sort?.field ?? 'name';
  const valueOf = (w: Json): string => String((w.attributes as Json)[field] ?? w[field] ?? '');
  const page = paginate(
    matched,
    (w) => [valueOf(w).toLowerCase(), String(w.id)],
    sort?.order === 'desc',
    state,
    cursor,
  );
  const start = page.offset;
  // links.next is typed "URL to fetch the Next Page" (spec WorkspacePageLinks) while the body
  // takes a cursor: UNVERIFIED which the service answers, so either, drawn per page.
  const next =
    page.links.next && org.pagingRandom() < 0.5
      ? `${org.publicBaseUrl}/v2/orgs/${encodeURIComponent(org.meta.orgId)}/workspaces?cursor=${encodeURIComponent(page.links.next)}`
      : page.links.next;
  return ok({
    data: page.data,
    links: { self: page.links.self, prev: null, next },
    meta: {
      pageSize: state.limit,
      startIndex: page.data.length ? start : null,
      endIndex: page.data.length ? start + page.data.length - 1 : null,
      total: matched.length,
    },
  });
}

function workspaceJson(org: OrganizationState, w: WorkspaceRecord): Json {
  return {
    id: w.id,
    type: 'workspace',
    attributes: {
      name: w.name,
      typeKey: w.typeKey,
      type: w.typeKey,
      owner: org.meta.orgId,
      status: 'online',
      statusDetails: [],
      icons: {},
      avatars: {},
      labels: [],
      sandbox: { type: 'NONE' },
      usage: null,
      capacity: null,
      createdAt: w.createdAt,
      createdBy: null,
      updatedAt: null,
      hostUrl: w.hostUrl,
      realm: 'us',
      regions: ['us'],
    },
    links: { self: null },
    relationships: {},
  };
}

function matchesWorkspaceQuery(query: unknown, workspace: Json): boolean {
  if (query === undefined || query === null) return true;
  if (typeof query !== 'object' || Array.isArray(query)) throw badRequest('query must be an object.');
  const q = query as Json;
  if (Array.isArray(q.and)) return q.and.every((sub: unknown) => matchesWorkspaceQuery(sub, workspace));
  if (Array.isArray(q.nor)) return !q.nor.some((sub: unknown) => matchesWorkspaceQuery(sub, workspace));
  if (typeof q.searchWorkspaces === 'string' || typeof q.value === 'string') {
    const term = String(q.searchWorkspaces ?? q.value).toLowerCase();
    const attributes = workspace.attributes as Json;
    return [attributes.name, attributes.hostUrl].some((v) => String(v).toLowerCase().includes(term));
  }
  if (typeof q.field === 'object' && q.field !== null) {
    const { name, values } = q.field as { name?: unknown; values?: unknown };
    if (typeof name !== 'string' || !Array.isArray(values)) throw badRequest('field needs name and values.');
    const attributes = workspace.attributes as Json;
    const actual = name === 'id' ? workspace.id : attributes[name];
    return values.some((v) => String(v) === String(actual));
  }
  // features / policies filters: no workspace here has any.
  if (Array.isArray(q.features) || Array.isArray(q.policies)) return false;
  throw badRequest('Unsupported workspace query.');
}
