/**
 * Wraps a store and measures the wall time a request spends waiting on it: from a call to
 * its result, with overlapping calls (a group PATCH looks up members concurrently) counted
 * once. The benchmark shows it next to the latency, so a cost that grows with the directory
 * can be told apart: in the store (the local stand-in for Forge's Custom Entity Store) or in
 * the service's own code.
 */
import { WrappedStore } from '../support/wrapped-store';

export class TimingStore extends WrappedStore {
  private inFlight = 0;
  private since = 0n;
  private elapsed = 0n;

  reset(): void {
    this.elapsed = 0n;
  }

  /** Milliseconds with at least one store call outstanding since the last reset. */
  get elapsedMs(): number {
    return Number(this.elapsed) / 1e6;
  }

  protected async around<T>(call: () => Promise<T>): Promise<T> {
    if (this.inFlight++ === 0) this.since = process.hrtime.bigint();
    try {
      return await call();
    } finally {
      if (--this.inFlight === 0) this.elapsed += process.hrtime.bigint() - this.since;
    }
  }
}
