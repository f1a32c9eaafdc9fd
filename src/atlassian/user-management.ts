/**
 * The client of Atlassian's User management API (`https://api.atlassian.com/users/{account_id}/manage...`,
 * https://developer.atlassian.com/cloud/admin/user-management/rest/): what the org
 * admin API key may change on an account the organization manages, and the changes. It is
 * reached with the same key and HTTP client as the Organizations API (retries, 429s, the
 * egress budget), at the API host's root rather than under `/admin`.
 */
import { AtlassianHttpClient, encodePath } from './http-client';
import { AtlassianError, isKind } from './port';
import {
  PROFILE_FIELDS,
  ProfileChanges,
  ProfileControls,
  ProfileField,
  ProfileRestriction,
  profilePatchBody,
} from './profile';

/**
 * Where the User management API lives for an Organizations API base: the base without its
 * trailing `/admin` (`https://api.atlassian.com/admin` → `https://api.atlassian.com`; the
 * local server's `http://127.0.0.1:8080/atlassian/admin` → `.../atlassian`), else the base's
 * origin.
 */
export function userManagementBase(adminBaseUrl: string): string {
  const trimmed = adminBaseUrl.replace(/\/+$/, '');
  if (/\/admin$/i.test(trimmed)) return trimmed.slice(0, -'/admin'.length);
  return new URL(trimmed).origin;
}

interface WireRule {
  allowed?: unknown;
  reason?: { key?: unknown };
}

function restriction(rule: WireRule | undefined): ProfileRestriction {
  if (rule?.allowed === true) return { allowed: true };
  const reason = typeof rule?.reason?.key === 'string' ? rule.reason.key : undefined;
  return { allowed: false, ...(reason ? { reason } : {}) };
}

export class UserManagementClient {
  constructor(private readonly http: AtlassianHttpClient) {}

  /**
   * `GET /users/{account_id}/manage`: what may be changed, or undefined when the organization
   * cannot manage the account at all (403 `forbidden` / `forbidden.targetUnverified`, 404
   * `accountNotFound`: the spec's answers for an account outside the org's verified domains).
   * `profile.write` is the current privilege; `profile` its deprecated name, read when the
   * answer has only that (spec: "profile: DEPRECATED, replace by profile.write"). No
   * `privileges` filter is sent: it is an array parameter whose encoding the spec leaves open,
   * and without it every privilege is answered.
   */
  async controls(accountId: string): Promise<ProfileControls | undefined> {
    try {
      const { body } = await this.http.request<Record<string, unknown>>({
        method: 'GET',
        path: encodePath`/users/${accountId}/manage`,
        idempotent: true,
      });
      const write = (body?.['profile.write'] ?? body?.profile ?? {}) as Record<string, WireRule>;
      const fields: ProfileControls['fields'] = {};
      for (const field of PROFILE_FIELDS) if (write[field]) fields[field] = restriction(write[field]);
      return { fields, email: restriction(body?.['email.set'] as WireRule | undefined) };
    } catch (error) {
      if (isKind(error, 'not-found', 'forbidden') && error.status !== 401) return undefined;
      throw error;
    }
  }

  /** `PATCH /users/{account_id}/manage/profile` with the changed fields only: safe to resend. */
  async updateProfile(accountId: string, changes: ProfileChanges): Promise<void> {
    const fields = Object.keys(changes) as ProfileField[];
    if (fields.length === 0) return;
    await this.http.request({
      method: 'PATCH',
      path: encodePath`/users/${accountId}/manage/profile`,
      body: profilePatchBody(changes),
      // Setting fields to values is the same request however often it is sent.
      idempotent: true,
    });
  }

  /**
   * `PUT /users/{account_id}/manage/email`. The target domain must be verified (403
   * `forbidden.unclaimedDomain`); the call "invalidates all active sessions", which is why
   * the sync sends it only when the e-mail really changed.
   */
  async setEmail(accountId: string, email: string): Promise<void> {
    if (!email.includes('@')) throw new AtlassianError('invalid', `${email} is not an e-mail address.`);
    await this.http.request({
      method: 'PUT',
      path: encodePath`/users/${accountId}/manage/email`,
      body: { email },
      idempotent: true,
    });
  }
}
