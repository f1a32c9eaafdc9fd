/**
 * The schemas this service provider implements, in the RFC 7643 §7 format that /Schemas
 * serves. The same definitions drive input normalisation, filtering and attribute
 * projection, so what /Schemas advertises is exactly what the server does.
 */
export type AttributeType =
  'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export interface AttributeDefinition {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: Uniqueness;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDefinition[];
}

export interface SchemaDefinition {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDefinition[];
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

type Options = Partial<Omit<AttributeDefinition, 'name' | 'type' | 'description'>>;

function attr(
  name: string,
  type: AttributeType,
  description: string,
  options: Options = {},
): AttributeDefinition {
  return {
    name,
    type,
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
}

const str = (name: string, description: string, options: Options = {}) =>
  attr(name, 'string', description, options);

/** A multi-valued complex attribute with the RFC 7643 §2.4 default sub-attributes. */
function multiValued(
  name: string,
  description: string,
  types: string[] | undefined,
  valueDescription: string,
  extra: AttributeDefinition[] = [],
): AttributeDefinition {
  return attr(name, 'complex', description, {
    multiValued: true,
    subAttributes: [
      str('value', valueDescription),
      str('display', 'A human-readable name, primarily used for display purposes.'),
      str('type', `A label indicating the attribute's function.`, {
        ...(types ? { canonicalValues: types } : {}),
      }),
      attr('primary', 'boolean', `A Boolean value indicating the 'primary' or preferred value.`),
      ...extra,
    ],
  });
}

export const userSchema: SchemaDefinition = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    str('userName', 'Unique identifier for the User, typically used by the user to sign in.', {
      required: true,
      uniqueness: 'server',
    }),
    attr('name', 'complex', `The components of the user's real name.`, {
      subAttributes: [
        str('formatted', 'The full name, formatted for display.'),
        str('familyName', 'The family name of the User.'),
        str('givenName', 'The given name of the User.'),
        str('middleName', 'The middle name(s) of the User.'),
        str('honorificPrefix', 'The honorific prefix(es) of the User.'),
        str('honorificSuffix', 'The honorific suffix(es) of the User.'),
      ],
    }),
    str('displayName', 'The name of the User, suitable for display to end-users.'),
    str('nickName', 'The casual way to address the user in real life.'),
    attr('profileUrl', 'reference', `A fully qualified URL pointing to the User's profile.`, {
      referenceTypes: ['external'],
    }),
    str('title', `The user's title, such as "Vice President".`),
    str('userType', 'Used to identify the relationship between the organization and the user.'),
    str('preferredLanguage', `The User's preferred written or spoken language.`),
    str('locale', `The User's default location for localizing text and formats.`),
    str('timezone', `The User's time zone in the 'Olson' time zone database format.`),
    attr('active', 'boolean', `A Boolean value indicating the User's administrative status.`),
    str('password', `The User's cleartext password. Accepted and discarded: never stored.`, {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    multiValued(
      'emails',
      'Email addresses for the user.',
      ['work', 'home', 'other'],
      'Email address for the user.',
    ),
    multiValued(
      'phoneNumbers',
      'Phone numbers for the User.',
      ['work', 'home', 'mobile', 'fax', 'pager', 'other'],
      'Phone number of the User.',
    ),
    multiValued(
      'ims',
      'Instant messaging addresses for the User.',
      ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'],
      'Instant messaging address for the User.',
    ),
    multiValued('photos', 'URLs of photos of the User.', ['photo', 'thumbnail'], 'URL of a photo.'),
    attr('addresses', 'complex', 'A physical mailing address for this User.', {
      multiValued: true,
      subAttributes: [
        str('formatted', 'The full mailing address, formatted for display.'),
        str('streetAddress', 'The full street address component.'),
        str('locality', 'The city or locality component.'),
        str('region', 'The state or region component.'),
        str('postalCode', 'The zip code or postal code component.'),
        str('country', 'The country name component.'),
        str('type', `A label indicating the attribute's function.`, {
          canonicalValues: ['work', 'home', 'other'],
        }),
        attr('primary', 'boolean', `A Boolean value indicating the 'primary' address.`),
      ],
    }),
    attr('groups', 'complex', 'Groups the user belongs to. Computed; returned only on request.', {
      multiValued: true,
      mutability: 'readOnly',
      returned: 'request',
      subAttributes: [
        str('value', 'The identifier of the group.', { mutability: 'readOnly' }),
        attr('$ref', 'reference', 'The URI of the group.', {
          mutability: 'readOnly',
          referenceTypes: ['Group'],
        }),
        str('display', 'The displayName of the group.', { mutability: 'readOnly' }),
        str('type', 'direct', { mutability: 'readOnly', canonicalValues: ['direct'] }),
      ],
    }),
    multiValued('entitlements', 'A list of entitlements for the User.', undefined, 'Entitlement.'),
    multiValued('roles', 'A list of roles for the User.', undefined, 'Role.'),
    multiValued(
      'x509Certificates',
      'A list of certificates issued to the User.',
      undefined,
      'DER-encoded X.509 certificate.',
    ),
  ],
};

export const enterpriseUserSchema: SchemaDefinition = {
  id: ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    str('employeeNumber', 'Numeric or alphanumeric identifier assigned to a person.'),
    str('costCenter', 'Identifies the name of a cost center.'),
    str('organization', 'Identifies the name of an organization.'),
    str('division', 'Identifies the name of a division.'),
    str('department', 'Identifies the name of a department.'),
    attr('manager', 'complex', `The User's manager.`, {
      subAttributes: [
        str('value', 'The id of the SCIM resource representing the manager.'),
        attr('$ref', 'reference', 'The URI of the manager.', { referenceTypes: ['User'] }),
        str('displayName', 'The displayName of the manager.', { mutability: 'readOnly' }),
      ],
    }),
  ],
};

export const groupSchema: SchemaDefinition = {
  id: GROUP_SCHEMA,
  name: 'Group',
  description: 'Group',
  attributes: [
    str('displayName', 'A human-readable name for the Group. Unique, case-insensitively.', {
      required: true,
      uniqueness: 'server',
    }),
    attr('members', 'complex', 'A list of members of the Group.', {
      multiValued: true,
      subAttributes: [
        // No "$ref": members are identified by value alone, which keeps a 35,000-member group
        // within Forge's 5 MB response limit. A "$ref" sent by a client is ignored.
        str('value', 'Identifier of the member of this Group.', { mutability: 'immutable' }),
        str('display', 'A human-readable name for the member.', { mutability: 'immutable' }),
        str('type', 'The type of member. Only "User" is supported.', {
          mutability: 'immutable',
          canonicalValues: ['User'],
        }),
      ],
    }),
  ],
};

/**
 * Attributes common to every resource (RFC 7643 §3.1). They are not part of any schema's
 * attribute list, but filters and projections can name them.
 */
export const commonAttributes: AttributeDefinition[] = [
  str('id', 'Unique identifier assigned by the service provider.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  str('externalId', 'Identifier assigned by the provisioning client.', { caseExact: true }),
  attr('meta', 'complex', 'Resource metadata.', {
    mutability: 'readOnly',
    subAttributes: [
      str('resourceType', 'The resource type.', { caseExact: true, mutability: 'readOnly' }),
      attr('created', 'dateTime', 'When the resource was added.', { mutability: 'readOnly' }),
      attr('lastModified', 'dateTime', 'When the resource was last changed.', {
        mutability: 'readOnly',
      }),
      attr('location', 'reference', 'The URI of the resource.', { mutability: 'readOnly' }),
      str('version', 'The version (ETag) of the resource.', {
        caseExact: true,
        mutability: 'readOnly',
      }),
    ],
  }),
];

export interface ResourceTypeDefinition {
  id: 'User' | 'Group';
  name: string;
  endpoint: string;
  description: string;
  schema: SchemaDefinition;
  extensions: SchemaDefinition[];
}

export const userResourceType: ResourceTypeDefinition = {
  id: 'User',
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  schema: userSchema,
  extensions: [enterpriseUserSchema],
};

export const groupResourceType: ResourceTypeDefinition = {
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  schema: groupSchema,
  extensions: [],
};

export const allSchemas: SchemaDefinition[] = [userSchema, enterpriseUserSchema, groupSchema];
