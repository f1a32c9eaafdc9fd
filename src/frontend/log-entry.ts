/** What the Activity tab shows of one sync log entry, and whether it can be retried (pure). */
import type { SyncLogEntryView } from '../forge/admin-api';
import { formatTime } from './format';

/** Whether "Retry" applies: a user or group whose change failed or is blocked or waiting. */
export function canRetry(
  entry: SyncLogEntryView,
): entry is SyncLogEntryView & { resourceType: 'user' | 'group' } {
  return (
    entry.resourceType !== undefined &&
    entry.resource !== '-' &&
    entry.source !== 'scim' &&
    (entry.status === 'failed' || entry.status === 'blocked' || entry.status === 'attention')
  );
}

/**
 * The resource as the table names it: its name when the entry carries one (entries written
 * before names were logged do not), else its SCIM id.
 */
export function resourceLabel(entry: SyncLogEntryView): string {
  if (entry.resource === '-') return '';
  return entry.name ?? entry.resource;
}

/** The entry's fields an admin reads, as label/value lines (secrets are never logged). */
export function entryDetails(entry: SyncLogEntryView): [string, string][] {
  const lines: [string, string | number | undefined][] = [
    ['When', formatTime(entry.at)],
    ['Status', entry.status],
    ['Source', entry.source],
    ['Operation', entry.operation],
    ['Resource', entry.resource === '-' ? undefined : `${entry.resourceType ?? ''} ${entry.resource}`.trim()],
    ['Name', entry.name],
    ['Why', entry.why],
    ['Result', entry.result],
    ['Identity provider', entry.idp],
    ['HTTP status', entry.httpStatus],
    ['Attempts', entry.attempts],
    ['Duration', entry.ms === undefined ? undefined : `${entry.ms} ms`],
    ['Error kind', entry.errorKind],
    ['Error', entry.error],
  ];
  return lines
    .filter((line): line is [string, string | number] => line[1] !== undefined && line[1] !== '')
    .map(([label, value]) => [label, String(value)]);
}
