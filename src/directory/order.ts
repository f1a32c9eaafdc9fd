/**
 * Positional paging and exact totals without a hot record.
 *
 * Every resource gets a sequence number when it is created, and lists are served in
 * sequence order from the `by-seq` index. Sequence numbers are handed out in blocks of
 * BLOCK consecutive numbers, and each block belongs to one of STRIPES stripes: block `g`
 * belongs to stripe `g % STRIPES`. A stripe is a small record that counts the live
 * resources in each of its blocks; a create or delete rewrites only the stripe that owns
 * its block, so concurrent writers that use different stripes never touch the same record.
 *
 * A delete does not touch the stripes at all: it writes a release record of its own beside
 * them, which a background job later folds into the stripe that counts the resource (one
 * transaction per stripe for up to 23 releases). Deletes never wait for each other.
 *
 * To serve `startIndex=N`, the stripes and the releases not yet folded (read together in
 * one index query) tell which block holds the N-th resource and how many live resources of
 * that block to skip (fewer than BLOCK), so one or two index queries of at most 100 results
 * fetch the page, whatever N is: paging cost grows with the page, not with the offset. The
 * stripes' totals less the pending releases are SCIM's exact `totalResults`.
 *
 * Order: a stripe fills one block at a time, and when it opens a new one it takes the first
 * of its blocks at or after the highest block the writer has seen (the "frontier"). So one
 * client creating users one after another lists them in creation order, and resources
 * created concurrently list close to when they were created.
 *
 * A stripe's block counts are run-length encoded over its own blocks (k-th block of stripe
 * s is block k * STRIPES + s): a stripe that mostly grows is one long run of full blocks, so
 * the records stay a few dozen bytes instead of growing with the directory.
 */
export const BLOCK = 100;
export const STRIPES = 64;

export interface StripeSummary {
  /** The block this stripe is filling (a global block number), or -1 before its first. */
  block: number;
  /** Sequence numbers of that block handed out so far (0..BLOCK). */
  used: number;
  /** Live resources in this stripe's blocks. */
  total: number;
  /** Stripe-local index of the first run; leading empty blocks are trimmed away. */
  base: number;
  /** Block counts as [count, repeat, count, repeat, …], adjacent runs never equal. */
  runs: number[];
  /** Fold transactions that wrote this stripe (absent: none yet); see stripes.ts readAll. */
  folds?: number;
  /** The sequence numbers each of the last few of those folds released, oldest first. */
  recent?: number[][];
}

export function emptyStripe(): StripeSummary {
  return { block: -1, used: 0, total: 0, base: 0, runs: [] };
}

/** The stripe whose record counts sequence number `seq`. */
export function stripeOf(seq: number): number {
  return Math.floor(seq / BLOCK) % STRIPES;
}

/** The stripe's block counts written out one per block, from `base` on (tests, debugging). */
export function blockCounts(summary: StripeSummary): number[] {
  const counts: number[] = [];
  for (let i = 0; i < summary.runs.length; i += 2) {
    for (let j = 0; j < summary.runs[i + 1]; j++) counts.push(summary.runs[i]);
  }
  return counts;
}

/**
 * Hands out the next sequence number of `stripe`. `frontier` is the highest block the
 * caller has seen in any stripe: a new block is opened at or after it.
 */
export function allocate(
  stripe: number,
  summary: StripeSummary,
  frontier = 0,
): { summary: StripeSummary; seq: number } {
  let { block, used } = summary;
  if (block < 0 || used >= BLOCK) {
    const from = Math.max(block + 1, frontier);
    block = from + ((((stripe - from) % STRIPES) + STRIPES) % STRIPES);
    used = 0;
  }
  const seq = block * BLOCK + used;
  const counted = count(summary, localIndex(block), +1);
  return { seq, summary: { ...counted, block, used: used + 1, total: summary.total + 1 } };
}

/** Whether `summary`, the summary of `stripe`, counts a resource in the block of `seq`. */
export function counts(stripe: number, summary: StripeSummary, seq: number): boolean {
  const block = Math.floor(seq / BLOCK);
  const index = localIndex(block) - summary.base;
  return (
    seq >= 0 &&
    block % STRIPES === stripe &&
    index >= 0 &&
    index < runLength(summary.runs) &&
    countAt(summary.runs, index) > 0
  );
}

/**
 * Whether `summary`, the summary of the stripe that owns `seq` (undefined: not read), had
 * handed `seq` out: a stripe hands out its blocks in order, and each block from 0 to BLOCK.
 */
export function handedOut(seq: number, summary: StripeSummary | undefined): boolean {
  if (!summary || seq < 0) return false;
  const block = Math.floor(seq / BLOCK);
  return block < summary.block || (block === summary.block && seq % BLOCK < summary.used);
}

/** Uncounts sequence number `seq`, which `stripe` must count. */
export function release(stripe: number, summary: StripeSummary, seq: number): StripeSummary {
  if (!counts(stripe, summary, seq)) throw new Error(`Sequence ${seq} is not counted in stripe ${stripe}.`);
  return { ...count(summary, localIndex(Math.floor(seq / BLOCK)), -1), total: summary.total - 1 };
}

/** Everything a reader needs: every stripe, and the releases not yet folded into them. */
export interface OrderView {
  stripes: Map<number, StripeSummary>;
  /** Sequence numbers of deleted resources their stripes still count. */
  released: number[];
}

/** Live resources: SCIM `totalResults` for an unfiltered list. */
export function totalOf(view: OrderView): number {
  let total = 0;
  for (const summary of view.stripes.values()) total += summary.total;
  return total - view.released.length;
}

/** The highest block any of the stripes is filling: where new blocks should open. */
export function frontierOf(stripes: Iterable<StripeSummary>): number {
  let frontier = 0;
  for (const summary of stripes) frontier = Math.max(frontier, summary.block);
  return frontier;
}

/**
 * Where the resource at 1-based position `startIndex` is: list from sequence `fromSeq`
 * and skip `skip` live resources. Undefined when the position is past the end.
 */
export function locate(view: OrderView, startIndex: number): { fromSeq: number; skip: number } | undefined {
  if (startIndex < 1 || startIndex > totalOf(view)) return undefined;
  // Live resources per non-empty block of every stripe: about one block per BLOCK resources.
  const live = new Map<number, number>();
  for (const [stripe, summary] of view.stripes) {
    let k = summary.base;
    for (let i = 0; i < summary.runs.length; i += 2) {
      const [c, repeat] = [summary.runs[i], summary.runs[i + 1]];
      if (c > 0) for (let j = 0; j < repeat; j++) live.set((k + j) * STRIPES + stripe, c);
      k += repeat;
    }
  }
  for (const seq of view.released) {
    const block = Math.floor(seq / BLOCK);
    live.set(block, (live.get(block) ?? 0) - 1);
  }
  const blocks = [...live].sort((a, b) => a[0] - b[0]);
  let before = 0;
  for (const [block, c] of blocks) {
    if (c <= 0) continue;
    if (before + c >= startIndex) return { fromSeq: block * BLOCK, skip: startIndex - 1 - before };
    before += c;
  }
  return undefined;
}

/** The stripe-local index of a block. */
function localIndex(block: number): number {
  return Math.floor(block / STRIPES);
}

/** Adds `delta` to the count of stripe-local block `k`, then trims leading empty blocks. */
function count(summary: StripeSummary, k: number, delta: number): StripeSummary {
  let { base, runs } = summary;
  if (runs.length === 0) {
    base = k;
  } else if (k < base) {
    // Possible after trimming: the block being filled emptied and was trimmed away.
    runs = normalize([0, base - k, ...runs]);
    base = k;
  }
  const length = runLength(runs);
  if (k - base >= length) runs = normalize([...runs, 0, k - base - length + 1]);
  runs = adjust(runs, k - base, delta);
  if (runs.length > 0 && runs[0] === 0) {
    base += runs[1];
    runs = runs.slice(2);
  }
  return { ...summary, base, runs };
}

function runLength(runs: number[]): number {
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

/** Adds `delta` to the block at `index`, splitting and re-merging runs as needed. */
function adjust(runs: number[], index: number, delta: number): number[] {
  const result: number[] = [];
  let start = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const [c, repeat] = [runs[i], runs[i + 1]];
    if (index >= start && index < start + repeat) {
      const left = index - start;
      const right = repeat - left - 1;
      if (left > 0) result.push(c, left);
      result.push(c + delta, 1);
      if (right > 0) result.push(c, right);
    } else {
      result.push(c, repeat);
    }
    start += repeat;
  }
  return normalize(result);
}

/** Merges adjacent runs of equal count and drops runs of length zero. */
function normalize(runs: number[]): number[] {
  const result: number[] = [];
  for (let i = 0; i < runs.length; i += 2) {
    const [c, repeat] = [runs[i], runs[i + 1]];
    if (repeat === 0) continue;
    const last = result.length - 2;
    if (last >= 0 && result[last] === c) result[last + 1] += repeat;
    else result.push(c, repeat);
  }
  return result;
}
