/**
 * Whatever a client sends, the embedded organization answers with a status it documents,
 * never an internal error: arbitrary JSON bodies, query strings and path values on every
 * route. (A 500 here would teach the adapter to retry what it should fix.)
 */
import fc from 'fast-check';
import { ROUTES } from '../../src/local/embedded-org';
import { newOrg } from './helpers';

const org = newOrg();
const value = fc.oneof(
  fc.constant(org.directoryId),
  fc.constant(org.orgId),
  fc.constant('-'),
  fc.constant('%E0%A4%A'),
  fc.string({ maxLength: 12 }),
);
const body = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc
    .record(
      {
        cursor: fc.oneof(fc.string(), fc.base64String()),
        limit: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.string()),
        emails: fc.oneof(fc.array(fc.oneof(fc.emailAddress(), fc.integer())), fc.string()),
        groupNames: fc.array(fc.string()),
        searchTerm: fc.string(),
        sortBy: fc.anything({ maxDepth: 2 }),
        expand: fc.array(fc.string()),
        permissionRules: fc.anything({ maxDepth: 2 }),
        additionalGroups: fc.anything({ maxDepth: 1 }),
        query: fc.anything({ maxDepth: 3 }),
        name: fc.anything({ maxDepth: 1 }),
        accountId: fc.anything({ maxDepth: 1 }),
        resourceId: fc.oneof(fc.constant(org.workspaces[0].id), fc.string()),
        roleId: fc.oneof(fc.constant('atlassian/user'), fc.string()),
        role: fc.oneof(fc.constant('atlassian/org-admin'), fc.string()),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
);
const query = fc.array(
  fc.tuple(fc.constantFrom('limit', 'cursor', 'sortBy', 'status', 'searchTerm', 'x'), fc.string()),
  {
    maxLength: 3,
  },
);

it('never answers 500 to any request on any route', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...ROUTES), value, body, query, async (route, segment, text, params) => {
      const path = route.template
        .replace('{orgId}', org.orgId)
        .replace('{directoryId}', org.directoryId)
        .replace(/\{\w+\}/g, encodeURIComponent(segment));
      const search = new URLSearchParams(params).toString();
      const answer = await org.handle({
        method: route.method,
        path: `/admin${path}${search ? `?${search}` : ''}`,
        headers: { authorization: `Bearer ${org.apiKey}`, 'content-type': 'application/json' },
        body: text,
      });
      expect(answer.status).not.toBe(500);
      expect(answer.status).toBeLessThan(500);
    }),
    { numRuns: 1500, seed: 20261202 },
  );
});
