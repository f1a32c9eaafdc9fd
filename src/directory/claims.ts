/**
 * Uniqueness claims. Index queries cannot enforce uniqueness, so a unique value (a
 * userName, a group displayName) is claimed by creating a record under a key derived from
 * the value, with "create only if absent" semantics, before the resource that uses it is
 * written. Two concurrent creates of one userName: exactly one claim succeeds.
 *
 * A claim can outlive its purpose if a process dies between claiming and writing the
 * resource. Such a claim is taken over once it is older than any request can run and its
 * owner does not hold the value.
 */
import { ConditionFailedError, EntityStore } from '../storage/port';
import { CLAIM } from './entities';
import { UniquenessConflictError } from './errors';
import { hashKey } from './keys';

interface ClaimRecord {
  owner: string;
  value: string;
  at: number;
}

export type ClaimKind = 'user-name' | 'group-name';

/** Forge web triggers run for at most 55 s; an in-flight create is never older than this. */
export const STALE_CLAIM_MS = 120_000;

export class Claims {
  constructor(
    private readonly store: EntityStore,
    private readonly now: () => number,
  ) {}

  key(kind: ClaimKind, value: string): string {
    return `${kind}:${hashKey(value)}`;
  }

  /**
   * Claims `value` for `owner`, or throws a 409 uniqueness error. `ownerHolds` tells whether
   * another owner's resource still uses the value.
   */
  async acquire(
    kind: ClaimKind,
    value: string,
    owner: string,
    describe: string,
    ownerHolds: (owner: string, value: string) => Promise<boolean>,
  ): Promise<void> {
    const key = this.key(kind, value);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.store.createIfAbsent(CLAIM, key, { owner, value, at: this.now() })) return;
      const existing = await this.store.get<ClaimRecord>(CLAIM, key);
      if (!existing) continue;
      if (existing.owner === owner) return;
      const fresh = this.now() - existing.at < STALE_CLAIM_MS;
      if (fresh || (await ownerHolds(existing.owner, value))) {
        throw new UniquenessConflictError(describe);
      }
      try {
        await this.store.transact([
          { type: 'delete', entity: CLAIM, key, condition: { attribute: 'owner', equals: existing.owner } },
        ]);
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    throw new UniquenessConflictError(describe);
  }

  releaseOperation(kind: ClaimKind, value: string) {
    return { type: 'delete' as const, entity: CLAIM, key: this.key(kind, value) };
  }

  /** Best effort: an unreleased claim is reclaimed later by the staleness rule. */
  async release(kind: ClaimKind, value: string, owner: string): Promise<void> {
    try {
      await this.store.transact([
        { ...this.releaseOperation(kind, value), condition: { attribute: 'owner', equals: owner } },
      ]);
    } catch {
      // Left for the staleness rule.
    }
  }
}
