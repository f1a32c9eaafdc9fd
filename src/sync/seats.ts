/**
 * The seat cap's shared state: how many users the app holds active in Atlassian, and how many
 * wait for a seat (each waiting user also has a seat-wait record, oldest first). The user
 * half of the worker keeps the counters in the transaction of each user's link; a freed seat,
 * or an admin raising the cap, releases the users waiting longest.
 */
import type { Links, Versioned } from './links';
import type { SyncQueue } from './queue';

export interface SeatState {
  /** Users holding a seat (active in Atlassian through the app). */
  used: number;
  /** Users waiting for a seat (each has a seat-wait record). */
  waiting: number;
}

export const SEATS = 'seats';

export async function readSeats(links: Links): Promise<SeatState> {
  return (await links.state<SeatState>(SEATS)) ?? { used: 0, waiting: 0 };
}

/** The counters with their version, for an update written only if no other run wrote first. */
export function readSeatsForUpdate(links: Links): Promise<Versioned<SeatState>> {
  return links.versionedState<SeatState>(SEATS, { used: 0, waiting: 0 });
}

/**
 * Consumer runs of other partitions update the counters at once (src/sync/partitions.ts):
 * an update that finds them changed since it read them reads again, this many times at most
 * (then the job is retried later, as for any storage failure).
 */
export const SEAT_UPDATE_ATTEMPTS = 20;

/**
 * Marks the users waiting longest for reconcile, as many as there are free seats under
 * `limit` (all of them without a cap), and answers how many it marked.
 */
export async function releaseWaiting(
  links: Links,
  queue: SyncQueue,
  limit: number | undefined,
): Promise<number> {
  const seats = await readSeats(links);
  if (seats.waiting === 0) return 0;
  const free = limit === undefined ? seats.waiting : limit - seats.used;
  if (free <= 0) return 0;
  const ids = await links.waiting(free);
  if (ids.length > 0) await queue.mark('user', ids);
  return ids.length;
}
