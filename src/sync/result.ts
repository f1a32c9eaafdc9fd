/**
 * What one resource's reconcile answers, as a controller's Reconcile answers a Result
 * (kubernetes-sigs/controller-runtime): the reconciler says what came of the resource, and the
 * job runner alone (SyncService.outcomeOf, src/sync/service.ts) turns that into job state and
 * backoff. Inside a reconcile, the errors of src/sync/atlassian-calls.ts unwind it from any
 * depth (a spent budget, a dry run's planned write, a failed call); `settle` is where they
 * stop, so none leaves the reconciler. Anything else thrown is unexpected (a bug, storage
 * trouble) and is the runner's to handle.
 */
import type { AtlassianError } from '../atlassian/port';
import { BudgetExhausted, OperationFailed, PlannedWrite } from './atlassian-calls';

export type ReconcileResult =
  /** Atlassian matches the directory (in a dry run: the plan is logged). */
  | { type: 'done' }
  /** A group's member walk stopped partway (time or budget): continue after this key. */
  | { type: 'continue'; after: string }
  /** The run's budget of calls (or the invocation's egress or time) ran out first: run it again. */
  | { type: 'out-of-budget' }
  /** An Atlassian call failed in a way that passes (throttled, unavailable): retry after a while. */
  | { type: 'retry'; cause: AtlassianError; name?: string }
  /**
   * An Atlassian call failed and was logged. `final`: nothing a retry changes (a product's user
   * limit), so the resource waits for a change or an admin; otherwise it is tried again, a
   * bounded number of times.
   */
  | { type: 'failed'; cause: AtlassianError; final: boolean; name?: string }
  /** Not its turn (a group whose member slices are still queued): run again after `delayMs`. */
  | { type: 'wait'; delayMs: number };

/**
 * Thrown where a reconcile finds it must not go on yet: another job owns part of the
 * resource for now (src/sync/member-slices.ts). Not a failure: no attempt is counted.
 */
export class NotYet extends Error {
  constructor(
    readonly delayMs: number,
    why: string,
  ) {
    super(why);
    this.name = 'NotYet';
  }
}

export const DONE: ReconcileResult = Object.freeze({ type: 'done' });

/** Where a group's member walk got: after each member, the key to continue after. */
export interface WalkProgress {
  reached?: string;
}

/** Runs one reconcile and answers its result; the reconcile's own errors stop here. */
export async function settle(
  reconcile: () => Promise<ReconcileResult>,
  progress: WalkProgress = {},
): Promise<ReconcileResult> {
  try {
    return await reconcile();
  } catch (error) {
    if (error instanceof BudgetExhausted) {
      // A member walk that finished pages keeps them: the next run continues after them.
      return progress.reached ? { type: 'continue', after: progress.reached } : { type: 'out-of-budget' };
    }
    // A dry run's plan for this resource ends at a write whose result it would need.
    if (error instanceof PlannedWrite) return DONE;
    if (error instanceof NotYet) return { type: 'wait', delayMs: error.delayMs };
    if (error instanceof OperationFailed) {
      const cause = error.cause;
      // The resource's name, for the entry that may give up on it (AtlassianCalls.named).
      const name = error.resourceName ? { name: error.resourceName } : {};
      if (cause.kind === 'transient') return { type: 'retry', cause, ...name };
      // A product's user limit: retrying changes nothing until the admin raises it or frees seats.
      return { type: 'failed', cause, final: cause.kind === 'user-limit', ...name };
    }
    throw error;
  }
}
