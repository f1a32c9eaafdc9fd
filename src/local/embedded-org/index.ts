/** The embedded Atlassian organization (see organization.ts). Local runs and tests only. */
export { EmbeddedOrganization } from './organization';
export type { CallRecord } from './organization';
export type { EmbeddedOrgOptions } from './options';
export { DEFAULT_LIMITS } from './paging';
export { DEFAULT_VERIFIED_DOMAINS, PROTECTED_GROUPS, SEED_ACCOUNTS } from './seed';
export { ROUTES } from './routes';
export { errorResponse } from './errors';
export { FAULT_KINDS, FaultPlan, RateLimiter } from './faults';
export { seededRandom } from '../seeded-random';
export type { FaultKind, FaultMatch, FaultOptions } from './faults';
export {
  ATLASSIAN_API_HOST,
  EMBEDDED_ORG_MOUNT,
  embeddedOrgBackend,
  embeddedOrgFetch,
  embeddedSiteBackend,
  embeddedSiteFetch,
  embeddedSiteProducts,
  httpBackend,
  serveEmbeddedOrg,
  siteHost,
} from './transport';
export { handleSiteRequest, jiraError, SITE_OPERATIONS, SITE_PREFIX } from './site-api';
export type { SiteState } from './site-api';
export {
  DEFAULT_API_BASE,
  embeddedOrgConnection,
  embeddedOrgOptionsFromEnv,
  externalOrgFromEnv,
  LOCAL_SITE_DIR,
  startLocalOrganization,
} from './connection';
export type { LocalOrganization, OrgConnection } from './connection';
export type { OrgRequest, OrgResponse, UserRecord, GroupRecord, WorkspaceRecord } from './types';
