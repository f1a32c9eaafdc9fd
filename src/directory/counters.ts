import { EntityStore, WriteOperation } from '../storage/port';
import { COUNTER } from './entities';
import { emptySummary, OrderSummary } from './order';

interface CounterRecord {
  v: number;
  doc: OrderSummary;
}

export interface VersionedSummary {
  version: number;
  summary: OrderSummary;
}

/** The order summary of one resource collection, updated under optimistic concurrency. */
export class OrderCounter {
  constructor(
    private readonly store: EntityStore,
    private readonly key: string,
  ) {}

  async read(): Promise<VersionedSummary> {
    let record = await this.store.get<CounterRecord>(COUNTER, this.key);
    if (!record) {
      await this.store.createIfAbsent(COUNTER, this.key, { v: 0, doc: emptySummary() });
      record = (await this.store.get<CounterRecord>(COUNTER, this.key)) as CounterRecord;
    }
    return { version: record.v, summary: record.doc };
  }

  write(previous: VersionedSummary, summary: OrderSummary): WriteOperation {
    return {
      type: 'set',
      entity: COUNTER,
      key: this.key,
      value: { v: previous.version + 1, doc: summary },
      condition: { attribute: 'v', equals: previous.version },
    };
  }
}
