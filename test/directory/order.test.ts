/**
 * The order summary behind positional paging (src/directory/order.ts): startIndex=N must
 * land on the N-th live resource in creation order, after any mix of creates and deletes,
 * without scanning the resources before it.
 */
import fc from 'fast-check';
import {
  allocate,
  BUCKET,
  bucketCounts,
  emptySummary,
  locate,
  OrderSummary,
  release,
} from '../../src/directory/order';

/** Allocates `n` sequence numbers, returning the summary and the numbers handed out. */
function allocateMany(
  n: number,
  from: OrderSummary = emptySummary(),
): { summary: OrderSummary; seqs: number[] } {
  let summary = from;
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) {
    const next = allocate(summary);
    summary = next.summary;
    seqs.push(next.seq);
  }
  return { summary, seqs };
}

/**
 * What locate() points at: the `skip`-th live sequence number at or after `fromSeq`.
 * This is exactly what ResourceCollection.page() does with the by-seq index. `live` is in
 * ascending order (sequence numbers only grow), so a binary search finds `fromSeq`.
 */
function resolve(
  live: number[],
  position: { fromSeq: number; skip: number } | undefined,
): number | undefined {
  if (!position) return undefined;
  let low = 0;
  let high = live.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (live[mid] < position.fromSeq) low = mid + 1;
    else high = mid;
  }
  return live[low + position.skip];
}

/** Positions 1..live.length whose locate() lands on the wrong element (empty when all agree). */
function mismatches(
  summary: OrderSummary,
  live: number[],
): { startIndex: number; expected: number; found?: number }[] {
  const wrong: { startIndex: number; expected: number; found?: number }[] = [];
  for (let n = 1; n <= live.length; n++) {
    const found = resolve(live, locate(summary, n));
    if (found !== live[n - 1]) wrong.push({ startIndex: n, expected: live[n - 1], found });
  }
  return wrong;
}

/** Structural invariants of every summary. */
function expectWellFormed(summary: OrderSummary, live: number[]): void {
  expect(summary.total).toBe(live.length);
  const counts = bucketCounts(summary);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(live.length);
  expect(counts.every((c) => Number.isInteger(c) && c >= 0)).toBe(true);
  // Leading empty buckets are trimmed away, so the summary does not grow with deletions.
  if (counts.length > 0) expect(counts[0]).toBeGreaterThan(0);
  // Every live sequence number is counted in its bucket.
  for (let i = 0; i < counts.length; i++) {
    const bucket = summary.base + i;
    expect(live.filter((s) => Math.floor(s / BUCKET) === bucket)).toHaveLength(counts[i]);
  }
  // Runs are maximal: no two adjacent runs have the same count.
  for (let i = 2; i < summary.runs.length; i += 2) expect(summary.runs[i]).not.toBe(summary.runs[i - 2]);
}

describe('allocate', () => {
  it('hands out 0, 1, 2, … and counts them', () => {
    const { summary, seqs } = allocateMany(3);
    expect(seqs).toEqual([0, 1, 2]);
    expect(summary).toEqual({ next: 3, total: 3, base: 0, runs: [3, 1] });
  });

  it('opens a new bucket every BUCKET sequence numbers', () => {
    const { summary } = allocateMany(BUCKET + 1);
    expect(bucketCounts(summary)).toEqual([BUCKET, 1]);
    expect(summary.total).toBe(BUCKET + 1);
  });

  it('does not change the summary it was given', () => {
    const before = allocateMany(5).summary;
    const copy = structuredClone(before);
    allocate(before);
    expect(before).toEqual(copy);
  });

  it('never hands out a sequence number twice, even after deletions', () => {
    const first = allocateMany(10);
    let summary = first.summary;
    for (const seq of first.seqs) summary = release(summary, seq);
    const { seq } = allocate(summary);
    expect(seq).toBe(10);
  });

  it('starts counting at the current bucket after everything was deleted', () => {
    const first = allocateMany(250);
    let summary = first.summary;
    for (const seq of first.seqs) summary = release(summary, seq);
    expect(summary.total).toBe(0);
    expect(bucketCounts(summary)).toEqual([]);
    const next = allocate(summary);
    expect(next.seq).toBe(250);
    expect(next.summary.base).toBe(2);
    expect(bucketCounts(next.summary)).toEqual([1]);
    expect(locate(next.summary, 1)).toEqual({ fromSeq: 200, skip: 0 });
  });
});

describe('release', () => {
  it('uncounts a sequence number', () => {
    const { summary } = allocateMany(3);
    expect(release(summary, 1)).toEqual({ next: 3, total: 2, base: 0, runs: [2, 1] });
  });

  it('trims leading empty buckets', () => {
    const { summary, seqs } = allocateMany(2 * BUCKET + 5);
    let after = summary;
    for (const seq of seqs.slice(0, BUCKET)) after = release(after, seq);
    expect(after.base).toBe(1);
    expect(bucketCounts(after)).toEqual([BUCKET, 5]);
  });

  it('keeps an empty bucket in the middle', () => {
    const { summary, seqs } = allocateMany(3 * BUCKET);
    let after = summary;
    for (const seq of seqs.slice(BUCKET, 2 * BUCKET)) after = release(after, seq);
    expect(bucketCounts(after)).toEqual([BUCKET, 0, BUCKET]);
    expect(locate(after, BUCKET + 1)).toEqual({ fromSeq: 2 * BUCKET, skip: 0 });
  });

  it('refuses a sequence number it does not count', () => {
    const { summary } = allocateMany(3);
    expect(() => release(summary, 500)).toThrow();
    expect(() => release(summary, -1)).toThrow();
    const once = release(allocateMany(1).summary, 0);
    // Releasing twice would make totalResults wrong.
    expect(() => release(once, 0)).toThrow();
  });

  it('does not change the summary it was given', () => {
    const { summary } = allocateMany(BUCKET + 1);
    const copy = structuredClone(summary);
    release(summary, 0);
    expect(summary).toEqual(copy);
  });
});

describe('locate', () => {
  it('is undefined outside 1..total', () => {
    const { summary } = allocateMany(5);
    expect(locate(summary, 0)).toBeUndefined();
    expect(locate(summary, -3)).toBeUndefined();
    expect(locate(summary, 6)).toBeUndefined();
    expect(locate(emptySummary(), 1)).toBeUndefined();
  });

  it('finds positions within and across buckets', () => {
    const { summary } = allocateMany(250);
    expect(locate(summary, 1)).toEqual({ fromSeq: 0, skip: 0 });
    expect(locate(summary, 100)).toEqual({ fromSeq: 0, skip: 99 });
    expect(locate(summary, 101)).toEqual({ fromSeq: 100, skip: 0 });
    expect(locate(summary, 250)).toEqual({ fromSeq: 200, skip: 49 });
  });

  it('skips deleted resources', () => {
    const { summary, seqs } = allocateMany(250);
    // Delete every 7th resource.
    let after = summary;
    const live: number[] = [];
    for (const seq of seqs) {
      if (seq % 7 === 0) after = release(after, seq);
      else live.push(seq);
    }
    expect(mismatches(after, live)).toEqual([]);
  });

  it('keeps skip below BUCKET, so one or two queries of 100 serve any page', () => {
    const { summary } = allocateMany(1000);
    for (let n = 1; n <= 1000; n++)
      expect((locate(summary, n) as { skip: number }).skip).toBeLessThan(BUCKET);
  });
});

describe('against a naive array (property)', () => {
  type Step = { kind: 'create' } | { kind: 'delete'; pick: number };

  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 3, arbitrary: fc.constant<Step>({ kind: 'create' }) },
    { weight: 2, arbitrary: fc.nat().map((pick): Step => ({ kind: 'delete', pick })) },
  );

  /** Runs steps against the summary and against a plain array of live sequence numbers. */
  function run(steps: Step[]): { summary: OrderSummary; live: number[] } {
    let summary = emptySummary();
    const live: number[] = [];
    for (const s of steps) {
      if (s.kind === 'create') {
        const next = allocate(summary);
        summary = next.summary;
        live.push(next.seq);
      } else if (live.length > 0) {
        const [seq] = live.splice(s.pick % live.length, 1);
        summary = release(summary, seq);
      }
    }
    return { summary, live };
  }

  it('locate(startIndex) finds the same element as the naive array, after any creates and deletes', () => {
    fc.assert(
      // size 'large': without it fast-check keeps arrays to about ten steps.
      fc.property(fc.array(step, { maxLength: 600, size: 'large' }), (steps) => {
        const { summary, live } = run(steps);
        expectWellFormed(summary, live);
        expect(mismatches(summary, live)).toEqual([]);
        expect(locate(summary, live.length + 1)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('also in long histories where most resources were deleted (sparse buckets)', () => {
    const burst = fc.tuple(fc.integer({ min: 1, max: 250 }), fc.integer({ min: 0, max: 250 }), fc.nat());
    fc.assert(
      fc.property(fc.array(burst, { minLength: 1, maxLength: 12, size: 'large' }), (bursts) => {
        const steps: Step[] = [];
        for (const [creates, deletes, seed] of bursts) {
          for (let i = 0; i < creates; i++) steps.push({ kind: 'create' });
          for (let i = 0; i < deletes; i++) steps.push({ kind: 'delete', pick: seed * 31 + i * 17 });
        }
        const { summary, live } = run(steps);
        expectWellFormed(summary, live);
        expect(mismatches(summary, live)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
