/**
 * Composition: every custom entity the app stores, the directory's and the sync's. manifest.yml
 * declares exactly these (test/forge/manifest.test.ts compares them), and the local store
 * validates every write against them, as Forge does. The list lives here, beside src/app.ts,
 * so that neither layer has to know of the other's records.
 */
import { DIRECTORY_ENTITIES } from './directory/entities';
import type { EntityDefinition } from './storage/port';
import { SYNC_ENTITIES } from './sync/entities';

export const ENTITIES: EntityDefinition[] = [
  // SCIM state: users, groups, memberships, claims, order stripes, background jobs.
  ...DIRECTORY_ENTITIES,
  // Provisioning into Atlassian: marks, links and the sync log.
  ...SYNC_ENTITIES,
];
