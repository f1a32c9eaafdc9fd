/**
 * How the sync's work is split between consumer invocations running at once, so that no two
 * of them reconcile the same resource.
 *
 * Every sync job belongs to one of SYNC_PARTITIONS partitions, by a hash of its resource (kind
 * and SCIM id), and each partition is run by at most one invocation at a time (a queue event
 * per partition with its own concurrency key of limit 1, src/forge/index.ts). So:
 *
 * - a user's account is written only by its user job, a group (its creation, name and member
 *   walk) only by its group job: the "one invite per account, one creation per group" intent
 *   records hold as before, since no other invocation runs that job meanwhile;
 * - a membership belongs to its group's partition: the group's member walk adds and removes
 *   members and writes their links; except that a walk with many members to add hands the
 *   adds out in slices (`members` jobs, each placed by its own id) and the group's job waits
 *   until they are done (src/sync/member-slices.ts), so that one partition's egress does not
 *   bound a large group, nor the way groups hash the whole sync. A user job touches its own
 *   account's memberships only as part of that account's lifecycle (the invite naming its
 *   groups, product access on deactivation, removal on deletion, the new-user grants); those
 *   calls answer alike when repeated (an add of a member already there, a removal of one
 *   gone), and the user job then marks the user's groups, so the group's partition checks the
 *   membership after it;
 * - what several partitions share is written conditionally: the account → user claim is
 *   created only if absent (src/sync/links.ts), and the seat counters and the full
 *   reconcile's progress carry a version a write must match (Links.versionedState);
 * - the walks of a full reconcile only mark jobs, and run in partition 0.
 *
 * 16 partitions: Forge lets each invocation send 100 requests a minute
 * (FORGE_EGRESS_PER_INVOCATION_MINUTE), so 16 at once can send 1,600 a minute, more than an
 * organization's rate limit is likely to allow (20 requests/s is 1,200 a minute); the
 * installation's rate-limit pacer, not the partition count, then bounds the pace. Waking all
 * of them is one push of 16 events, within a push's 50 and Forge's 500 a minute.
 */
import type { SyncJob } from './queue';

export const SYNC_PARTITIONS = 16;

export interface Partition {
  index: number;
  count: number;
}

/** FNV-1a (32 bits) of the job's resource: stable across versions and processes. */
export function partitionOf(job: Pick<SyncJob, 'kind' | 'doc'>, count = SYNC_PARTITIONS): number {
  const kind = job.kind.replace(/^preview-/, '');
  if (kind === 'all' || count <= 1) return 0;
  let hash = 0x811c9dc5;
  const text = `${kind}:${job.doc.id}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

/** Every partition, as a list of their indexes. */
export function allPartitions(count = SYNC_PARTITIONS): number[] {
  return Array.from({ length: count }, (_, i) => i);
}
