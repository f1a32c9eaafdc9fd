/**
 * The Activity tab's filters as a sync log query (pure): a status, a resource (id or name) and a time
 * range relative to now. The resolver checks the query again.
 */
import type { LogQuery, LogStatus } from '../sync/log';

/** Every status an entry can have, in the order the filter lists them. */
export const STATUSES: readonly LogStatus[] = ['failed', 'blocked', 'attention', 'skipped', 'planned', 'ok'];

export const RANGES = [
  { value: 'hour', label: 'Last hour', ms: 3600_000 },
  { value: 'day', label: 'Last 24 hours', ms: 24 * 3600_000 },
  { value: 'week', label: 'Last 7 days', ms: 7 * 24 * 3600_000 },
  { value: 'all', label: 'All (30 days kept)', ms: undefined },
] as const;

export type RangeValue = (typeof RANGES)[number]['value'];

export interface LogFilters {
  /** '' for every status. */
  status: LogStatus | '';
  resource: string;
  range: RangeValue;
}

export const NO_FILTERS: LogFilters = { status: '', resource: '', range: 'all' };

export const PAGE_SIZE = 20;

export function logQuery(filters: LogFilters, now: number, cursor?: string): LogQuery {
  const range = RANGES.find((r) => r.value === filters.range);
  const resource = filters.resource.trim();
  return {
    limit: PAGE_SIZE,
    ...(filters.status ? { status: filters.status } : {}),
    ...(resource ? { resource } : {}),
    ...(range?.ms !== undefined ? { since: now - range.ms } : {}),
    ...(cursor ? { cursor } : {}),
  };
}

/** Lozenge appearance of a status. */
export const STATUS_APPEARANCE: Record<
  LogStatus,
  'success' | 'removed' | 'moved' | 'default' | 'new' | 'inprogress'
> = {
  ok: 'success',
  failed: 'removed',
  blocked: 'moved',
  attention: 'moved',
  skipped: 'default',
  planned: 'new',
};
