/**
 * The admin resolver answers only its own functions (issue 13, case 8). `@forge/resolver`
 * looks a function key up with `in` on a plain object, so `constructor`, `toString` and the
 * rest of Object.prototype would run, for anyone who can invoke the page's resolver, without
 * the admin check. Driven through the offline runtime's invoke, as the page's `invoke` calls it.
 */
import type { AdminStatus } from '../../src/forge/admin-api';
import {
  EmbeddedOrganization,
  embeddedOrgBackend,
  embeddedSiteProducts,
  SEED_ACCOUNTS,
} from '../../src/local/embedded-org';
import { client } from '../embedded-org/helpers';
import { createTestRuntime, invokeAdmin, TestRuntime } from '../support/forge-runtime';

let test: TestRuntime;
let adminId: string;
let userId: string;

beforeEach(async () => {
  const org = new EmbeddedOrganization({ timeoutHoldMs: 5 });
  test = createTestRuntime({ external: embeddedOrgBackend(org), products: embeddedSiteProducts(org) });
  const api = client(org);
  adminId = (await api.accountOf(SEED_ACCOUNTS.admin)) as string;
  userId = (await api.accountOf(SEED_ACCOUNTS.existing)) as string;
});
afterEach(() => test.close());

const INHERITED = [
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__proto__',
  '__defineGetter__',
  '__lookupGetter__',
];

describe('resolver function keys', () => {
  it.each(INHERITED)('refuses %s for an admin and for anyone else', async (key) => {
    for (const account of [adminId, userId]) {
      await expect(invokeAdmin(test, account, key, { x: 1 })).rejects.toThrow(
        `The admin resolver has no function "${key}".`,
      );
    }
  });

  it('still answers its own functions, behind the admin check', async () => {
    const status = await invokeAdmin<AdminStatus>(test, adminId, 'getStatus');
    expect(status.scimBaseUrl).toMatch(/\/scim\/v2$/);
    await expect(invokeAdmin(test, userId, 'getStatus')).rejects.toThrow(
      'Only site and product admins can use this page',
    );
  });
});
