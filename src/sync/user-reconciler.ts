/**
 * The reconcile worker for users: links a SCIM user to an Atlassian account (found by e-mail
 * or invited), and applies its active state; a deleted user loses the access the app gave.
 * What exactly happens on each change is the policies' choice (src/policies/policies.ts):
 *
 * - linking: an account found by e-mail is linked, or reported as a conflict; once linked the
 *   link is by accountId, so an e-mail change at the identity provider keeps it;
 * - deactivation and deletion: suspend, remove product access, nothing, or (deletion) remove
 *   from the directory; reactivation undoes what deactivation did (the link remembers how it
 *   was done and which product-access groups were removed);
 * - protected accounts (admins, the allow-list) are never linked, changed or removed;
 * - new users join the default groups and product-access groups once, remembered on the link;
 * - the seat cap: a counter in the sync state, and a FIFO of users waiting for a seat;
 * - drift: an account suspended or restored by hand is repaired or reported.
 */
import { AtlassianAccount, AtlassianError, InvitedAccount, ProductAccessGroup } from '../atlassian/port';
import type { StoredResource } from '../directory/collection';
import { ScimObject } from '../scim/schema/normalize';
import type { GroupReconciler } from './group-reconciler';
import { syncProfile } from './profile';
import { contentionPause, UserLink } from './links';
import { resourceName } from './log';
import type { DeactivationAction, DeletionAction } from '../policies/policies';
import { FIXES } from './privilege';
import type { ReconcilerDeps } from './reconciler';
import { ignoreNotFound, ReconcileContext, AtlassianCalls } from './atlassian-calls';
import { readSeatsForUpdate, releaseWaiting, SEAT_UPDATE_ATTEMPTS, SEATS, SeatState } from './seats';
import { ConditionFailedError, type WriteOperation } from '../storage/port';

/** Groups an invite names at most (the invite's limit is UNCONFIRMED): the rest are added as members. */
const INVITE_GROUPS = 10;

export class UserReconciler {
  /** Product-access groups, read at most once per run (a run is one batch of minutes). */
  private accessGroups: Promise<ProductAccessGroup[]> | undefined;
  /** Waiting users are released once per run too, so a raised cap takes effect. */
  private released = false;
  /** Users that took a seat in this reconcile and whose link is not saved yet. */
  private readonly seatsTaken = new Set<string>();
  /** Links (the reconcile's `next`) whose account was asked isAdmin in this reconcile. */
  private readonly askedNow = new WeakSet<UserLink>();

  constructor(
    private readonly deps: ReconcilerDeps,
    private readonly groups: GroupReconciler,
  ) {}

  private get policies() {
    return this.deps.policies;
  }

  // ---- users ---------------------------------------------------------------------------

  async user(id: string, context: ReconcileContext): Promise<void> {
    const calls = new AtlassianCalls(this.deps.port, this.deps.log, context, {
      resource: id,
      resourceType: 'user',
    });
    if (!this.released) {
      this.released = true;
      await this.releaseWaiting();
    }
    const [desired, link] = await Promise.all([this.deps.directory.users.get(id), this.deps.links.user(id)]);
    // A deleted user is named by the address the app last invited or matched.
    calls.named(desired ? resourceName('user', desired.doc) : link?.email);
    if (!desired) return this.userGone(id, link, calls, context);

    const email = primaryEmail(desired.doc);
    if (!email) {
      await this.block(id, link, desired, calls, 'invalid', 'The user has no e-mail address to invite.');
      return;
    }
    if (link?.blocked && link.blocked.version === desired.version && !context.force) {
      // Blocked at this version (402, no e-mail, conflict): only a change or an admin's retry helps.
      return;
    }
    const wantActive = desired.doc.active !== false;
    const next: UserLink = { ...link, email };
    delete next.blocked;
    delete next.waiting;

    if (this.allowListed(undefined, email)) {
      return this.leaveProtected(id, link, next, undefined, desired.version, calls, 'on the allow-list');
    }
    let account: AtlassianAccount | undefined;
    if (link?.accountId)
      account = await calls.read('getAccount', () => this.deps.port.getAccount(link.accountId!));
    account ??= await calls.read('findAccountByEmail', () => this.deps.port.findAccountByEmail(email));

    if (account && account.status !== 'not_invited') {
      const why = await this.protection(account, email, next, calls, context.force === true);
      if (why) return this.leaveProtected(id, link, next, account.accountId, desired.version, calls, why);
    }
    delete next.protectedAccount;
    delete next.protectedNoted;

    let placedNow: ReadonlySet<string> = new Set();
    if (!account || account.status === 'not_invited') {
      if (!wantActive) {
        // Never invite someone the identity provider says is inactive.
        if (link?.applied !== 'suspended') {
          await calls.note('invite', 'skipped', 'user is inactive', 'not invited while inactive');
        }
        await this.save(id, link, { ...next, applied: 'suspended' });
        return;
      }
      // What places the user (the new-user grants, its linked SCIM groups), chosen first.
      const placing = await this.placement(id, link, next, calls);
      const tried = link?.unplaced;
      if (tried && !context.force && placing.groups.every((g) => tried.groups.includes(g))) {
        // Invited before and not placed; this invite would be the same: wait for a new group
        // (the group worker marks the user when one arrives) or an admin's Retry.
        return;
      }
      if (!(await this.takeSeat(id, link))) return this.wait(id, link, next, calls);
      const why = link?.applied === 'deleted' ? 'user created again' : 'user provisioned';
      const named = placing.groups.length > 0 ? `; joins ${placing.groups.length} group(s) with it` : '';
      if (calls.dryRun) {
        // The invite's account is unknown, but what places it is: the plan names that too.
        await calls.apply('invite', `${why}${named}`, () => Promise.resolve());
        return;
      }
      await this.intendMembers(id, placing.scim, 'adding');
      let invited: InvitedAccount;
      try {
        invited = await calls.write(
          'invite',
          `${why}${named}`,
          () =>
            this.deps.port.invite(email, {
              name: displayName(desired.doc),
              groups: placing.groups,
              // Searched just now (by e-mail or account id): one look-up per new user.
              lookedUp: true,
              ...(account ? { notInvited: account.accountId } : {}),
            }),
          ['payment-required', 'user-limit'],
        );
      } catch (error) {
        if (
          error instanceof AtlassianError &&
          (error.kind === 'payment-required' || error.kind === 'user-limit')
        ) {
          await this.block(id, link, desired, calls, error.kind, error.message, 'invite');
          return;
        }
        throw error;
      }
      account = invited;
      next.invited = true;
      placedNow = new Set(invited.placedGroups ?? []);
      await this.intendMembers(id, new Map([...placing.scim].filter(([, g]) => placedNow.has(g))), 'added');
      for (const { what, reason } of invited.refused ?? []) {
        await calls.note(
          'invite',
          'attention',
          why,
          `${what} was not applied by the invite (${reason}): added as a member instead`,
        );
      }
      if (invited.status === 'not_invited')
        return this.notPlaced(id, link, next, invited, placing.groups, calls);
      delete next.unplaced;
    } else if (link?.accountId !== account.accountId && !this.policies.linking.linkExistingByEmail) {
      await this.conflict(id, link, desired, calls, account);
      return;
    } else if (link?.accountId !== account.accountId && !this.linkable(account, wantActive, calls.dryRun)) {
      return this.notLinked(id, link, next, account, calls);
    }
    const owner = await this.deps.links.accountOwner(account.accountId, id);
    if (owner !== id) return this.ownedElsewhere(id, link, desired, calls, account, owner);
    const newlyLinked = next.accountId !== account.accountId || link?.applied === 'deleted';
    next.accountId = account.accountId;
    if (newlyLinked && !next.invited) {
      await calls.note('link', 'ok', 'an account with this e-mail exists', `linked to ${account.accountId}`);
    }
    // What the link says the app applied last, unless this is a new link.
    const applied = newlyLinked ? undefined : link?.applied;
    if (wantActive) {
      if (!(await this.activate(id, link, next, account, applied, calls))) return;
    } else {
      try {
        await this.deactivate(id, link, next, account, applied, calls);
      } catch (error) {
        if (!(error instanceof AdminNow)) throw error;
        return this.leaveProtected(id, link, next, account.accountId, desired.version, calls, error.why);
      }
    }
    next.applied = wantActive ? 'active' : 'suspended';
    if (newlyLinked && wantActive && !next.welcome?.done) {
      await this.welcome(id, link, next, account.accountId, calls, placedNow);
    }
    await this.save(id, link, next);
    if (newlyLinked) await this.markGroupsOf(id);
    await this.profile(id, next, desired.doc, email, account, calls);
  }

  /**
   * The profile (src/sync/profile.ts), after the link is saved: a failed push leaves the
   * link's state as applied, and a crash before its own save sends the same write again.
   * Never for an account that is an admin now (asked afresh before any write).
   */
  private async profile(
    id: string,
    next: UserLink,
    doc: ScimObject,
    email: string,
    account: AtlassianAccount,
    calls: AtlassianCalls,
  ): Promise<void> {
    const sync = { port: this.deps.port, links: this.deps.links, calls };
    const guard = () => this.refuseAdmin(account.accountId, next, calls);
    let profile: UserLink['profile'];
    try {
      profile = await syncProfile({ ...sync, guard }, doc, email, account, next.profile);
    } catch (error) {
      if (!(error instanceof AdminNow)) throw error;
      // Left alone; the admin answer saved below makes the next reconcile leave it protected.
      await calls.note(
        'updateProfile',
        'skipped',
        `protected account: ${error.why}`,
        'skipped: protected account',
      );
      return this.deps.links.write(this.deps.links.userOperation(id, next));
    }
    if (profile) await this.deps.links.write(this.deps.links.userOperation(id, { ...next, profile }));
  }

  /**
   * The user is active at the identity provider: its account must be active (restored, unless
   * drift is only reported), and a return from deactivation gives back what it took. False
   * when the user must wait for a seat.
   */
  private async activate(
    id: string,
    link: UserLink | undefined,
    next: UserLink,
    account: AtlassianAccount,
    applied: UserLink['applied'],
    calls: AtlassianCalls,
  ): Promise<boolean> {
    const inactive = account.status === 'suspended' || account.status === 'deactivated';
    // Active, applied as active, yet suspended in Atlassian: someone did it by hand.
    const drift = inactive && applied === 'active';
    if (drift && this.policies.drift.action === 'report') {
      await this.reportDrift(
        next,
        calls,
        'suspended',
        `account ${account.accountId} is ${account.status} in Atlassian but active at the identity provider`,
      );
      return true;
    }
    if (inactive) {
      if (!(await this.takeSeat(id, link))) {
        await this.wait(id, link, next, calls);
        return false;
      }
      const why = drift
        ? 'account suspended in Atlassian by hand (drift repaired)'
        : 'user active at the identity provider';
      try {
        await calls.apply('restore', why, () => this.deps.port.restore(account.accountId), ['unsupported']);
      } catch (error) {
        if (!(error instanceof AtlassianError && error.kind === 'unsupported')) throw error;
        await calls.entry({
          operation: 'restore',
          status: 'attention',
          why,
          result: `this connection cannot restore accounts: restore ${account.email || account.accountId} in Atlassian Administration`,
          errorKind: error.kind,
          error: error.message,
        });
      }
    }
    delete next.driftNoted;
    if (applied === 'suspended') await this.reactivated(id, next, account.accountId, calls);
    delete next.deactivation;
    return true;
  }

  /**
   * Reactivation gives back what deactivation took: the product-access groups it removed, or
   * (after a suspension) the memberships the app had added, re-checked one by one — Entra does
   * not send the user's groups again.
   */
  private async reactivated(
    id: string,
    next: UserLink,
    accountId: string,
    calls: AtlassianCalls,
  ): Promise<void> {
    const why = 'user reactivated at the identity provider';
    if (!this.policies.deactivation.restoreMemberships) {
      if (next.removedAccess?.length) {
        await calls.note(
          'addMember',
          'skipped',
          why,
          'product access not given back: restoreMemberships is off',
        );
      }
      delete next.removedAccess;
      return;
    }
    for (const groupId of next.removedAccess ?? []) {
      // A group deleted in Atlassian meanwhile has no access left to give back.
      await calls.apply('addMember', `${why}: product access removed on deactivation (${groupId})`, () =>
        this.deps.port.addMember(groupId, accountId).catch(ignoreNotFound),
      );
    }
    delete next.removedAccess;
    // Links from before the policies have no `deactivation`: the app could only suspend then.
    if ((next.deactivation ?? 'suspend') === 'suspend') {
      await this.recheckMemberships(id, accountId, calls, why);
    }
  }

  /** Every membership the app added for the user, checked in Atlassian and added back if gone. */
  private async recheckMemberships(
    id: string,
    accountId: string,
    calls: AtlassianCalls,
    why: string,
  ): Promise<void> {
    await this.groups.forEachMemberLink('user', id, async (scimGroup, member) => {
      if (!member.created) return;
      const group = await this.deps.links.group(scimGroup);
      if (!group?.groupId || group.protected) return;
      const groupId = group.groupId;
      if (await calls.read('isMember', () => this.deps.port.isMember(groupId, accountId))) return;
      await calls.apply('addMember', `${why}: membership missing in Atlassian (${accountId})`, () =>
        this.deps.port.addMember(groupId, accountId),
      );
    });
  }

  /** The user is inactive at the identity provider: the deactivation policy, applied once. */
  private async deactivate(
    id: string,
    link: UserLink | undefined,
    next: UserLink,
    account: AtlassianAccount,
    applied: UserLink['applied'],
    calls: AtlassianCalls,
  ): Promise<void> {
    if (applied !== 'suspended') {
      const why = 'user deactivated at the identity provider';
      next.deactivation = await this.takeAccess(
        id,
        link,
        next,
        account,
        this.policies.deactivation.action,
        calls,
        why,
      );
      return;
    }
    // Already deactivated by suspension, yet active in Atlassian: restored by hand.
    if ((next.deactivation ?? 'suspend') === 'suspend' && account.status === 'active') {
      if (this.policies.drift.action === 'report') {
        await this.reportDrift(
          next,
          calls,
          'active',
          `account ${account.accountId} is active in Atlassian but deactivated at the identity provider`,
        );
        return;
      }
      await this.refuseAdmin(account.accountId, next, calls);
      await calls.apply('suspend', 'account restored in Atlassian by hand (drift repaired)', () =>
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
    id: string,
    link: UserLink | undefined,
    next: UserLink,
    account: AtlassianAccount,
    action: DeactivationAction,
    calls: AtlassianCalls,
    why: string,
  ): Promise<DeactivationAction> {
    if (action === 'none') {
      await calls.note('deactivate', 'skipped', why, 'left as it is in Atlassian: the policy is "none"');
      return 'none';
    }
    if (action === 'suspend') {
      if (account.status !== 'active') return 'suspend';
      await this.refuseAdmin(account.accountId, next, calls);
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
    await this.removeProductAccess(id, link, next, account.accountId, calls, why);
    return 'remove-product-access';
  }

  /**
   * Takes the user out of every product-access group it is in, remembering them on the link
   * first (so a crash between the calls still gives them back on reactivation).
   */
  private async removeProductAccess(
    id: string,
    link: UserLink | undefined,
    next: UserLink,
    accountId: string,
    calls: AtlassianCalls,
    why: string,
  ): Promise<void> {
    // Asked once per deactivation: a suspension that fell back to this asked already.
    await this.refuseAdmin(accountId, next, calls);
    // One after the other: each call spends the budget and may end the run; neither is wasted.
    const mine = await calls.read('groupsOf', () => this.deps.port.groupsOf(accountId));
    const access = await this.productAccessGroups(calls);
    const member = new Set(mine.map((g) => g.id));
    const targets = access.filter((a) => member.has(a.group.id) && a.group.modifiable !== false);
    if (targets.length === 0) {
      if (!(await this.accessRemains(accountId, calls, why)))
        await calls.note('removeMember', 'ok', why, 'no product access to remove');
      return;
    }
    next.removedAccess = [...new Set([...(next.removedAccess ?? []), ...targets.map((t) => t.group.id)])];
    await this.intent(id, link, { removedAccess: next.removedAccess });
    for (const { group, products } of targets) {
      await calls.apply('removeMember', `${why}: removes ${products.join(', ')} access (${group.name})`, () =>
        this.deps.port.removeMember(group.id, accountId).catch(ignoreNotFound),
      );
    }
    await this.accessRemains(accountId, calls, why);
  }

  /**
   * After the groups are removed: does the account still have product access (a role given
   * to the user directly, which no group removal takes)? Where the adapter can tell (the
   * site-admin mode's remainingAccess), a remainder is logged `failed`, so the overview is
   * not Healthy and the admin sees what is left and how to remove it (issue 13, case 9).
   */
  private async accessRemains(accountId: string, calls: AtlassianCalls, why: string): Promise<boolean> {
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

  /** Drift the policy says to report: logged (attention) once, left as it is. */
  private async reportDrift(
    next: UserLink,
    calls: AtlassianCalls,
    state: string,
    what: string,
  ): Promise<void> {
    if (next.driftNoted === state) return;
    next.driftNoted = state;
    await calls.note(
      'drift',
      'attention',
      'a full reconcile found a change made by hand in Atlassian',
      `${what}; left as it is (drift policy "report"): change it in Atlassian, or set the drift policy to "repair"`,
    );
  }

  // ---- deletion ------------------------------------------------------------------------

  /**
   * A deleted SCIM user loses the access the app gave, as the deletion policy says: the
   * memberships the app added and the new-user grants go, then the account is suspended,
   * loses product access, is removed from the directory, or is left. Never deleted.
   */
  private async userGone(
    id: string,
    link: UserLink | undefined,
    calls: AtlassianCalls,
    context: ReconcileContext,
  ): Promise<void> {
    if (!link) return;
    const done = link.applied === 'deleted';
    const accountId = link.accountId;
    if (!accountId) {
      if (link.protectedAccount) await this.noteProtectedOnce(link, -1, calls, 'protected account');
      await this.save(id, link, { ...link, applied: 'deleted' }, true);
      return;
    }
    const why = 'user deleted at the identity provider';
    const next: UserLink = { ...link };
    delete next.waiting;
    // Fresh before the first deletion's writes (refuseAdmin); cached once they are done.
    const protectedWhy = this.allowListed(accountId, link.email)
      ? 'on the allow-list'
      : await this.adminCheck(accountId, next, calls, context.force === true || !done);
    const action: DeletionAction = protectedWhy ? 'none' : this.policies.deletion.action;
    if (protectedWhy && !done) await this.noteProtectedOnce(link, -1, calls, protectedWhy);
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
      if (callAtlassian && action !== 'none') await this.removeWelcomeGroups(next, accountId, calls, why);
      const account = await calls.read('getAccount', () => this.deps.port.getAccount(accountId));
      if (account && account.status !== 'not_invited') {
        if (action === 'remove-from-directory')
          await this.removeFromDirectory(id, link, next, account, calls, why);
        else if (!protectedWhy) await this.takeAccess(id, link, next, account, action, calls, why);
      }
      next.applied = 'deleted';
      await this.save(id, link, next);
    }
  }

  /** Removal from the directory; a connection that cannot do it suspends instead, and says so. */
  private async removeFromDirectory(
    id: string,
    link: UserLink | undefined,
    next: UserLink,
    account: AtlassianAccount,
    calls: AtlassianCalls,
    why: string,
  ): Promise<void> {
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
      await this.takeAccess(id, link, next, account, 'suspend', calls, why);
    }
  }

  /** The default groups and product access the app gave the user when it was new. */
  private async removeWelcomeGroups(
    next: UserLink,
    accountId: string,
    calls: AtlassianCalls,
    why: string,
  ): Promise<void> {
    for (const groupId of next.welcome?.groups ?? []) {
      await calls.apply('removeMember', `${why}: a new-user grant the app gave (${groupId})`, () =>
        this.deps.port.removeMember(groupId, accountId).catch(ignoreNotFound),
      );
    }
    if (next.welcome) next.welcome = { ...next.welcome, groups: [] };
  }

  // ---- new users -----------------------------------------------------------------------

  /**
   * A newly provisioned user joins the default groups and the groups granting the product
   * access the policy asks for, once: the groups are chosen and remembered on the link before
   * any call (a retry adds the same ones), and never re-added after someone removes them by
   * hand. Groups the user was in already are not the app's doing, so not recorded. Those an
   * invite placed the user in (`placed`) cost no call.
   */
  private async welcome(
    id: string,
    link: UserLink | undefined,
    next: UserLink,
    accountId: string,
    calls: AtlassianCalls,
    placed: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    const targets = await this.chooseWelcome(id, link, next, accountId, calls);
    for (const groupId of next.welcome?.groups ?? []) {
      if (placed.has(groupId)) continue;
      const why = `new user: ${targets.get(groupId) ?? `grant ${groupId}`}`;
      await calls.apply('addMember', `${why} (${accountId})`, () =>
        this.deps.port.addMember(groupId, accountId),
      );
    }
    next.welcome = { groups: next.welcome?.groups ?? [], done: true };
  }

  /**
   * The new-user grants, chosen once and recorded on the link (an intent) before any call;
   * each group passes the privilege check (src/sync/privilege.ts). Answers why each group was
   * chosen (empty when they were chosen on an earlier run). `accountId` undefined: before the
   * invite, when the user is in no group yet.
   */
  private async chooseWelcome(
    id: string,
    link: UserLink | undefined,
    next: UserLink,
    accountId: string | undefined,
    calls: AtlassianCalls,
  ): Promise<Map<string, string>> {
    const targets = new Map<string, string>();
    if (next.welcome) return targets;
    const { defaultGroups, productAccess } = this.policies.newUsers;
    for (const name of defaultGroups) {
      const group = await calls.read('findGroupByName', () => this.deps.port.findGroupByName(name));
      if (!group) {
        await calls.note(
          'addMember',
          'attention',
          'new user: default group',
          `default group "${name}" does not exist in Atlassian (not created): create it, or remove it from the new-user default groups`,
        );
      } else if (group.modifiable === false) {
        await calls.note(
          'addMember',
          'skipped',
          'new user: default group',
          `group "${group.name}" is protected in Atlassian`,
        );
      } else {
        // The privilege boundary (src/sync/privilege.ts): never a default group with admin power.
        const power = await this.groups.privilege.adminPower(group, calls);
        if (power) {
          await calls.note(
            'addMember',
            'attention',
            `new user: default group ${group.name}`,
            `${power}: not added (the app never grants admin power). Fix: ${FIXES.defaultGroup}`,
          );
        } else targets.set(group.id, `default group ${group.name}`);
      }
    }
    if (productAccess.length > 0) {
      const access = await this.productAccessGroups(calls);
      for (const { product, role = 'atlassian/user' } of productAccess) {
        // Exactly the role the policy names, through a group holding that and nothing more.
        const choice = await this.groups.privilege.productGroup(access, product, role, calls);
        if ('group' in choice)
          targets.set(choice.group.id, `${product} ${role} through ${choice.group.name}`);
        else await calls.note('addMember', 'attention', `new user: ${product} access`, choice.problem);
      }
    }
    if (targets.size === 0) {
      // Nothing to grant (the usual case): no call, and the final save records it.
      next.welcome = { groups: [], done: true };
      return targets;
    }
    const already = accountId
      ? new Set((await calls.read('groupsOf', () => this.deps.port.groupsOf(accountId))).map((g) => g.id))
      : new Set<string>();
    next.welcome = { groups: [...targets.keys()].filter((g) => !already.has(g)), done: false };
    await this.intent(id, link, { welcome: next.welcome });
    return targets;
  }

  /**
   * What an invite places the user with: the new-user grants still to give, and the Atlassian
   * groups of its SCIM groups that are linked already (the group worker would add them right
   * after, one call each; an invite naming them places the user and adds them at once). Each
   * linked group passes the same privilege check as the group worker's adds (never a group
   * with admin power); at most INVITE_GROUPS of them, the rest are added as members.
   */
  private async placement(
    id: string,
    link: UserLink | undefined,
    next: UserLink,
    calls: AtlassianCalls,
  ): Promise<{ groups: string[]; scim: Map<string, string> }> {
    await this.chooseWelcome(id, link, next, undefined, calls);
    const welcome = next.welcome?.done ? [] : (next.welcome?.groups ?? []);
    const scim = new Map<string, string>();
    for await (const membership of this.deps.directory.memberships.allOfUser(id)) {
      if (scim.size >= INVITE_GROUPS) break;
      const group = await this.deps.links.group(membership.group);
      if (!group?.groupId || group.protected) continue;
      const member = await this.deps.links.member(membership.group, id);
      if (member && !member.adding) continue;
      const atlassian = { id: group.groupId, name: group.name ?? group.groupId };
      // Refused here quietly: the group worker logs it, with the fix, when it tries the add.
      if (await this.groups.privilege.adminPower(atlassian, calls)) continue;
      scim.set(membership.group, group.groupId);
    }
    return { groups: [...new Set([...welcome, ...scim.values()])], scim };
  }

  /**
   * Member links for the SCIM groups an invite names: `adding` before it (so a membership the
   * invite made is known as the app's after a crash), `added` for those it placed.
   */
  private async intendMembers(
    id: string,
    scim: Map<string, string>,
    state: 'adding' | 'added',
  ): Promise<void> {
    const operations = [...scim.keys()].map((group) =>
      this.deps.links.memberOperation(
        group,
        id,
        state === 'adding' ? { created: true, adding: true } : { created: true },
      ),
    );
    if (operations.length > 0) await this.deps.links.write(...operations);
  }

  /**
   * Invited, yet not in the directory (status `not_invited` read back): no membership can be
   * added (404 "User not found"), so the user stays unlinked, holds no seat, and the log says
   * once what places it. Invited again when a group it did not name arrives, or on Retry.
   */
  private async notPlaced(
    id: string,
    link: UserLink | undefined,
    next: UserLink,
    account: AtlassianAccount,
    groups: string[],
    calls: AtlassianCalls,
  ): Promise<void> {
    await calls.entry({
      operation: 'invite',
      status: 'attention',
      why: 'user provisioned',
      result: `not in the directory: Atlassian invited ${account.email || account.accountId} (account ${account.accountId}) but did not add it to the organization's directory, so no group membership can be added. Fix: give new users a default group or product access in the provisioning policies, or add the user to a group at the identity provider; then Retry (a new group membership invites it again)`,
      errorKind: 'not-in-directory',
    });
    const waiting: UserLink = { ...next, unplaced: { accountId: account.accountId, groups } };
    delete waiting.accountId;
    delete waiting.applied;
    await this.save(id, link, waiting);
  }

  private productAccessGroups(calls: AtlassianCalls): Promise<ProductAccessGroup[]> {
    this.accessGroups ??= calls.read('productAccessGroups', () => this.deps.port.productAccessGroups());
    this.accessGroups.catch(() => (this.accessGroups = undefined));
    return this.accessGroups;
  }

  // ---- protected accounts --------------------------------------------------------------

  private allowListed(accountId: string | undefined, ...emails: (string | undefined)[]): boolean {
    const listed = this.policies.protectedAccounts;
    if (accountId && listed.accountIds.includes(accountId)) return true;
    const wanted = new Set(listed.emails.map((e) => e.trim().toLowerCase()));
    return emails.some((e) => e !== undefined && wanted.has(e.trim().toLowerCase()));
  }

  /** Why the account is protected, if it is: the allow-list, or an admin role. */
  private async protection(
    account: AtlassianAccount,
    email: string,
    next: UserLink,
    calls: AtlassianCalls,
    force: boolean,
  ): Promise<string | undefined> {
    if (this.allowListed(account.accountId, email, account.email)) return 'on the allow-list';
    return this.adminCheck(account.accountId, next, calls, force);
  }

  /**
   * One isAdmin call per account, cached on the link; asked again on a forced reconcile, and
   * before every destructive write (refuseAdmin).
   */
  private async adminCheck(
    accountId: string,
    next: UserLink,
    calls: AtlassianCalls,
    force: boolean,
  ): Promise<string | undefined> {
    if (next.admin?.accountId !== accountId || force) {
      const value = await calls.read('isAdmin', () => this.deps.port.isAdmin(accountId));
      next.admin = { accountId, value };
      this.askedNow.add(next);
    }
    return next.admin.value ? 'an organization, site or product admin' : undefined;
  }

  /**
   * Before a destructive write (suspend, removal of product access or from the directory):
   * is the account an admin now? Asked afresh, never the answer cached on the link, which is
   * asked again only on a forced reconcile (issue 13, case 3: an account made a site admin
   * after it was linked was suspended). Throws AdminNow for an admin: never touched.
   */
  private async refuseAdmin(accountId: string, next: UserLink, calls: AtlassianCalls): Promise<void> {
    // One read per reconcile at most: an answer asked in this reconcile is fresh.
    const why = await this.adminCheck(accountId, next, calls, !this.askedNow.has(next));
    if (why) throw new AdminNow(why);
  }

  /**
   * A protected account is never linked: the app forgets any link it had (without a call, so
   * its groups stay), and the group worker finds no account to add or remove.
   */
  private async leaveProtected(
    id: string,
    link: UserLink | undefined,
    next: UserLink,
    accountId: string | undefined,
    version: number,
    calls: AtlassianCalls,
    why: string,
  ): Promise<void> {
    if (next.accountId) {
      await this.groups.forEachMemberLink('user', id, async (groupId) => {
        await this.deps.links.write(this.deps.links.deleteMemberOperation(groupId, id));
      });
      delete next.accountId;
    }
    if (accountId) next.protectedAccount = accountId;
    if (link?.protectedNoted !== version) {
      await this.noteProtectedOnce(link, version, calls, why);
      next.protectedNoted = version;
    }
    delete next.applied;
    await this.save(id, link, next);
  }

  private async noteProtectedOnce(
    link: UserLink | undefined,
    version: number,
    calls: AtlassianCalls,
    why: string,
  ): Promise<void> {
    if (link?.protectedNoted === version) return;
    await calls.note('protect', 'skipped', `protected account: ${why}`, 'skipped: protected account');
  }

  // ---- linking conflicts and blocks ----------------------------------------------------

  /**
   * Whether an account found by e-mail (not linked to this user, not invited by the app) may
   * be linked. Linking is what lets an identity provider suspend or strip an account, so an
   * e-mail alone must not hand it over (issue 13, case 4):
   * - an account the organization manages (Organizations API claimStatus `managed`: its
   *   e-mail domain is verified and the account claimed, "Users" in the Organizations REST
   *   API reference) belongs to the organization, whose identity provider may manage it:
   *   linked, active or not;
   * - one the adapter says is unmanaged is someone's own account: never linked by e-mail,
   *   whatever the identity provider sends (the log says how to claim it);
   * - where the adapter cannot tell (site-admin mode: Jira REST has no claim status,
   *   site-adapter.ts), it is linked only while the user is active, so the first thing such
   *   a link does is never a suspension or a removal of access.
   * Accounts the app invited itself are linked by the invite, without this check.
   */
  private linkable(account: AtlassianAccount, wantActive: boolean, dryRun: boolean): boolean {
    if (account.managed !== undefined) return account.managed;
    // A plan stores no link, so its next step would look like a first contact: it plans as if
    // the earlier planned link were made (over-stating a preview rather than hiding a write).
    return wantActive || dryRun;
  }

  /** An account the app may not link (linkable): the user stays unlinked; the log says why once. */
  private async notLinked(
    id: string,
    link: UserLink | undefined,
    next: UserLink,
    account: AtlassianAccount,
    calls: AtlassianCalls,
  ): Promise<void> {
    if (link?.applied !== 'suspended' || link.accountId) {
      const why = 'an account with this e-mail exists';
      if (account.managed === false) {
        await calls.entry({
          operation: 'link',
          status: 'attention',
          why,
          result: `conflict: not linked, left alone. The account ${account.accountId} is not managed by your organization, and an e-mail alone does not make it the identity provider's: verify the e-mail's domain and claim the account (Atlassian Administration › Settings › Domains, then Managed accounts), or give the user another e-mail at the identity provider`,
          errorKind: 'conflict',
          error: `Atlassian account ${account.accountId} has this e-mail but is not managed by the organization (claimStatus unmanaged).`,
        });
      } else {
        await calls.note(
          'link',
          'attention',
          why,
          `not linked: account ${account.accountId} was not linked while active, and a user that arrives inactive is never linked to an existing account (so a SCIM request cannot suspend it); linked when the identity provider sends the user as active`,
        );
      }
    }
    delete next.accountId;
    await this.save(id, link, { ...next, applied: 'suspended' });
  }

  /**
   * The account is linked to another SCIM user already (e-mails that differ only in case, or
   * one person twice at the identity provider): a conflict, never a second link, so neither
   * user can undo what the other applies.
   */
  private async ownedElsewhere(
    id: string,
    link: UserLink | undefined,
    desired: StoredResource,
    calls: AtlassianCalls,
    account: AtlassianAccount,
    owner: string,
  ): Promise<void> {
    const already = link?.blocked?.version === desired.version && link.blocked.kind === 'conflict';
    const reason = `Atlassian account ${account.accountId} is already linked to SCIM user ${owner}; an account is linked to one user only.`;
    const next: UserLink = {
      ...this.stored(id, link),
      blocked: { reason, kind: 'conflict', version: desired.version, at: this.deps.now() },
    };
    // A link from before this rule may name the account: dropped, so this user's writes stop.
    delete next.accountId;
    delete next.applied;
    await this.save(id, link, next);
    if (!already) {
      await calls.entry({
        operation: 'link',
        status: 'attention',
        why: 'user provisioned',
        result: `conflict: not linked, left alone. Remove the duplicate user at the identity provider, or give it its own e-mail address; then retry`,
        errorKind: 'conflict',
        error: reason,
      });
    }
  }

  /** linkExistingByEmail is off and the e-mail is an existing account's: reported, left alone. */
  private async conflict(
    id: string,
    link: UserLink | undefined,
    desired: StoredResource,
    calls: AtlassianCalls,
    account: AtlassianAccount,
  ): Promise<void> {
    const already = link?.blocked?.version === desired.version && link.blocked.kind === 'conflict';
    const reason = `An Atlassian account (${account.accountId}) already has this e-mail, and linking existing accounts by e-mail is off.`;
    await this.deps.links.write(
      this.deps.links.userOperation(id, {
        ...link,
        blocked: { reason, kind: 'conflict', version: desired.version, at: this.deps.now() },
      }),
    );
    if (!already) {
      await calls.entry({
        operation: 'link',
        status: 'attention',
        why: 'user provisioned',
        result:
          'conflict: left alone. Turn on "link existing accounts by e-mail", or give the user another e-mail at the identity provider; then retry',
        errorKind: 'conflict',
        error: reason,
      });
    }
  }

  private async block(
    id: string,
    link: UserLink | undefined,
    desired: StoredResource,
    calls: AtlassianCalls,
    kind: string,
    reason: string,
    operation = 'provision',
  ): Promise<void> {
    const already = link?.blocked?.version === desired.version && link.blocked.kind === kind;
    const blocked = { reason, kind, version: desired.version, at: this.deps.now() };
    // Through save: a seat taken for the invite is given back.
    await this.save(id, link, { ...this.stored(id, link), blocked });
    if (!already) {
      await calls.entry({
        operation,
        status: 'blocked',
        why: 'user provisioned',
        result:
          kind === 'payment-required'
            ? 'blocked: inviting users needs a paid Atlassian subscription; retried when the user changes or an admin asks'
            : `blocked: ${reason}`,
        errorKind: kind,
        error: reason,
      });
    }
  }

  // ---- the seat cap --------------------------------------------------------------------

  /**
   * Takes a seat before the call that makes the account active (invite, restore), with the
   * counter in the same transaction: a call that succeeds and a run that then fails cannot
   * let the next user past the cap, and a retry does not count it again. False when the cap
   * is reached. Counted without a cap too, so a cap set later starts from the truth.
   */
  private async takeSeat(id: string, link: UserLink | undefined): Promise<boolean> {
    if (link?.seat || this.seatsTaken.has(id)) return true;
    const limit = this.policies.seatCap.limit;
    const next: UserLink = { ...link, seat: true };
    delete next.waiting;
    const taken = await this.updateSeats((seats) => {
      if (limit !== undefined && seats.used >= limit) return undefined;
      return {
        seats: { used: seats.used + 1, waiting: Math.max(0, seats.waiting - (link?.waiting ? 1 : 0)) },
        with: [
          this.deps.links.userOperation(id, next),
          ...(link?.waiting ? [this.deps.links.unwaitOperation(id)] : []),
        ],
      };
    });
    if (!taken) return false;
    this.seatsTaken.add(id);
    return true;
  }

  /**
   * Writes the seat counters as `change` computes them from the counters read, with the
   * operations it names, in one transaction that holds only if no other consumer run wrote
   * the counters meanwhile (else it reads them again). `change` answers undefined to write
   * nothing; the answer is whether it wrote.
   */
  private async updateSeats(
    change: (seats: SeatState) => { seats: SeatState; with: WriteOperation[] } | undefined,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const { doc, version } = await readSeatsForUpdate(this.deps.links);
      const update = change(doc);
      if (!update) return false;
      try {
        await this.deps.links.write(
          ...update.with,
          this.deps.links.stateOperation<SeatState>(SEATS, update.seats, version),
        );
        return true;
      } catch (error) {
        if (!(error instanceof ConditionFailedError) || attempt >= SEAT_UPDATE_ATTEMPTS) throw error;
        await contentionPause(attempt);
      }
    }
  }

  /** The link as stored now: the one read at the start, plus a seat taken since. */
  private stored(id: string, link: UserLink | undefined): UserLink | undefined {
    if (!this.seatsTaken.has(id)) return link;
    const stored: UserLink = { ...link, seat: true };
    delete stored.waiting;
    return stored;
  }

  /** The cap is reached: the user waits (not invited), and the log says so once. */
  private async wait(
    id: string,
    link: UserLink | undefined,
    next: UserLink,
    calls: AtlassianCalls,
  ): Promise<void> {
    if (!link?.waiting) {
      const limit = this.policies.seatCap.limit;
      await calls.entry({
        operation: 'seat',
        status: 'blocked',
        why: 'user provisioned',
        result: `pending: the seat cap of ${limit} users is reached; provisioned when a seat frees or the cap rises`,
        errorKind: 'seat-cap',
      });
    }
    // The account is not linked while the user waits: its reconcile on release is a new link.
    const waiting: UserLink = { ...next, waiting: true };
    if (link?.accountId) waiting.accountId = link.accountId;
    else delete waiting.accountId;
    await this.save(id, link, waiting);
  }

  /**
   * Records what the app is about to do on the stored link (not the new one), so a crash
   * between the calls that follow finds the intent, and the rest of the reconcile runs again.
   */
  private async intent(id: string, link: UserLink | undefined, patch: Partial<UserLink>): Promise<void> {
    await this.deps.links.write(this.deps.links.userOperation(id, { ...this.stored(id, link), ...patch }));
  }

  /**
   * Writes the user's link, and in the same transaction the seat counters it changes: a seat
   * is held while the account is active in Atlassian through the app, so a crash between
   * the link and the counter cannot count a user twice or lose one. A freed seat releases
   * the users waiting longest.
   */
  private async save(id: string, read: UserLink | undefined, next: UserLink, forget = false): Promise<void> {
    const link = this.stored(id, read);
    this.seatsTaken.delete(id);
    const holds =
      !forget &&
      next.accountId !== undefined &&
      (next.applied === 'active' || (next.applied === 'suspended' && next.deactivation === 'none'));
    const operations: WriteOperation[] = [];
    let used = 0;
    let waiting = 0;
    if (holds && !link?.seat) used = 1;
    if (!holds && link?.seat) used = -1;
    if (holds) next.seat = true;
    else delete next.seat;
    if (next.waiting && !forget && !link?.waiting) {
      waiting = 1;
      operations.push(this.deps.links.waitOperation(id, this.deps.now()));
    }
    if ((!next.waiting || forget) && link?.waiting) {
      waiting = -1;
      operations.push(this.deps.links.unwaitOperation(id));
    }
    if (!next.waiting) delete next.waiting;
    operations.unshift(
      forget ? this.deps.links.deleteOperation('user', id) : this.deps.links.userOperation(id, next),
    );
    // One transaction (at most 25 operations): the link and its counters together.
    if (used !== 0 || waiting !== 0) {
      await this.updateSeats((seats) => ({
        seats: { used: Math.max(0, seats.used + used), waiting: Math.max(0, seats.waiting + waiting) },
        with: operations,
      }));
    } else {
      await this.deps.links.write(...operations);
    }
    if (used < 0) await this.releaseWaiting();
  }

  /** Marks the users waiting longest, as many as there are free seats (all without a cap). */
  private async releaseWaiting(): Promise<void> {
    await releaseWaiting(this.deps.links, this.deps.queue, this.policies.seatCap.limit);
  }

  /** A user just got its account: the groups it is in can now add it. */
  private async markGroupsOf(userId: string): Promise<void> {
    const groups: string[] = [];
    for await (const membership of this.deps.directory.memberships.allOfUser(userId))
      groups.push(membership.group);
    if (groups.length > 0) await this.deps.queue.mark('group', groups);
  }
}

/** The account is an admin now (refuseAdmin): the destructive write is not made. */
class AdminNow extends Error {
  constructor(readonly why: string) {
    super(`protected account: ${why}`);
    this.name = 'AdminNow';
  }
}

/** The address to invite: the primary e-mail, else the first, else a userName that is one. */
export function primaryEmail(doc: ScimObject): string | undefined {
  const emails = Array.isArray(doc.emails) ? (doc.emails as ScimObject[]) : [];
  const values = emails.filter((e) => typeof e?.value === 'string' && e.value !== '');
  const chosen = values.find((e) => e.primary === true) ?? values.find((e) => e.type === 'work') ?? values[0];
  if (chosen) return String(chosen.value).trim();
  const userName = typeof doc.userName === 'string' ? doc.userName.trim() : '';
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(userName) ? userName : undefined;
}

function displayName(doc: ScimObject): string | undefined {
  if (typeof doc.displayName === 'string' && doc.displayName !== '') return doc.displayName;
  const name = doc.name as ScimObject | undefined;
  if (typeof name?.formatted === 'string' && name.formatted !== '') return name.formatted;
  const parts = [name?.givenName, name?.familyName].filter((p) => typeof p === 'string' && p !== '');
  return parts.length > 0 ? parts.join(' ') : undefined;
}
