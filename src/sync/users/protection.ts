/**
 * Accounts the app must not take over: protected accounts (the allow-list, admins) are never
 * linked, changed or removed, and an e-mail alone does not hand an existing account to the
 * identity provider (linking rules, issue 13 case 4). Admin power is asked afresh before
 * every destructive write (refuseAdmin).
 */
import type { AtlassianAccount } from '../../atlassian/port';
import type { GroupSide } from './group-side';
import type { UserLink } from '../links';
import type { ReconcilerDeps } from '../reconciler';
import type { SeatCap } from './seat-cap';
import type { UserTurn } from './turn';
import { allowListed } from '../../policies/policies';

/** The account is an admin now (refuseAdmin): the destructive write is not made. */
export class AdminNow extends Error {
  constructor(readonly why: string) {
    super(`protected account: ${why}`);
    this.name = 'AdminNow';
  }
}

export class Protection {
  constructor(
    private readonly deps: ReconcilerDeps,
    private readonly seats: SeatCap,
    private readonly groups: GroupSide,
  ) {}

  // ---- protected accounts --------------------------------------------------------------

  allowListed(accountId: string | undefined, ...emails: (string | undefined)[]): boolean {
    return allowListed(this.deps.policies, accountId, ...emails);
  }

  /** Why the account is protected, if it is: the allow-list, or an admin role. */
  async protection(turn: UserTurn, account: AtlassianAccount, email: string): Promise<string | undefined> {
    if (this.allowListed(account.accountId, email, account.email)) return 'on the allow-list';
    return this.adminCheck(turn, account.accountId, turn.forced);
  }

  /**
   * One isAdmin call per account, cached on the link; asked again on a forced reconcile, and
   * before every destructive write (refuseAdmin).
   */
  async adminCheck(turn: UserTurn, accountId: string, force: boolean): Promise<string | undefined> {
    const next = turn.next;
    if (next.admin?.accountId !== accountId || force) {
      const value = await turn.calls.read('isAdmin', () => this.deps.port.isAdmin(accountId));
      next.admin = { accountId, value };
      turn.adminAsked = true;
    }
    return next.admin.value ? 'an organization, site or product admin' : undefined;
  }

  /**
   * Before a destructive write (suspend, removal of product access or from the directory):
   * is the account an admin now? Asked afresh, never the answer cached on the link, which is
   * asked again only on a forced reconcile (issue 13, case 3: an account made a site admin
   * after it was linked was suspended). Throws AdminNow for an admin: never touched.
   */
  async refuseAdmin(turn: UserTurn, accountId: string): Promise<void> {
    // One read per reconcile at most: an answer asked in this reconcile is fresh.
    const why = await this.adminCheck(turn, accountId, !turn.adminAsked);
    if (why) throw new AdminNow(why);
  }

  /**
   * A protected account is never linked: the app forgets any link it had (without a call, so
   * its groups stay), and the group worker finds no account to add or remove.
   */
  async leaveProtected(turn: UserTurn, accountId: string | undefined, why: string): Promise<void> {
    const { id, link, next, version } = turn;
    if (next.accountId) {
      await this.groups.forEachMemberLink('user', id, async (groupId) => {
        await this.deps.links.write(this.deps.links.deleteMemberOperation(groupId, id));
      });
      delete next.accountId;
    }
    if (accountId) next.protectedAccount = accountId;
    if (link?.protectedNoted !== version) {
      await this.noteProtectedOnce(turn, why);
      next.protectedNoted = version;
    }
    delete next.applied;
    await this.seats.save(turn, next);
  }

  /** Logs that the account is protected, once per version of the SCIM user. */
  async noteProtectedOnce({ link, version, calls }: UserTurn, why: string): Promise<void> {
    if (link?.protectedNoted === version) return;
    await calls.note('protect', 'skipped', `protected account: ${why}`, 'skipped: protected account');
  }

  // ---- linking conflicts ---------------------------------------------------------------

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
  linkable(account: AtlassianAccount, wantActive: boolean, dryRun: boolean): boolean {
    if (account.managed !== undefined) return account.managed;
    // A plan stores no link, so its next step would look like a first contact: it plans as if
    // the earlier planned link were made (over-stating a preview rather than hiding a write).
    return wantActive || dryRun;
  }

  /** An account the app may not link (linkable): the user stays unlinked; the log says why once. */
  async notLinked(turn: UserTurn, account: AtlassianAccount): Promise<void> {
    const { link, next, calls } = turn;
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
    await this.seats.save(turn, { ...next, applied: 'suspended' });
  }

  /**
   * The account is linked to another SCIM user already (e-mails that differ only in case, or
   * one person twice at the identity provider): a conflict, never a second link, so neither
   * user can undo what the other applies.
   */
  async ownedElsewhere(turn: UserTurn, account: AtlassianAccount, owner: string): Promise<void> {
    const { link, version, calls } = turn;
    const already = link?.blocked?.version === version && link.blocked.kind === 'conflict';
    const reason = `Atlassian account ${account.accountId} is already linked to SCIM user ${owner}; an account is linked to one user only.`;
    const next: UserLink = {
      ...this.seats.stored(turn),
      blocked: { reason, kind: 'conflict', version, at: this.deps.now() },
    };
    // A link from before this rule may name the account: dropped, so this user's writes stop.
    delete next.accountId;
    delete next.applied;
    await this.seats.save(turn, next);
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
  async conflict(turn: UserTurn, account: AtlassianAccount): Promise<void> {
    const { id, link, version, calls } = turn;
    const already = link?.blocked?.version === version && link.blocked.kind === 'conflict';
    const reason = `An Atlassian account (${account.accountId}) already has this e-mail, and linking existing accounts by e-mail is off.`;
    await this.deps.links.write(
      this.deps.links.userOperation(id, {
        ...link,
        blocked: { reason, kind: 'conflict', version, at: this.deps.now() },
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
}
