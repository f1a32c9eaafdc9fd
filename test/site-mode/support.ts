/**
 * The site-admin mode against the embedded organization's Jira site, in process: the real
 * site adapter and HTTP client, fetch answered by the organization's own `handle` under
 * /site (as the offline runtime's egress backend does for <site>.atlassian.net), every
 * request recorded for the contract test.
 */
import {
  appReadsClient,
  AppReadsPort,
  ProductFetch,
  SITE_MODE_APP_READS,
} from '../../src/atlassian/app-reads';
import type { FetchLike } from '../../src/atlassian/http-client';
import { createSiteAdminAdapter, SiteAdminAdapter } from '../../src/atlassian/site-adapter';
import {
  EmbeddedOrganization,
  embeddedSiteFetch,
  embeddedSiteProducts,
  SEED_ACCOUNTS,
} from '../../src/local/embedded-org';

export interface SentRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export const SITE = 'https://offline.atlassian.net';

/** Client settings for tests: no real waiting, a held call dropped well inside the timeout. */
export const FAST = {
  clock: { now: () => Date.now(), sleep: async () => undefined },
  random: () => 0.5,
  timeoutMs: 2_000,
};

export function siteAdapterFor(
  org: EmbeddedOrganization,
  options: { sent?: SentRequest[]; token?: string; email?: string; maxAttempts?: number } = {},
): SiteAdminAdapter {
  const answer = embeddedSiteFetch(org);
  const fetch: FetchLike = (url, init) => {
    options.sent?.push({
      method: init.method,
      url: new URL(url),
      headers: init.headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    return answer(url, init);
  };
  return createSiteAdminAdapter(
    {
      siteUrl: SITE,
      email: options.email ?? SEED_ACCOUNTS.admin,
      apiToken: options.token ?? org.siteApiToken,
    },
    { ...FAST, fetch, maxAttempts: options.maxAttempts ?? 3 },
  );
}

/** `api.asApp().requestJira` answered by the embedded site, as the offline runtime does. */
export function appProductFetch(org: EmbeddedOrganization, sent?: SentRequest[]): ProductFetch {
  const backend = embeddedSiteProducts(org);
  return (path, init) => {
    sent?.push({
      method: init.method,
      url: new URL(path, SITE),
      headers: init.headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    return backend({
      product: 'jira',
      provider: 'app',
      path,
      method: init.method,
      headers: new Headers(init.headers),
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
  };
}

/** The site adapter with its reads served as the app. */
export function sitePortWithAppReads(
  org: EmbeddedOrganization,
  options: { maxAttempts?: number } = {},
): AppReadsPort {
  return new AppReadsPort(
    siteAdapterFor(org, options),
    appReadsClient(appProductFetch(org), FAST),
    SITE_MODE_APP_READS,
  );
}
