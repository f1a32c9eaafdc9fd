/**
 * The order stripes behind positional paging (src/directory/order.ts): startIndex=N must
 * land on the N-th live resource in sequence order, after any mix of creates and deletes
 * spread over any stripes, without scanning the resources before it.
 */
import fc from 'fast-check';
import {
  allocate,
  BLOCK,
  blockCounts,
  counts,
  emptyStripe,
  frontierOf,
  locate,
  OrderView,
  release,
  STRIPES,
  stripeOf,
  StripeSummary,
  totalOf,
} from '../../src/directory/order';

/** Stripes and the live sequence numbers they count, as a writer sees them. */
class Model {
  readonly stripes = new Map<number, StripeSummary>();
  readonly live = new Set<number>();
  /** Deleted, and not folded into their stripes yet. */
  readonly released: number[] = [];

  create(stripe: number): number {
    const { seq, summary } = allocate(stripe, this.get(stripe), frontierOf(this.stripes.values()));
    this.stripes.set(stripe, summary);
    this.live.add(seq);
    return seq;
  }

  delete(seq: number): void {
    const stripe = stripeOf(seq);
    this.stripes.set(stripe, release(stripe, this.get(stripe), seq));
    this.live.delete(seq);
  }

  /** A delete whose release record waits to be folded. */
  deleteLater(seq: number): void {
    this.released.push(seq);
    this.live.delete(seq);
  }

  fold(): void {
    for (const seq of this.released.splice(0)) {
      this.stripes.set(stripeOf(seq), release(stripeOf(seq), this.get(stripeOf(seq)), seq));
    }
  }

  get view(): OrderView {
    return { stripes: this.stripes, released: this.released };
  }

  get(stripe: number): StripeSummary {
    return this.stripes.get(stripe) ?? emptyStripe();
  }

  sorted(): number[] {
    return [...this.live].sort((a, b) => a - b);
  }
}

/** What locate() points at: the `skip`-th live sequence number at or after `fromSeq`. */
function resolve(sorted: number[], position: { fromSeq: number; skip: number } | undefined) {
  if (!position) return undefined;
  const first = sorted.findIndex((seq) => seq >= position.fromSeq);
  return first < 0 ? undefined : sorted[first + position.skip];
}

/** Positions whose locate() lands on the wrong element (empty when all agree). */
function mismatches(model: Model): { startIndex: number; expected: number; found?: number }[] {
  const sorted = model.sorted();
  const wrong: { startIndex: number; expected: number; found?: number }[] = [];
  for (let n = 1; n <= sorted.length; n++) {
    const found = resolve(sorted, locate(model.view, n));
    if (found !== sorted[n - 1]) wrong.push({ startIndex: n, expected: sorted[n - 1], found });
  }
  return wrong;
}

/** Structural invariants of every stripe. */
function expectWellFormed(model: Model): void {
  expect(totalOf(model.view)).toBe(model.live.size);
  if (model.released.length > 0) return;
  for (const [stripe, summary] of model.stripes) {
    const perBlock = blockCounts(summary);
    expect(perBlock.reduce((a, b) => a + b, 0)).toBe(summary.total);
    expect(perBlock.every((c) => Number.isInteger(c) && c >= 0 && c <= BLOCK)).toBe(true);
    // Leading empty blocks are trimmed away, so a stripe does not grow with deletions.
    if (perBlock.length > 0) expect(perBlock[0]).toBeGreaterThan(0);
    perBlock.forEach((c, i) => {
      const block = (summary.base + i) * STRIPES + stripe;
      expect([...model.live].filter((s) => Math.floor(s / BLOCK) === block)).toHaveLength(c);
    });
    // Runs are maximal: no two adjacent runs have the same count.
    for (let i = 2; i < summary.runs.length; i += 2) expect(summary.runs[i]).not.toBe(summary.runs[i - 2]);
  }
  for (const seq of model.live) expect(counts(stripeOf(seq), model.get(stripeOf(seq)), seq)).toBe(true);
}

describe('allocate', () => {
  it('hands out consecutive numbers within the block of its stripe', () => {
    const model = new Model();
    expect([model.create(3), model.create(3), model.create(3)]).toEqual([300, 301, 302]);
    expect(model.get(3)).toEqual({ block: 3, used: 3, total: 3, base: 0, runs: [3, 1] });
  });

  it("opens the stripe's next block at or after the frontier when a block is full", () => {
    const model = new Model();
    for (let i = 0; i < BLOCK; i++) model.create(5);
    const next = model.create(5);
    expect(next).toBe((5 + STRIPES) * BLOCK);
    expect(blockCounts(model.get(5))).toEqual([BLOCK, 1]);
  });

  it('lists one writer’s creates in creation order, also when it moves to a new stripe', () => {
    const model = new Model();
    const created: number[] = [];
    // A stripe opens its first block at or after the frontier, past every block in use.
    for (const stripe of [9, 9, 2, 2, 40, 7, 7]) created.push(model.create(stripe));
    expect(created).toEqual([...created].sort((a, b) => a - b));
  });

  it('gives every stripe its own blocks: no sequence number is handed out twice', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: STRIPES - 1 }), { maxLength: 800 }), (stripes) => {
        const model = new Model();
        const seqs = stripes.map((s) => model.create(s));
        expect(new Set(seqs).size).toBe(seqs.length);
        seqs.forEach((seq, i) => expect(stripeOf(seq)).toBe(stripes[i]));
      }),
      { numRuns: 100 },
    );
  });

  it('does not change the summary it was given', () => {
    const model = new Model();
    model.create(1);
    const before = structuredClone(model.get(1));
    allocate(1, model.get(1), 0);
    expect(model.get(1)).toEqual(before);
  });
});

describe('release', () => {
  it('uncounts a sequence number and trims leading empty blocks', () => {
    const model = new Model();
    const seqs = Array.from({ length: BLOCK + 5 }, () => model.create(0));
    for (const seq of seqs.slice(0, BLOCK)) model.delete(seq);
    expect(model.get(0).base).toBe(1);
    expect(blockCounts(model.get(0))).toEqual([5]);
    expect(model.get(0).total).toBe(5);
  });

  it('keeps counting the block being filled after it emptied and was trimmed', () => {
    const model = new Model();
    const first = model.create(4);
    model.delete(first);
    expect(model.get(4).runs).toEqual([]);
    const second = model.create(4);
    expect(second).toBe(first + 1);
    expectWellFormed(model);
    expect(mismatches(model)).toEqual([]);
  });

  it('refuses a sequence number its stripe does not count', () => {
    const model = new Model();
    const seq = model.create(2);
    expect(() => release(3, model.get(3), seq)).toThrow();
    expect(() => release(2, model.get(2), seq + BLOCK * STRIPES)).toThrow();
    expect(() => release(2, model.get(2), -1)).toThrow();
    model.delete(seq);
    // Releasing twice would make totalResults wrong.
    expect(() => release(2, model.get(2), seq)).toThrow();
  });
});

describe('locate', () => {
  it('is undefined outside 1..total', () => {
    const model = new Model();
    expect(locate(model.view, 1)).toBeUndefined();
    for (let i = 0; i < 5; i++) model.create(i);
    expect(locate(model.view, 0)).toBeUndefined();
    expect(locate(model.view, 6)).toBeUndefined();
  });

  it('finds positions across blocks of different stripes', () => {
    const model = new Model();
    for (let i = 0; i < 150; i++) model.create(i % 3);
    expect(mismatches(model)).toEqual([]);
  });

  it('keeps skip below BLOCK, so one or two queries of 100 serve any page', () => {
    const model = new Model();
    for (let i = 0; i < 1000; i++) model.create(i % 7);
    for (let n = 1; n <= 1000; n++)
      expect((locate(model.view, n) as { skip: number }).skip).toBeLessThan(BLOCK);
  });
});

describe('against a naive array (property)', () => {
  type Step =
    { kind: 'create'; stripe: number } | { kind: 'delete'; pick: number; later: boolean } | { kind: 'fold' };

  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.integer({ min: 0, max: STRIPES - 1 }).map((stripe): Step => ({ kind: 'create', stripe })),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.nat(), fc.boolean())
        .map(([pick, later]): Step => ({ kind: 'delete', pick, later })),
    },
    { weight: 1, arbitrary: fc.constant<Step>({ kind: 'fold' }) },
  );

  function run(steps: Step[], stripesInUse: number): Model {
    const model = new Model();
    for (const s of steps) {
      if (s.kind === 'create') model.create(s.stripe % stripesInUse);
      else if (s.kind === 'fold') model.fold();
      else if (model.live.size > 0) {
        const seq = model.sorted()[s.pick % model.live.size];
        if (s.later) model.deleteLater(seq);
        else model.delete(seq);
      }
    }
    return model;
  }

  it.each([1, 3, STRIPES])(
    'locate(startIndex) finds the same element as the naive array, writers on %i stripes, releases folded or not',
    (stripesInUse) => {
      fc.assert(
        // size 'large': without it fast-check keeps arrays to about ten steps.
        fc.property(fc.array(step, { maxLength: 600, size: 'large' }), (steps) => {
          const model = run(steps, stripesInUse);
          expectWellFormed(model);
          expect(mismatches(model)).toEqual([]);
          expect(locate(model.view, model.live.size + 1)).toBeUndefined();
        }),
        { numRuns: 60 },
      );
    },
  );

  it('also in long histories where most resources were deleted (sparse blocks)', () => {
    const burst = fc.tuple(fc.integer({ min: 1, max: 250 }), fc.integer({ min: 0, max: 250 }), fc.nat());
    fc.assert(
      fc.property(fc.array(burst, { minLength: 1, maxLength: 12, size: 'large' }), (bursts) => {
        const steps: Step[] = [];
        for (const [creates, deletes, seed] of bursts) {
          for (let i = 0; i < creates; i++) steps.push({ kind: 'create', stripe: (seed + i) % 4 });
          for (let i = 0; i < deletes; i++) {
            steps.push({ kind: 'delete', pick: seed * 31 + i * 17, later: i % 3 === 0 });
          }
        }
        const model = run(steps, STRIPES);
        expectWellFormed(model);
        expect(mismatches(model)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
