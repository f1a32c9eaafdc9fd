/**
 * The likely fix for a sync log entry: what an admin should do when an entry is not `ok`.
 * Pure and keyed by what the log records (status, source, operation, errorKind, httpStatus),
 * so each hint is unit-tested and the Activity tab only looks it up.
 */
import type { LogEntry } from '../sync/log';

export type FixHintInput = Pick<LogEntry, 'status' | 'source' | 'operation'> &
  Partial<Pick<LogEntry, 'errorKind' | 'httpStatus' | 'result' | 'error'>>;

export interface FixHint {
  /** What happened, in a few words. */
  title: string;
  /** What to do about it. */
  fix: string;
  /** Whether "Retry" can help once the cause is dealt with. */
  retryable: boolean;
}

const SCIM_HINTS: Record<number, Omit<FixHint, 'retryable'>> = {
  400: {
    title: 'The identity provider sent a request the SCIM endpoint could not accept',
    fix: 'Open the error for the attribute or filter at fault, and correct the attribute mapping in the identity provider. Nothing was changed.',
  },
  401: {
    title: 'The identity provider used a bearer token that is wrong or revoked',
    fix: 'Generate a token on the SCIM connection tab and paste it into the identity provider (the field is named in its guide there).',
  },
  403: {
    title: 'The request was refused',
    fix: 'If the licence is not active, renew it: the identity provider changes are refused until then, and it will send them again.',
  },
  404: {
    title: 'The identity provider asked for a user or group this app does not hold',
    fix: 'Usually harmless (a probe, or a resource deleted here first). If it repeats, restart provisioning for that user in the identity provider so it is created again.',
  },
  409: {
    title: 'A user or group with that name already exists',
    fix: 'The identity provider should look it up and link it; in Okta, use "Link" on the group push. If two IdP users share an e-mail or userName, make one unique.',
  },
  413: {
    title: 'The request was too large',
    fix: 'Send fewer members per request, or let the identity provider split the change (its next cycle does).',
  },
  429: {
    title: 'The identity provider sent requests faster than allowed',
    fix: 'Nothing to do: the identity provider retries on its next cycle.',
  },
};

const KIND_HINTS: Record<string, Omit<FixHint, 'retryable'> & { retryable?: boolean }> = {
  transient: {
    title: 'Atlassian was busy or did not answer in time',
    fix: 'Nothing to do: the app retries with a growing delay. If it keeps failing, check status.atlassian.com.',
  },
  'payment-required': {
    title: 'Inviting users needs a paid Atlassian subscription',
    fix: 'Upgrade the organization (or the product) to a paid plan, then press Retry; until then the user waits.',
  },
  forbidden: {
    title: 'The Atlassian credential may not do this',
    fix: 'Open the Atlassian connection tab and press "Test connection": it names the missing permission. An organization API key needs org admin rights; a site-admin token needs a site admin.',
  },
  'not-found': {
    title: 'The account or group is gone in Atlassian',
    fix: 'It was probably deleted by hand. Press Retry: the app looks it up again and creates or re-links it as the policies say.',
  },
  conflict: {
    title: 'Atlassian already has something with that name or e-mail',
    fix: 'Check the Policies tab: "link existing accounts by e-mail" and "adopt a group of the same name" decide whether the app takes it over. Change the policy or rename one of them, then press Retry.',
  },
  invalid: {
    title: 'Atlassian refused the values sent',
    fix: 'Usually a name Atlassian does not accept (too long, reserved) or an e-mail it rejects: correct it in the identity provider, or map the group name on the Policies tab.',
  },
  unsupported: {
    title: 'The Atlassian connection cannot do this',
    fix: 'Do it by hand in Atlassian administration (the result says what), or connect with an organization API key, which can do more than a site-admin token.',
    retryable: false,
  },
};

/** The hint for one entry, or undefined for an entry that needs nothing (`ok`, `planned`). */
export function fixHint(entry: FixHintInput): FixHint | undefined {
  if (entry.status === 'ok' || entry.status === 'planned') return undefined;
  if (entry.source === 'scim') {
    const hint = entry.httpStatus === undefined ? undefined : SCIM_HINTS[entry.httpStatus];
    if (hint) return { ...hint, retryable: false };
    if ((entry.httpStatus ?? 0) >= 500) {
      return {
        title: 'The SCIM endpoint failed to answer',
        fix: 'The identity provider retries. If it repeats, look for failed Atlassian entries around the same time, and report the error shown here.',
        retryable: false,
      };
    }
  }
  if (entry.status === 'skipped') {
    return {
      title: 'Left alone on purpose',
      fix: 'A protected account, a protected group or a membership the app did not create is never touched. Edit the protected accounts on the Policies tab if this one should be managed.',
      retryable: false,
    };
  }
  if (entry.operation === 'renameGroup' && entry.status === 'attention') {
    return {
      title: 'The group must be renamed by hand',
      fix: 'Rename the group in Atlassian administration as the result says; the app never deletes and recreates a group, which would lose its permissions.',
      retryable: true,
    };
  }
  if (entry.errorKind && KIND_HINTS[entry.errorKind]) {
    const { retryable = true, ...hint } = KIND_HINTS[entry.errorKind];
    return { ...hint, retryable };
  }
  if (/not connected|no (api )?key|connect/i.test(`${entry.result ?? ''} ${entry.error ?? ''}`)) {
    return {
      title: 'Atlassian is not connected',
      fix: 'Open the Atlassian connection tab, enter the credential and press Save: every waiting change is then made.',
      retryable: false,
    };
  }
  if (/seat/i.test(`${entry.result ?? ''} ${entry.error ?? ''}`)) {
    return {
      title: 'The seat cap is reached',
      fix: 'The user waits as pending. Raise the seat cap on the Policies tab, or deactivate someone; waiting users are then provisioned.',
      retryable: true,
    };
  }
  if (entry.status === 'attention' || entry.status === 'blocked') {
    return {
      title: entry.status === 'blocked' ? 'Waiting for something to change' : 'An admin should look',
      fix: 'Read the result: it says what differs and how to fix it. Once fixed, press Retry.',
      retryable: true,
    };
  }
  return {
    title: 'The change failed',
    fix: 'The app retries with a growing delay and gives up after several attempts. Read the error, fix the cause, then press Retry.',
    retryable: true,
  };
}
