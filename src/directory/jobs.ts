/**
 * Durable background work. A job record is written in the same transaction as the change
 * that needs it (deleting a group writes "purge its memberships"), so the work survives a
 * crash; runners (the queue consumer, the scheduled trigger, the local server's timer) pick
 * up whatever is pending and delete each job when it is finished.
 */
import { EntityStore, FORGE_LIMITS, WriteOperation } from '../storage/port';
import { JOB } from './entities';
import { GroupRef, Memberships } from './memberships';

interface PurgeGroupJob {
  kind: 'purge-group';
  at: number;
  doc: GroupRef;
}

export class Jobs {
  constructor(
    private readonly store: EntityStore,
    private readonly memberships: Memberships,
    private readonly now: () => number,
  ) {}

  purgeGroupOperation(group: GroupRef): WriteOperation {
    const job: PurgeGroupJob = { kind: 'purge-group', at: this.now(), doc: { id: group.id, seq: group.seq } };
    return { type: 'set', entity: JOB, key: `purge-group:${group.id}`, value: job };
  }

  /** Runs pending jobs, oldest first, until none are left or the deadline passes. */
  async runPending(deadline = Number.POSITIVE_INFINITY): Promise<{ finished: number; pending: boolean }> {
    let finished = 0;
    for (;;) {
      const page = await this.store.query<PurgeGroupJob>({
        entity: JOB,
        index: 'by-at',
        where: { op: 'greaterThanEqualTo', value: 0 },
        limit: FORGE_LIMITS.maxQueryLimit,
      });
      if (page.results.length === 0) return { finished, pending: false };
      for (const { key, value } of page.results) {
        const done = await this.memberships.drain(() => this.memberships.ofGroup(value.doc), deadline);
        if (!done) return { finished, pending: true };
        await this.store.transact([{ type: 'delete', entity: JOB, key }]);
        finished++;
      }
    }
  }
}
