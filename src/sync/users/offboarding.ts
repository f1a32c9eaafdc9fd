/**
 * Offboarding: a user deactivated or deleted at the identity provider loses the access the
 * app gave, as the deactivation and deletion policies say (suspend, remove product access,
 * remove from the directory, or nothing). Never an account deletion, never an admin's account
 * (refuseAdmin before each destructive write).
 */
import { AtlassianAccount, AtlassianError } from '../../atlassian/port';
import type { DeactivationAction, DeletionAction } from '../../policies/policies';
import { ignoreNotFound } from '../atlassian-calls';
import type { GroupSide } from './group-side';
import type { UserLink } from '../links';
import type { ReconcilerDeps } from '../reconciler';
import { reportDrift } from './drift';
import type { ProductAccessGroups } from './product-access';
import type { Protection } from './protection';
import type { SeatCap } from './seat-cap';
import type { UserTurn } from './turn';

export class Offboarding {
  constructor(
    private readonly deps: ReconcilerDeps,
    private readonly seats: SeatCap,
    private readonly protection: Protection,
    private readonly groups: GroupSide,
    private readonly accessGroups: ProductAccessGroups,
  ) {}

  private get policies() {
    return this.deps.policies;
  }

  // ---- deactivation --------------------------------------------------------------------

  /** The user is inactive at the identity provider: the deactivation policy, applied once. */
  async deactivate(turn: UserTurn, account: AtlassianAccount, applied: UserLink['applied']): Promise<void> {
    const next = turn.next;
    if (applied !== 'suspended') {
      const why = 'user deactivated at the identity provider';
      next.deactivation = await this.takeAccess(turn, account, this.policies.deactivation.action, why);
      return;
    }
    // Already deactivated by suspension, yet active in Atlassian: restored by hand.
    if ((next.deactivation ?? 'suspend') === 'suspend' && account.status === 'active') {
      if (this.policies.drift.action === 'report') {
        await reportDrift(
          turn,
          'active',
          `account ${account.accountId} is active in Atlassian but deactivated at the identity provider`,
        );
        return;
      }
      await this.protection.refuseAdmin(turn, account.accountId);
      await turn.calls.apply('suspend', 'account restored in Atlassian by hand (drift repaired)', () =>
        this.deps.port.suspend(account.accountId),
      );
    }
    delete next.driftNoted;
  }

  /**
   * Takes the user's access as `action` says (deactivation or deletion), and answers how it
   * was done. Where the connection cannot suspend (the site-admin mode) it removes product
   * access instead, and logs that this is how the mode deactivates.
   */
  private async takeAccess(
    turn: UserTurn,
    account: AtlassianAccount,
    action: DeactivationAction,
    why: string,
  ): Promise<DeactivationAction> {
    const calls = turn.calls;
    if (action === 'none') {
      await calls.note('deactivate', 'skipped', why, 'left as it is in Atlassian: the policy is "none"');
      return 'none';
    }
    if (action === 'suspend') {
      if (account.status !== 'active') return 'suspend';
      await this.protection.refuseAdmin(turn, account.accountId);
      try {
        await calls.apply('suspend', why, () => this.deps.port.suspend(account.accountId), ['unsupported']);
        return 'suspend';
      } catch (error) {
        if (!(error instanceof AtlassianError && error.kind === 'unsupported')) throw error;
        await calls.note(
          'suspend',
          'skipped',
          why,
          'this connection cannot suspend accounts (site-admin mode): it deactivates by removing product access',
        );
      }
    }
    await this.removeProductAccess(turn, account.accountId, why);
    return 'remove-product-access';
  }

  /**
   * Takes the user out of every product-access group it is in, remembering them on the link
   * first (so a crash between the calls still gives them back on reactivation).
   */
  private async removeProductAccess(turn: UserTurn, accountId: string, why: string): Promise<void> {
    const { next, calls } = turn;
    // Asked once per deactivation: a suspension that fell back to this asked already.
    await this.protection.refuseAdmin(turn, accountId);
    // One after the other: each call spends the budget and may end the run; neither is wasted.
    const mine = await calls.read('groupsOf', () => this.deps.port.groupsOf(accountId));
    const access = await this.accessGroups.read(calls);
    const member = new Set(mine.map((g) => g.id));
    const targets = access.filter((a) => member.has(a.group.id) && a.group.modifiable !== false);
    if (targets.length === 0) {
      if (!(await this.accessRemains(turn, accountId, why)))
        await calls.note('removeMember', 'ok', why, 'no product access to remove');
      return;
    }
    next.removedAccess = [...new Set([...(next.removedAccess ?? []), ...targets.map((t) => t.group.id)])];
    await this.seats.intent(turn, { removedAccess: next.removedAccess });
    for (const { group, products } of targets) {
      await calls.apply('removeMember', `${why}: removes ${products.join(', ')} access (${group.name})`, () =>
        this.deps.port.removeMember(group.id, accountId).catch(ignoreNotFound),
      );
    }
    await this.accessRemains(turn, accountId, why);
  }

  /**
   * After the groups are removed: does the account still have product access (a role given
   * to the user directly, which no group removal takes)? Where the adapter can tell (the
   * site-admin mode's remainingAccess), a remainder is logged `failed`, so the overview is
   * not Healthy and the admin sees what is left and how to remove it (issue 13, case 9).
   */
  private async accessRemains({ calls }: UserTurn, accountId: string, why: string): Promise<boolean> {
    const port = this.deps.port;
    if (typeof port.remainingAccess !== 'function' || calls.dryRun) return false;
    const remaining = await calls.read('remainingAccess', () => port.remainingAccess!(accountId));
    if (!remaining?.length) return false;
    await calls.entry({
      operation: 'removeMember',
      status: 'failed',
      why,
      result: `product access remains: ${remaining.join(', ')}, not through a group this connection can remove (a role given to the user directly). Remove it in Atlassian Administration › Directory › Users › the user's apps, or connect with an organization API key so the account can be suspended`,
      errorKind: 'unsupported',
      error: `Account ${accountId} still has ${remaining.join(', ')} access after its product-access groups were removed.`,
    });
    return true;
  }

  // ---- deletion ------------------------------------------------------------------------

  /**
   * A deleted SCIM user loses the access the app gave, as the deletion policy says: the
   * memberships the app added and the new-user grants go, then the account is suspended,
   * loses product access, is removed from the directory, or is left. Never deleted.
   */
  async userGone(turn: UserTurn): Promise<void> {
    const { id, link, calls } = turn;
    if (!link) return;
    const done = link.applied === 'deleted';
    // Invited, its placement not read back yet: that account is the user's to offboard.
    const accountId = link.accountId ?? link.placing?.accountId;
    if (link.placing) {
      delete turn.next.placing;
      turn.next.accountId = accountId;
    }
    if (!accountId) {
      if (link.protectedAccount) await this.protection.noteProtectedOnce(turn, 'protected account');
      await this.seats.save(turn, { ...link, applied: 'deleted' }, true);
      return;
    }
    const why = 'user deleted at the identity provider';
    const next = turn.next;
    delete next.waiting;
    // Fresh before the first deletion's writes (refuseAdmin); cached once they are done.
    const protectedWhy = this.protection.allowListed(accountId, link.email)
      ? 'on the allow-list'
      : await this.protection.adminCheck(turn, accountId, turn.forced || !done);
    const action: DeletionAction = protectedWhy ? 'none' : this.policies.deletion.action;
    if (protectedWhy && !done) await this.protection.noteProtectedOnce(turn, protectedWhy);
    // The deleted user has left its SCIM groups: the memberships the app added go, as for any
    // member the identity provider removes (whatever the policy does with the account). Removal
    // from the directory takes every group with it: no call per membership then.
    const callAtlassian = !protectedWhy && action !== 'remove-from-directory';
    await this.groups.forEachMemberLink('user', id, async (groupId, member) => {
      if (callAtlassian) {
        await this.groups.removeMembership(groupId, id, accountId, member, calls, why);
      } else {
        await this.deps.links.write(this.deps.links.deleteMemberOperation(groupId, id));
      }
    });
    if (!done) {
      if (callAtlassian && action !== 'none') await this.removeWelcomeGroups(turn, accountId, why);
      const account = await calls.read('getAccount', () => this.deps.port.getAccount(accountId));
      if (account && account.status !== 'not_invited') {
        if (action === 'remove-from-directory') await this.removeFromDirectory(turn, account, why);
        else if (!protectedWhy) await this.takeAccess(turn, account, action, why);
      }
      next.applied = 'deleted';
      await this.seats.save(turn, next);
    }
  }

  /** Removal from the directory; a connection that cannot do it suspends instead, and says so. */
  private async removeFromDirectory(turn: UserTurn, account: AtlassianAccount, why: string): Promise<void> {
    const { next, calls } = turn;
    try {
      await calls.apply(
        'removeFromDirectory',
        why,
        () => this.deps.port.removeFromDirectory(account.accountId),
        ['unsupported'],
      );
      delete next.welcome;
      delete next.removedAccess;
    } catch (error) {
      if (!(error instanceof AtlassianError && error.kind === 'unsupported')) throw error;
      await calls.entry({
        operation: 'removeFromDirectory',
        status: 'attention',
        why,
        result:
          'this connection cannot remove users from the directory: suspended instead; remove it in Atlassian Administration if wanted',
        errorKind: error.kind,
        error: error.message,
      });
      await this.takeAccess(turn, account, 'suspend', why);
    }
  }

  /** The default groups and product access the app gave the user when it was new. */
  private async removeWelcomeGroups(
    { next, calls }: UserTurn,
    accountId: string,
    why: string,
  ): Promise<void> {
    for (const groupId of next.welcome?.groups ?? []) {
      await calls.apply('removeMember', `${why}: a new-user grant the app gave (${groupId})`, () =>
        this.deps.port.removeMember(groupId, accountId).catch(ignoreNotFound),
      );
    }
    if (next.welcome) next.welcome = { ...next.welcome, groups: [] };
  }
}
