/**
 * The admin resolver answers only its own functions (issue 13, case 8). `@forge/resolver`
 * looks a function key up with `in` on a plain object, so `constructor`, `toString` and the
 * rest of Object.prototype would run, for anyone who can invoke the page's resolver, without
 * the admin check. Driven through the offline runtime's invoke, as the page's `invoke` calls it.
 */
import type { AdminStatus } from '../../src/forge/admin-api';
import { embeddedOrgBackend } from '../../src/local/embedded-org';
import { AdminSite, adminSite } from '../support/admin-site';
import { createTestRuntime, invokeAdmin, TestRuntime } from '../support/forge-runtime';

let test: TestRuntime;
let site: AdminSite;

beforeEach(() => {
  site = adminSite();
  test = createTestRuntime({ external: embeddedOrgBackend(site.org), products: site.products });
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
    for (const account of [site.adminId, site.userId]) {
      await expect(invokeAdmin(test, account, key, { x: 1 })).rejects.toThrow(
        `The admin resolver has no function "${key}".`,
      );
    }
  });

  it('still answers its own functions, behind the admin check', async () => {
    const status = await invokeAdmin<AdminStatus>(test, site.adminId, 'getStatus');
    expect(status.scimBaseUrl).toMatch(/\/scim\/v2$/);
    await expect(invokeAdmin(test, site.userId, 'getStatus')).rejects.toThrow(
      'Only site and product admins can use this page',
    );
  });
});
