/** Wraps a store and counts its round trips: what a SCIM operation costs on Forge. */
import { EntityStore, IndexQuery, QueryPage, WriteOperation } from '../../src/storage/port';

export interface RoundTrips {
  get: number;
  createIfAbsent: number;
  query: number;
  transact: number;
}

export class CountingStore implements EntityStore {
  counts: RoundTrips = { get: 0, createIfAbsent: 0, query: 0, transact: 0 };

  constructor(private readonly inner: EntityStore) {}

  reset(): void {
    this.counts = { get: 0, createIfAbsent: 0, query: 0, transact: 0 };
  }

  get total(): number {
    const c = this.counts;
    return c.get + c.createIfAbsent + c.query + c.transact;
  }

  get<T>(entity: string, key: string): Promise<T | undefined> {
    this.counts.get++;
    return this.inner.get<T>(entity, key);
  }

  createIfAbsent(entity: string, key: string, value: object): Promise<boolean> {
    this.counts.createIfAbsent++;
    return this.inner.createIfAbsent(entity, key, value);
  }

  query<T>(query: IndexQuery): Promise<QueryPage<T>> {
    this.counts.query++;
    return this.inner.query<T>(query);
  }

  transact(operations: WriteOperation[]): Promise<void> {
    this.counts.transact++;
    return this.inner.transact(operations);
  }
}
