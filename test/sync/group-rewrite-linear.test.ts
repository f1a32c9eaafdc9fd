/**
 * Issue 13, case 5: group-name rewrites run on RE2 (src/policies/group-names.ts), in time linear in
 * the name, so a pattern that backtracks exponentially on JavaScript's engine (`(\w|\d)*$` took
 * 122 s on a 29-character name) can neither hold the sync worker nor, through the single-threaded
 * runtime, the SCIM service. The documented syntax (JavaScript patterns, String.prototype.replace
 * replacements) keeps its meaning: RE2's answers are compared with JavaScript's where both are fast.
 */
import { atlassianGroupName, compileRewrite } from '../../src/policies/group-names';
import { DEFAULT_POLICIES, Policies } from '../../src/policies/policies';
import { validatePolicies } from '../../src/policies/validation';
import { createUser, createWorld, readOrg } from './support';

type Rewrite = NonNullable<Policies['groups']['rewrite']>;

const groups = (rewrite: Rewrite, prefix = ''): Policies['groups'] => ({
  ...DEFAULT_POLICIES.groups,
  rewrite,
  prefix,
});

const rewritten = (name: string, rewrite: Rewrite): string => {
  const result = atlassianGroupName(name, groups(rewrite));
  if (!result.ok) throw new Error(result.reason);
  return result.name;
};

/**
 * Patterns the security review found, exponential on a backtracking engine, with what each makes
 * of 'aaa…a!' (10,001 characters) and the replacement '-x': '!' is neither \\w nor a, so the
 * starred patterns match only the empty string at the end and append; (a+)+$ and the anchored
 * one match nowhere; the last matches the whole name.
 */
const EXPONENTIAL: [string, 'appended' | 'unchanged' | 'replaced'][] = [
  ['(\\w|\\d)*$', 'appended'],
  ['(a|a)*$', 'appended'],
  ['(a+)+$', 'unchanged'],
  ['^(\\w*\\s?)*$', 'unchanged'],
  ['(\\w*\\s?)*!$', 'replaced'],
];

describe('group-name rewrites on a linear-time engine', () => {
  it('accepts the patterns that backtracked for minutes, and rewrites a 10,000-character name with each', () => {
    const long = `${'a'.repeat(10_000)}!`;
    for (const [pattern, outcome] of EXPONENTIAL) {
      for (const flags of ['', 'g', 'i']) {
        expect(validatePolicies({ groups: { rewrite: { pattern, replacement: '-x', flags } } }).ok).toBe(
          true,
        );
        const compiled = compileRewrite({ pattern, replacement: '-x', flags });
        expect(compiled.ok).toBe(true);
        // Completing at all is the point: JavaScript's engine would not finish this before the
        // universe does. The jest timeout below (a few seconds on a loaded machine) bounds it.
        // Compared by length and tail, so that a failure prints a short message.
        const result = compiled.ok ? compiled.apply(long) : compiled.reason;
        const expected = { appended: `${long}-x`, unchanged: long, replaced: '-x' }[outcome];
        expect({ pattern, flags, length: result.length, tail: result.slice(-4) }).toEqual({
          pattern,
          flags,
          length: expected.length,
          tail: expected.slice(-4),
        });
      }
    }
    // The 29-character attack name, through the function the worker uses.
    expect(rewritten(`${'a'.repeat(28)}!`, { pattern: '(\\w|\\d)*$', replacement: '-end' })).toBe(
      `${'a'.repeat(28)}!-end`,
    );
  }, 20_000);

  it('gives the names JavaScript gives, for the documented replacement syntax and flags', () => {
    const cases: [Rewrite, string][] = [
      [{ pattern: '^sg[-_ ]', replacement: '', flags: 'i' }, 'SG-Engineering'],
      [{ pattern: '\\s+', replacement: '-', flags: 'g' }, 'All  Sales Team'],
      [{ pattern: '\\s+', replacement: '-' }, 'All  Sales Team'],
      [{ pattern: '^(\\w+)@(\\w+)$', replacement: '$2-$1' }, 'eng@acme'],
      [{ pattern: '^(?<team>\\w+)@(?<org>\\w+)$', replacement: '$<org>-$<team>' }, 'eng@acme'],
      [{ pattern: '^sg-(.*)$', replacement: 'idp-$1 ($&) $$' }, 'sg-Ops'],
      [{ pattern: '-', replacement: "[$`|$']" }, 'left-right'],
      [{ pattern: '(a)|(b)', replacement: '<$1$2>', flags: 'g' }, 'cab'],
      [{ pattern: '^x', replacement: 'y', flags: 'gm' }, 'x1\nx2'],
      [{ pattern: 'a.b', replacement: '+', flags: 's' }, 'a\nb'],
      [{ pattern: '\\u0041\\x42', replacement: 'ok' }, 'zAB'],
      [{ pattern: '[^]$', replacement: '' }, 'Ops!'],
      [{ pattern: 'é', replacement: 'e', flags: 'giu' }, 'Équipe é'],
      [{ pattern: '(\\w|\\d)*$', replacement: 'x', flags: 'g' }, 'abc'],
      [{ pattern: 'x*', replacement: '-', flags: 'g' }, 'abc'],
    ];
    for (const [rewrite, name] of cases) {
      const javascript = name.replace(new RegExp(rewrite.pattern, rewrite.flags ?? ''), rewrite.replacement);
      const compiled = compileRewrite(rewrite);
      expect({ rewrite, name, result: compiled.ok ? compiled.apply(name) : compiled.reason }).toEqual({
        rewrite,
        name,
        result: javascript,
      });
    }
  });

  it('refuses, group by group, a stored pattern RE2 cannot run, rather than sending another name', () => {
    const result = atlassianGroupName('sg-Ops', groups({ pattern: '^sg-(?=O)', replacement: '' }));
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/not valid: pattern .*lookahead/) });
  });

  it('a saved pattern cannot stall the worker or the SCIM service: the group is created, renamed', async () => {
    const saved = validatePolicies({ groups: { rewrite: { pattern: '(\\w|\\d)*$', replacement: '-end' } } });
    expect(saved.ok).toBe(true);
    const world = createWorld({ policies: saved.ok ? saved.policies : DEFAULT_POLICIES });
    const alice = await createUser(world, 'alice@example.com');
    const name = `${'a'.repeat(28)}!`;
    const created = await world.scim('POST', '/Groups', { displayName: name, members: [{ value: alice }] });
    expect(created.status).toBe(201);
    await world.settle();
    const org = await readOrg(world.org);
    expect(org.groups.get(`${name}-end`)?.members).toEqual(['alice@example.com']);
    const users = await world.scim('GET', '/Users');
    expect(users.status).toBe(200);
    expect(users.body.totalResults).toBe(1);
  }, 30_000);
});
