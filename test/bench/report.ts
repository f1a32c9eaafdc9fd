/** Plain-text tables of the measurements and the PASS/FAIL lines of the targets. */
import type { RoundTrips } from '../support/counting-store';
import type { Measurement } from './measure';
import type { ScaleResult } from './scenario';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? n.toFixed(1) : n.toFixed(3));

function roundTrips(m: Measurement): string {
  return m.minRoundTrips === m.maxRoundTrips
    ? String(m.maxRoundTrips)
    : `${m.minRoundTrips}–${m.maxRoundTrips}`;
}

/** "1 get + 1 tx" for the worst sample's round trips by kind. */
function mix(counts: RoundTrips): string {
  const parts: [number, string][] = [
    [counts.get, 'get'],
    [counts.createIfAbsent, 'cia'],
    [counts.query, 'query'],
    [counts.transact, 'tx'],
  ];
  return (
    parts
      .filter(([count]) => count > 0)
      .map(([count, kind]) => `${count} ${kind}`)
      .join(' + ') || 'none'
  );
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

export function scaleTable(result: ScaleResult): string {
  const { seed } = result;
  const lines: string[] = [];
  lines.push(
    `== ${int(result.users)} users ==  seeded in ${seed.usersSeconds.toFixed(1)} s; ` +
      `${int(seed.groups)} groups in ${seed.groupsSeconds.toFixed(1)} s; directory heap ~${int(seed.heapUsedMb)} MB`,
  );
  const header = [
    pad('operation', 50),
    pad('round trips', 11, true),
    '  ',
    pad('worst sample by kind', 24),
    pad('p50 ms', 9, true),
    pad('p95 ms', 9, true),
    pad('ops/s', 9, true),
    pad('samples', 8, true),
    pad('p50 in store', 13, true),
    pad('p50 in code', 12, true),
  ].join('');
  lines.push(header, '-'.repeat(header.length));
  for (const m of result.measurements) {
    lines.push(
      [
        pad(m.name, 50),
        pad(roundTrips(m), 11, true),
        '  ',
        pad(mix(m.worstMix), 24),
        pad(ms(m.p50Ms), 9, true),
        pad(ms(m.p95Ms), 9, true),
        pad(int(m.opsPerSecond), 9, true),
        pad(int(m.samples), 8, true),
        pad(ms(m.storeP50Ms), 13, true),
        pad(ms(m.restP50Ms), 12, true),
      ].join(''),
    );
  }
  for (const s of result.skipped) lines.push(`(not run: ${s.name}: ${s.reason})`);
  const paging = result.measurements.filter((m) => m.key.startsWith('page-') || m.key === 'okta-import');
  for (const m of paging) {
    if (m.worstLabel)
      lines.push(`   worst page of "${m.name}": ${m.worstLabel} (${m.maxRoundTrips} round trips)`);
  }
  return lines.join('\n');
}

export interface TargetLine {
  pass: boolean;
  text: string;
}

/** Round-trip ceiling for a set of operations, checked at every scale. */
function ceiling(
  results: ScaleResult[],
  title: string,
  keys: (key: string) => boolean,
  limit: number,
): TargetLine {
  const offenders: string[] = [];
  let worst = 0;
  let checked = 0;
  for (const result of results) {
    for (const m of result.measurements.filter((x) => keys(x.key))) {
      checked++;
      worst = Math.max(worst, m.maxRoundTrips);
      if (m.maxRoundTrips > limit) {
        const where = m.worstLabel ? ` at ${m.worstLabel}` : '';
        offenders.push(`${m.name} @ ${int(result.users)} users: ${m.maxRoundTrips}${where}`);
      }
    }
  }
  if (checked === 0) return { pass: false, text: `${title} ≤ ${limit} round trips: nothing measured` };
  return offenders.length === 0
    ? { pass: true, text: `${title} ≤ ${limit} round trips (worst measured: ${worst})` }
    : { pass: false, text: `${title} ≤ ${limit} round trips; measured ${offenders.join('; ')}` };
}

/** p50 growth from the smallest to the largest scale at which an operation was measured. */
function growth(results: ScaleResult[], keys: (key: string) => boolean, limit: number): TargetLine[] {
  const lines: TargetLine[] = [];
  const names = new Map<string, string>();
  for (const r of results) for (const m of r.measurements) if (keys(m.key)) names.set(m.key, m.name);
  for (const [key, name] of names) {
    const runs = results
      .map((r) => ({ users: r.users, m: r.measurements.find((x) => x.key === key) }))
      .filter((x): x is { users: number; m: Measurement } => x.m !== undefined);
    if (runs.length < 2) continue;
    const first = runs[0];
    const last = runs[runs.length - 1];
    const ratio = last.m.p50Ms / first.m.p50Ms;
    const pass = ratio < limit;
    // On a miss, say where the growth is: waiting on the store, or in the service's code.
    const split = pass
      ? ''
      : `; p50 in store ${ms(first.m.storeP50Ms)} → ${ms(last.m.storeP50Ms)} ms, ` +
        `in code ${ms(first.m.restP50Ms)} → ${ms(last.m.restP50Ms)} ms`;
    lines.push({
      pass,
      text:
        `p50 growth ${int(first.users)} → ${int(last.users)} users < ${limit}×: ${name.replace(/\s*\(.*\)$/, '')}: ` +
        `${ms(first.m.p50Ms)} → ${ms(last.m.p50Ms)} ms = ${ratio.toFixed(2)}×${split}`,
    });
  }
  return lines;
}

const GROWTH_KEYS = new Set([
  'filter-username',
  'filter-externalid',
  'filter-email',
  'get-user',
  'create-user',
  'patch-user',
  'patch-small-group-add',
  'patch-small-group-remove',
  'patch-large-group-add',
  'patch-large-group-remove',
  'page-first',
  'page-middle',
  'page-end',
  'okta-import',
]);

export function targets(results: ScaleResult[]): TargetLine[] {
  return [
    ceiling(
      results,
      'Filter lookup by userName or externalId',
      (k) => k === 'filter-username' || k === 'filter-externalid',
      2,
    ),
    ceiling(results, 'Create user (POST /Users)', (k) => k === 'create-user', 3),
    ceiling(results, 'PATCH of one group member, any group size', (k) => /^patch-.*-group-/.test(k), 3),
    ceiling(
      results,
      'Page of 100 in an Okta-style sequential import, any startIndex',
      (k) => k === 'okta-import' || k.startsWith('page-'),
      3,
    ),
    ...growth(results, (k) => GROWTH_KEYS.has(k), 2),
  ];
}

export function targetLines(lines: TargetLine[]): string {
  const failed = lines.filter((l) => !l.pass).length;
  return [
    ...lines.map((l) => `${l.pass ? 'PASS' : 'FAIL'}  ${l.text}`),
    '',
    failed === 0 ? `All ${lines.length} targets met.` : `${failed} of ${lines.length} targets FAILED.`,
  ].join('\n');
}
