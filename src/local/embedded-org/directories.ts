/** The organization (`GET /v1/orgs`) and its directory (`GET /v2/orgs/{orgId}/directories`). */
import { decodeCursor, DEFAULT_LIMITS, paginate, pageLimit } from './paging';
import { Context, ok, optionalString, optionalStrings, queryAsBody } from './request';
import type { OrganizationState } from './state';
import type { OrgResponse } from './types';

export function listOrgs(org: OrganizationState): OrgResponse {
  const { orgId, orgName } = org.meta;
  const base = org.publicBaseUrl;
  return ok({
    data: [
      {
        id: orgId,
        type: 'orgs',
        attributes: { name: orgName },
        relationships: {
          domains: { links: { related: `${base}/v1/orgs/${orgId}/domains` } },
          users: { links: { related: `${base}/v1/orgs/${orgId}/users` } },
        },
        links: { self: `${base}/v1/orgs/${orgId}` },
      },
    ],
    links: { self: `${base}/v1/orgs` },
  });
}

export function listDirectories(org: OrganizationState, ctx: Context): OrgResponse {
  const cursor = ctx.query.get('cursor') ?? undefined;
  const state = cursor
    ? decodeCursor(cursor, 'directories', '')
    : {
        op: 'directories',
        dir: '',
        q: queryAsBody(ctx.query, ['directoryIds']),
        limit: pageLimit(ctx.query.get('limit'), DEFAULT_LIMITS.other),
      };
  const q = state.q;
  const { directoryId, directoryName } = org.meta;
  const ids = optionalStrings(q, 'directoryIds');
  const term = optionalString(q, 'searchTerm')?.toLowerCase();
  const accountId = optionalString(q, 'accountId');
  const keep =
    (!ids || ids.includes(directoryId)) &&
    (!term || directoryName.toLowerCase().includes(term)) &&
    (!accountId || (org.store.get('users', accountId)?.membership ?? 'none') !== 'none');
  const directories = keep
    ? [{ directoryId, name: directoryName, icon: 'https://admin.atlassian.com/icons/directory.svg' }]
    : [];
  const page = paginate(directories, (d) => [d.directoryId], false, state, cursor);
  return ok({ data: page.data, links: page.links });
}
