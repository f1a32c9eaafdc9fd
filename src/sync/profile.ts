/**
 * Profile sync: the SCIM attributes an identity provider sends, pushed to the profile of the
 * Atlassian account they are linked to, through Atlassian's User management API
 * (https://developer.atlassian.com/cloud/admin/user-management/rest/). Only for
 * accounts the organization manages, only the fields `GET /users/{id}/manage` allows, and only
 * when a value changed since the app last settled it: an unchanged user costs no call at all,
 * a changed one one read (what may be changed) and one PATCH, plus one PUT for a new e-mail.
 *
 * The mapping (README "Profiles"):
 *   name                          ← name.formatted, else name.givenName + " " + name.familyName, else displayName
 *   nickname                      ← nickName, else displayName
 *   zoneinfo                      ← timezone
 *   locale                        ← locale
 *   extended_profile.job_title    ← title
 *   extended_profile.department   ← enterprise extension department
 *   extended_profile.organization ← enterprise extension organization
 *   extended_profile.location     ← the primary (else work, else first) address: "locality, region", else country
 *   e-mail (PUT .../manage/email) ← the primary e-mail (the one the user is invited by)
 *
 * What the app settled is kept on the user's link (`ProfileLink`): the values it pushed, found
 * already there, or could not push and logged (so a refusal is logged once per value, and
 * tried again when the identity provider sends a new one).
 */
import type { AtlassianAccount, AtlassianPort } from '../atlassian/port';
import { AtlassianError, sameText } from '../atlassian/port';
import { PROFILE_FIELDS, ProfileChanges, ProfileControls, ProfileField } from '../atlassian/profile';
import { ENTERPRISE_USER_SCHEMA } from '../scim/schema/definitions';
import type { ScimObject } from '../scim/schema/normalize';
import type { Links } from './links';
import type { AtlassianCalls } from './atlassian-calls';

/** What the app last settled on the linked account's profile (stored on the user's link). */
export interface ProfileLink {
  /** The account these values belong to: a link to another account starts over. */
  accountId: string;
  /** The mapped values last pushed, found already there, or refused and logged. */
  settled: ProfileChanges;
  /** The e-mail last settled the same way. */
  email?: string;
  /** The organization does not manage the account: nothing is pushed; logged once. */
  unmanaged?: true;
}

/**
 * Documented bounds (spec Name, Nickname: "maxLength", "Control and null characters are not
 * allowed"): a value outside them is not sent, so it cannot fail the other fields' PATCH.
 */
const MAX_LENGTH: Partial<Record<ProfileField, number>> = { name: 100, nickname: 30 };
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** App-wide state naming that the connection cannot write profiles, noted once. */
const UNSUPPORTED_NOTED = 'profiles-unsupported';

type Doc = Record<string, unknown>;

/** An attribute by name, case-insensitively (RFC 7643 §2.1: attribute names are). */
function attribute(doc: unknown, name: string): unknown {
  if (!doc || typeof doc !== 'object') return undefined;
  const wanted = name.toLowerCase();
  const key = Object.keys(doc).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? undefined : (doc as Doc)[key];
}

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** The address the location comes from: primary, else work, else the first. */
function address(doc: ScimObject): unknown {
  const all = attribute(doc, 'addresses');
  if (!Array.isArray(all) || all.length === 0) return undefined;
  return (
    all.find((a) => attribute(a, 'primary') === true) ??
    all.find((a) => attribute(a, 'type') === 'work') ??
    all[0]
  );
}

function location(doc: ScimObject): string | undefined {
  const where = address(doc);
  const parts = [text(attribute(where, 'locality')), text(attribute(where, 'region'))].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : text(attribute(where, 'country'));
}

/** The profile the identity provider wants, by Atlassian field (absent: it sends none). */
export function desiredProfile(doc: ScimObject): ProfileChanges {
  const name = attribute(doc, 'name');
  const given = text(attribute(name, 'givenName'));
  const family = text(attribute(name, 'familyName'));
  const displayName = text(attribute(doc, 'displayName'));
  const enterprise = attribute(doc, ENTERPRISE_USER_SCHEMA);
  const values: Record<ProfileField, string | undefined> = {
    name:
      text(attribute(name, 'formatted')) ??
      (given || family ? [given, family].filter(Boolean).join(' ') : undefined) ??
      displayName,
    nickname: text(attribute(doc, 'nickName')) ?? displayName,
    zoneinfo: text(attribute(doc, 'timezone')),
    locale: text(attribute(doc, 'locale')),
    'extended_profile.job_title': text(attribute(doc, 'title')),
    'extended_profile.department': text(attribute(enterprise, 'department')),
    'extended_profile.organization': text(attribute(enterprise, 'organization')),
    'extended_profile.location': location(doc),
  };
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as ProfileChanges;
}

/**
 * The fields to change: those whose wanted value differs from what the app settled last (or,
 * on first contact, from the account's name as just read). An extended-profile field the app
 * set and the identity provider no longer sends is cleared (""); name, nickname, time zone and
 * locale are never cleared (the first two are required, the others have no empty value).
 */
export function profileChanges(
  wanted: ProfileChanges,
  settled: ProfileLink | undefined,
  account: AtlassianAccount,
): ProfileChanges {
  const changes: ProfileChanges = {};
  for (const field of PROFILE_FIELDS) {
    const had = settled?.settled[field];
    let want = wanted[field];
    if (want === undefined) {
      if (!field.startsWith('extended_profile.') || !had) continue;
      want = '';
    }
    if (settled ? had === want : field === 'name' && account.name === want) continue;
    changes[field] = want;
  }
  return changes;
}

/** The e-mail to set, if it changed: against what was settled, or the account's as read. */
export function emailChange(
  email: string,
  settled: ProfileLink | undefined,
  account: AtlassianAccount,
): string | undefined {
  const current = settled?.email ?? (account.email || email);
  return sameText(current, email) ? undefined : email;
}

/**
 * Whether syncProfile would neither call Atlassian nor store anything for this account: what
 * the app settled on it is exactly what the identity provider wants now (the full
 * reconcile's drift check, src/sync/drift-check.ts, skips such a user).
 */
export function profileInStep(
  doc: ScimObject,
  email: string,
  account: AtlassianAccount,
  stored: ProfileLink | undefined,
): boolean {
  const settled = stored?.accountId === account.accountId ? stored : undefined;
  if (!settled) return false;
  const wanted = desiredProfile(doc);
  if (Object.keys(profileChanges(wanted, settled, account)).length > 0) return false;
  if (emailChange(email, settled, account) !== undefined) return false;
  const kept: ProfileLink = { accountId: account.accountId, settled: wanted, email };
  return sameProfile(settled, settled.unmanaged ? { ...kept, unmanaged: true } : kept);
}

/** Values outside the documented bounds, and why (never sent). */
function outOfBounds(changes: ProfileChanges): Map<ProfileField, string> {
  const bad = new Map<ProfileField, string>();
  for (const [field, value] of Object.entries(changes) as [ProfileField, string][]) {
    const max = MAX_LENGTH[field];
    if (max !== undefined && value.length > max) bad.set(field, `longer than ${max} characters`);
    else if (CONTROL.test(value)) bad.set(field, 'holds control characters');
  }
  return bad;
}

export interface ProfileSync {
  port: AtlassianPort;
  links: Links;
  calls: AtlassianCalls;
  /** Throws when the account is (now) protected: the privilege check before any write. */
  guard: () => Promise<void>;
}

/**
 * Pushes what changed and answers the new ProfileLink (the caller stores it), or undefined
 * when nothing needs storing. Failures the admin must fix (a refused field, an unverified
 * domain, an e-mail another account has) are logged once and settled, so they are tried
 * again when the identity provider sends a new value; transient ones throw (the job is
 * retried, and the same PATCH or PUT sent again is harmless). A worker killed between the
 * write and storing the link sends the same write again.
 */
export async function syncProfile(
  sync: ProfileSync,
  doc: ScimObject,
  email: string,
  account: AtlassianAccount,
  stored: ProfileLink | undefined,
): Promise<ProfileLink | undefined> {
  const { port, calls } = sync;
  const settled = stored?.accountId === account.accountId ? stored : undefined;
  const wanted = desiredProfile(doc);
  const changes = profileChanges(wanted, settled, account);
  const newEmail = emailChange(email, settled, account);
  const next: ProfileLink = { accountId: account.accountId, settled: wanted, email };
  const why = settled ? 'profile changed at the identity provider' : 'profile of a newly linked account';
  if (Object.keys(changes).length === 0 && newEmail === undefined) {
    // Nothing to push: no call. An unmanaged account stays marked, so it is not logged again.
    const kept: ProfileLink = settled?.unmanaged ? { ...next, unmanaged: true } : next;
    return settled && sameProfile(settled, kept) ? undefined : kept;
  }
  if (!port.profileControls || !port.updateProfile || !port.setEmail) {
    await noteUnsupported(sync);
    return next;
  }
  const controls =
    account.managed === false
      ? undefined
      : await calls.read('profileControls', () => port.profileControls!(account.accountId));
  if (!controls) {
    if (!settled?.unmanaged) {
      await calls.note(
        'updateProfile',
        'skipped',
        why,
        `left alone: account ${account.accountId} is not managed by your organization, so its profile and e-mail are its owner's. To sync them, verify the e-mail's domain and claim the account (Atlassian Administration › Settings › Domains, then Managed accounts)`,
      );
    }
    return { ...next, unmanaged: true };
  }
  await sync.guard();
  await pushFields(sync, account.accountId, changes, controls, why);
  if (newEmail !== undefined) await pushEmail(sync, account.accountId, newEmail, controls);
  return next;
}

async function pushFields(
  sync: ProfileSync,
  accountId: string,
  changes: ProfileChanges,
  controls: ProfileControls,
  why: string,
): Promise<void> {
  const { calls, port } = sync;
  const refused: string[] = [];
  const bad = outOfBounds(changes);
  const allowed: ProfileChanges = {};
  for (const [field, value] of Object.entries(changes) as [ProfileField, string][]) {
    const rule = controls.fields[field];
    if (bad.has(field)) refused.push(`${field} (${bad.get(field)})`);
    else if (!rule?.allowed) refused.push(`${field} (${rule?.reason ?? 'not writable'})`);
    else allowed[field] = value;
  }
  if (refused.length > 0) {
    await calls.note(
      'updateProfile',
      'attention',
      why,
      `not changed in Atlassian: ${refused.join(', ')}. A field Atlassian does not let the app write (e.g. externalDirectory.scim: another directory syncs it) is changed there or in that directory; a value too long is shortened at the identity provider. Tried again when the value changes`,
    );
  }
  if (Object.keys(allowed).length === 0) return;
  const fields = Object.keys(allowed).join(', ');
  try {
    await calls.apply(`updateProfile`, `${why}: ${fields}`, () => port.updateProfile!(accountId, allowed), [
      'invalid',
      'forbidden',
      'not-found',
    ]);
  } catch (error) {
    if (!(error instanceof AtlassianError)) throw error;
    await calls.entry({
      operation: 'updateProfile',
      status: 'attention',
      why: `${why}: ${fields}`,
      result: `not changed: Atlassian refused the values (${error.code ?? error.status}). Correct them at the identity provider; tried again when they change`,
      errorKind: error.kind,
      error: error.message,
    });
  }
}

async function pushEmail(
  sync: ProfileSync,
  accountId: string,
  email: string,
  controls: ProfileControls,
): Promise<void> {
  const { calls, port } = sync;
  const why = 'e-mail changed at the identity provider';
  if (!controls.email.allowed) {
    await calls.note(
      'setEmail',
      'attention',
      why,
      `not changed in Atlassian: the app may not set this account's e-mail (${controls.email.reason ?? 'email.set not allowed'}). Change it in Atlassian Administration; the account stays linked`,
    );
    return;
  }
  try {
    await calls.apply('setEmail', why, () => port.setEmail!(accountId, email), [
      'invalid',
      'forbidden',
      'conflict',
      'not-found',
    ]);
  } catch (error) {
    if (!(error instanceof AtlassianError)) throw error;
    const fix =
      error.code === 'forbidden.unclaimedDomain'
        ? `the domain of ${email} is not verified by your organization: verify it (Atlassian Administration › Settings › Domains), then retry`
        : error.kind === 'conflict' || error.kind === 'invalid'
          ? `Atlassian refused ${email} (another account may use it): give the user a free address at the identity provider`
          : 'Atlassian refused the change';
    await calls.entry({
      operation: 'setEmail',
      status: 'attention',
      why,
      result: `not changed; the account stays linked. ${fix}`,
      errorKind: error.kind,
      error: error.message,
    });
  }
}

function sameProfile(a: ProfileLink, b: ProfileLink): boolean {
  const fields = (p: ProfileLink) => JSON.stringify(PROFILE_FIELDS.map((f) => p.settled[f] ?? null));
  return a.email === b.email && a.unmanaged === b.unmanaged && fields(a) === fields(b);
}

/** The connection cannot write profiles (site-admin mode): said once for the whole app. */
async function noteUnsupported(sync: ProfileSync): Promise<void> {
  if (await sync.links.state<{ noted: true }>(UNSUPPORTED_NOTED)) return;
  await sync.calls.note(
    'updateProfile',
    'skipped',
    'profile changed at the identity provider',
    'profiles are not synced in site-admin mode (Jira offers apps no profile write): connect with an organization API key to sync names, titles and e-mails of managed accounts',
  );
  await sync.links.setState(UNSUPPORTED_NOTED, { noted: true });
}
