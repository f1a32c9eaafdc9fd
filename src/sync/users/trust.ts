/**
 * When a user's reconcile may take its linked account as the link says the app left it,
 * instead of reading it from Atlassian: the first attempt of a change-driven reconcile (nobody
 * forced it) of an account linked and applied. Its writes then say whether the link still
 * holds: a suspend, restore or member add of an account gone answers 404, the attempt fails,
 * and the retry (attempt 2) reads the account. What is left out: a change made by hand in
 * Atlassian since (drift) is found by the full reconcile (forced, so it reads every account),
 * not by every change; the admin check before a destructive write is asked afresh all the
 * same (Protection.refuseAdmin). The claim status is the one the profile sync recorded.
 */
import type { AtlassianAccount } from '../../atlassian/port';
import type { UserLink } from '../links';
import type { UserTurn } from './turn';

/** Whether a reconcile (forced or not, its attempt) trusts this link for the account. */
export function trustsLink(link: UserLink | undefined, force: boolean, attempt: number): boolean {
  if (force || attempt !== 1 || !link?.accountId || link.placing) return false;
  return link.applied === 'active' || link.applied === 'suspended';
}

/** The linked account as the link says it is, where the turn trusts it (trustsLink). */
export function trustedAccount(turn: UserTurn): AtlassianAccount | undefined {
  const { link } = turn;
  if (!trustsLink(link, turn.forced, turn.context.attempt) || !link?.accountId) return undefined;
  const suspended = link.applied === 'suspended' && (link.deactivation ?? 'suspend') === 'suspend';
  const profile = link.profile?.accountId === link.accountId ? link.profile : undefined;
  return {
    accountId: link.accountId,
    email: link.email ?? '',
    status: suspended ? 'suspended' : 'active',
    ...(profile ? { managed: !profile.unmanaged } : {}),
  };
}
