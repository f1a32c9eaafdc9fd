/**
 * The measurement loop: every sample is one request through the real web trigger handler,
 * timed with process.hrtime.bigint() around handleWebTrigger only. Building the event,
 * checking the response and any setup or clean-up a sample needs run outside the timed
 * window, and the round-trip counter is reset right before the timed call, so setup work
 * is neither timed nor counted.
 *
 * The store stack under the app is CountingStore → TimingStore → LocalEntityStore.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import type { App } from '../../src/app';
import type { WebTriggerEvent, WebTriggerResponse } from '../../src/webtrigger/event';
import type { CountingStore, RoundTrips } from '../support/counting-store';
import type { TimingStore } from './timing-store';

/** One request to time. */
export interface Sample {
  event: WebTriggerEvent;
  /** The status the request must answer with; anything else aborts the benchmark. */
  status: number;
  /** Shown when this sample turns out to be the worst one (e.g. "startIndex=4,201"). */
  label?: string;
}

export interface OperationSpec {
  /** Stable key the targets refer to. */
  key: string;
  /** Human-readable name for the table. */
  name: string;
  /** Measured samples (may be set by prepare). */
  samples: number;
  warmup: number;
  /** Prepares sample `index` (untimed, uncounted). Warm-up samples come first. */
  next(index: number): Promise<Sample> | Sample;
  /** Bookkeeping or clean-up after sample `index` (untimed, uncounted). */
  after?(response: WebTriggerResponse, index: number): Promise<void> | void;
  /**
   * Runs once, right before the first sample, when the state the operation depends on is
   * final (the Okta import counts its pages only after creates and deletes are done).
   */
  prepare?(): Promise<void>;
}

export interface Measurement {
  key: string;
  name: string;
  samples: number;
  minRoundTrips: number;
  maxRoundTrips: number;
  /** Round trips by kind in the sample with the most round trips. */
  worstMix: RoundTrips;
  /** Label of the sample with the most round trips (the slowest of those on a tie). */
  worstLabel?: string;
  p50Ms: number;
  p95Ms: number;
  /** Median time spent waiting on the store (see TimingStore). */
  storeP50Ms: number;
  /** Median of latency minus store time: the service's own code. */
  restP50Ms: number;
  /** Sequential throughput: samples divided by their summed latency. */
  opsPerSecond: number;
}

/**
 * A full garbage collection between operations, so one operation's garbage is not
 * collected on another's clock. `npm run bench` runs plain tsx, so --expose-gc is turned
 * on at run time instead of on the command line.
 */
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

export function collectGarbage(): void {
  collect();
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * The samples of one operation at one scale, taken in chunks: the benchmark interleaves
 * the scales chunk by chunk, so that a burst of load from elsewhere on the machine lands
 * on every scale alike instead of on whichever scale happened to be running.
 */
export class OperationRun {
  private index = 0;
  private readonly latencies: number[] = [];
  private readonly storeTimes: number[] = [];
  private readonly restTimes: number[] = [];
  private minRoundTrips = Number.POSITIVE_INFINITY;
  private maxRoundTrips = -1;
  private worstMix: RoundTrips = { get: 0, createIfAbsent: 0, query: 0, transact: 0 };
  private worstLabel: string | undefined;
  private worstLatency = -1;

  constructor(
    private readonly app: App,
    private readonly store: CountingStore,
    private readonly timer: TimingStore,
    readonly spec: OperationSpec,
  ) {}

  /** Measured (not warm-up) samples still to take. */
  get remaining(): number {
    return this.spec.warmup + this.spec.samples - Math.max(this.index, this.spec.warmup);
  }

  /** Takes up to `count` measured samples, preceded by any warm-up not yet done. */
  async run(count: number): Promise<void> {
    const end = Math.min(
      this.spec.warmup + this.spec.samples,
      Math.max(this.index, this.spec.warmup) + count,
    );
    while (this.index < end) await this.sample(this.index++);
  }

  private async sample(index: number): Promise<void> {
    const { spec, store, timer } = this;
    const sample = await spec.next(index);
    store.reset();
    timer.reset();
    const started = process.hrtime.bigint();
    const response = await this.app.handleWebTrigger(sample.event);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const storeMs = timer.elapsedMs;
    const roundTrips = store.total;
    const mix = { ...store.counts };

    if (response.statusCode !== sample.status) {
      throw new Error(
        `${spec.name}: expected status ${sample.status}, got ${response.statusCode} ` +
          `for ${sample.event.method} ${sample.event.userPath ?? ''}: ${response.body ?? ''}`,
      );
    }
    await spec.after?.(response, index);
    if (index < spec.warmup) return;

    this.latencies.push(elapsedMs);
    this.storeTimes.push(storeMs);
    this.restTimes.push(elapsedMs - storeMs);
    this.minRoundTrips = Math.min(this.minRoundTrips, roundTrips);
    if (
      roundTrips > this.maxRoundTrips ||
      (roundTrips === this.maxRoundTrips && elapsedMs > this.worstLatency)
    ) {
      this.maxRoundTrips = roundTrips;
      this.worstMix = mix;
      this.worstLabel = sample.label;
      this.worstLatency = elapsedMs;
    }
  }

  result(): Measurement {
    const ascending = (values: number[]) => [...values].sort((a, b) => a - b);
    const sorted = ascending(this.latencies);
    const totalMs = sorted.reduce((sum, ms) => sum + ms, 0);
    return {
      key: this.spec.key,
      name: this.spec.name,
      samples: sorted.length,
      minRoundTrips: this.minRoundTrips,
      maxRoundTrips: this.maxRoundTrips,
      worstMix: this.worstMix,
      worstLabel: this.worstLabel,
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      storeP50Ms: percentile(ascending(this.storeTimes), 50),
      restP50Ms: percentile(ascending(this.restTimes), 50),
      opsPerSecond: totalMs > 0 ? (sorted.length * 1000) / totalMs : Number.NaN,
    };
  }
}
