/**
 * The Policies tab's form model: a `Policies` document as the fields an admin edits (lists as
 * one item a line, the group name map as `IdP name => Atlassian name` lines), and back, with
 * the checks that are cheap in the page. The server validates the whole document again; its
 * problems come back by the same paths (`groups.rewrite.pattern`...) and are shown by field.
 */
import type {
  DeactivationAction,
  DeletionAction,
  Policies,
  PolicyProblem,
  ProductAccessGrant,
} from '../policies/policies';
import type { ProductRole } from '../atlassian/port';
import { policyProblems } from '../policies/validation';

export interface PolicyForm {
  linkExistingByEmail: boolean;
  deactivationAction: DeactivationAction;
  restoreMemberships: boolean;
  deletionAction: DeletionAction;
  protectedAccountIds: string;
  protectedEmails: string;
  defaultGroups: string;
  /** One product a line: `jira-software` or `jira-software atlassian/admin`. */
  productAccess: string;
  /** One mapping a line: `Engineering => jira-engineering`. */
  nameMap: string;
  rewritePattern: string;
  rewriteReplacement: string;
  rewriteFlags: string;
  prefix: string;
  createUnknown: boolean;
  onExistingName: 'adopt' | 'report';
  /** Empty: no cap. */
  seatCap: string;
  dryRun: boolean;
  driftAction: 'repair' | 'report';
}

export const MAP_ARROW = '=>';

const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');

export function toForm(policies: Policies): PolicyForm {
  return {
    linkExistingByEmail: policies.linking.linkExistingByEmail,
    deactivationAction: policies.deactivation.action,
    restoreMemberships: policies.deactivation.restoreMemberships,
    deletionAction: policies.deletion.action,
    protectedAccountIds: policies.protectedAccounts.accountIds.join('\n'),
    protectedEmails: policies.protectedAccounts.emails.join('\n'),
    defaultGroups: policies.newUsers.defaultGroups.join('\n'),
    productAccess: policies.newUsers.productAccess
      .map((grant) => (grant.role ? `${grant.product} ${grant.role}` : grant.product))
      .join('\n'),
    nameMap: Object.entries(policies.groups.nameMap)
      .map(([from, to]) => `${from} ${MAP_ARROW} ${to}`)
      .join('\n'),
    rewritePattern: policies.groups.rewrite?.pattern ?? '',
    rewriteReplacement: policies.groups.rewrite?.replacement ?? '',
    rewriteFlags: policies.groups.rewrite?.flags ?? '',
    prefix: policies.groups.prefix,
    createUnknown: policies.groups.createUnknown,
    onExistingName: policies.groups.onExistingName,
    seatCap: policies.seatCap.limit === undefined ? '' : String(policies.seatCap.limit),
    dryRun: policies.dryRun,
    driftAction: policies.drift.action,
  };
}

/** A regular expression's compile error in the engine's words, or undefined when it compiles. */
export function regexError(pattern: string, flags: string): string | undefined {
  try {
    new RegExp(pattern, flags);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The document the form describes, and the problems found without asking the server: first
 * the form's own (a line that is not a mapping, a regex that does not compile, a seat cap that
 * is not a whole number, an e-mail without an @); when there are none, the server's pure
 * validation (src/policies/validation.ts) runs here too, so most mistakes show at once.
 */
export function fromForm(form: PolicyForm): { policies: Policies; problems: PolicyProblem[] } {
  const problems: PolicyProblem[] = [];
  const problem = (path: string, reason: string) => problems.push({ path, reason });

  const nameMap: Record<string, string> = {};
  for (const line of lines(form.nameMap)) {
    const at = line.indexOf(MAP_ARROW);
    const from = at < 0 ? '' : line.slice(0, at).trim();
    const to = at < 0 ? '' : line.slice(at + MAP_ARROW.length).trim();
    if (!from || !to) {
      problem('groups.nameMap', `"${line}" is not a mapping: write "IdP group ${MAP_ARROW} Atlassian group"`);
    } else if (from in nameMap) {
      problem('groups.nameMap', `"${from}" is mapped twice`);
    } else {
      nameMap[from] = to;
    }
  }

  const productAccess: ProductAccessGrant[] = lines(form.productAccess).map((line) => {
    const [product, role, ...rest] = line.split(/\s+/);
    if (rest.length > 0 || (role !== undefined && !role.startsWith('atlassian/'))) {
      problem(
        'newUsers.productAccess',
        `"${line}": write a product, optionally followed by a role such as atlassian/user`,
      );
    }
    return role ? { product, role: role as ProductRole } : { product };
  });

  const emails = lines(form.protectedEmails);
  for (const email of emails) {
    if (!/^[^@\s]+@[^@\s]+$/.test(email))
      problem('protectedAccounts.emails', `"${email}" is not an e-mail address`);
  }

  let rewrite: Policies['groups']['rewrite'];
  if (form.rewritePattern !== '') {
    const error = regexError(form.rewritePattern, form.rewriteFlags);
    if (error) problem('groups.rewrite.pattern', `The regular expression does not compile: ${error}`);
    rewrite = {
      pattern: form.rewritePattern,
      replacement: form.rewriteReplacement,
      ...(form.rewriteFlags ? { flags: form.rewriteFlags } : {}),
    };
  } else if (form.rewriteReplacement !== '' || form.rewriteFlags !== '') {
    problem('groups.rewrite.pattern', 'A replacement or flags need a pattern to apply to');
  }

  const cap = form.seatCap.trim();
  let limit: number | undefined;
  if (cap !== '') {
    limit = Number(cap);
    if (!/^\d+$/.test(cap) || limit < 1) {
      problem('seatCap.limit', 'The seat cap must be a whole number, 1 or more (leave it empty for no cap)');
    }
  }

  const policies: Policies = {
    linking: { linkExistingByEmail: form.linkExistingByEmail },
    deactivation: { action: form.deactivationAction, restoreMemberships: form.restoreMemberships },
    deletion: { action: form.deletionAction },
    protectedAccounts: { admins: true, accountIds: lines(form.protectedAccountIds), emails },
    newUsers: { defaultGroups: lines(form.defaultGroups), productAccess },
    groups: {
      nameMap,
      ...(rewrite ? { rewrite } : {}),
      prefix: form.prefix,
      createUnknown: form.createUnknown,
      onExistingName: form.onExistingName,
    },
    seatCap: limit === undefined ? {} : { limit },
    dryRun: form.dryRun,
    drift: { action: form.driftAction },
  };
  return { policies, problems: problems.length > 0 ? problems : policyProblems(policies) };
}

/**
 * The problems to show next to a field: those at its path or below it
 * (`groups.rewrite` shows `groups.rewrite.pattern`; `newUsers.defaultGroups.2` shows under
 * `newUsers.defaultGroups`).
 */
export function problemsAt(problems: readonly PolicyProblem[], path: string): string[] {
  return problems
    .filter((p) => p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`))
    .map((p) => p.reason);
}

/** Problems no field on the form shows (an unknown field...): listed above the form. */
export function unplacedProblems(
  problems: readonly PolicyProblem[],
  paths: readonly string[],
): PolicyProblem[] {
  return problems.filter((p) => !paths.some((path) => problemsAt([p], path).length > 0));
}
