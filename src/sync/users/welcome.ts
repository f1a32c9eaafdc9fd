/**
 * A new user's first groups: the new-user grants (default groups, product access) given once
 * and remembered on the link, and the groups an invite names so it places the user at once.
 * Every group passes the privilege check first (src/sync/privilege.ts).
 */
import type { GroupSide } from './group-side';
import { FIXES } from '../privilege';
import type { ReconcilerDeps } from '../reconciler';
import type { ProductAccessGroups } from './product-access';
import type { SeatCap } from './seat-cap';
import type { UserTurn } from './turn';

/** Groups an invite names at most (the invite's limit is UNCONFIRMED): the rest are added as members. */
const INVITE_GROUPS = 10;

/** What an invite places a new user with (NewUserGroups.placement). */
export interface Placement {
  /** The Atlassian groups the invite names. */
  groups: string[];
  /** The SCIM groups among them, by SCIM group id: their Atlassian group ids. */
  scim: Map<string, string>;
}

export class NewUserGroups {
  constructor(
    private readonly deps: ReconcilerDeps,
    private readonly seats: SeatCap,
    private readonly groups: GroupSide,
    private readonly accessGroups: ProductAccessGroups,
  ) {}

  /**
   * A newly provisioned user joins the default groups and the groups granting the product
   * access the policy asks for, once: the groups are chosen and remembered on the link before
   * any call (a retry adds the same ones), and never re-added after someone removes them by
   * hand. Groups the user was in already are not the app's doing, so not recorded. Those an
   * invite placed the user in (`placed`) cost no call.
   */
  async welcome(turn: UserTurn, accountId: string, placed: ReadonlySet<string> = new Set()): Promise<void> {
    const { next, calls } = turn;
    const targets = await this.chooseWelcome(turn, accountId);
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
  private async chooseWelcome(turn: UserTurn, accountId: string | undefined): Promise<Map<string, string>> {
    const { next, calls } = turn;
    const targets = new Map<string, string>();
    if (next.welcome) return targets;
    const { defaultGroups, productAccess } = this.deps.policies.newUsers;
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
      const access = await this.accessGroups.read(calls);
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
    await this.seats.intent(turn, { welcome: next.welcome });
    return targets;
  }

  /**
   * What an invite places the user with: the new-user grants still to give, and the Atlassian
   * groups of its SCIM groups that are linked already (the group worker would add them right
   * after, one call each; an invite naming them places the user and adds them at once). Each
   * linked group passes the same privilege check as the group worker's adds (never a group
   * with admin power); at most INVITE_GROUPS of them, the rest are added as members.
   */
  async placement(turn: UserTurn): Promise<Placement> {
    const { id, next, calls } = turn;
    await this.chooseWelcome(turn, undefined);
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
  async intendMembers(id: string, scim: Map<string, string>, state: 'adding' | 'added'): Promise<void> {
    const operations = [...scim.keys()].map((group) =>
      this.deps.links.memberOperation(
        group,
        id,
        state === 'adding' ? { created: true, adding: true } : { created: true },
      ),
    );
    if (operations.length > 0) await this.deps.links.write(...operations);
  }
}
