import { ConditionFailedError } from '../storage/port';

export const MAX_OPTIMISTIC_ATTEMPTS = 30;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The jittered pause before round `round + 1` of a raced read-modify-write. */
export const backOff = (round: number): Promise<void> => sleep(Math.random() * Math.min(50, 2 ** round));

/**
 * Runs a read-modify-write cycle until its transaction's conditions hold, at most `attempts`
 * times. Losers of a race back off with jitter and start again from a fresh read, so no
 * concurrent write is lost.
 */
export async function optimistically<T>(
  attempt: (round: number) => Promise<T>,
  attempts = MAX_OPTIMISTIC_ATTEMPTS,
): Promise<T> {
  for (let round = 0; ; round++) {
    try {
      return await attempt(round);
    } catch (error) {
      if (!(error instanceof ConditionFailedError) || round + 1 >= attempts) throw error;
      await backOff(round);
    }
  }
}
