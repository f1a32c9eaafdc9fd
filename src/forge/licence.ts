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

/** The fields of Forge's `License` this app reads. */
export interface ForgeLicense {
  active?: boolean;
  /** Deprecated (CHANGE-3155), read only when `active` is absent. */
  isActive?: boolean;
  type?: string;
  isEvaluation?: boolean;
  trialEndDate?: string;
  subscriptionEndDate?: string;
}

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

export function licenceStatus(license: ForgeLicense | undefined): LicenceStatus {
  if (!license) {
    return {
      state: 'none',
      writesAllowed: true,
      detail:
        'No Marketplace licence applies to this installation (free, development or unlisted): writes are allowed.',
    };
  }
  const endDate = (license.isEvaluation ? license.trialEndDate : undefined) ?? license.subscriptionEndDate;
  const extra = {
    ...(license.isEvaluation !== undefined ? { isEvaluation: license.isEvaluation } : {}),
    ...(endDate ? { endDate } : {}),
  };
  const active = license.active ?? license.isActive ?? true;
  if (active) {
    return {
      state: 'active',
      writesAllowed: true,
      detail: `This app's licence for this site is active${license.isEvaluation ? ' (evaluation)' : ''}.`,
      ...extra,
    };
  }
  const when = endDate ? ` (${license.isEvaluation ? 'trial ' : ''}expired on ${endDate.slice(0, 10)})` : '';
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
