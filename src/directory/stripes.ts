/**
 * The order stripes of one resource collection (see order.ts), as records in the entity
 * store, and how this process shares them among its concurrent requests; and the release
 * records deletes write beside them, with the fold that takes them into the stripes.
 *
 * Each stripe is written under optimistic concurrency (a condition on its version), so
 * writers in different processes can never lose each other's counts. Within one process,
 * requests run concurrently on one event loop; they would only fail each other's conditions
 * if they wrote the same stripe, so a create takes a stripe no request of this process is
 * writing, and each process remembers the last version of the stripes it wrote, which
 * saves reading a stripe before writing it. A stripe another process wrote since fails the
 * condition; the writer then reads it and tries again, and moves its preferred stripe
 * elsewhere, so processes that collided spread out.
 */
import { ConditionFailedError, EntityStore, FORGE_LIMITS, WriteOperation } from '../storage/port';
import { COUNTER } from './entities';
import {
  counts,
  emptyStripe,
  frontierOf,
  handedOut,
  OrderView,
  release,
  stripeOf,
  STRIPES,
  StripeSummary,
} from './order';
import { backOff, MAX_OPTIMISTIC_ATTEMPTS } from './retry';

interface StripeRecord {
  v: number;
  collection: string;
  doc: StripeSummary;
}

/** Indexed under `<collection>~released`, which sorts right after `<collection>`. */
interface ReleaseRecord {
  collection: string;
  doc: { seq: number };
}

export interface VersionedStripe {
  stripe: number;
  version: number;
  summary: StripeSummary;
}

/** Reads of the order that a fold may invalidate, before one is answered anyway. */
const MAX_READ_ATTEMPTS = 10;
/** Folds whose sequence numbers a stripe keeps, for the reads they overlap (readAll). */
const RECENT_FOLDS = 4;

export class OrderStripes {
  /** The last version of each stripe this process read or wrote. */
  private readonly known = new Map<number, VersionedStripe>();
  /** Stripes a request of this process is writing, with the requests waiting for them. */
  private readonly held = new Map<number, (() => void)[]>();
  /** Where this process starts looking for a free stripe. */
  private preferred = Math.floor(Math.random() * STRIPES);
  /** The highest block seen in any stripe: new blocks open at or after it. */
  private seenFrontier = 0;
  /** Whether this process has read every stripe once (one query instead of one get each). */
  private warmed = false;

  constructor(
    private readonly store: EntityStore,
    private readonly collection: string,
  ) {}

  get frontier(): number {
    return this.seenFrontier;
  }

  /**
   * Every stripe of the collection and its pending releases, in one index query while at
   * most 100 - STRIPES releases wait to be folded (the stripes sort first).
   *
   * With more pending, the read takes several pages, and it must still add up to what one
   * moment held. A fold committing between two pages uncounts releases in a stripe already
   * read and deletes their records from a page not read yet: the deletion would be counted
   * as live (the total came out above the real count while the jobs of a burst of deletions
   * ran, with nobody left). So such a read asks the stripes again afterwards (one more
   * query) whether they were folded meanwhile (`folds`); each stripe keeps the sequence
   * numbers of its last few folds (`recent`), which the read then subtracts too: they were
   * counted by the stripe it read and are gone. Only a stripe folded more often than that
   * in between makes it read again. The other change between pages, a resource created
   * after its stripe was read and deleted before its release was, is left out by
   * `handedOut`: the stripe read never counted it.
   */
  async readAll(): Promise<OrderView> {
    this.warmed = true;
    for (let attempt = 1; ; attempt++) {
      const { view, pages } = await this.readPages();
      this.seenFrontier = Math.max(this.seenFrontier, frontierOf(view.stripes.values()));
      // Folds come in bursts and are short: a reader that keeps losing to them answers with
      // its last read rather than not at all.
      if (pages === 1) return view;
      const checked = await this.foldedSince(view);
      if (checked || attempt >= MAX_READ_ATTEMPTS) return checked ?? view;
      await backOff(attempt);
    }
  }

  private async readPages(): Promise<{ view: OrderView; pages: number }> {
    const stripes = new Map<number, StripeSummary>();
    const released: number[] = [];
    let pages = 0;
    let cursor: string | undefined;
    do {
      const page = await this.store.query<StripeRecord | ReleaseRecord>({
        entity: COUNTER,
        index: 'by-collection',
        where: { op: 'between', from: this.collection, to: this.releasedCollection },
        limit: FORGE_LIMITS.maxQueryLimit,
        cursor,
      });
      pages++;
      for (const { key, value } of page.results) {
        if (key.startsWith(this.releasePrefix)) {
          released.push((value as ReleaseRecord).doc.seq);
          continue;
        }
        const stripe = this.stripeOfKey(key);
        if (stripe === undefined) continue;
        const record = value as StripeRecord;
        stripes.set(stripe, record.doc);
        this.remember({ stripe, version: record.v, summary: record.doc });
      }
      cursor = page.nextCursor;
    } while (cursor);
    const summaryOf = (seq: number) => stripes.get(stripeOf(seq));
    return {
      view: { stripes, released: released.filter((seq) => handedOut(seq, summaryOf(seq))) },
      pages,
    };
  }

  /**
   * `view` with the releases folded since it was read added back (one query); undefined
   * when a stripe was folded more often meanwhile than it remembers (`recent`).
   */
  private async foldedSince(view: OrderView): Promise<OrderView | undefined> {
    const page = await this.store.query<StripeRecord>({
      entity: COUNTER,
      index: 'by-collection',
      where: { op: 'equalTo', value: this.collection },
      limit: FORGE_LIMITS.maxQueryLimit,
    });
    const released = new Set(view.released);
    for (const { key, value } of page.results) {
      const stripe = this.stripeOfKey(key);
      if (stripe === undefined) continue;
      this.remember({ stripe, version: value.v, summary: value.doc });
      const before = view.stripes.get(stripe);
      const missed = (value.doc.folds ?? 0) - (before?.folds ?? 0);
      if (!before || missed === 0) continue;
      const recent = value.doc.recent ?? [];
      if (missed > recent.length) return undefined;
      for (const seqs of recent.slice(recent.length - missed))
        for (const seq of seqs) if (handedOut(seq, before) && counts(stripe, before, seq)) released.add(seq);
    }
    return { stripes: view.stripes, released: [...released] };
  }

  /** The release record a delete commits with the resource's deletion. */
  releaseOperation(id: string, seq: number): WriteOperation {
    const value: ReleaseRecord = { collection: this.releasedCollection, doc: { seq } };
    return { type: 'set', entity: COUNTER, key: `${this.releasePrefix}${id}`, value };
  }

  /**
   * Folds pending releases into their stripes: per stripe, one transaction that uncounts up
   * to 23 releases and deletes their records, so a release is counted exactly once whatever
   * fails. True when none are left; false when the deadline passed first.
   *
   * Several folds run at once (every deletion's job starts one, and the queue consumer runs
   * jobs concurrently), and each works from the releases its query listed. A release another
   * fold took since is still listed, and its stripe usually still counts its block (other
   * resources live there), so uncounting it again would pass every check on the stripe:
   * `totalResults` would drop below the real count and `locate` would skip and repeat
   * resources. So each release record is deleted on the condition that it is still there: a
   * transaction listing a release someone else folded fails as a whole, and the fold starts
   * again from a fresh query rather than retrying the stale list.
   */
  async fold(deadline = Number.POSITIVE_INFINITY): Promise<boolean> {
    const batch = FORGE_LIMITS.maxTransactionOperations - 2;
    // Rounds in a row that lost every race: only a fold that never wins gives up.
    for (let round = 0; ;) {
      const page = await this.store.query<ReleaseRecord>({
        entity: COUNTER,
        index: 'by-collection',
        where: { op: 'equalTo', value: this.releasedCollection },
        limit: FORGE_LIMITS.maxQueryLimit,
      });
      const pending = page.results;
      if (pending.length === 0) return true;
      if (Date.now() > deadline) return false;
      const byStripe = new Map<number, { key: string; seq: number }[]>();
      for (const { key, value } of pending) {
        const stripe = stripeOf(value.doc.seq);
        const list = byStripe.get(stripe) ?? [];
        if (list.length < batch) list.push({ key, seq: value.doc.seq });
        byStripe.set(stripe, list);
      }
      let won = false;
      for (const [stripe, releases] of byStripe) {
        try {
          await this.foldInto(stripe, releases);
          won = true;
        } catch (error) {
          // Lost to another writer of the stripe or of these releases, which made progress.
          if (!(error instanceof ConditionFailedError)) throw error;
        }
      }
      if (won) round = 0;
      else if (++round >= MAX_OPTIMISTIC_ATTEMPTS) throw new ConditionFailedError();
      else await backOff(round);
    }
  }

  /** One fold transaction: uncounts `releases` in `stripe` and deletes their records. */
  private foldInto(stripe: number, releases: { key: string; seq: number }[]): Promise<void> {
    return this.withStripe(stripe, async (remembered) => {
      const current = releases.every((r) => counts(stripe, remembered.summary, r.seq))
        ? remembered
        : await this.read(stripe);
      // Every fold is counted, so a reader can tell that pending releases went (readAll).
      let summary: StripeSummary = {
        ...current.summary,
        folds: (current.summary.folds ?? 0) + 1,
        recent: [...(current.summary.recent ?? []), releases.map((r) => r.seq)].slice(-RECENT_FOLDS),
      };
      // A release its stripe does not count (state from an older layout) is dropped.
      for (const r of releases) if (counts(stripe, summary, r.seq)) summary = release(stripe, summary, r.seq);
      await this.store.transact([
        this.writeOperation(current, summary),
        ...releases.map((r): WriteOperation => ({
          type: 'delete',
          entity: COUNTER,
          key: r.key,
          // Still pending: no other fold has uncounted it (see fold()).
          condition: { attribute: 'collection', equals: this.releasedCollection },
        })),
      ]);
      this.committed(current, summary);
    });
  }

  /**
   * Runs `write` holding a stripe no other request of this process holds, waiting only
   * when every stripe is held. `write` must commit `writeOperation(current, …)` and may
   * throw; the stripe's remembered version is trusted again only after it succeeds.
   */
  async withFreeStripe<T>(write: (current: VersionedStripe) => Promise<T>): Promise<T> {
    for (let i = 0; i < STRIPES; i++) {
      const stripe = (this.preferred + i) % STRIPES;
      if (!this.held.has(stripe)) return this.withStripe(stripe, write);
    }
    return this.withStripe(this.preferred, write);
  }

  /** Runs `write` holding `stripe` (for deletes: the stripe that counts the resource). */
  async withStripe<T>(stripe: number, write: (current: VersionedStripe) => Promise<T>): Promise<T> {
    await this.hold(stripe);
    try {
      if (!this.known.has(stripe) && !this.warmed) await this.readAll();
      const current = this.known.get(stripe) ?? (await this.read(stripe));
      this.known.delete(stripe);
      return await write(current);
    } catch (error) {
      // Another process may have written it: start somewhere else next time.
      this.preferred = Math.floor(Math.random() * STRIPES);
      throw error;
    } finally {
      this.release(stripe);
    }
  }

  /** The conditional write of a stripe's new summary; call committed() once it is stored. */
  writeOperation(current: VersionedStripe, summary: StripeSummary): WriteOperation {
    return {
      type: 'set',
      entity: COUNTER,
      key: this.key(current.stripe),
      value: { v: current.version + 1, collection: this.collection, doc: summary },
      condition: { attribute: 'v', equals: current.version },
    };
  }

  /** Records that the write built by writeOperation() committed. */
  committed(current: VersionedStripe, summary: StripeSummary): void {
    this.remember({ stripe: current.stripe, version: current.version + 1, summary });
  }

  /** The stripe as stored now, for a writer that found what it remembered out of date. */
  async read(stripe: number): Promise<VersionedStripe> {
    const key = this.key(stripe);
    let record = await this.store.get<StripeRecord>(COUNTER, key);
    if (!record) {
      const fresh: StripeRecord = { v: 0, collection: this.collection, doc: emptyStripe() };
      if (await this.store.createIfAbsent(COUNTER, key, fresh)) record = fresh;
      else record = (await this.store.get<StripeRecord>(COUNTER, key)) as StripeRecord;
    }
    const current = { stripe, version: record.v, summary: record.doc };
    this.remember(current);
    return current;
  }

  private remember(current: VersionedStripe): void {
    const known = this.known.get(current.stripe);
    // Only a newer version replaces what this process knows (an index read may lag a write).
    if (!known || known.version < current.version) this.known.set(current.stripe, current);
    this.seenFrontier = Math.max(this.seenFrontier, current.summary.block);
  }

  private key(stripe: number): string {
    return `${this.collection}:${stripe.toString().padStart(2, '0')}`;
  }

  private get releasedCollection(): string {
    return `${this.collection}~released`;
  }

  private get releasePrefix(): string {
    return `${this.collection}:released:`;
  }

  private stripeOfKey(key: string): number | undefined {
    const prefix = `${this.collection}:`;
    if (!key.startsWith(prefix)) return undefined;
    const stripe = Number(key.slice(prefix.length));
    return Number.isInteger(stripe) && stripe >= 0 && stripe < STRIPES ? stripe : undefined;
  }

  private async hold(stripe: number): Promise<void> {
    while (this.held.has(stripe)) {
      await new Promise<void>((resolve) => (this.held.get(stripe) as (() => void)[]).push(resolve));
    }
    this.held.set(stripe, []);
  }

  private release(stripe: number): void {
    const waiting = this.held.get(stripe) ?? [];
    this.held.delete(stripe);
    // The woken requests check again: the first to run takes the stripe, the rest queue again.
    for (const resolve of waiting) resolve();
  }
}
