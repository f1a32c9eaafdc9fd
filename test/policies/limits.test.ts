/**
 * The size bounds of a policy document (POLICY_LIMITS): the largest document every field
 * bound allows still fits in one Forge kvs value (240 KiB: limits-kvs-ce) and one front-end
 * `invoke` request (500 KB: limits-invocation); one entry or character beyond a bound is
 * refused at its path; a document within every field bound but too large as a whole (wide
 * characters) is refused as a whole, with its size.
 */
import { Policies } from '../../src/policies/policies';
import { largest, oversized, pad } from './policy-documents';
import {
  POLICY_LIMITS,
  policyDocumentBytes,
  policyProblems,
  validatePolicies,
} from '../../src/policies/validation';

const KVS_VALUE_BYTES = 240 * 1024;
const INVOKE_REQUEST_BYTES = 500 * 1000;

const paths = (document: unknown) => policyProblems(document).map((p) => p.path);

describe('the policy size bounds', () => {
  it('accept the largest document they allow, which fits Forge storage and an invoke request', () => {
    const document = largest();
    expect(policyProblems(document)).toEqual([]);
    const result = validatePolicies(document);
    expect(result.ok).toBe(true);

    const bytes = policyDocumentBytes(document);
    expect(bytes).toBeLessThanOrEqual(POLICY_LIMITS.documentBytes);
    // What policy-store.ts writes (the merged policies and who saved them when) and what the
    // admin page sends: both well under Forge's limits.
    const stored = {
      policies: result.ok && result.policies,
      source: 'admin',
      savedAt: Date.now(),
      savedBy: pad(0, 'a', 128),
    };
    expect(policyDocumentBytes(stored)).toBeLessThan(KVS_VALUE_BYTES - 32 * 1024);
    expect(policyDocumentBytes({ policies: document })).toBeLessThan(INVOKE_REQUEST_BYTES / 2);
  });

  /** [what, the change one beyond the bound, the path refused] */
  const beyond: [string, (d: Policies) => void, string][] = [
    [
      'a protected account ID',
      (d) => d.protectedAccounts.accountIds.push('x'),
      'protectedAccounts.accountIds',
    ],
    [
      'a protected e-mail',
      (d) => d.protectedAccounts.emails.push('x@example.com'),
      'protectedAccounts.emails',
    ],
    [
      'a character in an e-mail',
      (d) => (d.protectedAccounts.emails[3] = `u${d.protectedAccounts.emails[3]}`),
      'protectedAccounts.emails[3]',
    ],
    [
      'a character in an account ID',
      (d) => (d.protectedAccounts.accountIds[4] = `a${d.protectedAccounts.accountIds[4]}`),
      'protectedAccounts.accountIds[4]',
    ],
    ['a default group', (d) => d.newUsers.defaultGroups.push('x'), 'newUsers.defaultGroups'],
    [
      'a character in a default group',
      (d) => (d.newUsers.defaultGroups[0] += 'g'),
      'newUsers.defaultGroups[0]',
    ],
    [
      'a product grant',
      (d) => d.newUsers.productAccess.push({ product: 'confluence' }),
      'newUsers.productAccess',
    ],
    [
      'a character in a product key',
      (d) => (d.newUsers.productAccess[1].product += '0'),
      'newUsers.productAccess[1].product',
    ],
    ['a group mapping', (d) => (d.groups.nameMap.extra = 'x'), 'groups.nameMap'],
    [
      'a character in an identity-provider group name',
      (d) => (d.groups.nameMap = { [`k${pad(0, 'k', POLICY_LIMITS.idpGroupName)}`]: 'x' }),
      `groups.nameMap[${JSON.stringify(`k${pad(0, 'k', POLICY_LIMITS.idpGroupName)}`)}]`,
    ],
    [
      'a character in an Atlassian group name',
      (d) => (d.groups.nameMap = { Eng: 'v'.repeat(256) }),
      'groups.nameMap["Eng"]',
    ],
    ['a character in the pattern', (d) => (d.groups.rewrite!.pattern += 'a'), 'groups.rewrite.pattern'],
    [
      'a character in the replacement',
      (d) => (d.groups.rewrite!.replacement += 'r'),
      'groups.rewrite.replacement',
    ],
    ['a character in the prefix', (d) => (d.groups.prefix += 'p'), 'groups.prefix'],
  ];

  it.each(beyond)('refuse one more %s, at its path', (_, change, path) => {
    const document = largest();
    change(document);
    expect(paths(document)).toEqual([path]);
    expect(validatePolicies(document).ok).toBe(false);
  });

  it('name the bound they broke', () => {
    const document = largest();
    document.groups.nameMap.extra = 'x';
    document.protectedAccounts.emails[0] = `u${document.protectedAccounts.emails[0]}`;
    document.groups.rewrite!.replacement += 'r';
    expect(policyProblems(document)).toEqual([
      {
        path: 'protectedAccounts.emails[0]',
        reason: `an e-mail address has at most ${POLICY_LIMITS.emailLength} characters`,
      },
      {
        path: 'groups.nameMap',
        reason: `at most ${POLICY_LIMITS.nameMapEntries} entries; this has ${POLICY_LIMITS.nameMapEntries + 1}`,
      },
      {
        path: 'groups.rewrite.replacement',
        reason: `at most ${POLICY_LIMITS.replacement} characters (it makes a group name)`,
      },
    ]);
  });

  it('refuse a document within every field bound but too large as a whole, with its size', () => {
    const document = oversized();
    const kib = Math.ceil(policyDocumentBytes(document) / 1024);
    expect(kib).toBeGreaterThan(300);
    expect(policyProblems(document)).toEqual([
      {
        path: '(document)',
        reason:
          `The policies are ${kib} KiB as JSON; at most 200 KiB can be saved (Forge keeps them as one ` +
          'stored value, of at most 240 KiB): remove or shorten entries, such as group name mappings or protected accounts.',
      },
    ]);
    expect(validatePolicies(document)).toMatchObject({ ok: false, problems: [{ path: '(document)' }] });
  });

  it('count JSON escapes and UTF-8 bytes, not characters', () => {
    expect(policyDocumentBytes({ prefix: 'é' })).toBe('{"prefix":""}'.length + 2);
    expect(policyDocumentBytes({ prefix: '"' })).toBe('{"prefix":""}'.length + 2);
    expect(policyDocumentBytes({ prefix: '\u0001' })).toBe('{"prefix":""}'.length + 6);
  });

  it('do not apply to a document read back from storage, which fitted when it was saved', () => {
    const document = largest();
    document.groups.nameMap.extra = 'x';
    document.protectedAccounts.accountIds.push('x');
    document.groups.rewrite!.pattern += 'a';
    expect(policyProblems(document, { stored: true })).toEqual([]);
    // Atlassian's own rules still hold there.
    document.groups.nameMap.bad = 'v'.repeat(256);
    expect(policyProblems(document, { stored: true }).map((p) => p.path)).toEqual(['groups.nameMap["bad"]']);
  });
});
