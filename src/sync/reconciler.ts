/**
 * The reconcile worker: for one SCIM resource, reads the desired state (the directory) and
 * the actual state (Atlassian, through the port), and makes only the calls that close the
 * difference. Every step is idempotent and re-reads what it needs, so running a resource
 * twice, out of order, or after a crash at any point converges on the same organization.
 *
 * What it does for each change is the policies' choice (src/policies/policies.ts); with the
 * defaults: an account with the user's e-mail is linked,
 * not invited again; active=false suspends and active=true restores; a deleted user is
 * suspended and loses the memberships the app added; accounts are never deleted; a group is
 * deleted only if the app created it; memberships the app did not add are left alone;
 * renames go through renameGroup (never delete-and-recreate); protected groups are never
 * touched.
 */
import type { AtlassianPort } from '../atlassian/port';
import type { Directory } from '../directory/directory';
import { GroupReconciler } from './group-reconciler';
import type { GroupRoleReader } from './group-role-cache';
import type { AccountPrefetch } from './account-prefetch';
import { Links } from './links';
import { SyncLog } from './log';
import { DEFAULT_POLICIES, Policies } from '../policies/policies';
import type { SyncQueue } from './queue';
import { ReconcileContext } from './atlassian-calls';
import { DONE, ReconcileResult, settle, WalkProgress } from './result';
import { UserReconciler } from './user-reconciler';

export { Budget } from './atlassian-calls';
export type { ReconcileContext } from './atlassian-calls';
export type { ReconcileResult } from './result';
export { primaryEmail } from './user-reconciler';

/** What both halves of the reconcile worker work with. */
export interface ReconcilerDeps {
  directory: Directory;
  port: AtlassianPort;
  links: Links;
  log: SyncLog;
  queue: SyncQueue;
  now: () => number;
  /** The policies in force for this run (src/policies/policies.ts). */
  policies: Policies;
  /** The run's view of the installation's group roles (src/sync/group-role-cache.ts). */
  groupRoles?: GroupRoleReader;
  /** The run's batched account look-ups (src/sync/account-prefetch.ts); absent: none. */
  accounts?: AccountPrefetch;
}

export class Reconciler {
  private readonly users: UserReconciler;
  private readonly groups: GroupReconciler;

  constructor(
    directory: Directory,
    port: AtlassianPort,
    links: Links,
    log: SyncLog,
    queue: SyncQueue,
    now: () => number,
    policies: Policies = DEFAULT_POLICIES,
    groupRoles?: GroupRoleReader,
    accounts?: AccountPrefetch,
  ) {
    const deps: ReconcilerDeps = { directory, port, links, log, queue, now, policies, groupRoles, accounts };
    this.groups = new GroupReconciler(deps);
    this.users = new UserReconciler(deps, this.groups);
  }

  /** Reconciles a user; answers what came of it (src/sync/result.ts). */
  user(id: string, context: ReconcileContext): Promise<ReconcileResult> {
    return settle(async () => {
      await this.users.user(id, context);
      return DONE;
    });
  }

  /**
   * Reconciles a group; answers what came of it, with where its member walk stopped when it
   * ran out of time or budget (`continue`).
   */
  group(id: string, context: ReconcileContext): Promise<ReconcileResult> {
    const progress: WalkProgress = {};
    return settle(async () => {
      const after = await this.groups.group(id, context, progress);
      return after ? { type: 'continue', after } : DONE;
    }, progress);
  }

  /** Adds a slice of a large group's members (src/sync/member-slices.ts); as `group` answers. */
  members(sliceId: string, until: string, context: ReconcileContext): Promise<ReconcileResult> {
    const progress: WalkProgress = {};
    return settle(async () => {
      const after = await this.groups.slice(sliceId, until, context, progress);
      return after ? { type: 'continue', after } : DONE;
    }, progress);
  }
}
