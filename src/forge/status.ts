/**
 * The admin page's overview (`getStatus`): where the identity provider sends requests, the
 * live tokens, what is provisioned, what waits, what failed, when the identity provider last
 * called, and one health line. Every figure is read cheaply: counters for users and groups,
 * bounded index queries for pending marks and the day's failures (counting stops at
 * STATUS_COUNT_CAP and says so), the tokens' "last used" values for the last request.
 */
import type { App } from '../app';
import type { EntityStore } from '../storage/port';
import { SYNC_JOB } from '../sync/entities';
import { sliceGroup } from '../sync/member-slices';
import type { SyncJob } from '../sync/queue';
import type { RefusedCount } from '../sync/requests';
import type { AdminHealth, AdminLicence, AdminStatus, TokenView } from './admin-api';
import { credentialDaysLeft, EXPIRY_WARNING_DAYS } from './atlassian-connection';
import { lastRequestAt } from './tokens';

const DAY_MS = 24 * 3600_000;
/** Counting pending marks and failures stops here (five index pages): "500 or more". */
export const STATUS_COUNT_CAP = 500;
/** This many failures in a day is an error, not a warning. */
export const FAILURES_ERROR = 10;
/** Warn this long before the licence ends (the Atlassian credential: EXPIRY_WARNING_DAYS). */
export const EXPIRY_WARNING_MS = 14 * DAY_MS;
const PAGE = 100;

export interface StatusInputs {
  scimBaseUrl: string;
  tokens: TokenView[];
  users: number;
  groups: number;
  pending: Count;
  failed: Count;
  licence: AdminLicence;
  /** Whether an Atlassian organization (or site) is connected. */
  connected: boolean;
  /** When the Atlassian credential expires (ISO date), if known. */
  credentialExpiresAt?: string;
  /** Requests refused for want of a live token (src/sync/requests.ts), if any. */
  refused?: RefusedCount;
  now: number;
}

/** The overview as getStatus answers it (refused requests included, see AdminStatus). */
export type OverviewStatus = AdminStatus;

export interface Count {
  count: number;
  /** The count stopped at STATUS_COUNT_CAP: there are at least that many. */
  capped: boolean;
}

export function buildStatus(inputs: StatusInputs): OverviewStatus {
  const url = new URL(inputs.scimBaseUrl);
  const last = lastRequestAt(inputs.tokens);
  return {
    scimBaseUrl: inputs.scimBaseUrl,
    scimHost: url.host,
    scimPath: url.pathname,
    tokenConfigured: inputs.tokens.length > 0,
    tokens: inputs.tokens,
    users: inputs.users,
    groups: inputs.groups,
    pending: inputs.pending.count,
    failed: inputs.failed.count,
    ...(inputs.pending.capped ? { pendingAtLeast: true } : {}),
    ...(inputs.failed.capped ? { failedAtLeast: true } : {}),
    ...(last !== undefined ? { lastScimRequestAt: last } : {}),
    health: health(inputs, last),
    licence: inputs.licence,
    ...(inputs.refused ? { refusedRequests: inputs.refused } : {}),
  };
}

/** "3 hours", "2 days": how long ago, for the health line. */
export function ago(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'}`;
  return `${Math.round(hours / 24)} days`;
}

/**
 * The health line: the worst of what applies, every reason of that severity in one message.
 * - error: a token exists but nothing arrived from the identity provider for a day; failures
 *   pile up (FAILURES_ERROR in 24 h); the licence is inactive (SCIM writes refused); the
 *   Atlassian credential has expired.
 * - warning: some failures; the licence or the Atlassian credential ends within 14 days;
 *   Atlassian not connected (changes wait).
 * - idle: no token yet, or a new token the identity provider has not used yet.
 */
export function health(inputs: StatusInputs, last = lastRequestAt(inputs.tokens)): AdminHealth {
  const errors: string[] = [];
  const warnings: string[] = [];
  const { now, failed } = inputs;
  if (inputs.tokens.length === 0) {
    return { state: 'idle', message: 'No token yet: generate one and paste it into the identity provider.' };
  }
  const newest = Math.max(...inputs.tokens.map((t) => t.createdAt));
  if (last !== undefined && now - last > DAY_MS) {
    errors.push(
      `Nothing has arrived from the identity provider for ${ago(now - last)}: check its provisioning job.`,
    );
  } else if (last === undefined && now - newest > DAY_MS) {
    errors.push(
      `The identity provider has not called in the ${ago(now - newest)} since the token was generated: check the base URL and token it uses.`,
    );
  }
  const failures = `${failed.count}${failed.capped ? ' or more' : ''} ${failed.count === 1 ? 'failure' : 'failures'} in the sync log in the last 24 hours: see Activity.`;
  if (failed.count >= FAILURES_ERROR) errors.push(failures);
  else if (failed.count > 0) warnings.push(failures);
  if (!inputs.licence.writesAllowed) errors.push(inputs.licence.detail);
  else if (inputs.licence.endDate && Date.parse(inputs.licence.endDate) - now < EXPIRY_WARNING_MS) {
    warnings.push(
      `The app's licence ends on ${inputs.licence.endDate.slice(0, 10)}: renew it to keep provisioning.`,
    );
  }
  const daysLeft = credentialDaysLeft(inputs.credentialExpiresAt, now);
  if (daysLeft !== undefined) {
    const day = inputs.credentialExpiresAt?.slice(0, 10);
    if (daysLeft < 0)
      errors.push(
        `The Atlassian credential (API key or token) expired on ${day}: create a new one and save it.`,
      );
    else if (daysLeft <= EXPIRY_WARNING_DAYS)
      warnings.push(
        `The Atlassian credential (API key or token) expires on ${day}: create a new one before then.`,
      );
  }
  if (!inputs.connected) warnings.push('Atlassian is not connected: changes wait until it is.');
  if (errors.length > 0) return { state: 'error', message: errors.join(' ') };
  if (warnings.length > 0) return { state: 'warning', message: warnings.join(' ') };
  if (last === undefined) {
    return { state: 'idle', message: 'Waiting for the first request from the identity provider.' };
  }
  return {
    state: 'ok',
    message: `Provisioning works: the identity provider last called ${ago(now - last)} ago.`,
  };
}

/**
 * Users and groups marked for reconcile (a full reconcile's walk jobs are not resources); a
 * group whose member slices are still queued (src/sync/member-slices.ts) counts once, whether
 * or not its own job is.
 */
export async function countPending(store: EntityStore): Promise<Count> {
  const groups = new Set<string>();
  let count = 0;
  let cursor: string | undefined;
  for (let read = 0; read < STATUS_COUNT_CAP; read += PAGE) {
    const page = await store.query<SyncJob>({
      entity: SYNC_JOB,
      index: 'by-at',
      where: { op: 'greaterThanEqualTo', value: 0 },
      limit: PAGE,
      cursor,
    });
    for (const { value } of page.results) {
      if (value.kind === 'user') count++;
      const group =
        value.kind === 'group'
          ? value.doc.id
          : value.kind === 'members'
            ? sliceGroup(value.doc.id)
            : undefined;
      if (group !== undefined && !groups.has(group)) {
        groups.add(group);
        count++;
      }
    }
    cursor = page.nextCursor;
    if (!cursor) return { count, capped: false };
  }
  return { count, capped: true };
}

/** Sync log entries with status failed in the last 24 hours (the by-status index). */
export async function countFailed(app: App, now: number): Promise<Count> {
  let count = 0;
  let cursor: string | undefined;
  for (let read = 0; read < STATUS_COUNT_CAP; read += PAGE) {
    const page = await app.sync.log.query({ status: 'failed', since: now - DAY_MS, limit: PAGE, cursor });
    count += page.entries.length;
    cursor = page.cursor;
    if (!cursor) return { count, capped: false };
  }
  return { count, capped: true };
}
