/**
 * Validation of a policy document: every field of Policies checked, unknown fields refused,
 * every problem reported at once by path, with a reason an admin can act on.
 */
import { DEFAULT_POLICIES, Policies } from '../../src/policies/policies';
import { mergePolicies, policyProblems, validatePolicies } from '../../src/policies/validation';

const paths = (document: unknown) => policyProblems(document).map((p) => p.path);
const reasonAt = (document: unknown, path: string) =>
  policyProblems(document).find((p) => p.path === path)?.reason;

describe('a policy document', () => {
  it('accepts the defaults, an empty document and a full custom one', () => {
    expect(policyProblems(DEFAULT_POLICIES)).toEqual([]);
    expect(validatePolicies({})).toEqual({ ok: true, policies: DEFAULT_POLICIES });
    const custom: Policies = {
      linking: { linkExistingByEmail: false },
      deactivation: { action: 'remove-product-access', restoreMemberships: false },
      deletion: { action: 'remove-from-directory' },
      protectedAccounts: { admins: true, accountIds: ['712020:4f1c-aa'], emails: ['Boss@Example.com '] },
      newUsers: {
        defaultGroups: ['all-staff'],
        productAccess: [{ product: 'jira-software' }, { product: 'confluence', role: 'atlassian/guest' }],
      },
      groups: {
        nameMap: { 'Eng.Team': 'engineering' },
        rewrite: { pattern: '^sg-(.*)$', replacement: '$1', flags: 'i' },
        prefix: 'idp-',
        createUnknown: false,
        onExistingName: 'report',
      },
      seatCap: { limit: 250 },
      dryRun: true,
      drift: { action: 'report' },
    };
    const result = validatePolicies(custom);
    expect(result.ok).toBe(true);
    // E-mails are stored trimmed and lower-cased: the worker compares them case-insensitively.
    expect(result.ok && result.policies.protectedAccounts.emails).toEqual(['boss@example.com']);
    expect(result.ok && result.policies.groups.rewrite).toEqual(custom.groups.rewrite);
  });

  it('keeps the defaults of what it leaves out, section by section', () => {
    const result = validatePolicies({ dryRun: true, deactivation: { action: 'none' } });
    expect(result).toEqual({
      ok: true,
      policies: {
        ...DEFAULT_POLICIES,
        dryRun: true,
        deactivation: { action: 'none', restoreMemberships: true },
      },
    });
  });

  it('refuses unknown fields at any level, naming the known ones', () => {
    expect(paths({ dryrun: true, groups: { prefx: 'x' }, seatCap: { limit: 3, soft: true } })).toEqual([
      'dryrun',
      'groups.prefx',
      'seatCap.soft',
    ]);
    expect(reasonAt({ dryrun: true }, 'dryrun')).toMatch(/unknown field; known here: linking, .*dryRun/);
  });

  it('refuses a document that is not an object', () => {
    expect(policyProblems(null)).toEqual([{ path: '(document)', reason: 'must be an object, not null' }]);
    expect(paths([])).toEqual(['(document)']);
  });

  it('refuses wrong types and choices with the allowed values', () => {
    const document = {
      linking: { linkExistingByEmail: 'yes' },
      deactivation: { action: 'delete' },
      deletion: { action: 'delete' },
      drift: { action: 'ignore' },
      groups: { onExistingName: 'merge', createUnknown: 1, prefix: 7 },
      dryRun: 'false',
    };
    expect(policyProblems(document)).toEqual([
      { path: 'linking.linkExistingByEmail', reason: 'must be true or false, not "yes"' },
      {
        path: 'deactivation.action',
        reason: 'must be one of suspend, remove-product-access, none; got "delete"',
      },
      {
        path: 'deletion.action',
        reason: 'must be one of suspend, remove-product-access, none, remove-from-directory; got "delete"',
      },
      { path: 'drift.action', reason: 'must be one of repair, report; got "ignore"' },
      { path: 'groups.onExistingName', reason: 'must be one of adopt, report; got "merge"' },
      { path: 'groups.createUnknown', reason: 'must be true or false, not 1' },
      { path: 'groups.prefix', reason: "must be text ('' for none), not 7" },
      { path: 'dryRun', reason: 'must be true or false, not "false"' },
    ]);
  });

  it('refuses a regular expression that does not compile, with the engine’s reason', () => {
    const bad = { groups: { rewrite: { pattern: '^(sg-', replacement: '$1' } } };
    const reason = reasonAt(bad, 'groups.rewrite.pattern');
    expect(reason).toMatch(/^does not compile: /);
    // The engine's own words (V8: "Invalid regular expression: /^(sg-/: Unterminated group").
    let engine = '';
    const unterminated = bad.groups.rewrite.pattern;
    try {
      new RegExp(unterminated);
    } catch (error) {
      engine = (error as Error).message;
    }
    expect(reason).toBe(`does not compile: ${engine}`);
    expect(paths({ groups: { rewrite: { pattern: 'x', replacement: '', flags: 'q' } } })).toEqual([
      'groups.rewrite.flags',
    ]);
    expect(paths({ groups: { rewrite: { pattern: 'x', replacement: '', flags: 'gg' } } })).toEqual([
      'groups.rewrite.flags',
    ]);
    expect(
      reasonAt(
        { groups: { rewrite: { pattern: 'x', replacement: '', flags: 'gg' } } },
        'groups.rewrite.flags',
      ),
    ).toMatch(/does not compile: .*flags/i);
    expect(paths({ groups: { rewrite: { pattern: '', replacement: 1 } } })).toEqual([
      'groups.rewrite.pattern',
      'groups.rewrite.replacement',
    ]);
    expect(paths({ groups: { rewrite: { replacement: 'x' } } })).toEqual(['groups.rewrite.pattern']);
  });

  it('accepts nested repetition, which RE2 runs in linear time, and refuses what RE2 cannot run, by name', () => {
    const rewrite = (pattern: string, flags?: string) => ({
      groups: { rewrite: { pattern, replacement: '', ...(flags === undefined ? {} : { flags }) } },
    });
    // Exponential on a backtracking engine, linear on RE2 (test/sync/group-rewrite-linear.test.ts).
    for (const pattern of ['(a+)+$', '^(\\w*\\s?)*$', '(x+){2,}', '(a{1,3})*', '(\\w|\\d)*$', '(a|a)*$'])
      expect(paths(rewrite(pattern))).toEqual([]);
    for (const [pattern, named] of [
      ['^(a)-\\1$', /backreference \\1/],
      ['^(?<x>a)-\\k<x>$', /named backreference/],
      ['sg-(?=x)', /lookahead \(\?=/],
      ['sg-(?!x)', /lookahead \(\?!/],
      ['(?<=sg-)x', /lookbehind \(\?<=/],
      ['(?<!sg-)x', /lookbehind \(\?<!/],
      ['\\Asg-', /\\A is the letter A in JavaScript/],
      ['a{1001}', /RE2.*refuses it: .*repeat count/],
      ['\\w{1,1000}', /compiles to 2001 instructions; at most 1100/],
    ] as const)
      expect(reasonAt(rewrite(pattern), 'groups.rewrite.pattern')).toMatch(named);
    expect(reasonAt(rewrite('x', 'y'), 'groups.rewrite.flags')).toMatch(/sticky flag \(y\)/);
    expect(reasonAt(rewrite('x', 'v'), 'groups.rewrite.flags')).toMatch(/unicodeSets flag \(v\)/);
    // A stored document keeps its section: the worker reports each group instead (group-names.ts).
    expect(policyProblems(rewrite('sg-(?=x)'), { stored: true })).toEqual([]);
    expect(policyProblems(rewrite('(sg-'), { stored: true })).not.toEqual([]);
  });

  it('wants the seat cap a positive whole number, or absent', () => {
    for (const limit of [0, -3, 2.5, '10', null, Number.NaN, 1e20])
      expect(paths({ seatCap: { limit } })).toEqual(['seatCap.limit']);
    expect(paths({ seatCap: { limit: 1 } })).toEqual([]);
    expect(paths({ seatCap: {} })).toEqual([]);
    expect(validatePolicies({ seatCap: {} })).toMatchObject({ ok: true, policies: { seatCap: {} } });
  });

  it('wants group names non-empty and within Atlassian’s 255 characters', () => {
    expect(
      paths({
        newUsers: { defaultGroups: ['ok', ' ', 'x'.repeat(256), 3] },
        groups: { nameMap: { '': 'a', Eng: '', 'a.b': 'fine' } },
      }),
    ).toEqual([
      'newUsers.defaultGroups[1]',
      'newUsers.defaultGroups[2]',
      'newUsers.defaultGroups[3]',
      'groups.nameMap[""]',
      'groups.nameMap["Eng"]',
    ]);
    expect(reasonAt({ newUsers: { defaultGroups: [''] } }, 'newUsers.defaultGroups[0]')).toBe(
      'a group name cannot be empty',
    );
    expect(paths({ groups: { nameMap: ['a'] } })).toEqual(['groups.nameMap']);
  });

  it('wants valid e-mails and account IDs in the allow-list, and admins always protected', () => {
    expect(
      paths({
        protectedAccounts: {
          admins: false,
          emails: ['ok@example.com', 'no-at.example.com', 'Ada Lovelace <ada@example.com>', 'a@b'],
          accountIds: ['5b10ac8d82e05b22cc7d4ef5', 'has space', ''],
        },
      }),
    ).toEqual([
      'protectedAccounts.admins',
      'protectedAccounts.emails[1]',
      'protectedAccounts.emails[2]',
      'protectedAccounts.emails[3]',
      'protectedAccounts.accountIds[1]',
      'protectedAccounts.accountIds[2]',
    ]);
    expect(reasonAt({ protectedAccounts: { admins: false } }, 'protectedAccounts.admins')).toMatch(
      /always protected/,
    );
    expect(paths({ protectedAccounts: { emails: 'a@example.com' } })).toEqual(['protectedAccounts.emails']);
  });

  it('checks product grants: a product key, and a role Atlassian knows', () => {
    expect(
      paths({
        newUsers: {
          productAccess: [
            { product: 'jira-software', role: 'atlassian/user' },
            { product: 'Jira Software' },
            { role: 'atlassian/user' },
            { product: 'confluence', role: 'owner' },
            'bitbucket',
          ],
        },
      }),
    ).toEqual([
      'newUsers.productAccess[1].product',
      'newUsers.productAccess[2].product',
      'newUsers.productAccess[3].role',
      'newUsers.productAccess[4]',
    ]);
  });
});

describe('merging', () => {
  it('replaces lists and maps whole and never shares them with the base', () => {
    const base = mergePolicies(DEFAULT_POLICIES, {
      newUsers: { defaultGroups: ['a', 'b'], productAccess: [] },
    });
    const merged = mergePolicies(base, { newUsers: { defaultGroups: ['c'], productAccess: [] } });
    expect(merged.newUsers.defaultGroups).toEqual(['c']);
    merged.groups.nameMap.x = 'y';
    expect(DEFAULT_POLICIES.groups.nameMap).toEqual({});
  });
});
