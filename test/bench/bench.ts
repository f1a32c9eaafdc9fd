/**
 * SCIM benchmark: storage round trips, latency and throughput per operation type, through
 * the real web trigger handler on the local in-memory store (the same LocalEntityStore the
 * tests use, wrapped in CountingStore), at 1,000, 10,000 and 100,000 users.
 *
 *   npm run bench                          full run (1,000 / 10,000 / 100,000 users)
 *   npm run bench -- --quick               1,000 and 10,000 users, fewer samples
 *   npm run bench -- --scales=1000,50000   any set of scales
 *   npm run bench -- --concurrency 32 --latency-ms 20
 *                                          concurrent clients, storage delayed as on Forge
 *                                          (concurrency.ts; several levels: --concurrency 32,64)
 *   npm run bench -- --provisioning [--atlassian-latency-ms 50] [--rate-limit 20] [--quick]
 *                                          an Entra-style push through SCIM, then the reconcile
 *                                          worker until the embedded Atlassian organization
 *                                          matches (provisioning.ts; also --users, --groups,
 *                                          --memberships, --calls-per-run,
 *                                          --bare-invites-unplaced, --fault-rate 0.1)
 *   npm run bench -- --push [--writes 200] [--clients 8] [--latency-ms 20]
 *                                          only the cost of the web trigger's awaited queue push,
 *                                          on the shipped `scim` entry point and the offline
 *                                          Forge runtime (push.ts); the default and --quick runs
 *                                          include it (a few seconds) after the scale tables
 *
 * Round trips are what matters on Forge, where each one is a network call to the Custom
 * Entity Store; the latencies here are in-process and show how the cost of the code and of
 * the local store grows with the directory. The script prints the targets as PASS or FAIL
 * and exits 0 whatever they say; only a broken benchmark (an unexpected status) exits 1.
 *
 * How it measures: all scales are seeded first and kept in memory; then, operation by
 * operation, the samples are taken in rounds that alternate between the scales. The
 * machine this runs on is small and shared, and load from elsewhere comes in bursts that
 * would otherwise fall on one scale and distort the growth ratios.
 *
 * Memory: the three directories together take about 220 MB of heap, well inside Node's
 * default limit, so no --max-old-space-size is needed.
 */
import os from 'node:os';
import { runConcurrency } from './concurrency';
import { FULL_PROVISIONING, QUICK_PROVISIONING, runProvisioning } from './provisioning';
import { DEFAULT_PUSH, PushOptions, runPush } from './push';
import { collectGarbage, Measurement, OperationRun } from './measure';
import { scaleTable, targetLines, targets } from './report';
import { FULL_SAMPLES, QUICK_SAMPLES, Scale, ScaleResult, seedScale } from './scenario';

/** Rounds each operation's samples are split into, alternating between the scales. */
const ROUNDS = 4;

function parseArguments(argv: string[]): { quick: boolean; scales: number[] } {
  const quick = argv.includes('--quick');
  const explicit = argv.find((a) => a.startsWith('--scales='));
  const scales = explicit
    ? explicit
        .slice('--scales='.length)
        .split(',')
        .map((s) => Number(s.replace(/_/g, '')))
        .filter((n) => Number.isInteger(n) && n > 0)
    : quick
      ? [1_000, 10_000]
      : [1_000, 10_000, 100_000];
  if (scales.length === 0) throw new Error('--scales= needs positive integers, e.g. --scales=1000,10000');
  return { quick, scales: [...new Set(scales)].sort((a, b) => a - b) };
}

/** Measures every operation at every scale, the scales taking turns round by round. */
async function measureAll(scales: Scale[]): Promise<Map<Scale, Measurement[]>> {
  const results = new Map<Scale, Measurement[]>(scales.map((s) => [s, []]));
  // The largest scale runs every operation; smaller ones run a subsequence of its list.
  const keys = scales[scales.length - 1].specs.map((spec) => spec.key);
  for (const key of keys) {
    const runs: { scale: Scale; run: OperationRun }[] = [];
    for (const scale of scales) {
      const spec = scale.specs.find((s) => s.key === key);
      if (!spec) continue;
      await spec.prepare?.();
      runs.push({ scale, run: new OperationRun(scale.t.app, scale.t.store, scale.timer, spec) });
    }
    process.stderr.write(`  measuring ${runs[0].run.spec.name}\n`);
    collectGarbage();
    for (let round = 0; round < ROUNDS; round++) {
      for (const { run } of runs) await run.run(Math.ceil(run.remaining / (ROUNDS - round)));
    }
    for (const { scale, run } of runs) (results.get(scale) as Measurement[]).push(run.result());
  }
  return results;
}

/** The value of `--name value` or `--name=value`. */
function option(argv: string[], name: string): string | undefined {
  const index = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (index < 0) return undefined;
  return argv[index].includes('=') ? argv[index].slice(name.length + 1) : argv[index + 1];
}

function positiveIntegers(raw: string, name: string): number[] {
  const values = raw.split(',').map(Number);
  if (values.length === 0 || !values.every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`${name} needs positive integers, e.g. ${name} 32 or ${name} 32,64`);
  }
  return values;
}

/** --writes, --clients, --latency-ms of the push mode (push.ts), the defaults otherwise. */
function pushOptions(argv: string[]): PushOptions {
  const one = (name: string, fallback: number) => {
    const raw = option(argv, name);
    return raw === undefined ? fallback : positiveIntegers(raw, name)[0];
  };
  const latency = Number(option(argv, '--latency-ms') ?? DEFAULT_PUSH.latencyMs);
  if (!(latency > 0)) throw new Error('--latency-ms needs a number > 0');
  return {
    writes: one('--writes', DEFAULT_PUSH.writes),
    clients: one('--clients', DEFAULT_PUSH.clients),
    latencyMs: latency,
    groupDeletes: one('--group-deletes', DEFAULT_PUSH.groupDeletes),
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const concurrency = option(argv, '--concurrency');
  if (concurrency !== undefined) {
    const latency = option(argv, '--latency-ms');
    await runConcurrency({
      levels: positiveIntegers(concurrency, '--concurrency'),
      latencyMs: latency === undefined ? 20 : Number(latency),
      quick: argv.includes('--quick'),
    });
    return;
  }
  if (argv.includes('--provisioning')) {
    const quick = argv.includes('--quick');
    const size = quick ? QUICK_PROVISIONING : FULL_PROVISIONING;
    const count = (name: string, fallback: number) => {
      const raw = option(argv, name);
      return raw === undefined ? fallback : positiveIntegers(raw, name)[0];
    };
    const latency = Number(option(argv, '--atlassian-latency-ms') ?? 50);
    const rateLimit = Number(option(argv, '--rate-limit') ?? 20);
    if (!(latency >= 0) || !(rateLimit >= 0)) {
      throw new Error('--atlassian-latency-ms and --rate-limit need numbers ≥ 0 (--rate-limit 0: none)');
    }
    const faultRate = Number(option(argv, '--fault-rate') ?? 0);
    if (!(faultRate >= 0 && faultRate <= 1)) throw new Error('--fault-rate needs a share between 0 and 1');
    const callsPerRun = option(argv, '--calls-per-run');
    await runProvisioning({
      users: count('--users', size.users),
      groups: count('--groups', size.groups),
      memberships: count('--memberships', size.memberships),
      latencyMs: latency,
      rateLimit,
      ...(callsPerRun !== undefined
        ? { callsPerRun: positiveIntegers(callsPerRun, '--calls-per-run')[0] }
        : {}),
      membersPerPatch: count('--members-per-patch', 100),
      bareInvitesPlace: !argv.includes('--bare-invites-unplaced'),
      faultRate,
      quick,
    });
    return;
  }
  if (argv.includes('--push')) {
    const started = process.hrtime.bigint();
    const { targets: lines } = await runPush(pushOptions(argv));
    console.log('\n== Targets ==');
    console.log(targetLines(lines));
    console.log(`\nBenchmark finished in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s.`);
    return;
  }
  const started = process.hrtime.bigint();
  const { quick, scales } = parseArguments(process.argv.slice(2));
  const sizes = quick ? QUICK_SAMPLES : FULL_SAMPLES;

  console.log('SCIM benchmark: real web trigger handler, LocalEntityStore in memory (no directory)');
  console.log(
    `Node ${process.version}, ${os.cpus().length} CPUs; ${quick ? 'quick' : 'full'} run at ` +
      `${scales.map((s) => s.toLocaleString('en-US')).join(' / ')} users`,
  );
  console.log(
    [
      'round trips: storage calls per request (CountingStore); "a–b" when samples differ, targets use the maximum.',
      `p50/p95: in-process latency of handleWebTrigger only, samples taken in ${ROUNDS} rounds alternating between scales;`,
      'ops/s: sequential, one request at a time. p50 in store: median time waiting on the store (TimingStore);',
      'p50 in code: median of latency minus that. Paging runs last, after DELETE removed random users,',
      'so pages start inside partly emptied buckets.',
    ].join('\n'),
  );

  const seeded: Scale[] = [];
  for (const users of scales) {
    process.stderr.write(`Seeding ${users.toLocaleString('en-US')} users…\n`);
    seeded.push(await seedScale(users, sizes));
  }
  process.stderr.write('Measuring…\n');
  const measured = await measureAll(seeded);
  const results: ScaleResult[] = seeded.map((scale) => ({
    users: scale.users,
    seed: scale.seed,
    measurements: measured.get(scale) ?? [],
    skipped: scale.skipped,
  }));
  for (const result of results) console.log(`\n${scaleTable(result)}`);

  // The web trigger's awaited queue push, on the shipped entry point (push.ts): a few seconds.
  process.stderr.write('Measuring the queue push…\n');
  console.log('');
  const push = await runPush(DEFAULT_PUSH);

  console.log('\n== Targets ==');
  console.log(targetLines([...targets(results), ...push.targets]));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`\nBenchmark finished in ${seconds.toFixed(1)} s.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
