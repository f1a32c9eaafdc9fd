/**
 * The lines of `npm start`'s banner that say what is in force, so nothing surprises later: the
 * mode (organization API key, or site admin) and what it reaches, and the provisioning
 * policies that differ from the defaults (a dry run first: nothing reaches Atlassian), with
 * where they come from. Policies stay in storage once applied, so a plain restart after a
 * start with a policy file keeps them; the banner says so.
 */
import type { AtlassianConnectionView } from '../forge/atlassian-connection';
import { DEFAULT_POLICIES, type Policies } from '../policies/policies';

export interface PoliciesInForce {
  policies: Policies;
  source: 'admin' | 'file' | 'default';
}

/** The longest policy value printed as it is; longer ones are named only. */
const SHOWN_VALUE_CHARS = 60;

/** `Mode:` — which API the sync provisions through, into what, and where the credential comes from. */
export function modeBanner(connection: AtlassianConnectionView): string {
  const variables = connection.mode === 'site' ? 'ATLASSIAN_SITE_*' : 'ATLASSIAN_ORG_*';
  const from =
    connection.source === 'admin'
      ? 'saved on the admin page'
      : connection.source === 'environment'
        ? `Forge variables ${variables}`
        : undefined;
  if (!connection.configured) {
    return 'Mode:          not connected: SCIM changes wait until an Atlassian connection is saved on the admin page';
  }
  if (connection.mode === 'site') {
    return `Mode:          site admin: Jira's REST API on ${connection.siteUrl ?? '?'} as ${connection.email ?? '?'}${from ? ` (${from})` : ''}`;
  }
  return `Mode:          organization: the Organizations API, org ${connection.orgId ?? '?'}${
    connection.baseUrl ? ` at ${connection.baseUrl}` : ''
  }${from ? ` (${from})` : ''}`;
}

/** `Policies:` and, when a dry run is on, a line of its own. */
export function policiesBanner(inForce: PoliciesInForce, appliedFile: string | undefined): string[] {
  const changed = (Object.keys(DEFAULT_POLICIES) as (keyof Policies)[]).filter(
    (key) => JSON.stringify(inForce.policies[key]) !== JSON.stringify(DEFAULT_POLICIES[key]),
  );
  const where = appliedFile
    ? `from ${appliedFile}`
    : inForce.source === 'file'
      ? 'from a policies file applied by an earlier start, still in force (stored in DATA_DIR)'
      : inForce.source === 'admin'
        ? 'saved on the admin page'
        : 'defaults';
  const lines: string[] = [];
  if (changed.length === 0) {
    lines.push(`Policies:      ${appliedFile ? `${where} (the same as the defaults)` : 'defaults'}`);
  } else {
    const shown = changed.map((key) => {
      const value = JSON.stringify(inForce.policies[key]);
      return value.length <= SHOWN_VALUE_CHARS ? `${key} ${value}` : key;
    });
    lines.push(`Policies:      ${where}; not the default: ${shown.join(', ')}`);
  }
  if (inForce.policies.dryRun) {
    lines.push(
      'Dry run:       ON: nothing reaches Atlassian (planned changes are in the sync log); turn it off on the admin page (Policies)',
    );
  }
  return lines;
}
