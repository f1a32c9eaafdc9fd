/**
 * Forge entry points (manifest.yml `function` handlers). The only module, with its
 * siblings in forge/, that imports Forge runtime packages.
 */
import { webTrigger } from '@forge/api';
import { Queue } from '@forge/events';
import { makeResolver } from '@forge/resolver';
import { createApp } from '../app';
import type { WebTriggerEvent } from '../webtrigger/event';
import type { AdminApi } from './admin-api';
import { ForgeEntityStore } from './kvs-store';
import { forgeTokens, hasToken, rotateToken } from './tokens';

export const SCIM_TRIGGER_KEY = 'scim-endpoint';
const jobsQueue = new Queue({ key: 'directory-jobs' });

// The trigger URL is stable for an installation: look it up once per function instance.
let triggerUrl: Promise<string> | undefined;
const scimBaseUrl = () => {
  triggerUrl ??= webTrigger.getUrl(SCIM_TRIGGER_KEY).catch((error: unknown) => {
    triggerUrl = undefined;
    throw error;
  });
  return triggerUrl;
};

const app = createApp({
  store: new ForgeEntityStore(),
  tokens: forgeTokens,
  baseUrl: scimBaseUrl,
  onJobsPending: () => {
    jobsQueue.push({ body: { reason: 'jobs-pending' } }).catch((error: unknown) => {
      // The hourly sweep picks the job up anyway.
      console.warn('Could not queue background jobs', String(error));
    });
  },
});

/** The web trigger: the SCIM base URL. */
export const scim = (event: WebTriggerEvent) => app.handleWebTrigger(event);

/**
 * Background jobs (membership purges), within the 900 s these functions may run: the queue
 * consumer runs them when a request queued one, the hourly sweep catches any it missed.
 */
const runPendingJobs = async () => {
  await app.directory.jobs.runPending(Date.now() + 840_000);
};
export const jobs = runPendingJobs;
export const sweep = runPendingJobs;

/** Resolvers of the admin page. */
export const adminResolver = makeResolver<AdminApi>({
  getStatus: async () => ({
    scimBaseUrl: await scimBaseUrl(),
    tokenConfigured: await hasToken(),
    users: await app.directory.users.total(),
    groups: await app.directory.groups.total(),
  }),
  rotateToken: async () => ({ token: await rotateToken() }),
});
