/**
 * The embedded organization's state: the durable store (store.ts), the indexes over it, and
 * the settings and seeded draws its operations read. The handler modules (directories.ts,
 * users.ts, groups.ts, roles.ts, invite.ts, workspaces.ts) take it as their first parameter;
 * EmbeddedOrganization (organization.ts) holds one.
 */
import { randomUUID } from 'node:crypto';
import { seededRandom } from '../seeded-random';
import { refuse } from './errors';
import type { EmbeddedOrgOptions } from './options';
import { DEFAULT_VERIFIED_DOMAINS } from './seed';
import { OrgStore } from './store';
import type { GroupRecord, OrgMeta, RoleGrant, UserRecord, WorkspaceRecord } from './types';

export class OrganizationState {
  readonly store: OrgStore;
  readonly now: () => number;
  /** Whether the organization has a paid subscription (invite answers 402 when not). */
  paid: boolean;
  readonly publicBaseUrl: string;
  // Indexes over the stored state, rebuilt on start.
  readonly byEmail = new Map<string, string>();
  readonly byGroupName = new Map<string, string>();
  readonly groupMembers = new Map<string, Set<string>>();
  readonly userGroups = new Map<string, Set<string>>();
  readonly userRoleKeys = new Map<string, Set<string>>();
  readonly verifiedDomains: Set<string>;
  /** The paging draws where the reference is silent (EmbeddedOrgOptions.pagingSeed). */
  readonly pagingRandom: () => number;
  /** The other draws where the reference is silent (EmbeddedOrgOptions.answerSeed). */
  readonly answerRandom: () => number;

  constructor(readonly options: EmbeddedOrgOptions) {
    this.now = options.now ?? Date.now;
    this.pagingRandom = seededRandom(options.pagingSeed ?? Math.floor(Math.random() * 2 ** 32));
    this.answerRandom = seededRandom(options.answerSeed ?? Math.floor(Math.random() * 2 ** 32));
    this.verifiedDomains = new Set(
      (options.verifiedDomains ?? DEFAULT_VERIFIED_DOMAINS).map((d) => d.trim().toLowerCase()),
    );
    this.paid = options.paid ?? true;
    this.publicBaseUrl = (options.publicBaseUrl ?? 'https://api.atlassian.com/admin').replace(/\/+$/, '');
    this.store = new OrgStore(options.dataDir);
  }

  get meta(): OrgMeta {
    const meta = this.store.get('meta', 'meta');
    if (!meta) throw new Error('The embedded organization has no metadata.');
    return meta;
  }

  // ---- reads --------------------------------------------------------------------------------

  user(accountId: string, inDirectory = true): UserRecord {
    const user = this.store.get('users', accountId);
    if (!user || (inDirectory && user.membership === 'none'))
      throw refuse(404, 'ADMIN-404-8', 'User not found.');
    return user;
  }

  group(groupId: string): GroupRecord {
    const group = this.store.get('groups', groupId);
    if (!group) throw refuse(404, 'ADMIN-404-10', 'Group not found.');
    return group;
  }

  workspace(resourceId: string, code = 'ADMIN-404-1'): WorkspaceRecord {
    const found = this.meta.workspaces.find((w) => w.id === resourceId);
    if (!found) throw refuse(404, code, `Resource ${resourceId} not found in this organization.`);
    return found;
  }

  /** Roles the user holds per resource, and how (direct, or group_direct through a group). */
  effectiveRoles(accountId: string): Map<string, Map<string, Set<string>>> {
    const roles = new Map<string, Map<string, Set<string>>>();
    const add = (resourceId: string, roleId: string, method: string) => {
      let perResource = roles.get(resourceId);
      if (!perResource) roles.set(resourceId, (perResource = new Map()));
      let methods = perResource.get(roleId);
      if (!methods) perResource.set(roleId, (methods = new Set()));
      methods.add(method);
    };
    for (const grant of this.userRoles(accountId)) add(grant.resourceId, grant.roleId, 'direct');
    for (const groupId of this.userGroups.get(accountId) ?? []) {
      for (const grant of this.groupRoles(groupId)) add(grant.resourceId, grant.roleId, 'group_direct');
    }
    return roles;
  }

  /**
   * Managed when the e-mail's domain is verified, read on every answer rather than from the
   * stored record: a domain verified later (the option over the same DATA_DIR) claims the
   * accounts already there, as verifying and claiming does in Atlassian Administration.
   */
  claimStatusOf(email: string): UserRecord['claimStatus'] {
    const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
    return this.verifiedDomains.has(domain) ? 'managed' : 'unmanaged';
  }

  findUserByEmail(email: string): UserRecord | undefined {
    const id = this.byEmail.get(email.toLowerCase());
    return id ? this.store.get('users', id) : undefined;
  }

  findGroupByName(name: string): GroupRecord | undefined {
    const id = this.byGroupName.get(name.toLowerCase());
    return id ? this.store.get('groups', id) : undefined;
  }

  membersOf(groupId: string): string[] {
    return [...(this.groupMembers.get(groupId) ?? [])];
  }

  groupRoles(groupId: string): RoleGrant[] {
    return [...this.store.state.groupRoles.values()].filter((g) => g.subject === groupId);
  }

  userRoles(accountId: string): RoleGrant[] {
    return [...(this.userRoleKeys.get(accountId) ?? [])].flatMap((k) => this.store.get('userRoles', k) ?? []);
  }

  modifiableGroup(groupId: string): GroupRecord {
    const group = this.group(groupId);
    if (group.protected) throw refuse(403, 'ADMIN-403-5', `${group.name} cannot be modified.`);
    return group;
  }

  // ---- state changes (store + indexes) ---------------------------------------------------------

  reindex(): void {
    for (const user of this.store.state.users.values())
      this.byEmail.set(user.email.toLowerCase(), user.accountId);
    for (const group of this.store.state.groups.values())
      this.byGroupName.set(group.name.toLowerCase(), group.id);
    for (const key of this.store.state.members.keys()) {
      const [groupId, accountId] = key.split('|');
      this.index(this.groupMembers, groupId).add(accountId);
      this.index(this.userGroups, accountId).add(groupId);
    }
    for (const [key, grant] of this.store.state.userRoles)
      this.index(this.userRoleKeys, grant.subject).add(key);
  }

  index(map: Map<string, Set<string>>, key: string): Set<string> {
    let set = map.get(key);
    if (!set) map.set(key, (set = new Set()));
    return set;
  }

  putUser(user: UserRecord): void {
    this.store.put('users', user.accountId, user);
    this.byEmail.set(user.email.toLowerCase(), user.accountId);
  }

  addMember(groupId: string, accountId: string): void {
    this.store.put('members', `${groupId}|${accountId}`, true);
    this.index(this.groupMembers, groupId).add(accountId);
    this.index(this.userGroups, accountId).add(groupId);
  }

  removeMember(groupId: string, accountId: string): void {
    this.store.delete('members', `${groupId}|${accountId}`);
    this.groupMembers.get(groupId)?.delete(accountId);
    this.userGroups.get(accountId)?.delete(groupId);
  }

  grantUserRole(accountId: string, resourceId: string, roleId: string): void {
    const key = `${accountId}|${resourceId}|${roleId}`;
    this.store.put('userRoles', key, { subject: accountId, resourceId, roleId });
    this.index(this.userRoleKeys, accountId).add(key);
  }

  revokeUserRole(key: string, accountId: string): void {
    this.store.delete('userRoles', key);
    this.userRoleKeys.get(accountId)?.delete(key);
  }

  newUser(email: string, name: string, fields: Partial<UserRecord> = {}): UserRecord {
    return {
      accountId: `712020:${randomUUID()}`,
      email,
      name,
      nickname: name.split(' ')[0] || email.split('@')[0],
      membership: 'active',
      accountStatus: 'active',
      addedToOrg: new Date(this.now()).toISOString(),
      claimStatus: this.claimStatusOf(email),
      managementSource: 'invited',
      emailVerified: true,
      mfaEnabled: false,
      platformRoles: [],
      ...fields,
    };
  }

  createGroupRecord(name: string, description: string, isProtected: boolean): GroupRecord {
    const group: GroupRecord = {
      id: randomUUID(),
      name,
      description,
      protected: isProtected,
      createdAt: new Date(this.now()).toISOString(),
    };
    this.store.put('groups', group.id, group);
    this.byGroupName.set(name.toLowerCase(), group.id);
    return group;
  }

  dropGroup(group: GroupRecord): void {
    for (const accountId of [...(this.groupMembers.get(group.id) ?? [])])
      this.removeMember(group.id, accountId);
    for (const [key, grant] of [...this.store.state.groupRoles]) {
      if (grant.subject === group.id) this.store.delete('groupRoles', key);
    }
    this.store.delete('groups', group.id);
    this.byGroupName.delete(group.name.toLowerCase());
    this.groupMembers.delete(group.id);
  }
}
