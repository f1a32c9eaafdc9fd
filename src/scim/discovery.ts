/**
 * Discovery endpoints (RFC 7644 §4): what this service provider supports, stated truthfully.
 */
import { ScimError } from './errors';
import {
  allSchemas,
  groupResourceType,
  ResourceTypeDefinition,
  userResourceType,
} from './schema/definitions';
import { ScimObject } from './schema/normalize';
import { listResponse } from './resources/listing';

export function serviceProviderConfig(baseUrl: string, maxResults: number): ScimObject {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'The bearer token shown on the app admin page, sent as "Authorization: Bearer <token>".',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        primary: true,
      },
    ],
    meta: {
      resourceType: 'ServiceProviderConfig',
      location: `${baseUrl}/ServiceProviderConfig`,
    },
  };
}

const resourceTypes = [userResourceType, groupResourceType];

function renderResourceType(type: ResourceTypeDefinition, baseUrl: string): ScimObject {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: type.id,
    name: type.name,
    endpoint: type.endpoint,
    description: type.description,
    schema: type.schema.id,
    schemaExtensions: type.extensions.map((e) => ({ schema: e.id, required: false })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${type.id}` },
  };
}

export function resourceTypesResponse(baseUrl: string, id?: string): ScimObject {
  if (id === undefined) {
    const all = resourceTypes.map((t) => renderResourceType(t, baseUrl));
    return listResponse(all, all.length, 1);
  }
  const type = resourceTypes.find((t) => t.id.toLowerCase() === id.toLowerCase());
  if (!type) throw new ScimError(404, `Resource type ${id} not found.`);
  return renderResourceType(type, baseUrl);
}

function renderSchema(schema: (typeof allSchemas)[number], baseUrl: string): ScimObject {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes,
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${schema.id}` },
  };
}

export function schemasResponse(baseUrl: string, id?: string): ScimObject {
  if (id === undefined) {
    const all = allSchemas.map((s) => renderSchema(s, baseUrl));
    return listResponse(all, all.length, 1);
  }
  const schema = allSchemas.find((s) => s.id.toLowerCase() === id.toLowerCase());
  if (!schema) throw new ScimError(404, `Schema ${id} not found.`);
  return renderSchema(schema, baseUrl);
}
