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
import { AtlassianAccount, AtlassianError, InvitedAccount } from '../atlassian/port';
import { ScimObject } from '../scim/schema/normalize';
import type { GroupSide } from './users/group-side';
import { syncProfile } from './profile';
import { UserLink } from './links';
import { resourceName } from './log';
import type { ReconcilerDeps } from './reconciler';
import { ignoreNotFound, ReconcileContext, AtlassianCalls } from './atlassian-calls';
import { reportDrift } from './users/drift';
import { Offboarding } from './users/offboarding';
import { ProductAccessGroups } from './users/product-access';
import { AdminNow, Protection } from './users/protection';
import { SeatCap } from './users/seat-cap';
import { trustedAccount } from './users/trust';
import { UserTurn } from './users/turn';
import { NewUserGroups } from './users/welcome';

export class UserReconciler {
  /** Waiting users are released once per run, so a raised cap takes effect. */
  private released = false;
  private readonly seats: SeatCap;
  private readonly protection: Protection;
  private readonly offboarding: Offboarding;
  private readonly newUser: NewUserGroups;

  constructor(
    private readonly deps: ReconcilerDeps,
    private readonly groups: GroupSide,
  ) {
    const accessGroups = new ProductAccessGroups(deps.port);
    this.seats = new SeatCap(deps);
    this.protection = new Protection(deps, this.seats, groups);
    this.offboarding = new Offboarding(deps, this.seats, this.protection, groups, accessGroups);
    this.newUser = new NewUserGroups(deps, this.seats, groups, accessGroups);
  }

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
      await this.seats.releaseWaiting();
    }
    const [desired, link] = await Promise.all([this.deps.directory.users.get(id), this.deps.links.user(id)]);
    // A deleted user is named by the address the app last invited or matched.
    calls.named(desired ? resourceName('user', desired.doc) : link?.email);
    const turn = new UserTurn(id, link, desired, calls, context);
    if (!desired) return this.offboarding.userGone(turn);

    const email = primaryEmail(desired.doc);
    if (!email) {
      await this.block(turn, 'invalid', 'The user has no e-mail address to invite.');
      return;
    }
    if (link?.blocked && link.blocked.version === desired.version && !context.force) {
      // Blocked at this version (402, no e-mail, conflict): only a change or an admin's retry helps.
      return;
    }
    const wantActive = desired.doc.active !== false;
    const next = turn.next;
    next.email = email;
    delete next.blocked;
    delete next.waiting;

    if (this.protection.allowListed(undefined, email)) {
      return this.protection.leaveProtected(turn, undefined, 'on the allow-list');
    }
    let account: AtlassianAccount | undefined = trustedAccount(turn);
    const knownAccount = link?.accountId ?? link?.placing?.accountId;
    if (!account && knownAccount) account = await this.accountById(turn, knownAccount);
    if (link?.placing && !link.accountId) {
      // Invited by the last reconcile; whether that placed the account is read back now.
      return this.invitePlaced(turn, account, link.placing);
    }
    account ??= await this.accountByEmail(turn, email);

    if (account && account.status !== 'not_invited') {
      const why = await this.protection.protection(turn, account, email);
      if (why) return this.protection.leaveProtected(turn, account.accountId, why);
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
        await this.seats.save(turn, { ...next, applied: 'suspended' });
        return;
      }
      // What places the user (the new-user grants, its linked SCIM groups), chosen first.
      const placing = await this.newUser.placement(turn);
      const tried = link?.unplaced;
      if (tried && !context.force && placing.groups.every((g) => tried.groups.includes(g))) {
        // Invited before and not placed; this invite would be the same: wait for a new group
        // (the group worker marks the user when one arrives) or an admin's Retry.
        return;
      }
      if (!(await this.seats.takeSeat(turn))) return this.seats.wait(turn);
      const why = link?.applied === 'deleted' ? 'user created again' : 'user provisioned';
      const named = placing.groups.length > 0 ? `; joins ${placing.groups.length} group(s) with it` : '';
      if (calls.dryRun) {
        // The invite's account is unknown, but what places it is: the plan names that too.
        await calls.apply('invite', `${why}${named}`, () => Promise.resolve());
        return;
      }
      await this.newUser.intendMembers(id, placing.scim, 'adding');
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
              // Read back by the next reconcile, with the batch's other accounts in one search.
              ...(this.deps.accounts?.batches ? { deferReadBack: true } : {}),
            }),
          ['payment-required', 'user-limit'],
        );
      } catch (error) {
        if (
          error instanceof AtlassianError &&
          (error.kind === 'payment-required' || error.kind === 'user-limit')
        ) {
          await this.block(turn, error.kind, error.message, 'invite');
          return;
        }
        throw error;
      }
      account = invited;
      next.invited = true;
      placedNow = new Set(invited.placedGroups ?? []);
      await this.newUser.intendMembers(
        id,
        new Map([...placing.scim].filter(([, g]) => placedNow.has(g))),
        'added',
      );
      for (const { what, reason } of invited.refused ?? []) {
        await calls.note(
          'invite',
          'attention',
          why,
          `${what} was not applied by the invite (${reason}): added as a member instead`,
        );
      }
      if (invited.placementUnknown) {
        // Linked once read back (invitePlaced): the user's next reconcile, queued now.
        const placed = [...placedNow];
        await this.seats.intent(turn, {
          ...(next.welcome ? { welcome: next.welcome } : {}),
          email,
          invited: true,
          placing: { accountId: invited.accountId, groups: placing.groups, placed },
        });
        await this.deps.queue.mark('user', [id]);
        return;
      }
      if (invited.status === 'not_invited') return this.notPlaced(turn, invited, placing.groups);
      delete next.unplaced;
    } else if (link?.accountId !== account.accountId && !this.policies.linking.linkExistingByEmail) {
      await this.protection.conflict(turn, account);
      return;
    } else if (
      link?.accountId !== account.accountId &&
      !this.protection.linkable(account, wantActive, calls.dryRun)
    ) {
      return this.protection.notLinked(turn, account);
    }
    return this.linkAndApply(turn, account, placedNow);
  }

  /**
   * The account is the user's: linked (claimed for this user), its active state applied, a
   * new user's grants given, the link saved, the user's groups marked, its profile pushed.
   */
  private async linkAndApply(
    turn: UserTurn,
    account: AtlassianAccount,
    placedNow: ReadonlySet<string>,
  ): Promise<void> {
    const { id, link, next, calls } = turn;
    const desired = turn.desired!;
    const email = next.email!;
    const wantActive = desired.doc.active !== false;
    const owner = await this.deps.links.accountOwner(account.accountId, id);
    if (owner !== id) return this.protection.ownedElsewhere(turn, account, owner);
    const newlyLinked = next.accountId !== account.accountId || link?.applied === 'deleted';
    next.accountId = account.accountId;
    if (newlyLinked && !next.invited) {
      await calls.note('link', 'ok', 'an account with this e-mail exists', `linked to ${account.accountId}`);
    }
    // What the link says the app applied last, unless this is a new link.
    const applied = newlyLinked ? undefined : link?.applied;
    if (wantActive) {
      if (!(await this.activate(turn, account, applied))) return;
    } else {
      try {
        await this.offboarding.deactivate(turn, account, applied);
      } catch (error) {
        if (!(error instanceof AdminNow)) throw error;
        return this.protection.leaveProtected(turn, account.accountId, error.why);
      }
    }
    next.applied = wantActive ? 'active' : 'suspended';
    if (newlyLinked && wantActive && !next.welcome?.done) {
      await this.newUser.welcome(turn, account.accountId, placedNow);
    }
    await this.seats.save(turn, next);
    if (newlyLinked) await this.markGroupsOf(id);
    await this.profile(turn, desired.doc, email, account);
  }

  /** The linked account, from the run's batched look-up when fresh, else read now. */
  private async accountById(turn: UserTurn, accountId: string): Promise<AtlassianAccount | undefined> {
    const prefetched = this.deps.accounts?.account(accountId, turn.context.markedAt);
    if (prefetched) return prefetched.account;
    return turn.calls.read('getAccount', () => this.deps.port.getAccount(accountId));
  }

  /** The account with the user's e-mail, from the run's batched look-up when fresh, else searched now. */
  private async accountByEmail(turn: UserTurn, email: string): Promise<AtlassianAccount | undefined> {
    const prefetched = this.deps.accounts?.accountByEmail(email, turn.context.markedAt);
    if (prefetched) return prefetched.account;
    return turn.calls.read('findAccountByEmail', () => this.deps.port.findAccountByEmail(email));
  }

  /**
   * The reconcile after an invite whose placement was not read back (`placing`): the account
   * as read now says it. In the directory: linked as the invite's account (no protection
   * check, as right after an invite; the groups it placed cost no call). Not in the directory
   * (`not_invited`, or not found): no membership, logged with the fix (notPlaced).
   */
  private async invitePlaced(
    turn: UserTurn,
    account: AtlassianAccount | undefined,
    placing: NonNullable<UserLink['placing']>,
  ): Promise<void> {
    const { next } = turn;
    delete next.placing;
    if (!account || account.status === 'not_invited') {
      const email = next.email ?? '';
      const unplaced = account ?? { accountId: placing.accountId, email, status: 'not_invited' as const };
      return this.notPlaced(turn, unplaced, placing.groups);
    }
    next.invited = true;
    delete next.unplaced;
    delete next.protectedAccount;
    delete next.protectedNoted;
    // Outside the directory before the invite, it held no role here ("an account not in the
    // directory administers nothing", AtlassianPort.isAdmin), and the invite named only groups
    // the privilege check let through: not an admin, cached as an asked answer would be (and,
    // as that one, asked afresh before any destructive write and on a forced reconcile).
    next.admin = { accountId: account.accountId, value: false };
    return this.linkAndApply(turn, account, new Set(placing.placed));
  }

  /**
   * The profile (src/sync/profile.ts), after the link is saved: a failed push leaves the
   * link's state as applied, and a crash before its own save sends the same write again.
   * Never for an account that is an admin now (asked afresh before any write).
   */
  private async profile(
    turn: UserTurn,
    doc: ScimObject,
    email: string,
    account: AtlassianAccount,
  ): Promise<void> {
    const { id, next, calls } = turn;
    const sync = { port: this.deps.port, links: this.deps.links, calls };
    const guard = () => this.protection.refuseAdmin(turn, account.accountId);
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
    turn: UserTurn,
    account: AtlassianAccount,
    applied: UserLink['applied'],
  ): Promise<boolean> {
    const { next, calls } = turn;
    const inactive = account.status === 'suspended' || account.status === 'deactivated';
    // Active, applied as active, yet suspended in Atlassian: someone did it by hand.
    const drift = inactive && applied === 'active';
    if (drift && this.policies.drift.action === 'report') {
      await reportDrift(
        turn,
        'suspended',
        `account ${account.accountId} is ${account.status} in Atlassian but active at the identity provider`,
      );
      return true;
    }
    if (inactive) {
      if (!(await this.seats.takeSeat(turn))) {
        await this.seats.wait(turn);
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
    if (applied === 'suspended') await this.reactivated(turn, account.accountId);
    delete next.deactivation;
    return true;
  }

  /**
   * Reactivation gives back what deactivation took: the product-access groups it removed, or
   * (after a suspension) the memberships the app had added, re-checked one by one — Entra does
   * not send the user's groups again.
   */
  private async reactivated(turn: UserTurn, accountId: string): Promise<void> {
    const { next, calls } = turn;
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
      await this.recheckMemberships(turn, accountId, why);
    }
  }

  /**
   * Every membership the app added for the user, checked in Atlassian and added back if gone:
   * the account's groups read once (`groupsOf`, one users search with its groups), not one
   * `isMember` per membership. A group the answer leaves out is added (an add of a member
   * already there answers as a new one), so a short answer costs a write, never a membership.
   */
  private async recheckMemberships({ id, calls }: UserTurn, accountId: string, why: string): Promise<void> {
    let current: Promise<Set<string>> | undefined;
    const groupsNow = () =>
      (current ??= calls
        .read('groupsOf', () => this.deps.port.groupsOf(accountId))
        .then((groups) => new Set(groups.map((g) => g.id))));
    await this.groups.forEachMemberLink('user', id, async (scimGroup, member) => {
      if (!member.created) return;
      const group = await this.deps.links.group(scimGroup);
      if (!group?.groupId || group.protected) return;
      const groupId = group.groupId;
      if ((await groupsNow()).has(groupId)) return;
      await calls.apply('addMember', `${why}: membership missing in Atlassian (${accountId})`, () =>
        this.deps.port.addMember(groupId, accountId),
      );
    });
  }

  /**
   * Invited, yet not in the directory (status `not_invited` read back): no membership can be
   * added (404 "User not found"), so the user stays unlinked, holds no seat, and the log says
   * once what places it. Invited again when a group it did not name arrives, or on Retry.
   */
  private async notPlaced(turn: UserTurn, account: AtlassianAccount, groups: string[]): Promise<void> {
    await turn.calls.entry({
      operation: 'invite',
      status: 'attention',
      why: 'user provisioned',
      result: `not in the directory: Atlassian invited ${account.email || account.accountId} (account ${account.accountId}) but did not add it to the organization's directory, so no group membership can be added. Fix: give new users a default group or product access in the provisioning policies, or add the user to a group at the identity provider; then Retry (a new group membership invites it again)`,
      errorKind: 'not-in-directory',
    });
    const waiting: UserLink = { ...turn.next, unplaced: { accountId: account.accountId, groups } };
    delete waiting.accountId;
    delete waiting.applied;
    await this.seats.save(turn, waiting);
  }

  /** The user cannot be provisioned at this version (402, a product's user limit, no e-mail). */
  private async block(turn: UserTurn, kind: string, reason: string, operation = 'provision'): Promise<void> {
    const { link, version, calls } = turn;
    const already = link?.blocked?.version === version && link.blocked.kind === kind;
    const blocked = { reason, kind, version, at: this.deps.now() };
    // Through save: a seat taken for the invite is given back.
    await this.seats.save(turn, { ...this.seats.stored(turn), blocked });
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

  /** A user just got its account: the groups it is in can now add it. */
  private async markGroupsOf(userId: string): Promise<void> {
    const groups: string[] = [];
    for await (const membership of this.deps.directory.memberships.allOfUser(userId))
      groups.push(membership.group);
    if (groups.length > 0) await this.deps.queue.mark('group', groups);
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
