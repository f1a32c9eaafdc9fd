/**
 * The custom entities the directory stores. The app's whole list (these and the sync's) is put
 * together in src/entities.ts, which manifest.yml declares exactly (a test compares them) and
 * the local store validates every write against, as Forge does.
 *
 * Forge's value rules (storage-reference/entities-manifest, "Values"): `integer` is 32-bit
 * signed, so times (epoch milliseconds, `at`) are `float`; a `string` must hold a
 * non-whitespace character, so a blank value is left out rather than written.
 */
import type { EntityDefinition } from '../storage/port';

export const USER = 'scim-user';
export const USER_EMAIL = 'scim-user-email';
export const GROUP = 'scim-group';
export const MEMBER = 'scim-member';
export const CLAIM = 'scim-claim';
export const COUNTER = 'scim-counter';
export const JOB = 'scim-job';

const resourceAttributes = {
  v: 'integer',
  seq: 'integer',
  externalId: 'string',
  displayName: 'string',
  created: 'string',
  modified: 'string',
  doc: 'any',
} as const;

export const DIRECTORY_ENTITIES: EntityDefinition[] = [
  {
    name: USER,
    attributes: { ...resourceAttributes, userName: 'string' },
    indexes: [
      { name: 'by-seq', range: ['seq'] },
      { name: 'by-user-name', range: ['userName'] },
      { name: 'by-external-id', range: ['externalId'] },
      { name: 'by-display-name', range: ['displayName'] },
    ],
  },
  {
    name: USER_EMAIL,
    attributes: { email: 'string', user: 'string' },
    indexes: [{ name: 'by-email', range: ['email'] }],
  },
  {
    name: GROUP,
    attributes: { ...resourceAttributes },
    indexes: [
      { name: 'by-seq', range: ['seq'] },
      { name: 'by-display-name', range: ['displayName'] },
      { name: 'by-external-id', range: ['externalId'] },
    ],
  },
  {
    name: MEMBER,
    attributes: { group: 'string', user: 'string', slot: 'string', display: 'string' },
    indexes: [
      { name: 'by-slot', range: ['slot'] },
      { name: 'by-user', range: ['user'] },
    ],
  },
  {
    name: CLAIM,
    attributes: { owner: 'string', value: 'string', at: 'float' },
    indexes: [],
  },
  {
    name: COUNTER,
    attributes: { v: 'integer', collection: 'string', doc: 'any' },
    // The order stripes of a collection are read together, in one query (stripes.ts).
    indexes: [{ name: 'by-collection', range: ['collection'] }],
  },
  {
    name: JOB,
    attributes: { kind: 'string', at: 'float', doc: 'any' },
    indexes: [{ name: 'by-at', range: ['at'] }],
  },
];
