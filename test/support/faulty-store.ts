/**
 * Wraps a store and makes chosen calls fail, the way Forge storage does in production: a
 * rate limit (429) or a 5xx surfaces as a TransientStorageError, and an invocation can die
 * at any point between two round trips. Rules are checked before each call reaches the
 * inner store, so a failed call has no effect, unless the rule says `after: true`: then the
 * call is applied and its answer is lost (a gateway timeout after the commit).
 */
import {
  EntityStore,
  IndexQuery,
  QueryPage,
  TransientStorageError,
  WriteOperation,
} from '../../src/storage/port';

export type StoreMethod = 'get' | 'createIfAbsent' | 'query' | 'transact';

/** What a call to the store was about, for matching rules and for test assertions. */
export interface StoreCall {
  method: StoreMethod;
  /** 1-based number of this call since the store was created or `resetLog()` was called. */
  index: number;
  entity: string;
  key?: string;
  query?: IndexQuery;
  operations?: WriteOperation[];
}

export interface FaultRule {
  match: (call: StoreCall) => boolean;
  /** The error the failed call rejects with. */
  error?: () => Error;
  /** How many matching calls fail; default 1. */
  times?: number;
  /** Apply the call to the inner store before failing it (the answer is lost). */
  after?: boolean;
  /** After this rule fires, every further call fails until `heal()`: the process died. */
  crash?: boolean;
}

/** Thrown by every call once a simulated crash has happened. */
export class SimulatedCrash extends Error {
  constructor(call: StoreCall) {
    super(`Simulated crash at store call ${call.index} (${call.method} ${call.entity}).`);
    this.name = 'SimulatedCrash';
  }
}

export const transient = (): Error => new TransientStorageError('Simulated 429 Too Many Requests.');

export class FaultyStore implements EntityStore {
  /** Every call made, in order, including the failed ones. */
  readonly log: StoreCall[] = [];
  /** Calls that were failed by a rule or by a crash. */
  readonly failed: StoreCall[] = [];
  private rules: (FaultRule & { remaining: number })[] = [];
  private crashed = false;
  private counter = 0;

  constructor(private readonly inner: EntityStore) {}

  /** Adds a rule; rules are tried in the order they were added. */
  fail(rule: FaultRule): this {
    this.rules.push({ ...rule, remaining: rule.times ?? 1 });
    return this;
  }

  /** Fails the n-th call (1-based) counted from now. */
  failNthCall(n: number, rule: Omit<FaultRule, 'match'> = {}): this {
    const target = this.counter + n;
    return this.fail({ ...rule, match: (call) => call.index === target });
  }

  /** Clears every rule and ends a simulated crash: the next invocation starts afresh. */
  heal(): void {
    this.rules = [];
    this.crashed = false;
  }

  get isCrashed(): boolean {
    return this.crashed;
  }

  /** Rules that have not fired as often as they were asked to. */
  get pendingRules(): number {
    return this.rules.filter((r) => r.remaining > 0).length;
  }

  get calls(): number {
    return this.counter;
  }

  get<T>(entity: string, key: string): Promise<T | undefined> {
    return this.run({ method: 'get', entity, key }, () => this.inner.get<T>(entity, key));
  }

  createIfAbsent(entity: string, key: string, value: object): Promise<boolean> {
    return this.run({ method: 'createIfAbsent', entity, key }, () =>
      this.inner.createIfAbsent(entity, key, value),
    );
  }

  query<T>(query: IndexQuery): Promise<QueryPage<T>> {
    return this.run({ method: 'query', entity: query.entity, query }, () => this.inner.query<T>(query));
  }

  transact(operations: WriteOperation[]): Promise<void> {
    const entity = [...new Set(operations.map((o) => o.entity))].join(',');
    return this.run({ method: 'transact', entity, operations }, () => this.inner.transact(operations));
  }

  private async run<T>(partial: Omit<StoreCall, 'index'>, call: () => Promise<T>): Promise<T> {
    const info: StoreCall = { ...partial, index: ++this.counter };
    this.log.push(info);
    if (this.crashed) {
      this.failed.push(info);
      throw new SimulatedCrash(info);
    }
    const rule = this.rules.find((r) => r.remaining > 0 && r.match(info));
    if (!rule) return call();
    rule.remaining--;
    if (rule.after) await call();
    this.failed.push(info);
    if (rule.crash) this.crashed = true;
    throw rule.error ? rule.error() : rule.crash ? new SimulatedCrash(info) : transient();
  }
}

/** Whether a transaction writes or deletes a record of `entity`. */
export function touches(call: StoreCall, entity: string, type?: 'set' | 'delete'): boolean {
  return (
    call.method === 'transact' &&
    (call.operations ?? []).some((o) => o.entity === entity && (type === undefined || o.type === type))
  );
}
