/**
 * The storage port: the subset of Forge's Custom Entity Store (@forge/kvs) the directory
 * needs, with the same semantics and limits. The Forge adapter is a thin mapping onto
 * `kvs.entity()` and `kvs.transact()`; the local adapter enforces the same limits so a test
 * breaks here before Forge would.
 */
export type Scalar = string | number | boolean;

export type RangeCondition =
  | {
      op: 'equalTo' | 'beginsWith' | 'greaterThan' | 'greaterThanEqualTo' | 'lessThan' | 'lessThanEqualTo';
      value: string | number;
    }
  | { op: 'between'; from: string | number; to: string | number };

export interface IndexQuery {
  entity: string;
  index: string;
  /** Values of the index's partition attributes, in declaration order. */
  partition?: Scalar[];
  where?: RangeCondition;
  sort?: 'ASC' | 'DESC';
  /** 1–100; Forge's default is 10. */
  limit?: number;
  cursor?: string;
}

export interface QueryPage<T> {
  results: { key: string; value: T }[];
  nextCursor?: string;
}

/** An equality condition on one attribute of the record currently stored under the key. */
export interface Condition {
  attribute: string;
  equals: Scalar;
}

export type WriteOperation =
  | { type: 'set'; entity: string; key: string; value: object; condition?: Condition }
  | { type: 'delete'; entity: string; key: string; condition?: Condition }
  /** Writes nothing; the transaction fails unless the condition holds (Forge's `check`). */
  | { type: 'check'; entity: string; key: string; condition: Condition };

export interface EntityStore {
  get<T>(entity: string, key: string): Promise<T | undefined>;
  /** Stores the value only if nothing is stored under the key; true when it was stored. */
  createIfAbsent(entity: string, key: string, value: object): Promise<boolean>;
  query<T>(query: IndexQuery): Promise<QueryPage<T>>;
  /** All or nothing; at most 25 operations, each key at most once. */
  transact(operations: WriteOperation[]): Promise<void>;
}

/** A transaction's condition did not hold: someone else changed the record first. */
export class ConditionFailedError extends Error {
  constructor(message = 'A transaction condition did not hold.') {
    super(message);
    this.name = 'ConditionFailedError';
  }
}

/**
 * A request broke one of Forge's storage limits. Always a bug in the caller. `code` is the
 * error code Forge's storage answers with (e.g. KEY_TOO_LONG, MAX_SIZE), so both adapters
 * report the same broken limit the same way.
 */
export class StorageLimitError extends Error {
  constructor(
    message: string,
    readonly code = 'STORAGE_LIMIT',
  ) {
    super(message);
    this.name = 'StorageLimitError';
  }
}

/** Forge's documented Custom Entity Store limits (forge-platform.md §2.4). */
export const FORGE_LIMITS = {
  maxKeyLength: 500,
  keyPattern: /^(?!\s+$)[a-zA-Z0-9:._\s\-#]+$/,
  maxValueBytes: 240 * 1024,
  maxValueDepth: 31,
  maxQueryLimit: 100,
  defaultQueryLimit: 10,
  maxTransactionOperations: 25,
  maxTransactionBytes: 4 * 1024 * 1024,
} as const;

export type AttributeKind = 'string' | 'integer' | 'float' | 'boolean' | 'any';

export interface EntityIndexDefinition {
  name: string;
  range: [string];
  partition?: string[];
}

export interface EntityDefinition {
  name: string;
  attributes: Record<string, AttributeKind>;
  indexes: EntityIndexDefinition[];
}

/** Storage is temporarily unavailable or rate limited; the operation may be retried. */
export class TransientStorageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientStorageError';
  }
}
