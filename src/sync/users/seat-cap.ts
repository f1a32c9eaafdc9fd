/**
 * The seat cap, on the user's side: a seat is taken before the call that makes an account
 * active, held while the app keeps the account active, and given back when it stops; users
 * past the cap wait (FIFO). Every link the user worker writes goes through here, so the seat
 * counters (src/sync/seats.ts) change in the same transaction as the link that holds the seat.
 */
import type { WriteOperation } from '../../storage/port';
import { optimistically } from '../../directory/retry';
import { UserLink } from '../links';
import type { ReconcilerDeps } from '../reconciler';
import { readSeatsForUpdate, releaseWaiting, SEAT_UPDATE_ATTEMPTS, SEATS, SeatState } from '../seats';
import type { UserTurn } from './turn';

export class SeatCap {
  /** Users that took a seat in this run and whose link is not saved yet. */
  private readonly seatsTaken = new Set<string>();

  constructor(private readonly deps: ReconcilerDeps) {}

  /**
   * Takes a seat before the call that makes the account active (invite, restore), with the
   * counter in the same transaction: a call that succeeds and a run that then fails cannot
   * let the next user past the cap, and a retry does not count it again. False when the cap
   * is reached. Counted without a cap too, so a cap set later starts from the truth.
   */
  async takeSeat({ id, link }: UserTurn): Promise<boolean> {
    if (link?.seat || this.seatsTaken.has(id)) return true;
    const limit = this.deps.policies.seatCap.limit;
    const next: UserLink = { ...link, seat: true };
    delete next.waiting;
    const taken = await this.updateSeats((seats) => {
      if (limit !== undefined && seats.used >= limit) return undefined;
      return {
        seats: { used: seats.used + 1, waiting: Math.max(0, seats.waiting - (link?.waiting ? 1 : 0)) },
        with: [
          this.deps.links.userOperation(id, next),
          ...(link?.waiting ? [this.deps.links.unwaitOperation(id)] : []),
        ],
      };
    });
    if (!taken) return false;
    this.seatsTaken.add(id);
    return true;
  }

  /** The cap is reached: the user waits (not invited), and the log says so once. */
  async wait(turn: UserTurn): Promise<void> {
    const { link, next, calls } = turn;
    if (!link?.waiting) {
      const limit = this.deps.policies.seatCap.limit;
      await calls.entry({
        operation: 'seat',
        status: 'blocked',
        why: 'user provisioned',
        result: `pending: the seat cap of ${limit} users is reached; provisioned when a seat frees or the cap rises`,
        errorKind: 'seat-cap',
      });
    }
    // The account is not linked while the user waits: its reconcile on release is a new link.
    const waiting: UserLink = { ...next, waiting: true };
    if (link?.accountId) waiting.accountId = link.accountId;
    else delete waiting.accountId;
    await this.save(turn, waiting);
  }

  /** The link as stored now: the one read at the start, plus a seat taken since. */
  stored({ id, link }: UserTurn): UserLink | undefined {
    if (!this.seatsTaken.has(id)) return link;
    const stored: UserLink = { ...link, seat: true };
    delete stored.waiting;
    return stored;
  }

  /**
   * Records what the app is about to do on the stored link (not the new one), so a crash
   * between the calls that follow finds the intent, and the rest of the reconcile runs again.
   */
  async intent(turn: UserTurn, patch: Partial<UserLink>): Promise<void> {
    await this.deps.links.write(this.deps.links.userOperation(turn.id, { ...this.stored(turn), ...patch }));
  }

  /**
   * Writes the user's link, and in the same transaction the seat counters it changes: a seat
   * is held while the account is active in Atlassian through the app, so a crash between
   * the link and the counter cannot count a user twice or lose one. A freed seat releases
   * the users waiting longest. `forget`: the link is deleted instead.
   */
  async save(turn: UserTurn, next: UserLink, forget = false): Promise<void> {
    const id = turn.id;
    const link = this.stored(turn);
    this.seatsTaken.delete(id);
    const holds =
      !forget &&
      next.accountId !== undefined &&
      (next.applied === 'active' || (next.applied === 'suspended' && next.deactivation === 'none'));
    const operations: WriteOperation[] = [];
    let used = 0;
    let waiting = 0;
    if (holds && !link?.seat) used = 1;
    if (!holds && link?.seat) used = -1;
    if (holds) next.seat = true;
    else delete next.seat;
    if (next.waiting && !forget && !link?.waiting) {
      waiting = 1;
      operations.push(this.deps.links.waitOperation(id, this.deps.now()));
    }
    if ((!next.waiting || forget) && link?.waiting) {
      waiting = -1;
      operations.push(this.deps.links.unwaitOperation(id));
    }
    if (!next.waiting) delete next.waiting;
    operations.unshift(
      forget ? this.deps.links.deleteOperation('user', id) : this.deps.links.userOperation(id, next),
    );
    // One transaction (at most 25 operations): the link and its counters together.
    if (used !== 0 || waiting !== 0) {
      await this.updateSeats((seats) => ({
        seats: { used: Math.max(0, seats.used + used), waiting: Math.max(0, seats.waiting + waiting) },
        with: operations,
      }));
    } else {
      await this.deps.links.write(...operations);
    }
    if (used < 0) await this.releaseWaiting();
  }

  /** Marks the users waiting longest, as many as there are free seats (all without a cap). */
  async releaseWaiting(): Promise<void> {
    await releaseWaiting(this.deps.links, this.deps.queue, this.deps.policies.seatCap.limit);
  }

  /**
   * Writes the seat counters as `change` computes them from the counters read, with the
   * operations it names, in one transaction that holds only if no other consumer run wrote
   * the counters meanwhile (else it reads them again). `change` answers undefined to write
   * nothing; the answer is whether it wrote.
   */
  private async updateSeats(
    change: (seats: SeatState) => { seats: SeatState; with: WriteOperation[] } | undefined,
  ): Promise<boolean> {
    return optimistically(async () => {
      const { doc, version } = await readSeatsForUpdate(this.deps.links);
      const update = change(doc);
      if (!update) return false;
      await this.deps.links.write(
        ...update.with,
        this.deps.links.stateOperation<SeatState>(SEATS, update.seats, version),
      );
      return true;
    }, SEAT_UPDATE_ATTEMPTS);
  }
}
