/**
 * The custom entities of provisioning into Atlassian. They are declared in manifest.yml with
 * the directory's (src/entities.ts puts both lists together, for the manifest test and the
 * local store).
 *
 * - sync-job: one "reconcile this resource" mark per resource, written in the same
 *   transaction as the directory change; repeated changes overwrite it, so they coalesce.
 * - sync-link: what the app knows it did in Atlassian: SCIM user → accountId, SCIM group →
 *   Atlassian group (and whether the app created it), memberships the app added.
 * - sync-log: SCIM requests and Atlassian operations, queryable by time, resource and status.
 *
 * `at` is epoch milliseconds: a `float`, since Forge's `integer` is 32-bit signed.
 */
import type { EntityDefinition } from '../storage/port';

export const SYNC_JOB = 'sync-job';
export const SYNC_LINK = 'sync-link';
export const SYNC_LOG = 'sync-log';

export const SYNC_ENTITIES: EntityDefinition[] = [
  {
    name: SYNC_JOB,
    // `n` is a nonce rewritten by every mark: a job is deleted after its run only if it still
    // holds the nonce the run started from, so a change made during the run is not lost.
    attributes: { kind: 'string', at: 'float', n: 'string', doc: 'any' },
    indexes: [{ name: 'by-at', range: ['at'] }],
  },
  {
    name: SYNC_LINK,
    // `n`: the version of a shared counter (the seats), rewritten by each write: consumer
    // runs going on at once write it only if it is still the version they read.
    attributes: { kind: 'string', user: 'string', group: 'string', n: 'string', doc: 'any' },
    indexes: [
      // A deleted user's memberships, a deleted group's memberships.
      { name: 'by-user', range: ['user'] },
      { name: 'by-group', range: ['group'] },
    ],
  },
  {
    name: SYNC_LOG,
    attributes: { at: 'float', resource: 'string', status: 'string', doc: 'any' },
    indexes: [
      { name: 'by-at', range: ['at'] },
      { name: 'by-resource', range: ['at'], partition: ['resource'] },
      { name: 'by-status', range: ['at'], partition: ['status'] },
    ],
  },
];
