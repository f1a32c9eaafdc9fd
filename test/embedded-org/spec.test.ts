/**
 * Every path the embedded organization serves is in the contract, and every operation of the
 * contract is served: ../shared/specs/admin-organization-v2.derived.json (22 operations), plus
 * GET /v1/orgs from the 2022 v1 spec. The specs live beside the repository, not in it: without
 * them the test is skipped and says why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROUTES } from '../../src/local/embedded-org';

// TEST_SPECS_DIR points elsewhere (e.g. nowhere, to see the skip).
const SPECS = process.env.TEST_SPECS_DIR ?? path.resolve(__dirname, '../../../shared/specs');
const V2 = path.join(SPECS, 'admin-organization-v2.derived.json');
const V1 = path.join(SPECS, 'admin-organization-v1.2022-08-29.json');
const present = fs.existsSync(V2) && fs.existsSync(V1);
if (!present) {
  console.warn(
    `Skipped: the Organizations API specs are not at ${SPECS} (they are kept beside the repository).`,
  );
}
const maybe = present ? describe : describe.skip;

interface Spec {
  servers?: { url: string }[];
  paths: Record<string, Record<string, { operationId?: string }>>;
}
const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function operations(spec: Spec, prefix = ''): { method: string; path: string; operationId?: string }[] {
  return Object.entries(spec.paths).flatMap(([p, item]) =>
    Object.entries(item)
      .filter(([m]) => HTTP_METHODS.includes(m))
      .map(([m, op]) => ({ method: m.toUpperCase(), path: `${prefix}${p}`, operationId: op.operationId })),
  );
}

maybe('the served operations and the specs', () => {
  // describe.skip still runs this body to collect the tests: read nothing when absent.
  const read = (file: string): Spec =>
    present ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Spec) : { paths: {} };
  const v2 = read(V2);
  const v1 = read(V1);

  it('serves under the gateway path of the spec (https://api.atlassian.com/admin)', () => {
    expect(v2.servers?.[0].url).toBe('https://api.atlassian.com/admin');
  });

  it('serves every operation of the derived v2 spec, by path, method and operation ID', () => {
    const wanted = operations(v2);
    expect(wanted).toHaveLength(22);
    const served = ROUTES.map((r) => `${r.method} ${r.template} ${r.operationId}`);
    for (const op of wanted) expect(served).toContain(`${op.method} ${op.path} ${op.operationId}`);
  });

  it('serves nothing outside the specs (GET /v1/orgs is in the v1 spec, whose server ends in /v1)', () => {
    expect(v1.servers?.[0].url).toBe('https://api.atlassian.com/admin/v1');
    const known = [...operations(v2), ...operations(v1, '/v1')].map((op) => `${op.method} ${op.path}`);
    for (const route of ROUTES) expect(known).toContain(`${route.method} ${route.template}`);
    expect(ROUTES).toHaveLength(23);
  });
});
