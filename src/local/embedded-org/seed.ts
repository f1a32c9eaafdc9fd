/**
 * What a new embedded organization starts with: one directory, four workspaces on the site,
 * the seed accounts, the protected groups, and the e-mail domains it has verified.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { OrganizationState } from './state';
import type { OrgMeta, WorkspaceRecord } from './types';

/** The domains a new embedded organization has verified: its seed accounts' (SEED_ACCOUNTS). */
export const DEFAULT_VERIFIED_DOMAINS = ['example.com', 'offline.example'] as const;

export const PROTECTED_GROUPS = ['site-admins', 'org-admins'];

/** The accounts every new embedded organization starts with (by e-mail, to find them). */
export const SEED_ACCOUNTS = {
  /** Org and site admin, in site-admins and org-admins. */
  admin: 'admin@offline.example',
  /** Active in the directory: an identity provider sending this e-mail should link to it. */
  existing: 'ada@example.com',
  /** Suspended in the directory: provisioning it should restore it. */
  suspended: 'grace@example.com',
  /** An Atlassian account outside the directory: inviting it reuses its account ID. */
  outside: 'linus@example.com',
} as const;

/** A new organization: one directory, four workspaces on the site, a few accounts. */
export function seed(org: OrganizationState): void {
  const cloudId = org.options.cloudId ?? '00000000-0000-4000-8000-0000000c1001';
  const siteUrl = (org.options.siteUrl ?? 'https://offline.atlassian.net').replace(/\/+$/, '');
  const created = new Date(org.now()).toISOString();
  const workspace = (typeKey: string, name: string, hostUrl: string): WorkspaceRecord => ({
    id: `ari:cloud:${typeKey}::site/${cloudId}`,
    name,
    typeKey,
    hostUrl,
    createdAt: created,
  });
  const meta: OrgMeta = {
    orgId: randomUUID(),
    orgName: org.options.orgName ?? 'Offline organization',
    directoryId: randomUUID(),
    directoryName: 'Offline directory',
    apiKey: org.options.apiKey ?? `ATCTT3xFfGN0${randomBytes(24).toString('base64url')}`,
    cloudId,
    siteUrl,
    createdAt: created,
    workspaces: [
      workspace('jira-software', 'Jira', siteUrl),
      workspace('jira-servicedesk', 'Jira Service Management', siteUrl),
      workspace('confluence', 'Confluence', `${siteUrl}/wiki`),
      workspace('bitbucket', 'Bitbucket', 'https://bitbucket.org/offline'),
    ],
  };
  org.store.put('meta', 'meta', meta);
  const admin = org.newUser(SEED_ACCOUNTS.admin, 'Org Admin', {
    platformRoles: ['atlassian/org-admin', 'atlassian/site-admin'],
    managementSource: null,
  });
  const existing = org.newUser(SEED_ACCOUNTS.existing, 'Ada Lovelace');
  const suspended = org.newUser(SEED_ACCOUNTS.suspended, 'Grace Hopper', { membership: 'suspended' });
  const outside = org.newUser(SEED_ACCOUNTS.outside, 'Linus Torvalds', {
    membership: 'none',
    managementSource: null,
  });
  for (const user of [admin, existing, suspended, outside]) org.putUser(user);
  for (const name of PROTECTED_GROUPS) {
    const group = org.createGroupRecord(name, `Atlassian's ${name} group (protected).`, true);
    org.addMember(group.id, admin.accountId);
  }
  const jira = meta.workspaces[0].id;
  org.grantUserRole(existing.accountId, jira, 'atlassian/user');
  org.store.commit();
}
