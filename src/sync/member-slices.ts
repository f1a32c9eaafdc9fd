/**
 * A large group's member adds, handed out in slices that run in other partitions.
 *
 * A group's member walk belongs to the group's partition (src/sync/partitions.ts), and each
 * partition's runs send at most Forge's egress allowance a minute (100 requests per
 * invocation-minute). A first sync of a 1,000-member group would then take ten minutes in one
 * partition while the others idle, and the way a hundred groups hash decides which partition
 * carries the most: that partition, not Atlassian's rate limit, set how long onboarding took.
 *
 * So a member walk that finds many members without a membership link (a new group, a large
 * PATCH) does not add them itself. It cuts the group's memberships, in slot order, into
 * slices of SLICE_SIZE (at most MAX_SLICES: a larger group gets larger slices), and queues a
 * `members` job per slice (`<group id>:<k>`, hashed to a partition of its own). Each slice adds
 * the members of its slot range exactly as the group's walk would (the membership intent, the
 * privilege check before the first add, the `isMember` read where its answer decides).
 *
 * Who touches what, so that no two invocations reconcile the same membership at once:
 * - the group's own job records `sliced` on its link before queuing the slices, and while any
 *   of them is queued it does not walk (it runs again SLICE_WAIT_MS later, NotYet, or as soon
 *   as the last slice is done, which brings it forward): a rename, a
 *   deletion, the removal pass and a later add walk all come after the slices, and see what
 *   they did. A crash between the link and the slices leaves `sliced` with nothing queued: the
 *   next walk finds none outstanding and slices again.
 * - a slice writes only the membership links of its own range; slices of one group have
 *   disjoint ranges.
 * - a user's own job touches the user's memberships only as part of its lifecycle and then
 *   marks the user's groups (as it does beside the group's walk); the group's job runs once the
 *   slices are done.
 *
 * Slicing costs a few storage calls per slice (its job, the group's link, a range query) and,
 * per slice, one read of the group's roles before its first add; it is worth it only when the
 * adds outnumber what one partition sends in a fraction of a minute (SLICE_WHEN_MISSING).
 */
import type { StoredResource } from '../directory/collection';
import type { Directory } from '../directory/directory';
import type { WriteOperation } from '../storage/port';
import type { GroupLink, Links } from './links';
import type { SyncQueue } from './queue';

/** Members per slice: a quarter of a partition's minute of egress. */
export const SLICE_SIZE = 25;
/** Slices per walk at most (four per partition); a larger group gets larger slices. */
export const MAX_SLICES = 64;
/** Members to add before a walk slices (fewer are added by the group's own walk). */
export const SLICE_WHEN_MISSING = 2 * SLICE_SIZE;
/** How long a group's job waits for its slices before looking again. */
export const SLICE_WAIT_MS = 15_000;

/** The `members` job id of a group's k-th slice. */
export function sliceId(groupId: string, k: number): string {
  return `${groupId}:${k}`;
}

/** The group a `members` job id belongs to. */
export function sliceGroup(id: string): string {
  return id.slice(0, id.lastIndexOf(':'));
}

/** A slice: the memberships after `after` (the first when absent) up to `until`, in slot order. */
export interface MemberSlice {
  after?: string;
  until: string;
}

export class MemberSlices {
  constructor(
    private readonly directory: Directory,
    private readonly links: Links,
    private readonly queue: SyncQueue,
  ) {}

  /**
   * Whether any slice the group's last sliced walk queued is still queued, but for `except`
   * (a slice about to be deleted, asking whether it is the last).
   */
  async outstanding(groupId: string, count: number, except?: string): Promise<boolean> {
    const ids = Array.from({ length: count }, (_, k) => sliceId(groupId, k)).filter((id) => id !== except);
    const jobs = await Promise.all(ids.map((id) => this.queue.get('members', id)));
    return jobs.some((job) => job !== undefined);
  }

  /**
   * A slice is done: when no other slice of the group is queued, the group's job (waiting for
   * them, SLICE_WAIT_MS at a time) is made due now rather than at the end of its wait. Its own
   * job is deleted right after this, so `self` does not count.
   */
  async sliceDone(groupId: string, self: string, count: number): Promise<void> {
    if (!(await this.outstanding(groupId, count, self))) await this.queue.bringForward('group', groupId);
  }

  /**
   * The slices of the group's memberships when enough of them have no membership link to be
   * worth handing out; undefined when the group's own walk should add them. Reads the group's
   * memberships and links a page (100) at a time, stopping the links once slicing is ruled out.
   */
  async plan(desired: StoredResource): Promise<MemberSlice[] | undefined> {
    const slots: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.directory.memberships.ofGroup(desired, cursor);
      for (const { value } of page.results) slots.push(value.slot);
      cursor = page.nextCursor;
    } while (cursor);
    if (slots.length < SLICE_WHEN_MISSING) return undefined;
    let linked = 0;
    cursor = undefined;
    do {
      const page = await this.links.members('group', desired.id, cursor);
      linked += page.results.length;
      if (slots.length - linked < SLICE_WHEN_MISSING) return undefined;
      cursor = page.nextCursor;
    } while (cursor);
    // In the index's order (by-slot), the order the slices' range queries read in.
    const size = Math.max(SLICE_SIZE, Math.ceil(slots.length / MAX_SLICES));
    const slices: MemberSlice[] = [];
    for (let start = 0; start < slots.length; start += size) {
      const until = slots[Math.min(start + size, slots.length) - 1];
      slices.push(start === 0 ? { until } : { after: slots[start - 1], until });
    }
    return slices;
  }

  /**
   * Queues the slices, `sliced` on the group's link first: the group's job waits for them
   * from then on. `force`: a full check (every membership read), as the group's walk was.
   */
  async queueSlices(
    groupId: string,
    link: GroupLink,
    slices: MemberSlice[],
    force: boolean,
  ): Promise<GroupLink> {
    const next = { ...link, sliced: slices.length };
    await this.links.write(this.links.groupOperation(groupId, next));
    const marks: WriteOperation[] = slices.map((slice, k) =>
      this.queue.markOperation('members', sliceId(groupId, k), undefined, {
        ...(slice.after === undefined ? {} : { after: slice.after }),
        until: slice.until,
        ...(force ? { force } : {}),
      }),
    );
    // In transactions of Forge's size (Links.write); the link went first, alone.
    await this.links.write(...marks);
    // Their partitions start now, not when the run that queued them ends.
    await this.queue.wake(slices.map((_, k) => ({ kind: 'members', doc: { id: sliceId(groupId, k) } })));
    return next;
  }
}
