/**
 * Positional paging without scans.
 *
 * Every resource gets an ever-increasing sequence number when it is created. The resources
 * are listed in sequence order, and a small summary record counts the live resources in
 * each bucket of BUCKET consecutive sequence numbers. To serve `startIndex=N`, the summary
 * tells which bucket holds the N-th resource and how many live resources of that bucket to
 * skip (fewer than BUCKET), so one or two index queries of at most 100 results fetch the
 * page, whatever N is: paging cost grows with the page, not with the offset.
 *
 * The bucket counts are run-length encoded: a directory that mostly grows is a long run of
 * full buckets, so the summary (read and rewritten on every create and delete) stays a few
 * dozen bytes instead of growing with the directory.
 */
export const BUCKET = 100;

export interface OrderSummary {
  /** The next sequence number to hand out. */
  next: number;
  /** Live resources: SCIM `totalResults` for an unfiltered list. */
  total: number;
  /** Bucket number of the first run; leading empty buckets are trimmed away. */
  base: number;
  /** Bucket counts as [count, repeat, count, repeat, …], adjacent runs never equal. */
  runs: number[];
}

export function emptySummary(): OrderSummary {
  return { next: 0, total: 0, base: 0, runs: [] };
}

/** The bucket counts written out one per bucket, from `base` on (for tests and debugging). */
export function bucketCounts(summary: OrderSummary): number[] {
  const counts: number[] = [];
  for (let i = 0; i < summary.runs.length; i += 2) {
    for (let j = 0; j < summary.runs[i + 1]; j++) counts.push(summary.runs[i]);
  }
  return counts;
}

export function allocate(summary: OrderSummary): { summary: OrderSummary; seq: number } {
  const seq = summary.next;
  const bucket = Math.floor(seq / BUCKET);
  let { base, runs } = summary;
  if (runs.length === 0) base = bucket;
  const length = bucketLength(runs);
  // Buckets between the last counted one and this one (possible after trimming) are empty.
  if (bucket - base >= length) runs = normalize([...runs, 0, bucket - base - length, 0, 1]);
  runs = adjust(runs, bucket - base, +1);
  return { seq, summary: { next: seq + 1, total: summary.total + 1, base, runs } };
}

export function release(summary: OrderSummary, seq: number): OrderSummary {
  const index = Math.floor(seq / BUCKET) - summary.base;
  if (index < 0 || index >= bucketLength(summary.runs) || countAt(summary.runs, index) === 0) {
    throw new Error(`Sequence ${seq} is not counted in the order summary.`);
  }
  let runs = adjust(summary.runs, index, -1);
  let base = summary.base;
  if (runs.length > 0 && runs[0] === 0) {
    base += runs[1];
    runs = runs.slice(2);
  }
  return { next: summary.next, total: summary.total - 1, base, runs };
}

/**
 * Where the resource at 1-based position `startIndex` is: list from sequence `fromSeq`
 * and skip `skip` live resources. Undefined when the position is past the end.
 */
export function locate(
  summary: OrderSummary,
  startIndex: number,
): { fromSeq: number; skip: number } | undefined {
  if (startIndex < 1 || startIndex > summary.total) return undefined;
  let before = 0;
  let bucket = summary.base;
  const { runs } = summary;
  for (let i = 0; i < runs.length; i += 2) {
    const [count, repeat] = [runs[i], runs[i + 1]];
    if (count > 0 && before + count * repeat >= startIndex) {
      const offset = Math.floor((startIndex - 1 - before) / count);
      return { fromSeq: (bucket + offset) * BUCKET, skip: startIndex - 1 - before - offset * count };
    }
    before += count * repeat;
    bucket += repeat;
  }
  return undefined;
}

function bucketLength(runs: number[]): number {
  let length = 0;
  for (let i = 1; i < runs.length; i += 2) length += runs[i];
  return length;
}

function countAt(runs: number[], index: number): number {
  let start = 0;
  for (let i = 0; i < runs.length; i += 2) {
    if (index < start + runs[i + 1]) return runs[i];
    start += runs[i + 1];
  }
  return 0;
}

/** Adds `delta` to the bucket at `index`, splitting and re-merging runs as needed. */
function adjust(runs: number[], index: number, delta: number): number[] {
  const result: number[] = [];
  let start = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const [count, repeat] = [runs[i], runs[i + 1]];
    if (index >= start && index < start + repeat) {
      const left = index - start;
      const right = repeat - left - 1;
      if (left > 0) result.push(count, left);
      result.push(count + delta, 1);
      if (right > 0) result.push(count, right);
    } else {
      result.push(count, repeat);
    }
    start += repeat;
  }
  return normalize(result);
}

/** Merges adjacent runs of equal count and drops runs of length zero. */
function normalize(runs: number[]): number[] {
  const result: number[] = [];
  for (let i = 0; i < runs.length; i += 2) {
    const [count, repeat] = [runs[i], runs[i + 1]];
    if (repeat === 0) continue;
    const last = result.length - 2;
    if (last >= 0 && result[last] === count) result[last + 1] += repeat;
    else result.push(count, repeat);
  }
  return result;
}
