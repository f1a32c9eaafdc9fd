/**
 * Validation of a provisioning policy document (src/policies/policies.ts) before it is stored:
 * what the admin page sends through `savePolicies`, or what `npm start` reads from
 * POLICIES_FILE. Pure: no storage, no Atlassian.
 *
 * A document may leave fields out: they keep their default (or, for `savePolicies`, what the
 * caller merges them over). Every field present is checked, unknown fields are refused (a
 * misspelt `dryrun` must not silently do nothing), and every problem is reported at once, by
 * path, so the page can show each next to its field.
 */
import type { ProductRole } from '../atlassian/port';
import { DEFAULT_POLICIES, Policies, PolicyProblem } from './policies';
import { compileRewrite } from './group-names';

export type PolicyValidation = { ok: true; policies: Policies } | { ok: false; problems: PolicyProblem[] };

/** Atlassian group names are at most 255 characters (Organizations API, Jira group API). */
const MAX_GROUP_NAME = 255;

/**
 * How large a policy document may be, so that it always fits where Forge carries and keeps it:
 * - stored as ONE kvs value (src/forge/policy-store.ts), and a value is at most 240 KiB
 *   (developer.atlassian.com/platform/forge/limits-kvs-ce/: "Value size 240 KiB");
 * - sent by the admin page through `invoke('savePolicies', {policies})`, whose request payload
 *   is at most 500 KB (limits-invocation: "Front-end invocation request payload size 500KB";
 *   the response may be 5 MB).
 *
 * `documentBytes` (the document as UTF-8 JSON) is the rule; it leaves 40 KiB of the 240 KiB for
 * the stored wrapper (source, savedAt, savedBy), the default sections merged in, and e-mails
 * lower-cased on save. The per-field bounds are sized so that a document with every list full
 * of the longest plain-ASCII entries is about 181 KiB, under `documentBytes`, while leaving
 * generous room for real use:
 *
 *   groups.nameMap          250 × (256 + 255 characters + JSON) ≈ 126 KiB
 *   protectedAccounts.emails 100 × 254 ≈ 25 KiB   protectedAccounts.accountIds 100 × 128 ≈ 13 KiB
 *   newUsers.defaultGroups   50 × 255 ≈ 13 KiB    newUsers.productAccess 20 grants ≈ 2 KiB
 *   groups.rewrite           1,000 + 255 characters; groups.prefix 254
 *
 * Characters that take more bytes (non-ASCII names, quotes and backslashes JSON escapes) can
 * still make a document within every field bound too large: `documentBytes` catches that.
 */
export const POLICY_LIMITS = {
  /** The whole document, as UTF-8 JSON. */
  documentBytes: 200 * 1024,
  /** protectedAccounts.accountIds entries (each at most 128 characters: ACCOUNT_ID). */
  protectedAccountIds: 100,
  /** protectedAccounts.emails entries. */
  protectedEmails: 100,
  /** RFC 5321: an address in a forward path is at most 254 characters. */
  emailLength: 254,
  /** newUsers.defaultGroups entries. */
  defaultGroups: 50,
  /** newUsers.productAccess grants: one per product and role is plenty (Atlassian has a handful). */
  productAccess: 20,
  /** groups.nameMap entries: the exceptions; rewrite and prefix cover systematic renames. */
  nameMapEntries: 250,
  /** An identity-provider group name, a nameMap key (Entra ID allows 256 characters, Okta 255). */
  idpGroupName: 256,
  /** groups.rewrite.pattern characters. */
  pattern: 1_000,
  /** groups.rewrite.replacement characters: what it produces is a group name (255 at most). */
  replacement: MAX_GROUP_NAME,
} as const;

type Limits = { -readonly [K in keyof typeof POLICY_LIMITS]: number };

/**
 * No bounds but Atlassian's own (group names, account IDs, product keys): for a document
 * already stored, which fitted when it was saved; refusing it now would silently drop a
 * section that is in force (readPolicies falls back to defaults section by section).
 */
const STORED: Limits = Object.fromEntries(
  Object.keys(POLICY_LIMITS).map((key) => [key, Number.POSITIVE_INFINITY]),
) as Limits;

/** The size of a document as Forge counts it: its JSON in UTF-8. */
export function policyDocumentBytes(document: unknown): number {
  const json = JSON.stringify(document) as string | undefined;
  return json === undefined ? 0 : new TextEncoder().encode(json).length;
}

const kib = (bytes: number) => `${Math.ceil(bytes / 1024)} KiB`;

const PRODUCT_ROLES = [
  'atlassian/user',
  'atlassian/admin',
  'atlassian/guest',
  'atlassian/basic',
  'atlassian/customer',
  'atlassian/contributor',
  'atlassian/stakeholder',
  'atlassian/viewer',
  'atlassian/user-access-admin',
] as const satisfies readonly ProductRole[];
// Fails to compile when port.ts gains a role this list lacks.
const _everyRole: Exclude<ProductRole, (typeof PRODUCT_ROLES)[number]> extends never ? true : never = true;

/** Flags JavaScript's RegExp knows; `new RegExp` names the offending one itself. */
const REGEX_FLAGS = /^[dgimsuvy]*$/;

/**
 * An e-mail address as identity providers send them: one @, a non-empty local part without
 * spaces, a dotted domain. Deliberately loose (RFC 5322 allows far more); it catches typos
 * such as a missing @ or a pasted display name, which is what an allow-list needs.
 */
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
/** Atlassian account IDs: `712020:<uuid>`, 24 hex digits, `qm:...`; never spaces. */
const ACCOUNT_ID = /^[A-Za-z0-9:_-]{1,128}$/;
/** Product keys as Atlassian names them (jira-software, confluence, ...). */
const PRODUCT_KEY = /^[a-z][a-z0-9-]{0,63}$/;

type Check = (value: unknown, path: string, problems: PolicyProblem[]) => void;

const problem = (problems: PolicyProblem[], path: string, reason: string) => problems.push({ path, reason });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return typeof value === 'object' ? 'an object' : String(value);
}

const boolean: Check = (value, path, problems) => {
  if (typeof value !== 'boolean') problem(problems, path, `must be true or false, not ${describe(value)}`);
};

function oneOf(choices: readonly string[]): Check {
  return (value, path, problems) => {
    if (typeof value !== 'string' || !choices.includes(value))
      problem(problems, path, `must be one of ${choices.join(', ')}; got ${describe(value)}`);
  };
}

function literal(expected: true, why: string): Check {
  return (value, path, problems) => {
    if (value !== expected) problem(problems, path, why);
  };
}

function list(item: Check, max: number): Check {
  return (value, path, problems) => {
    if (!Array.isArray(value)) return problem(problems, path, `must be a list, not ${describe(value)}`);
    if (value.length > max)
      return problem(problems, path, `at most ${max} entries; this has ${value.length}`);
    value.forEach((entry, index) => item(entry, `${path}[${index}]`, problems));
  };
}

const groupName: Check = (value, path, problems) => {
  if (typeof value !== 'string')
    return problem(problems, path, `must be a group name, not ${describe(value)}`);
  if (value.trim() === '') return problem(problems, path, 'a group name cannot be empty');
  if (value.length > MAX_GROUP_NAME)
    problem(problems, path, `a group name has at most ${MAX_GROUP_NAME} characters (Atlassian's limit)`);
};

function email(maxLength: number): Check {
  return (value, path, problems) => {
    if (typeof value === 'string' && value.trim().length > maxLength)
      return problem(problems, path, `an e-mail address has at most ${maxLength} characters`);
    if (typeof value !== 'string' || !EMAIL.test(value.trim()))
      problem(problems, path, `must be an e-mail address such as alice@example.com, not ${describe(value)}`);
  };
}

const accountId: Check = (value, path, problems) => {
  if (typeof value !== 'string' || !ACCOUNT_ID.test(value))
    problem(
      problems,
      path,
      `must be an Atlassian account ID (letters, digits, ':', '-' or '_', as in 712020:4f1c…), not ${describe(value)}`,
    );
};

/** An object with exactly these optional fields; unknown ones are refused. */
function object(fields: Record<string, Check>, required: string[] = []): Check {
  return (value, path, problems) => {
    if (!isRecord(value)) return problem(problems, path, `must be an object, not ${describe(value)}`);
    for (const [key, entry] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      const check = Object.hasOwn(fields, key) ? fields[key] : undefined;
      if (!check) {
        problem(problems, at, `unknown field; known here: ${Object.keys(fields).join(', ')}`);
        continue;
      }
      // An absent optional field may be given as undefined (JSON has no such value anyway).
      if (entry !== undefined) check(entry, at, problems);
    }
    for (const key of required)
      if (value[key] === undefined) problem(problems, path ? `${path}.${key}` : key, 'is required');
  };
}

const productGrant: Check = object(
  {
    product: (value, path, problems) => {
      if (typeof value !== 'string' || !PRODUCT_KEY.test(value))
        problem(
          problems,
          path,
          `must be a product key such as jira-software, jira-servicedesk, confluence or bitbucket, not ${describe(value)}`,
        );
    },
    role: oneOf(PRODUCT_ROLES),
  },
  ['product'],
);

function nameMap(limits: Limits): Check {
  return (value, path, problems) => {
    if (!isRecord(value))
      return problem(problems, path, `must map identity-provider group names to Atlassian group names`);
    const entries = Object.entries(value);
    if (entries.length > limits.nameMapEntries)
      return problem(problems, path, `at most ${limits.nameMapEntries} entries; this has ${entries.length}`);
    for (const [from, to] of entries) {
      // The key is shown in the path as JSON so names with dots stay unambiguous.
      const at = `${path}[${JSON.stringify(from)}]`;
      if (from.trim() === '') problem(problems, at, 'the identity-provider group name cannot be empty');
      else if (from.length > limits.idpGroupName)
        problem(
          problems,
          at,
          `an identity-provider group name has at most ${limits.idpGroupName} characters`,
        );
      groupName(to, at, problems);
    }
  };
}

/**
 * The pattern must compile with its flags (JavaScript's message says why not) and run on RE2,
 * the linear-time engine rewrites use (src/policies/group-names.ts): a backreference, a lookaround
 * or a flag RE2 lacks is refused by name. A stored document is not refused for RE2's sake:
 * its section would fall back to no rewrite and groups would be created under other names;
 * instead each group waits, reported with the reason (atlassianGroupName).
 */
const rewrite =
  (limits: Limits): Check =>
  (value, path, problems) => {
    const before = problems.length;
    object(
      {
        pattern: (pattern, at, found) => {
          if (typeof pattern !== 'string' || pattern === '')
            return problem(found, at, 'must be a non-empty regular expression');
          if (pattern.length > limits.pattern) problem(found, at, `at most ${limits.pattern} characters`);
        },
        replacement: (replacement, at, found) => {
          if (typeof replacement !== 'string')
            return problem(found, at, `must be text, not ${describe(replacement)}`);
          if (replacement.length > limits.replacement)
            problem(found, at, `at most ${limits.replacement} characters (it makes a group name)`);
        },
        flags: (flags, at, found) => {
          if (typeof flags !== 'string' || !REGEX_FLAGS.test(flags))
            problem(
              found,
              at,
              `must be regular expression flags (d, g, i, m, s, u, v, y), not ${describe(flags)}`,
            );
        },
      },
      ['pattern', 'replacement'],
    )(value, path, problems);
    if (problems.length > before || !isRecord(value)) return;
    const compiled = compileRewrite(value as NonNullable<Policies['groups']['rewrite']>);
    if (compiled.ok) return;
    if (limits === STORED && compiled.kind === 'engine') return;
    problem(problems, `${path}.${compiled.field}`, compiled.reason);
  };

const seatLimit: Check = (value, path, problems) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    problem(
      problems,
      path,
      `must be a whole number of seats, 1 or more (leave it out for no cap); got ${describe(value)}`,
    );
};

/**
 * One check per field of Policies, within `limits`. The mapped type makes this fail to
 * compile when a field is added to Policies without a check here, so no field escapes
 * validation.
 */
const policyFields = (limits: Limits): { [K in keyof Policies]-?: Check } => ({
  linking: object({ linkExistingByEmail: boolean }),
  deactivation: object({
    action: oneOf(['suspend', 'remove-product-access', 'none']),
    restoreMemberships: boolean,
  }),
  deletion: object({ action: oneOf(['suspend', 'remove-product-access', 'none', 'remove-from-directory']) }),
  protectedAccounts: object({
    admins: literal(true, 'organization and site admins are always protected: must be true'),
    accountIds: list(accountId, limits.protectedAccountIds),
    emails: list(email(limits.emailLength), limits.protectedEmails),
  }),
  newUsers: object({
    defaultGroups: list(groupName, limits.defaultGroups),
    productAccess: list(productGrant, limits.productAccess),
  }),
  groups: object({
    nameMap: nameMap(limits),
    rewrite: rewrite(limits),
    prefix: (value, path, problems) => {
      if (typeof value !== 'string')
        return problem(problems, path, `must be text ('' for none), not ${describe(value)}`);
      if (value.length >= MAX_GROUP_NAME)
        problem(problems, path, `leaves no room for a name (at most ${MAX_GROUP_NAME - 1} characters)`);
    },
    createUnknown: boolean,
    onExistingName: oneOf(['adopt', 'report']),
  }),
  seatCap: object({ limit: seatLimit }),
  dryRun: boolean,
  drift: object({ action: oneOf(['repair', 'report']) }),
});

const BOUNDED = object(policyFields(POLICY_LIMITS));
const UNBOUNDED = object(policyFields(STORED));

/** The whole document must fit in one kvs value and one `invoke` (POLICY_LIMITS). */
function documentSize(document: unknown, problems: PolicyProblem[]): void {
  if (!isRecord(document)) return;
  let bytes: number;
  try {
    bytes = policyDocumentBytes(document);
  } catch {
    return; // Not JSON (a cycle, a BigInt): cannot come from invoke or a file.
  }
  if (bytes > POLICY_LIMITS.documentBytes)
    problem(
      problems,
      '',
      `The policies are ${kib(bytes)} as JSON; at most ${kib(POLICY_LIMITS.documentBytes)} can be saved ` +
        '(Forge keeps them as one stored value, of at most 240 KiB): remove or shorten entries, ' +
        'such as group name mappings or protected accounts.',
    );
}

/**
 * The problems of a (possibly partial) policy document; none means it may be stored.
 * `stored: true` checks a document read back from storage: Atlassian's own rules only, not
 * the size bounds (POLICY_LIMITS), which it met when saved or predates.
 */
export function policyProblems(document: unknown, options: { stored?: boolean } = {}): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  (options.stored ? UNBOUNDED : BOUNDED)(document, '', problems);
  if (!options.stored) documentSize(document, problems);
  return problems.map((p) => (p.path === '' ? { ...p, path: '(document)' } : p));
}

/**
 * Validates a document and, when it holds, the policies it sets: each field it gives over
 * `base` (default: DEFAULT_POLICIES), one section level deep, so `{dryRun: true}` changes
 * only that. Lists and maps are replaced whole, never merged entry by entry.
 */
export function validatePolicies(document: unknown, base: Policies = DEFAULT_POLICIES): PolicyValidation {
  const problems = policyProblems(document);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, policies: mergePolicies(base, document as Partial<Policies>) };
}

/** `overrides` over `base`, section by section (the shape validatePolicies accepted). */
export function mergePolicies(base: Policies, overrides: Partial<Policies> | undefined): Policies {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] = isRecord(value) && isRecord(current) ? { ...current, ...value } : value;
  }
  const policies = structuredClone(merged) as unknown as Policies;
  // E-mails compare case-insensitively and group names trimmed: store them normalised.
  policies.protectedAccounts.emails = policies.protectedAccounts.emails.map((e) => e.trim().toLowerCase());
  return policies;
}
