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

/**
 * Forge's documented Key-Value Store and Custom Entity Store limits
 * (https://developer.atlassian.com/platform/forge/limits-kvs-ce/).
 * The Forge docs page each one comes from is named beside it.
 */
export const FORGE_LIMITS = {
  /** `limits-kvs-ce`, "Key and object size limits" (and `handling-errors-*`: KEY_TOO_LONG). */
  maxKeyLength: 500,
  /** `limits-kvs-ce`, "Key format" (and `handling-errors-*`: INVALID_KEY). */
  keyPattern: /^(?!\s+$)[a-zA-Z0-9:._\s\-#]+$/,
  /** `limits-kvs-ce`, "Value size": 240 KiB raw. */
  maxValueBytes: 240 * 1024,
  /** `storage-reference/kvs-api-secret`: secrets "may be up to 128 KiB". */
  maxSecretBytes: 128 * 1024,
  /** `limits-kvs-ce`, "Object depth". */
  maxValueDepth: 31,
  /** `storage-reference/entities-api-query` and `kvs-api-query`: limit 1..100. */
  maxQueryLimit: 100,
  defaultQueryLimit: 10,
  /** `limits-kvs-ce`, "Transaction limits". */
  maxTransactionOperations: 25,
  maxTransactionBytes: 4 * 1024 * 1024,
  /**
   * `limits-kvs-ce`, "Custom Entity Store limits", Index: the combined values of an index's
   * range attributes may not exceed 900 bytes, of its partition attributes 1700 bytes.
   */
  maxIndexRangeBytes: 900,
  maxIndexPartitionBytes: 1700,
  /** `storage-reference/entities-manifest`, "Values": `integer` is a 32-bit signed integer. */
  minInteger: -2_147_483_648,
  maxInteger: 2_147_483_647,
  /**
   * `storage-reference/entities-manifest`, "Values": a `float` is 0 or has a magnitude in
   * 1E-130 .. 9.9999999999999999999999999999999999999E+125: as a double, that bound is 1E+126.
   */
  minFloatMagnitude: 1e-130,
  maxFloatMagnitude: 1e126,
  /** `storage-reference/kvs-api`, TTL: "The maximum supported TTL is 1 year". */
  maxTtlMs: 365 * 24 * 60 * 60 * 1000,
} as const;

/**
 * Whether a string is one Forge refuses in a `string` attribute: `storage-reference/
 * entities-manifest`, "Values": a string "must contain at least one non-whitespace character"
 * and "must not be empty".
 */
export function isBlank(value: string): boolean {
  return !/\S/.test(value);
}

/**
 * Why `value` may not be stored in an attribute of type `kind`, or undefined when it may
 * (`storage-reference/entities-manifest`, "Values"; the Custom Entity Store "strictly enforces
 * attribute types").
 */
export function attributeValueProblem(kind: AttributeKind, value: unknown): string | undefined {
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      return isBlank(value) ? 'must be a string with a non-whitespace character' : undefined;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return 'must be an integer';
      return value < FORGE_LIMITS.minInteger || value > FORGE_LIMITS.maxInteger
        ? `must be a 32-bit signed integer (${FORGE_LIMITS.minInteger}..${FORGE_LIMITS.maxInteger})`
        : undefined;
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a finite number';
      const magnitude = Math.abs(value);
      return value === 0 ||
        (magnitude >= FORGE_LIMITS.minFloatMagnitude && magnitude <= FORGE_LIMITS.maxFloatMagnitude)
        ? undefined
        : 'must be 0 or have a magnitude in 1E-130..9.99E+125';
    }
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    default:
      return undefined;
  }
}

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
