/**
 * The reconcile worker for users: links a SCIM user to an Atlassian account (found by e-mail
 * or invited), and applies its active state; a deleted user loses the access the app gave.
 * What exactly happens on each change is the policies' choice (src/sync/policies.ts).
 */
import { AtlassianAccount, AtlassianError } from '../atlassian/port';
import type { StoredResource } from '../directory/collection';
import { ScimObject } from '../scim/schema/normalize';
import type { GroupReconciler } from './group-reconciler';
import { UserLink } from './links';
import type { ReconcilerDeps } from './reconciler';
import { ReconcileContext, Run } from './run';

export class UserReconciler {
  constructor(
    private readonly deps: ReconcilerDeps,
    private readonly groups: GroupReconciler,
  ) {}

  // ---- users ---------------------------------------------------------------------------

  async user(id: string, context: ReconcileContext): Promise<void> {
    const run = new Run(this.deps.port, this.deps.log, context, { resource: id, resourceType: 'user' });
    const [desired, link] = await Promise.all([this.deps.directory.users.get(id), this.deps.links.user(id)]);
    if (!desired) return this.userGone(id, link, run);

    const email = primaryEmail(desired.doc);
    if (!email) {
      await this.block(id, link, desired, run, 'invalid', 'The user has no e-mail address to invite.');
      return;
    }
    if (link?.blocked && link.blocked.version === desired.version && !context.force) {
      // Blocked at this version (402, no e-mail): only a change or an admin's retry helps.
      return;
    }
    const wantActive = desired.doc.active !== false;
    let account: AtlassianAccount | undefined;
    if (link?.accountId)
      account = await run.read('getAccount', () => this.deps.port.getAccount(link.accountId!));
    account ??= await run.read('findAccountByEmail', () => this.deps.port.findAccountByEmail(email));

    const next: UserLink = { ...link, email };
    delete next.blocked;
    if (!account || account.status === 'not_invited') {
      if (!wantActive) {
        // Never invite someone the identity provider says is inactive.
        await this.deps.links.write(this.deps.links.userOperation(id, { ...next, applied: 'suspended' }));
        if (link?.applied !== 'suspended') {
          await run.note('invite', 'skipped', 'user is inactive', 'not invited while inactive');
        }
        return;
      }
      try {
        account = await run.write(
          'invite',
          link?.applied === 'deleted' ? 'user created again' : 'user provisioned',
          () => this.deps.port.invite(email, { name: displayName(desired.doc) }),
          ['payment-required'],
        );
      } catch (error) {
        if (error instanceof AtlassianError && error.kind === 'payment-required') {
          await this.block(id, link, desired, run, error.kind, error.message, 'invite');
          return;
        }
        throw error;
      }
      next.invited = true;
    }
    const newlyLinked = next.accountId !== account.accountId || link?.applied === 'deleted';
    next.accountId = account.accountId;
    if (newlyLinked && !next.invited) {
      await run.note('link', 'ok', 'an account with this e-mail exists', `linked to ${account.accountId}`);
    }
    const inactive = account.status === 'suspended' || account.status === 'deactivated';
    if (wantActive && inactive) {
      await run.write('restore', 'user active at the identity provider', () =>
        this.deps.port.restore(account.accountId),
      );
    } else if (!wantActive && account.status === 'active') {
      await run.write('suspend', 'user deactivated at the identity provider', () =>
        this.deps.port.suspend(account.accountId),
      );
    }
    next.applied = wantActive ? 'active' : 'suspended';
    await this.deps.links.write(this.deps.links.userOperation(id, next));
    if (newlyLinked) await this.markGroupsOf(id);
  }

  /** A deleted SCIM user loses access: suspended, and out of the groups the app put it in. */
  private async userGone(id: string, link: UserLink | undefined, run: Run): Promise<void> {
    if (!link?.accountId) {
      if (link) await this.deps.links.write(this.deps.links.deleteOperation('user', id));
      return;
    }
    const accountId = link.accountId;
    await this.groups.forEachMemberLink('user', id, async (groupId, member) => {
      await this.groups.removeMembership(
        groupId,
        id,
        accountId,
        member,
        run,
        'user deleted at the identity provider',
      );
    });
    if (link.applied !== 'deleted') {
      const account = await run.read('getAccount', () => this.deps.port.getAccount(accountId));
      if (account?.status === 'active') {
        await run.write('suspend', 'user deleted at the identity provider', () =>
          this.deps.port.suspend(accountId),
        );
      }
      await this.deps.links.write(this.deps.links.userOperation(id, { ...link, applied: 'deleted' }));
    }
  }

  private async block(
    id: string,
    link: UserLink | undefined,
    desired: StoredResource,
    run: Run,
    kind: string,
    reason: string,
    operation = 'provision',
  ): Promise<void> {
    const already = link?.blocked?.version === desired.version && link.blocked.kind === kind;
    const blocked = { reason, kind, version: desired.version, at: this.deps.now() };
    await this.deps.links.write(this.deps.links.userOperation(id, { ...link, blocked }));
    if (!already) {
      await run.entry({
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

  // ---- groups --------------------------------------------------------------------------
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
