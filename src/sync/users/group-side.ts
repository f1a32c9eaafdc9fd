/**
 * What the user half of the worker needs of the group half (src/sync/group-reconciler.ts),
 * and nothing more: the user's membership links, the removal of a membership the app added,
 * and the privilege boundary with its answers cached for the run. The reconcilers do not
 * import each other; src/sync/reconciler.ts hands the GroupReconciler in as this.
 */
import type { AtlassianCalls } from '../atlassian-calls';
import type { MemberLink } from '../links';
import type { PrivilegeBoundary } from '../privilege';

export interface GroupSide {
  /** Every membership link of the user; `visit` may delete the link it is given. */
  forEachMemberLink(
    by: 'user',
    id: string,
    visit: (groupId: string, member: MemberLink, userId: string) => Promise<void>,
  ): Promise<void>;

  /** Removes a membership the app added (others are only forgotten), then its link. */
  removeMembership(
    groupId: string,
    userId: string,
    accountId: string | undefined,
    member: MemberLink,
    calls: AtlassianCalls,
    why: string,
  ): Promise<void>;

  /** The privilege boundary (src/sync/privilege.ts), shared with the group half for the run. */
  readonly privilege: Pick<PrivilegeBoundary, 'adminPower' | 'productGroup'>;
}
