/**
 * The full reconcile on Forge: "reconcile now" and its progress (admin resolvers), and the
 * daily scheduled trigger that checks every user and group against Atlassian for drift.
 *
 * Neither does the work itself: a resolver has 25 s and a scheduled function is no place for
 * hours of calls. Both start the reconcile (its directory walks and progress, in storage) and
 * queue the consumer, which works through it in bounded, resumable batches within Forge's
 * egress budget (src/sync/service.ts), exactly as the changes an identity provider sends.
 */
import type { Handlers } from '@forge/resolver';
import type { SyncService } from '../sync/service';
import type { AdminApi } from './admin-api';
import { AdminRefusal } from './authorize';

export interface FullReconcileDeps {
  sync: SyncService;
  /** Whether an Atlassian organization is connected (its credential configured). */
  connected: () => Promise<boolean>;
  /** Queues a run of the consumer that works through the sync jobs. */
  queueRun: (reason: string) => Promise<void>;
}

type ReconcileApi = Pick<AdminApi, 'reconcileNow' | 'getReconcileProgress'>;

/** The resolvers; `dependencies` gives the calling installation's. */
export function reconcileResolvers(dependencies: () => FullReconcileDeps): Handlers<ReconcileApi> {
  return {
    reconcileNow: async ({ payload }) => {
      const deps = dependencies();
      const dryRun: unknown = payload?.dryRun;
      if (dryRun !== undefined && typeof dryRun !== 'boolean') {
        throw new AdminRefusal(
          'dryRun is true (plan and log only) or false; leave it out for a real reconcile.',
        );
      }
      if (!(await deps.connected())) {
        throw new AdminRefusal(
          'No Atlassian organization is connected, so there is nothing to reconcile against yet: save the connection first.',
        );
      }
      // Already running: the one running is answered, and a lost event is queued again.
      const progress = await deps.sync.startFullReconcile({ trigger: 'admin', dryRun: dryRun === true });
      await deps.queueRun('reconcile-now');
      return progress;
    },
    getReconcileProgress: () => dependencies().sync.reconcileProgress(),
  };
}

/** The daily drift check: starts a full reconcile unless one is running, or not connected. */
export function scheduledReconcile(deps: FullReconcileDeps): () => Promise<void> {
  return async () => {
    if (!(await deps.connected())) return;
    // One still running (a large directory takes a while) is left to finish.
    await deps.sync.startFullReconcile({ trigger: 'schedule' });
    await deps.queueRun('reconcile-scheduled');
  };
}
