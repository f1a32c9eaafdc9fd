/**
 * The Atlassian calls of one resource's reconcile: the budget of calls it may spend, the
 * errors that end it, and `AtlassianCalls`, through which every call to the port goes (so each
 * call spends the budget, each write is logged with why and what came of it, and each failure
 * is logged once). The step between a reconciler and the port (src/atlassian/port.ts).
 */
import { AtlassianError, AtlassianErrorKind, AtlassianPort } from '../atlassian/port';
import { LogEntryInput, SyncLog } from './log';

/**
 * Port calls one run may make (unbounded by default: the HTTP client keeps each invocation
 * within Forge's egress limit, FORGE_EGRESS_PER_INVOCATION_MINUTE, and the run ends at its
 * deadline). A bound makes runs short, as tests of resumable walks need.
 */
export class Budget {
  constructor(private remaining: number) {}

  take(): void {
    if (this.remaining <= 0) throw new BudgetExhausted();
    this.remaining--;
  }

  get left(): number {
    return this.remaining;
  }
}

/** The run's budget of Atlassian calls is spent: the job stays, unharmed, for the next run. */
export class BudgetExhausted extends Error {
  constructor() {
    super('The batch’s budget of Atlassian calls is spent.');
    this.name = 'BudgetExhausted';
  }
}

/**
 * A dry run reached a write whose result the rest of the resource's reconcile needs (an
 * invite's account, a created group's id): it was logged as `planned`, and this ends the
 * resource's plan (the job is done; nothing after it can be planned without the result).
 */
export class PlannedWrite extends Error {
  constructor(readonly operation: string) {
    super(`${operation} is planned (dry run); the rest of this resource's plan depends on it.`);
    this.name = 'PlannedWrite';
  }
}

/** An Atlassian call failed and was logged; the job's runner decides when to retry. */
export class OperationFailed extends Error {
  constructor(
    readonly operation: string,
    override readonly cause: AtlassianError,
    /** The resource's name, for the entry that gives up on it (see AtlassianCalls.named). */
    readonly resourceName?: string,
  ) {
    super(`${operation}: ${cause.message}`);
    this.name = 'OperationFailed';
  }
}

export interface ReconcileContext {
  budget: Budget;
  /** The attempt this run is (1 for the first), as recorded in the log. */
  attempt: number;
  /**
   * When the job's change was written (its due time): an account read before it is not fresh
   * for this reconcile (src/sync/account-prefetch.ts).
   */
  markedAt?: number;
  /** Retry a user even if it is blocked at this version (an admin asked). */
  force?: boolean;
  /** Epoch ms: a group's member walk stops at a page boundary after it. */
  deadline?: number;
  /**
   * Where an earlier run's member walk stopped: a key of ours (see group-reconciler.ts), never
   * a storage query cursor, which must not outlive the invocation (`entities-api-query`).
   */
  resumeAfter?: string;
  /**
   * Plan only: writes are logged as `planned` and not made (policies.dryRun, or an admin's
   * preview). The caller also hands the reconciler links that write nothing (Links.planOnly).
   */
  dryRun?: boolean;
}

export type Target = {
  resource: string;
  resourceType: 'user' | 'group';
  /** What a person calls it (sync log `name`); set by AtlassianCalls.named once it is known. */
  name?: string;
};

/**
 * One resource's Atlassian calls: every call goes through it, so each spends the budget, each
 * write is logged with why and what came of it, and each failure is logged once.
 */
export class AtlassianCalls {
  /** Plan only: writes are logged as `planned` and not made; reads are made as usual. */
  readonly dryRun: boolean;

  constructor(
    private readonly port: AtlassianPort,
    private readonly log: SyncLog,
    private readonly context: ReconcileContext,
    private target: Target,
  ) {
    this.dryRun = context.dryRun === true;
  }

  /**
   * Names the resource in every entry from here on: the reconciler knows the name once it has
   * read the resource (or its link, when the resource is gone), so naming costs no read.
   */
  named(name: string | undefined): void {
    if (name !== undefined && name !== '') this.target = { ...this.target, name };
  }

  read<T>(operation: string, call: () => Promise<T>): Promise<T> {
    return this.call(operation, undefined, call, []);
  }

  /**
   * A write whose result the caller needs (invite, createGroup); failures of the `expected`
   * kinds are the caller's to handle and log. In a dry run it is logged as `planned` and
   * throws PlannedWrite.
   */
  async write<T>(
    operation: string,
    why: string,
    call: () => Promise<T>,
    expected: AtlassianErrorKind[] = [],
  ): Promise<T> {
    if (this.dryRun) {
      await this.plan(operation, why);
      throw new PlannedWrite(operation);
    }
    const result = await this.call(operation, why, call, expected);
    await this.entry({ operation, status: 'ok', why, result: describeResult(result) });
    return result;
  }

  /**
   * A write whose result is not needed (suspend, restore, addMember, removeMember,
   * renameGroup, deleteGroup...): `write`, except that in a dry run it is only logged as
   * `planned` and the caller carries on as if it had been made.
   */
  async apply(
    operation: string,
    why: string,
    call: () => Promise<unknown>,
    expected: AtlassianErrorKind[] = [],
  ): Promise<void> {
    if (this.dryRun) return this.plan(operation, why);
    await this.write(operation, why, call, expected);
  }

  note(operation: string, status: LogEntryInput['status'], why: string, result: string): Promise<void> {
    return this.entry({ operation, status, why, result });
  }

  /** In a dry run nothing is done, so an `ok` entry (a link made...) is logged as `planned`. */
  entry(entry: Omit<LogEntryInput, 'source'>): Promise<void> {
    const status = this.dryRun && entry.status === 'ok' ? 'planned' : entry.status;
    return this.log.write({
      source: 'atlassian',
      attempts: this.context.attempt,
      ...this.target,
      ...entry,
      status,
    });
  }

  private plan(operation: string, why: string): Promise<void> {
    return this.entry({ operation, status: 'planned', why, result: 'dry run: not made' });
  }

  private async call<T>(
    operation: string,
    why: string | undefined,
    call: () => Promise<T>,
    expected: AtlassianErrorKind[],
  ): Promise<T> {
    this.context.budget.take();
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof AtlassianError)) throw error;
      // The invocation's egress allowance or time ran out before the request was sent:
      // nothing happened, and the job simply waits for the next run, as with our budget.
      if (error.code === 'EGRESS_BUDGET' || error.code === 'DEADLINE') throw new BudgetExhausted();
      if (expected.includes(error.kind)) throw error;
      // A product's user limit: nothing this app retries can change it (the error says the fix).
      const limited = error.kind === 'user-limit';
      await this.entry({
        operation,
        status: limited ? 'blocked' : 'failed',
        why,
        result:
          error.kind === 'transient'
            ? 'will retry'
            : limited
              ? 'blocked: retried when the resource changes or an admin asks'
              : 'failed',
        errorKind: error.kind,
        error: error.message,
      });
      throw new OperationFailed(operation, error, this.target.name);
    }
  }
}

export function ignoreNotFound(error: unknown): void {
  if (error instanceof AtlassianError && error.kind === 'not-found') return;
  throw error;
}

function describeResult(result: unknown): string {
  if (result && typeof result === 'object') {
    const value = result as { accountId?: string; id?: string; status?: string };
    if (value.accountId) return `account ${value.accountId}${value.status ? ` (${value.status})` : ''}`;
    if (value.id) return `group ${value.id}`;
  }
  return 'done';
}
