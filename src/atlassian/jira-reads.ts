/**
 * Reads of users, groups and memberships on a Jira Cloud site's REST API v3
 * (https://developer.atlassian.com/cloud/jira/platform/rest/v3/), over whichever client is
 * given: the site admin's Basic-auth client (site-adapter.ts) or the app's own product fetch
 * (app-reads.ts, `api.asApp().requestJira`). The same calls either way; only who pays differs.
 *
 * Account and group IDs on a site are the organization's (one identity platform), so these
 * reads answer for the Organizations API adapter's IDs too.
 */
import { AtlassianHttpClient, HttpRequest } from './http-client';
import { AccountStatus, AtlassianAccount, AtlassianGroup, isKind, sameText } from './port';

// ---- wire shapes (only the fields read; everything optional because nothing is promised) ----

export interface JiraUser {
  accountId?: string;
  accountType?: string;
  emailAddress?: string;
  displayName?: string;
  active?: boolean;
}
export interface JiraGroupName {
  name?: string;
  groupId?: string | null;
}
export interface JiraPage<T> {
  startAt?: number;
  maxResults?: number;
  total?: number;
  isLast?: boolean;
  values?: T[];
}

/** Pages followed at most, so an answer that never ends cannot eat the invocation. */
export const MAX_PAGES = 50;
/**
 * group/member takes maxResults 1–50 ("Get users from group",
 * https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-groups/).
 */
export const MEMBER_PAGE = 50;

/**
 * Groups Atlassian manages on every site: the app never changes their members or deletes them
 * (Jira's API has no "managed" flag, so they are known by name).
 */
const PROTECTED_GROUP =
  /^(site-admins|org-admins|administrators|system-administrators|atlassian-addons(-.*)?)$/i;

/**
 * Jira knows only active or not: an inactive account was deactivated or suspended above the
 * site (Atlassian Administration), which this mode cannot undo, so it reads as `deactivated`.
 */
export function jiraStatus(user: JiraUser): AccountStatus {
  return user.active === false ? 'deactivated' : 'active';
}

export function toAccount(user: JiraUser, email: string | undefined): AtlassianAccount | undefined {
  if (!user.accountId) return undefined;
  return {
    accountId: user.accountId,
    email: user.emailAddress ?? email ?? '',
    ...(user.displayName ? { name: user.displayName } : {}),
    status: jiraStatus(user),
  };
}

export function toGroup(group: JiraGroupName): AtlassianGroup | undefined {
  if (!group.groupId || group.name === undefined) return undefined;
  const managed = PROTECTED_GROUP.test(group.name);
  return {
    id: group.groupId,
    name: group.name,
    ...(managed ? { modifiable: false, deletable: false } : {}),
  };
}

/** A Jira paging cursor: the next `startAt`, as text (the port's cursors are opaque). */
function nextStartAt(page: JiraPage<unknown> | undefined, startAt: number): number | undefined {
  const count = page?.values?.length ?? 0;
  if (page?.isLast !== false || count === 0) return undefined;
  return startAt + count;
}

export class JiraReads {
  constructor(
    readonly http: AtlassianHttpClient,
    /** Whether answers carry e-mail addresses (Basic auth as a site admin) or not (the app). */
    private readonly emails: 'in-answers' | 'via-email-api',
  ) {}

  private get<T>(path: string, query?: HttpRequest['query']): Promise<T | undefined> {
    return this.http
      .request<T>({ method: 'GET', path, ...(query ? { query } : {}), idempotent: true })
      .then((answer) => answer.body);
  }

  /** GET /rest/api/3/user; 404: no such user on the site. */
  async getAccount(accountId: string): Promise<AtlassianAccount | undefined> {
    try {
      const user = await this.get<JiraUser>('/rest/api/3/user', { accountId });
      if (!user?.accountId) return undefined;
      return toAccount(user, user.emailAddress ?? (await this.emailOf(user.accountId)));
    } catch (error) {
      if (isKind(error, 'not-found')) return undefined;
      throw error;
    }
  }

  /** The app's way to an e-mail address: GET /rest/api/3/user/email (read:email-address:jira). */
  private async emailOf(accountId: string): Promise<string | undefined> {
    if (this.emails !== 'via-email-api') return undefined;
    const answer = await this.get<{ email?: string }>('/rest/api/3/user/email', { accountId });
    return answer?.email;
  }

  /**
   * GET /rest/api/3/user/search?query=<e-mail>: a prefix match on e-mail and name, active
   * users only (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-user-search/);
   * a candidate counts only when its e-mail is exactly this one (read with user/email when the
   * answer hides it).
   */
  async findAccountByEmail(email: string): Promise<AtlassianAccount | undefined> {
    const users =
      (await this.get<JiraUser[]>('/rest/api/3/user/search', { query: email, maxResults: 50 })) ?? [];
    for (const user of users) {
      if (!user.accountId || (user.accountType && user.accountType !== 'atlassian')) continue;
      const address = user.emailAddress ?? (await this.emailOf(user.accountId));
      if (sameText(address, email)) return toAccount(user, address);
    }
    return undefined;
  }

  /** GET /rest/api/3/group/bulk?groupName= (exact; compared case-insensitively). */
  async findGroupByName(name: string): Promise<AtlassianGroup | undefined> {
    return this.findGroup({ groupName: name }, (g) => sameText(g.name, name));
  }

  /** GET /rest/api/3/group/bulk?groupId=. */
  async getGroup(groupId: string): Promise<AtlassianGroup | undefined> {
    return this.findGroup({ groupId }, (g) => g.groupId === groupId);
  }

  private async findGroup(
    filter: Record<string, string>,
    matches: (group: JiraGroupName) => boolean,
  ): Promise<AtlassianGroup | undefined> {
    let startAt = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await this.get<JiraPage<JiraGroupName>>('/rest/api/3/group/bulk', {
        ...filter,
        startAt,
        maxResults: 50,
      });
      const match = (body?.values ?? []).find(matches);
      if (match) return toGroup(match);
      const next = nextStartAt(body, startAt);
      if (next === undefined) return undefined;
      startAt = next;
    }
    return undefined;
  }

  /** GET /rest/api/3/user/groups?accountId=; a user not on the site is in no group. */
  async groupsOf(accountId: string): Promise<AtlassianGroup[]> {
    try {
      const groups = (await this.get<JiraGroupName[]>('/rest/api/3/user/groups', { accountId })) ?? [];
      return groups.map(toGroup).filter((g): g is AtlassianGroup => g !== undefined);
    } catch (error) {
      if (isKind(error, 'not-found')) return [];
      throw error;
    }
  }

  /** One call whatever the group's size: the user's groups, not the group's members. */
  async isMember(groupId: string, accountId: string): Promise<boolean> {
    return (await this.groupsOf(accountId)).some((g) => g.id === groupId);
  }

  /**
   * GET /rest/api/3/group/member?groupId=&includeInactiveUsers=true, 50 a page; the cursor is
   * the next page's startAt. A group that is gone has no members.
   */
  async listMembers(groupId: string, cursor?: string): Promise<{ accountIds: string[]; cursor?: string }> {
    const startAt = cursor && /^\d+$/.test(cursor) ? Number(cursor) : 0;
    let body: JiraPage<JiraUser> | undefined;
    try {
      body = await this.get<JiraPage<JiraUser>>('/rest/api/3/group/member', {
        groupId,
        includeInactiveUsers: true,
        startAt,
        maxResults: MEMBER_PAGE,
      });
    } catch (error) {
      if (isKind(error, 'not-found')) return { accountIds: [] };
      throw error;
    }
    const accountIds = (body?.values ?? []).flatMap((u) => (u.accountId ? [u.accountId] : []));
    const next = nextStartAt(body, startAt);
    return next === undefined ? { accountIds } : { accountIds, cursor: String(next) };
  }
}
