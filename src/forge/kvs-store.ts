/**
 * The storage port on Forge's Custom Entity Store (@forge/kvs). A thin mapping: the
 * directory above already keeps within the limits the local store enforces.
 *
 * Error mapping. Forge documents neither the status nor the code of a failed transaction
 * condition or of `keyPolicy: FAIL_IF_EXISTS` on an existing key (handling-errors-
 * customentities lists neither; they may come as a 400, a 409, a 412...), so outcomes are
 * decided by reading back, whatever the status, never by the code:
 *   - HTTP 429 and 5xx answers are TransientStorageError, which the SCIM layer turns into a
 *     503 with Retry-After so the identity provider retries;
 *   - any other failure of createIfAbsent reads the key back: present means "not created"
 *     (false); absent means the write itself was refused, and the mapped error is thrown;
 *   - any other failure of a transaction with conditions re-reads the conditioned records:
 *     one whose condition no longer holds makes it a ConditionFailedError; if all hold, the
 *     mapped error is thrown;
 *   - the mapped error of an HTTP 400 (a broken limit: KEY_TOO_LONG, MAX_SIZE,
 *     INVALID_ENTITY_VALUE, ...) is StorageLimitError with Forge's code, as the local store
 *     throws it; other answers are rethrown as they came.
 */
import { Filter, FilterConditions, ForgeKvsAPIError, kvs, Sort, WhereConditions } from '@forge/kvs';
import {
  Condition,
  ConditionFailedError,
  EntityStore,
  IndexQuery,
  QueryPage,
  RangeCondition,
  StorageLimitError,
  TransientStorageError,
  WriteOperation,
} from '../storage/port';

type Stored = Record<string, unknown>;

export class ForgeEntityStore implements EntityStore {
  async get<T>(entity: string, key: string): Promise<T | undefined> {
    return translate(() => kvs.entity<T>(entity).get(key));
  }

  async createIfAbsent(entity: string, key: string, value: object): Promise<boolean> {
    try {
      await kvs.entity<object>(entity).set(key, value, { keyPolicy: 'FAIL_IF_EXISTS' });
      return true;
    } catch (error) {
      const mapped = mapError(error);
      if (mapped instanceof TransientStorageError) throw mapped;
      // Whatever the status or code: an existing key is "not created", an absent one means
      // the write itself was refused (a broken limit, say). A failing read-back (the key is
      // invalid, too) leaves the write's own error to explain.
      const existing = await this.get(entity, key).catch(() => undefined);
      if (existing !== undefined) return false;
      throw mapped;
    }
  }

  async query<T>(query: IndexQuery): Promise<QueryPage<T>> {
    return translate(async () => {
      let builder = kvs
        .entity<T>(query.entity)
        .query()
        .index(query.index, query.partition ? { partition: query.partition } : undefined);
      if (query.where) builder = builder.where(whereClause(query.where));
      builder = builder.sort(query.sort === 'DESC' ? Sort.DESC : Sort.ASC);
      if (query.limit !== undefined) builder = builder.limit(query.limit);
      if (query.cursor) builder = builder.cursor(query.cursor);
      const page = await builder.getMany();
      return {
        results: page.results.map((r) => ({ key: r.key, value: r.value })),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
    });
  }

  async transact(operations: WriteOperation[]): Promise<void> {
    let transaction = kvs.transact();
    for (const op of operations) {
      const options = {
        entityName: op.entity,
        ...(op.condition ? { conditions: condition(op.condition) } : {}),
      };
      if (op.type === 'set') transaction = transaction.set(op.key, op.value as Stored, options);
      else if (op.type === 'delete') transaction = transaction.delete(op.key, options);
      else
        transaction = transaction.check(op.key, {
          entityName: op.entity,
          conditions: condition(op.condition),
        });
    }
    try {
      await transaction.execute();
    } catch (error) {
      const mapped = mapError(error);
      if (mapped instanceof TransientStorageError) throw mapped;
      // Whatever the status or code: a condition that no longer holds decides it.
      if (await this.someConditionFails(operations)) throw new ConditionFailedError();
      throw mapped;
    }
  }

  /** Whether a re-read shows a condition of the transaction not holding (false if unreadable). */
  private async someConditionFails(operations: WriteOperation[]): Promise<boolean> {
    for (const op of operations) {
      if (!op.condition) continue;
      let current: Stored | undefined;
      try {
        current = await this.get<Stored>(op.entity, op.key);
      } catch {
        return false;
      }
      if (!current || current[op.condition.attribute] !== op.condition.equals) return true;
    }
    return false;
  }
}

function condition(condition: Condition) {
  return new Filter<Stored>().and(condition.attribute, FilterConditions.equalTo(condition.equals));
}

function whereClause(where: RangeCondition) {
  switch (where.op) {
    case 'between':
      return WhereConditions.between(where.from, where.to);
    case 'equalTo':
      return WhereConditions.equalTo(where.value);
    case 'beginsWith':
      return WhereConditions.beginsWith(where.value);
    case 'greaterThan':
      return WhereConditions.greaterThan(where.value);
    case 'greaterThanEqualTo':
      return WhereConditions.greaterThanEqualTo(where.value);
    case 'lessThan':
      return WhereConditions.lessThan(where.value);
    case 'lessThanEqualTo':
      return WhereConditions.lessThanEqualTo(where.value);
  }
}

async function translate<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw mapError(error);
  }
}

function mapError(error: unknown): unknown {
  if (error instanceof ForgeKvsAPIError) {
    const status = error.responseDetails.status;
    if (status === 429 || status >= 500) {
      return new TransientStorageError(`Forge storage answered ${status} (${error.code}).`);
    }
    if (status === 400) return new StorageLimitError(error.message, error.code);
  }
  return error;
}
