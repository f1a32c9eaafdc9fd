/**
 * The progress of a full reconcile ("reconcile now", the daily drift check): how many users
 * and groups it has reconciled out of how many, and what came of it. Kept as one sync state
 * record, updated once per consumer run with what that run counted (never once per resource:
 * a record written per resource would be the hottest key in the app), by adding the run's
 * counts to the record read afresh at the end of the run.
 *
 * The admin page reads it as ReconcileProgress (src/forge/admin-api.ts, type-only).
 */
import type { LogEntryInput, LogStatus } from './log';
import { SyncLog } from './log';

export interface FullReconcileProgress {
  state: 'idle' | 'running' | 'done';
  trigger?: 'schedule' | 'admin';
  /** A dry run: every Atlassian write is planned and logged, none is made. */
  dryRun?: boolean;
  startedAt?: number;
  finishedAt?: number;
  users: { done: number; total: number };
  groups: { done: number; total: number };
  /** Writes made (or planned, in a dry run) to repair what differed. */
  changes: number;
  /** Differences reported rather than repaired (drift policy `report`, names refused...). */
  reported: number;
  failed: number;
}

/** The sync state record (Links.state) that holds it. */
export const PROGRESS_STATE = 'full-reconcile';

export const IDLE_PROGRESS: FullReconcileProgress = {
  state: 'idle',
  users: { done: 0, total: 0 },
  groups: { done: 0, total: 0 },
  changes: 0,
  reported: 0,
  failed: 0,
};

/** What one consumer run counted for the full reconcile, added to the record at its end. */
export class ProgressCount {
  users = 0;
  groups = 0;
  changes = 0;
  reported = 0;
  failed = 0;

  get empty(): boolean {
    return this.users + this.groups + this.changes + this.reported + this.failed === 0;
  }

  /** One user or group reconciled. */
  resource(kind: 'user' | 'group'): void {
    if (kind === 'user') this.users++;
    else this.groups++;
  }

  /** One log entry of a full reconcile's job: a change, a report or a failure. */
  entry(status: LogStatus): void {
    if (status === 'ok' || status === 'planned') this.changes++;
    else if (status === 'attention' || status === 'blocked') this.reported++;
    else if (status === 'failed') this.failed++;
  }

  addTo(progress: FullReconcileProgress): FullReconcileProgress {
    const clamp = (done: number, total: number) => Math.min(total, done);
    return {
      ...progress,
      users: { ...progress.users, done: clamp(progress.users.done + this.users, progress.users.total) },
      groups: { ...progress.groups, done: clamp(progress.groups.done + this.groups, progress.groups.total) },
      changes: progress.changes + this.changes,
      reported: progress.reported + this.reported,
      failed: progress.failed + this.failed,
    };
  }
}

/**
 * The sync log, counting the entries the Atlassian side writes while a full reconcile's job
 * runs (`counting` is set per job): the progress's changes, reports and failures.
 */
export class CountingLog extends SyncLog {
  counting?: ProgressCount;

  override async write(entry: LogEntryInput): Promise<void> {
    await super.write(entry);
    if (entry.source === 'atlassian') this.counting?.entry(entry.status);
  }
}
