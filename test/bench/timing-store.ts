/**
 * Wraps a store and measures the wall time a request spends waiting on it: from a call to
 * its result, with overlapping calls (a group PATCH looks up members concurrently) counted
 * once. The benchmark shows it next to the latency, so a cost that grows with the directory
 * can be told apart: in the store (the local stand-in for Forge's Custom Entity Store) or in
 * the service's own code.
 */
import { EntityStore, IndexQuery, QueryPage, WriteOperation } from '../../src/storage/port';

export class TimingStore implements EntityStore {
  private inFlight = 0;
  private since = 0n;
  private elapsed = 0n;

  constructor(private readonly inner: EntityStore) {}

  reset(): void {
    this.elapsed = 0n;
  }

  /** Milliseconds with at least one store call outstanding since the last reset. */
  get elapsedMs(): number {
    return Number(this.elapsed) / 1e6;
  }

  get<T>(entity: string, key: string): Promise<T | undefined> {
    return this.timed(() => this.inner.get<T>(entity, key));
  }

  createIfAbsent(entity: string, key: string, value: object): Promise<boolean> {
    return this.timed(() => this.inner.createIfAbsent(entity, key, value));
  }

  query<T>(query: IndexQuery): Promise<QueryPage<T>> {
    return this.timed(() => this.inner.query<T>(query));
  }

  transact(operations: WriteOperation[]): Promise<void> {
    return this.timed(() => this.inner.transact(operations));
  }

  private async timed<T>(call: () => Promise<T>): Promise<T> {
    if (this.inFlight++ === 0) this.since = process.hrtime.bigint();
    try {
      return await call();
    } finally {
      if (--this.inFlight === 0) this.elapsed += process.hrtime.bigint() - this.since;
    }
  }
}
