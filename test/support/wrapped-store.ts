/**
 * A store that sends every call through `around`: the shape shared by the test wrappers that
 * delay calls as a network would (JitterStore, the bench's LatencyStore) or time them
 * (TimingStore). Each says only what it does around a call.
 */
import type { EntityStore, IndexQuery, QueryPage, WriteOperation } from '../../src/storage/port';

export abstract class WrappedStore implements EntityStore {
  constructor(protected readonly inner: EntityStore) {}

  /** Runs one call of the inner store. */
  protected abstract around<T>(call: () => Promise<T>): Promise<T>;

  get<T>(entity: string, key: string): Promise<T | undefined> {
    return this.around(() => this.inner.get<T>(entity, key));
  }

  createIfAbsent(entity: string, key: string, value: object): Promise<boolean> {
    return this.around(() => this.inner.createIfAbsent(entity, key, value));
  }

  query<T>(query: IndexQuery): Promise<QueryPage<T>> {
    return this.around(() => this.inner.query<T>(query));
  }

  transact(operations: WriteOperation[]): Promise<void> {
    return this.around(() => this.inner.transact(operations));
  }
}
