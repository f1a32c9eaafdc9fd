/** A full reconcile's progress as the Activity tab shows it (pure). */
import type { ReconcileProgress } from '../forge/admin-api';
import { formatTime } from './format';

/** Done out of total, users and groups together (0..1); 0 before anything is counted. */
export function progressFraction(progress: ReconcileProgress): number {
  const total = progress.users.total + progress.groups.total;
  if (progress.state === 'done') return 1;
  return total === 0 ? 0 : Math.min(1, (progress.users.done + progress.groups.done) / total);
}

/** One line: running or finished, by whom, and the counts. */
export function describeProgress(progress: ReconcileProgress): string {
  const counts =
    `${progress.users.done} of ${progress.users.total} users and ${progress.groups.done} of ` +
    `${progress.groups.total} groups checked; ${progress.changes} ${progress.dryRun ? 'changes planned' : 'changes made'}, ` +
    `${progress.reported} reported, ${progress.failed} failed.`;
  if (progress.state === 'running') {
    return `${progress.dryRun ? 'Dry run' : 'Reconcile'} running${progress.startedAt ? ` since ${formatTime(progress.startedAt)}` : ''}: ${counts}`;
  }
  const by = progress.trigger === 'schedule' ? 'scheduled' : 'started by an admin';
  return `Last ${progress.dryRun ? 'dry run' : 'reconcile'} (${by}) finished${progress.finishedAt ? ` ${formatTime(progress.finishedAt)}` : ''}: ${counts}`;
}
