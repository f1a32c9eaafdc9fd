/**
 * One user's reconcile, as the parts of the user worker see it (src/sync/user-reconciler.ts):
 * what it read at the start (the SCIM user, its stored link), the link it builds to save, and
 * the calls it makes through. The seat cap, protection, offboarding and new-user grants take
 * this object instead of a list of parameters.
 */
import type { StoredResource } from '../../directory/collection';
import type { AtlassianCalls, ReconcileContext } from '../atlassian-calls';
import type { UserLink } from '../links';

export class UserTurn {
  /** The link this reconcile saves at its end: the parts add to it and delete from it. */
  readonly next: UserLink;
  /** The account was asked isAdmin in this reconcile, so its answer is fresh (Protection). */
  adminAsked = false;

  constructor(
    readonly id: string,
    /** The link as read at the start; undefined for a user never reconciled. */
    readonly link: UserLink | undefined,
    /** The SCIM user; undefined when the identity provider deleted it. */
    readonly desired: StoredResource | undefined,
    readonly calls: AtlassianCalls,
    readonly context: ReconcileContext,
  ) {
    this.next = { ...link };
  }

  /** The SCIM user's version, for what is noted once per version (-1 once it is deleted). */
  get version(): number {
    return this.desired?.version ?? -1;
  }

  /** A forced reconcile (an admin's Retry) asks again what is otherwise cached on the link. */
  get forced(): boolean {
    return this.context.force === true;
  }
}
