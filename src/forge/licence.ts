/**
 * The installation's Marketplace licence (manifest `app.licensing.enabled: true`), read with
 * `getAppContext().license`, per invocation (the same object Forge passes every handler as
 * the context's `license`): no call is made, so nothing needs caching. An inactive or expired licence refuses SCIM
 * writes (reads keep working); the admin page says so.
 *
 * `license` is undefined for free, development, staging and unlisted installations, which
 * must keep working: undefined counts as licensed. So does a licence object that says
 * neither `active` nor the deprecated `isActive`.
 */
import { getAppContext } from '@forge/api';
import type { LicenceGate, WriteDecision } from '../scim/licence';

/**
 * The fields of Forge's `License` this app reads, as they may arrive. The types say boolean and
 * ISO date-time string, but Forge's examples also show JSON `null` (License API:
 * `"trialEndDate": null`), and licences have been reported with the strings `"NULL"`,
 * `"true"` and `"false"` in these fields. So every field is read liberally (readFlag, readDate):
 * nothing but a real yes/no or a parseable date counts.
 */
export interface ForgeLicense {
  active?: LicenceFlag;
  /** Deprecated (CHANGE-3155), read only when `active` says nothing. */
  isActive?: LicenceFlag;
  type?: string | null;
  isEvaluation?: LicenceFlag;
  trialEndDate?: string | null;
  subscriptionEndDate?: string | null;
}

/** A licence yes/no as it may arrive: a boolean, `"true"`/`"false"`, or `"NULL"`/null (no answer). */
export type LicenceFlag = boolean | string | null;

export interface LicenceStatus {
  /** `none`: Forge passes no licence (free, development or unlisted installation). */
  state: 'active' | 'inactive' | 'none';
  writesAllowed: boolean;
  /** A sentence for the admin page and the SCIM error. */
  detail: string;
  isEvaluation?: boolean;
  /** When the trial or subscription ended or ends (ISO date), when Forge says. */
  endDate?: string;
}

/** true/false, or "true"/"false" in any case and spacing; anything else ("NULL", "", null, "yes") says nothing. */
export function readFlag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : undefined;
}

/** An ISO 8601 date or date-time, as a UTC ISO date-time; "NULL", "", null and anything unparseable are absent. */
export function readDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  // Only ISO 8601 (a date first): Date.parse of other forms depends on the engine and the time zone.
  if (!/^\d{4}-\d{2}-\d{2}(?:$|T)/.test(text)) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

export function licenceStatus(license: ForgeLicense | null | undefined): LicenceStatus {
  if (!license) {
    return {
      state: 'none',
      writesAllowed: true,
      detail:
        'No Marketplace licence applies to this installation (free, development or unlisted): writes are allowed.',
    };
  }
  const isEvaluation = readFlag(license.isEvaluation);
  const endDate =
    (isEvaluation ? readDate(license.trialEndDate) : undefined) ?? readDate(license.subscriptionEndDate);
  const extra = {
    ...(isEvaluation !== undefined ? { isEvaluation } : {}),
    ...(endDate ? { endDate } : {}),
  };
  const active = readFlag(license.active) ?? readFlag(license.isActive) ?? true;
  if (active) {
    return {
      state: 'active',
      writesAllowed: true,
      detail: `This app's licence for this site is active${isEvaluation ? ' (evaluation)' : ''}.`,
      ...extra,
    };
  }
  const when = endDate ? ` (${isEvaluation ? 'trial ' : ''}expired on ${endDate.slice(0, 10)})` : '';
  return {
    state: 'inactive',
    writesAllowed: false,
    detail:
      `This app's licence for this site is not active${when}: ` +
      'SCIM writes are refused until it is renewed; reads still work.',
    ...extra,
  };
}

/** The licence of the running invocation (undefined outside one, or when Forge passes none). */
export function currentLicense(): ForgeLicense | undefined {
  try {
    return getAppContext().license;
  } catch {
    return undefined;
  }
}

/** The status of the running invocation's installation. */
export const currentLicence = (): LicenceStatus => licenceStatus(currentLicense());

/** What the SCIM layer asks before a write. */
export const forgeLicence: LicenceGate = {
  writes: async (): Promise<WriteDecision> => {
    const status = currentLicence();
    return status.writesAllowed ? { allowed: true } : { allowed: false, reason: status.detail };
  },
};
