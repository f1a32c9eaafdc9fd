/**
 * Positional paging without scans.
 *
 * Every resource gets an ever-increasing sequence number when it is created. The resources
 * are listed in sequence order, and a small summary record counts the live resources in
 * each bucket of BUCKET consecutive sequence numbers. To serve `startIndex=N`, the summary
 * tells which bucket holds the N-th resource and how many live resources of that bucket to
 * skip (fewer than BUCKET), so one or two index queries of at most 100 results fetch the
 * page, whatever N is: paging cost grows with the page, not with the offset.
 */
export const BUCKET = 100;

export interface OrderSummary {
  /** The next sequence number to hand out. */
  next: number;
  /** Live resources: SCIM `totalResults` for an unfiltered list. */
  total: number;
  /** Bucket number of counts[0]; leading empty buckets are trimmed away. */
  base: number;
  counts: number[];
}

export function emptySummary(): OrderSummary {
  return { next: 0, total: 0, base: 0, counts: [] };
}

export function allocate(summary: OrderSummary): { summary: OrderSummary; seq: number } {
  const seq = summary.next;
  const counts = [...summary.counts];
  let base = summary.base;
  if (counts.length === 0) base = Math.floor(seq / BUCKET);
  const index = Math.floor(seq / BUCKET) - base;
  while (counts.length <= index) counts.push(0);
  counts[index] += 1;
  return { seq, summary: { next: seq + 1, total: summary.total + 1, base, counts } };
}

export function release(summary: OrderSummary, seq: number): OrderSummary {
  const counts = [...summary.counts];
  const index = Math.floor(seq / BUCKET) - summary.base;
  if (index < 0 || index >= counts.length || counts[index] === 0) {
    throw new Error(`Sequence ${seq} is not counted in the order summary.`);
  }
  counts[index] -= 1;
  let base = summary.base;
  while (counts.length > 0 && counts[0] === 0) {
    counts.shift();
    base += 1;
  }
  return { next: summary.next, total: summary.total - 1, base, counts };
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
  for (let i = 0; i < summary.counts.length; i++) {
    const count = summary.counts[i];
    if (before + count >= startIndex) {
      return { fromSeq: (summary.base + i) * BUCKET, skip: startIndex - 1 - before };
    }
    before += count;
  }
  return undefined;
}
