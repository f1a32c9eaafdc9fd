/**
 * The provisioning bench's "daily full reconcile" phase: once the push has converged, the
 * daily scheduled trigger's full reconcile of that organization, with nothing drifted. It
 * starts as the schedule starts it (src/forge/reconcile.ts, scheduledReconcile) and runs the
 * worker as the queue consumer does (the dispatcher, then every partition at once) until the
 * reconcile's progress is `done` and no job is left.
 *
 * Target (issue 15): it reads in pages (accounts with their groups, groups), not one call per
 * account and membership: at most 3× the paged minimum, which is ceil(U/100) account pages +
 * ceil(G/100) group pages + 1 (the holders of admin roles) at 100 a page.
 */
import type { App } from '../../src/app';
import { scheduledReconcile } from '../../src/forge/reconcile';
import { allPartitions, SYNC_PARTITIONS } from '../../src/sync/partitions';

/** The bench's request records, as its counting fetch keeps them (status 429: not processed). */
export interface CountedRequest {
  label: string;
  status: number;
}

export interface DailyReconcileInput {
  app: App;
  /** Every request the adapters sent so far; the phase reads what it adds. */
  records: CountedRequest[];
  users: number;
  groups: number;
  /** A consumer run's time, as the bench gives every run. */
  runDeadlineMs: number;
}

export interface TargetLine {
  pass: boolean;
  text: string;
}

/** Rounds of runs at most before the phase gives up (a reconcile that never ends fails). */
const MAX_ROUNDS = 200;
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Runs the phase, prints its figures, and answers its target line. */
export async function runDailyReconcile(input: DailyReconcileInput): Promise<TargetLine[]> {
  const { app, records } = input;
  process.stderr.write('Daily full reconcile…\n');
  const started = process.hrtime.bigint();
  const before = records.length;
  await scheduledReconcile({
    sync: app.sync,
    connected: async () => true,
    // The bench's rounds below are the consumer runs the queued event would start.
    queueRun: async () => undefined,
  })();
  let rounds = 0;
  for (; rounds < MAX_ROUNDS; rounds++) {
    const deadline = Date.now() + input.runDeadlineMs;
    await app.directory.jobs.runPending(deadline);
    await app.sync.checkConnection();
    const results = await Promise.all(
      allPartitions().map((index) => app.sync.run(deadline, { index, count: SYNC_PARTITIONS })),
    );
    const retryAt = Math.min(...results.flatMap((r) => (r.nextAt === undefined ? [] : [r.nextAt])));
    if (results.some((r) => r.pending)) continue;
    if ((await app.sync.queue.count()) === 0) break;
    // Only retries are left (a fault): wait until the earliest is due.
    if (Number.isFinite(retryAt)) await new Promise((r) => setTimeout(r, Math.max(0, retryAt - Date.now())));
  }
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  const progress = await app.sync.reconcileProgress();
  const made = records.slice(before);
  const processed = made.filter((r) => r.status !== 429);
  const minimum = Math.ceil(input.users / 100) + Math.ceil(input.groups / 100) + 1;
  const ratio = processed.length / minimum;

  const byLabel = new Map<string, number>();
  for (const r of processed) byLabel.set(r.label, (byLabel.get(r.label) ?? 0) + 1);
  console.log(
    `\nDaily full reconcile of the converged organization (nothing drifted), started as the schedule does:`,
  );
  for (const [label, count] of [...byLabel].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${label.padEnd(60)} ${fmt(count).padStart(6)}`);
  }
  console.log(
    `  requests: ${fmt(processed.length)} (+${fmt(made.length - processed.length)} answered 429); paged minimum ` +
      `${fmt(minimum)} (ceil(${fmt(input.users)}/100) account pages + ceil(${fmt(input.groups)}/100) group pages + 1 admin-role read); ` +
      `${fmt(ratio, 2)}× that; ${fmt(rounds + 1)} rounds of runs in ${fmt(elapsedMs / 1000, 1)} s`,
  );
  console.log(
    `  progress: ${progress.state}, users ${fmt(progress.users.done)}/${fmt(progress.users.total)}, ` +
      `groups ${fmt(progress.groups.done)}/${fmt(progress.groups.total)}, ${fmt(progress.changes)} changes, ` +
      `${fmt(progress.reported)} reported, ${fmt(progress.failed)} failed\n`,
  );
  const counted =
    progress.users.done === progress.users.total && progress.groups.done === progress.groups.total;
  return [
    {
      pass: ratio <= 3 && progress.state === 'done' && counted,
      text:
        `daily full reconcile, nothing drifted: ≤ 3× the paged minimum: ${fmt(processed.length)} requests / ` +
        `${fmt(minimum)} = ${fmt(ratio, 2)}×; progress ${progress.state}` +
        (counted ? ', every user and group counted' : ', NOT every user and group counted'),
    },
  ];
}
