/**
 * The installation a runtime is: its site, its ids (stable across restarts), the product and
 * environment it belongs to, and the licence Forge passes it (`FORGE_LICENSE` offline).
 */
import { createHash } from 'node:crypto';

export interface Installation {
  /** The app's installation on this site (the app context's installation ARI names it). */
  installationId: string;
  cloudId: string;
  siteUrl: string;
  /** The product the installation context names (Jira is the app's required product). */
  product: 'jira' | 'confluence';
  /** What Forge passes as `license` (undefined for free and development installations). */
  license?: Record<string, unknown>;
  /** The app environment the installation belongs to (`forge deploy -e`); DEVELOPMENT locally. */
  environmentType: 'DEVELOPMENT' | 'STAGING' | 'PRODUCTION';
}

/** `FORGE_LICENSE` of `npm start` and tests: what an installation's licence looks like. */
export type OfflineLicenceState = 'active' | 'inactive' | 'none';

/**
 * The `license` Forge would pass: `none` is undefined (free, development and unlisted
 * installations), `inactive` a subscription that ended on `endDate`. The shape is the License
 * API's documented example (`apis-reference/license-api`): fields without a value are null, not
 * absent, and the app must read them as "no answer".
 */
export function offlineLicense(
  state: OfflineLicenceState,
  endDate = '2026-11-30T00:00:00.000Z',
): Record<string, unknown> | undefined {
  if (state === 'none') return undefined;
  return {
    active: state === 'active',
    type: 'commercial',
    isEvaluation: false,
    trialEndDate: null,
    billingPeriod: 'MONTHLY',
    subscriptionEndDate: state === 'active' ? '2099-12-31T00:00:00.000Z' : endDate,
    supportEntitlementNumber: null,
    ccpEntitlementId: 'ent-offline',
    ccpEntitlementSlug: 'scim-commercial',
    capabilitySet: 'capabilityStandard',
  };
}

/** Reads FORGE_LICENSE (unset: none); anything else is an error. */
export function parseOfflineLicenceState(value: string | undefined): OfflineLicenceState {
  const state = (value ?? 'none').trim().toLowerCase() || 'none';
  if (state === 'active' || state === 'inactive' || state === 'none') return state;
  throw new Error(`FORGE_LICENSE must be active, inactive or none, not ${JSON.stringify(value)}.`);
}

/** The first installation's ids; later ones derive theirs from their cloudId. */
const DEFAULT_CLOUD_ID = '00000000-0000-4000-8000-0000000c1001';
const DEFAULT_INSTALLATION_ID = '00000000-0000-4000-8000-00000000a001';

/** A stable UUID-shaped id for `seed` (so a restart keeps an installation's identity). */
function derivedUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The installation `fixed` describes, its other fields the first installation's defaults. */
export function offlineInstallation(fixed: Partial<Installation> = {}): Installation {
  const cloudId = fixed.cloudId ?? DEFAULT_CLOUD_ID;
  return {
    installationId:
      cloudId === DEFAULT_CLOUD_ID ? DEFAULT_INSTALLATION_ID : derivedUuid(`installation:${cloudId}`),
    cloudId,
    siteUrl: 'https://offline.atlassian.net',
    product: 'jira',
    environmentType: 'DEVELOPMENT',
    ...fixed,
  };
}
