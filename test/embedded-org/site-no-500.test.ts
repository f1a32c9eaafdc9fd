/**
 * The embedded Jira site answers whatever a client sends with a status Jira documents, never
 * an internal error: arbitrary JSON bodies and query strings on every served operation, as
 * the seed admin (Basic), a user and the app.
 */
import fc from 'fast-check';
import { SEED_ACCOUNTS, SITE_OPERATIONS } from '../../src/local/embedded-org';
import type { OrgRequest } from '../../src/local/embedded-org';
import { newOrg } from './helpers';

const org = newOrg();
const admin = org.findUserByEmail(SEED_ACCOUNTS.admin)?.accountId ?? '';
const ada = org.findUserByEmail(SEED_ACCOUNTS.existing)?.accountId ?? '';
const siteAdmins = org.findGroupByName('site-admins')?.id ?? '';
const basic = `Basic ${Buffer.from(`${SEED_ACCOUNTS.admin}:${org.siteApiToken}`).toString('base64')}`;

const id = fc.oneof(
  fc.constant(admin),
  fc.constant(ada),
  fc.constant(siteAdmins),
  fc.string({ maxLength: 12 }),
);
const body = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string(),
  fc
    .record(
      {
        name: fc.anything({ maxDepth: 1 }),
        accountId: fc.oneof(id, fc.anything({ maxDepth: 1 })),
        emailAddress: fc.oneof(fc.emailAddress(), fc.anything({ maxDepth: 1 })),
        products: fc.oneof(
          fc.array(fc.constantFrom('jira-software', 'confluence', '')),
          fc.anything({ maxDepth: 1 }),
        ),
        displayName: fc.anything({ maxDepth: 1 }),
        globalPermissions: fc.oneof(
          fc.array(fc.constantFrom('ADMINISTER', 'X')),
          fc.anything({ maxDepth: 1 }),
        ),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
);
const query = fc.array(
  fc.tuple(
    fc.constantFrom(
      'accountId',
      'groupId',
      'groupname',
      'groupName',
      'query',
      'startAt',
      'maxResults',
      'permissions',
      'includeInactiveUsers',
      'swapGroupId',
    ),
    fc.oneof(id, fc.integer({ min: -3, max: 2000 }).map(String)),
  ),
  { maxLength: 4 },
);
const caller = fc.constantFrom<Pick<OrgRequest, 'caller'> | { basic: true }>(
  { basic: true },
  { caller: { kind: 'app' } },
  { caller: { kind: 'user', accountId: ada } },
  { caller: { kind: 'user', accountId: 'nobody' } },
);

it('never answers 500 to any request on any site operation', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...SITE_OPERATIONS),
      body,
      query,
      caller,
      async (op, text, params, who) => {
        const search = new URLSearchParams(params).toString();
        const answer = await org.handle({
          method: op.method,
          path: `/site${op.path}${search ? `?${search}` : ''}`,
          headers: {
            ...('basic' in who ? { authorization: basic } : {}),
            'content-type': 'application/json',
          },
          body: text,
          ...('caller' in who ? { caller: who.caller } : {}),
        });
        expect(answer.status).toBeLessThan(500);
      },
    ),
    { numRuns: 1500, seed: 20261202 },
  );
});
