/**
 * Policy documents at and beyond the size bounds (POLICY_LIMITS), shared by the validation
 * tests (test/policies/limits.test.ts) and the resolver and policy-file tests
 * (test/forge/admin-resolvers-policy-limits.test.ts).
 */
import { Policies } from '../../src/policies/policies';
import { POLICY_LIMITS } from '../../src/policies/validation';

export const pad = (i: number, fill: string, length: number) => String(i).padStart(length, fill);
export const times = <T>(n: number, make: (i: number) => T): T[] =>
  Array.from({ length: n }, (_, i) => make(i));

/** Every list full, every string as long as allowed, in plain ASCII. */
export function largest(): Policies {
  return {
    linking: { linkExistingByEmail: false },
    deactivation: { action: 'remove-product-access', restoreMemberships: false },
    deletion: { action: 'remove-from-directory' },
    protectedAccounts: {
      admins: true,
      accountIds: times(POLICY_LIMITS.protectedAccountIds, (i) => pad(i, 'a', 128)),
      emails: times(
        POLICY_LIMITS.protectedEmails,
        (i) => `${pad(i, 'u', POLICY_LIMITS.emailLength - '@example.com'.length)}@example.com`,
      ),
    },
    newUsers: {
      defaultGroups: times(POLICY_LIMITS.defaultGroups, (i) => pad(i, 'g', 255)),
      productAccess: times(POLICY_LIMITS.productAccess, (i) => ({
        product: `p${pad(i, '0', 63)}`,
        role: 'atlassian/user-access-admin' as const,
      })),
    },
    groups: {
      nameMap: Object.fromEntries(
        times(POLICY_LIMITS.nameMapEntries, (i) => [
          pad(i, 'k', POLICY_LIMITS.idpGroupName),
          pad(i, 'v', 255),
        ]),
      ),
      rewrite: {
        pattern: 'a'.repeat(POLICY_LIMITS.pattern),
        replacement: 'r'.repeat(POLICY_LIMITS.replacement),
        // Every flag RE2 can honour (y and v it cannot: group-names.ts).
        flags: 'dgimsu',
      },
      prefix: 'p'.repeat(254),
      createUnknown: false,
      onExistingName: 'report',
    },
    seatCap: { limit: Number.MAX_SAFE_INTEGER },
    dryRun: true,
    drift: { action: 'report' },
  };
}

/** Within every field bound, but three UTF-8 bytes a character: over 300 KiB as a whole. */
export function oversized(): Partial<Policies> {
  const wide = (i: number, length: number) => `${i}${'漢'.repeat(length - String(i).length)}`;
  return {
    groups: {
      ...largest().groups,
      nameMap: Object.fromEntries(
        times(POLICY_LIMITS.nameMapEntries, (i) => [wide(i, POLICY_LIMITS.idpGroupName), wide(i, 255)]),
      ),
    },
  };
}
