/**
 * An Atlassian account's profile as the User management API names it
 * (https://developer.atlassian.com/cloud/admin/user-management/rest/, `AtlassianAccountUser`): the fields
 * the app may change for accounts the organization manages, each by the JSON path the API's
 * `profile.write` privilege lists ("Each key should be a valid JSON path of the target object").
 */

/** The profile fields the sync writes (the spec's ObjectMutability example lists these eight). */
export const PROFILE_FIELDS = [
  'name',
  'nickname',
  'zoneinfo',
  'locale',
  'extended_profile.job_title',
  'extended_profile.department',
  'extended_profile.organization',
  'extended_profile.location',
] as const;

export type ProfileField = (typeof PROFILE_FIELDS)[number];

/** New values of some profile fields, by path. */
export type ProfileChanges = Partial<Record<ProfileField, string>>;

/** Why a field or action is not allowed (spec Manageability.RestrictionReason `key`). */
export interface ProfileRestriction {
  allowed: boolean;
  /** administrative, managedAccount, externalDirectory.scim, ... when not allowed. */
  reason?: string;
}

/**
 * What the caller may change on one account (`GET /users/{account_id}/manage`): per profile
 * field (`profile.write`) and the e-mail (`email.set`). A field the answer does not list is
 * not writable: the API names what it allows.
 */
export interface ProfileControls {
  fields: Partial<Record<ProfileField, ProfileRestriction>>;
  email: ProfileRestriction;
}

/** The request body of `PATCH /users/{account_id}/manage/profile` for these changes. */
export function profilePatchBody(changes: ProfileChanges): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const extended: Record<string, string> = {};
  for (const [field, value] of Object.entries(changes) as [ProfileField, string][]) {
    if (field.startsWith('extended_profile.')) extended[field.slice('extended_profile.'.length)] = value;
    else body[field] = value;
  }
  if (Object.keys(extended).length > 0) body.extended_profile = extended;
  return body;
}
