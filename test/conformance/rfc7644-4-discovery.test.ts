/**
 * RFC 7644 §4: service provider configuration endpoints, with the representations of
 * RFC 7643 §5 (ServiceProviderConfig), §6 (ResourceType) and §7 (Schema).
 */
import { BASE_URL, createTestApp, filter } from '../support/harness';
import { ENTERPRISE, expectScimError, GROUP_SCHEMA, Json, LIST_RESPONSE, USER_SCHEMA } from './scim';

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

describe('RFC 7644 §4 / RFC 7643 §5: /ServiceProviderConfig', () => {
  it('states what the server supports', async () => {
    const t = createTestApp();
    const response = await t.request('GET', '/ServiceProviderConfig');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      schemas: [SPC_SCHEMA],
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 100 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: true },
    });
  });

  // RFC 7643 §5: bulk has maxOperations and maxPayloadSize, both REQUIRED.
  it('gives bulk maxOperations and maxPayloadSize as integers', async () => {
    const t = createTestApp();
    const { bulk } = (await t.request('GET', '/ServiceProviderConfig')).body;
    expect(Number.isInteger(bulk.maxOperations)).toBe(true);
    expect(Number.isInteger(bulk.maxPayloadSize)).toBe(true);
  });

  // RFC 7643 §5: authenticationSchemes: type, name, description REQUIRED; "oauthbearertoken".
  it('lists an oauthbearertoken authentication scheme with name and description', async () => {
    const t = createTestApp();
    const { authenticationSchemes } = (await t.request('GET', '/ServiceProviderConfig')).body;
    expect(authenticationSchemes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'oauthbearertoken',
          name: expect.any(String),
          description: expect.any(String),
        }),
      ]),
    );
  });

  it('carries meta.resourceType and meta.location', async () => {
    const t = createTestApp();
    const { meta } = (await t.request('GET', '/ServiceProviderConfig')).body;
    expect(meta).toMatchObject({
      resourceType: 'ServiceProviderConfig',
      location: `${BASE_URL}/ServiceProviderConfig`,
    });
  });

  it('is also served at /serviceConfiguration (Microsoft’s test collection)', async () => {
    const t = createTestApp();
    const alias = await t.request('GET', '/serviceConfiguration');
    const canonical = await t.request('GET', '/ServiceProviderConfig');
    expect(alias.status).toBe(200);
    expect(alias.body).toEqual(canonical.body);
  });

  // RFC 7644 §3.1 / §3.10: endpoint names are matched case-insensitively by this server.
  it('answers at /serviceproviderconfig too', async () => {
    const t = createTestApp();
    expect((await t.request('GET', '/serviceproviderconfig')).status).toBe(200);
  });

  it('answers the same whether or not resources exist and before any is created', async () => {
    const t = createTestApp();
    const before = await t.request('GET', '/ServiceProviderConfig');
    await t.request('POST', '/Users', { body: { userName: 'x' } });
    expect((await t.request('GET', '/ServiceProviderConfig')).body).toEqual(before.body);
  });
});

describe('RFC 7644 §4 / RFC 7643 §6: /ResourceTypes', () => {
  it('lists User and Group in a ListResponse', async () => {
    const t = createTestApp();
    const response = await t.request('GET', '/ResourceTypes');
    expect(response.status).toBe(200);
    expect(response.body.schemas).toEqual([LIST_RESPONSE]);
    expect(response.body.totalResults).toBe(2);
    const names = (response.body.Resources as Json[]).map((r) => r.name).sort();
    expect(names).toEqual(['Group', 'User']);
  });

  it('describes User with its endpoint, schema and the enterprise extension', async () => {
    const t = createTestApp();
    const response = await t.request('GET', '/ResourceTypes/User');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE, required: false }],
      meta: { resourceType: 'ResourceType', location: `${BASE_URL}/ResourceTypes/User` },
    });
  });

  it('describes Group with its endpoint and schema', async () => {
    const t = createTestApp();
    const response = await t.request('GET', '/ResourceTypes/Group');
    expect(response.body).toMatchObject({
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      schema: GROUP_SCHEMA,
    });
  });

  it('answers 404 for an unknown resource type', async () => {
    const t = createTestApp();
    expectScimError(await t.request('GET', '/ResourceTypes/Printer'), 404);
  });
});

describe('RFC 7644 §4 / RFC 7643 §7: /Schemas', () => {
  it('lists the User, enterprise User and Group schemas in a ListResponse', async () => {
    const t = createTestApp();
    const response = await t.request('GET', '/Schemas');
    expect(response.status).toBe(200);
    expect(response.body.schemas).toEqual([LIST_RESPONSE]);
    const served = (response.body.Resources as Json[]).map((s) => s.id).sort();
    expect(served).toEqual([ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA].sort());
    expect(response.body.totalResults).toBe(3);
  });

  // RFC 7643 §8.7.1 gives the User schema the description "User Account".
  it('serves /Schemas/{urn} for the User schema', async () => {
    const t = createTestApp();
    const response = await t.request('GET', `/Schemas/${USER_SCHEMA}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      schemas: [SCHEMA_SCHEMA],
      id: USER_SCHEMA,
      name: 'User',
      description: 'User Account',
      meta: { resourceType: 'Schema', location: `${BASE_URL}/Schemas/${USER_SCHEMA}` },
    });
  });

  it('serves /Schemas/{urn} for the enterprise extension and the Group schema', async () => {
    const t = createTestApp();
    expect((await t.request('GET', `/Schemas/${ENTERPRISE}`)).body.id).toBe(ENTERPRISE);
    expect((await t.request('GET', `/Schemas/${GROUP_SCHEMA}`)).body.id).toBe(GROUP_SCHEMA);
  });

  it('answers 404 for an unknown schema', async () => {
    const t = createTestApp();
    expectScimError(await t.request('GET', '/Schemas/urn:example:nothing'), 404);
  });

  // RFC 7643 §7: every attribute definition carries name, type, multiValued, description,
  // required, caseExact, mutability, returned and uniqueness; complex ones subAttributes;
  // reference ones referenceTypes.
  it('gives every attribute and sub-attribute its full set of characteristics', async () => {
    const t = createTestApp();
    const response = await t.request('GET', '/Schemas');
    const problems: string[] = [];
    const check = (attribute: Json, where: string) => {
      const name = `${where}${String(attribute.name)}`;
      if (typeof attribute.name !== 'string') problems.push(`${name}: name`);
      const types = ['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'complex', 'binary'];
      if (!types.includes(attribute.type as string)) problems.push(`${name}: type`);
      for (const flag of ['multiValued', 'required', 'caseExact']) {
        if (typeof attribute[flag] !== 'boolean') problems.push(`${name}: ${flag}`);
      }
      if (typeof attribute.description !== 'string') problems.push(`${name}: description`);
      if (!['readOnly', 'readWrite', 'immutable', 'writeOnly'].includes(attribute.mutability as string)) {
        problems.push(`${name}: mutability`);
      }
      if (!['always', 'never', 'default', 'request'].includes(attribute.returned as string)) {
        problems.push(`${name}: returned`);
      }
      if (!['none', 'server', 'global'].includes(attribute.uniqueness as string)) {
        problems.push(`${name}: uniqueness`);
      }
      if (attribute.type === 'complex') {
        if (!Array.isArray(attribute.subAttributes) || attribute.subAttributes.length === 0) {
          problems.push(`${name}: subAttributes`);
        } else {
          for (const sub of attribute.subAttributes as Json[]) check(sub, `${name}.`);
        }
      }
      if (attribute.type === 'reference' && !Array.isArray(attribute.referenceTypes)) {
        problems.push(`${name}: referenceTypes`);
      }
    };
    for (const schema of response.body.Resources as Json[]) {
      for (const attribute of schema.attributes as Json[]) check(attribute, `${String(schema.name)}:`);
    }
    expect(problems).toEqual([]);
  });

  it('describes userName as required, not caseExact and unique within the server', async () => {
    const t = createTestApp();
    const schema = (await t.request('GET', `/Schemas/${USER_SCHEMA}`)).body;
    const userName = (schema.attributes as Json[]).find((a) => a.name === 'userName');
    expect(userName).toMatchObject({
      type: 'string',
      multiValued: false,
      required: true,
      caseExact: false,
      mutability: 'readWrite',
      returned: 'default',
      uniqueness: 'server',
    });
  });

  it('uses camelCase characteristic names and no null values (Entra reads them literally)', async () => {
    const t = createTestApp();
    const text = (await t.request('GET', '/Schemas')).text as string;
    expect(text).not.toContain('null');
    expect(text).not.toMatch(/"(MultiValued|CaseExact|SubAttributes|multivalued)"/);
  });
});

describe('RFC 7644 §4: discovery endpoints refuse filters', () => {
  // "If a "filter" is provided, the service provider SHOULD respond with HTTP status code 403
  // (Forbidden) to ensure that clients cannot incorrectly assume that any matching conditions
  // specified in a filter are true."
  it.each(['/ServiceProviderConfig', '/ResourceTypes', '/Schemas', '/ResourceTypes/User'])(
    'answers 403 to GET %s with a filter',
    async (path) => {
      const t = createTestApp();
      expectScimError(await t.request('GET', `${path}?${filter('name eq "User"')}`), 403);
    },
  );

  it('ignores paging parameters on discovery endpoints', async () => {
    const t = createTestApp();
    const response = await t.request('GET', '/Schemas?startIndex=2&count=1');
    expect(response.status).toBe(200);
    expect(response.body.totalResults).toBe(3);
  });

  // RFC 7644 §4 leaves this open; this server authenticates discovery like everything else.
  it('requires the bearer token for discovery as well', async () => {
    const t = createTestApp();
    expectScimError(await t.request('GET', '/ServiceProviderConfig', { token: null }), 401);
  });
});
