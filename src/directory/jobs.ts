/**
 * Durable background work. A job record is written in the same transaction as the change
 * that needs it, so the work survives a crash; runners (the queue consumer, the scheduled
 * trigger, the local server's timer) pick up whatever is pending and delete each job when
 * it is finished. Every job is idempotent: running one twice, or two runners at once, is safe.
 *
 *   - purge-group: a deleted group's memberships (35,000 of them cannot go within one web
 *     trigger invocation, and nobody can see them once the group is gone);
 *   - leave-groups: a deleted user's memberships and the new versions of its groups, so a
 *     user's DELETE costs the same few round trips whatever number of groups it was in.
 */
import { EntityStore, FORGE_LIMITS, WriteOperation } from '../storage/port';
import { JOB } from './entities';
import { GroupRef } from './memberships';

export interface PurgeGroupJob {
  kind: 'purge-group';
  at: number;
  doc: GroupRef;
}

export interface LeaveGroupsJob {
  kind: 'leave-groups';
  at: number;
  /** The user, and the groups whose memberships were already deleted with it. */
  doc: { user: string; left: string[] };
}

export type Job = PurgeGroupJob | LeaveGroupsJob;

/** Does one job's work until it is finished (true) or the deadline passed (false). */
export type JobHandlers = {
  [K in Job['kind']]: (doc: Extract<Job, { kind: K }>['doc'], deadline: number) => Promise<boolean>;
};

export class Jobs {
  constructor(
    private readonly store: EntityStore,
    private readonly handlers: JobHandlers,
    private readonly now: () => number,
  ) {}

  purgeGroupOperation(group: GroupRef): WriteOperation {
    return this.operation(`purge-group:${group.id}`, {
      kind: 'purge-group',
      at: this.now(),
      doc: { id: group.id, seq: group.seq },
    });
  }

  leaveGroupsOperation(user: string, left: string[]): WriteOperation {
    return this.operation(`leave-groups:${user}`, {
      kind: 'leave-groups',
      at: this.now(),
      doc: { user, left },
    });
  }

  /** Runs pending jobs, oldest first, until none are left or the deadline passes. */
  async runPending(deadline = Number.POSITIVE_INFINITY): Promise<{ finished: number; pending: boolean }> {
    let finished = 0;
    for (;;) {
      const page = await this.store.query<Job>({
        entity: JOB,
        index: 'by-at',
        where: { op: 'greaterThanEqualTo', value: 0 },
        limit: FORGE_LIMITS.maxQueryLimit,
      });
      if (page.results.length === 0) return { finished, pending: false };
      for (const { key, value } of page.results) {
        if (!(await this.run(value, deadline))) return { finished, pending: true };
        await this.store.transact([{ type: 'delete', entity: JOB, key }]);
        finished++;
      }
    }
  }

  private run(job: Job, deadline: number): Promise<boolean> {
    switch (job.kind) {
      case 'purge-group':
        return this.handlers['purge-group'](job.doc, deadline);
      case 'leave-groups':
        return this.handlers['leave-groups'](job.doc, deadline);
    }
  }

  private operation(key: string, job: Job): WriteOperation {
    return { type: 'set', entity: JOB, key, value: job };
  }
}
