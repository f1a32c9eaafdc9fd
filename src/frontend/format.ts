/**
 * Pure display helpers of the admin page: times and errors as an admin reads them. Times are
 * shown in UTC so the page reads the same wherever the admin and the function run.
 */

/** "2026-12-02 15:04 UTC". */
export function formatTime(at: number): string {
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "just now", "5 minutes ago", "3 hours ago", "2 days ago". */
export function formatAgo(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return 'just now';
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return plural(hours, 'hour');
  return plural(Math.floor(hours / 24), 'day');
}

/** "3 minutes ago (2026-12-02 15:04 UTC)", or the fallback when there is no time. */
export function formatWhen(at: number | undefined, now: number, never = 'never'): string {
  return at === undefined ? never : `${formatAgo(at, now)} (${formatTime(at)})`;
}

/** A bounded count: "500+" when counting stopped at the bound. */
export function formatCount(value: number, atLeast = false): string {
  return atLeast ? `${value}+` : String(value);
}

/**
 * The last request from the identity provider. It is recorded at most every 5 minutes, so
 * anything more recent is said as such rather than as a precise "just now".
 */
export const LAST_REQUEST_GRAIN_MS = 5 * 60_000;
export function formatLastRequest(at: number | undefined, now: number): string {
  if (at === undefined) return 'none yet';
  if (now - at < LAST_REQUEST_GRAIN_MS) return `in the last 5 minutes (${formatTime(at)})`;
  return formatWhen(at, now);
}

/**
 * What went wrong, from anything a resolver call rejected with. The bridge wraps a resolver's
 * error in its own text; the resolver's reason is what the admin needs, so keep that.
 */
export function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^There was an error invoking the function - /, '').trim() || 'Unknown error';
}
