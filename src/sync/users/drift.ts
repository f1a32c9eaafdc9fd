/** Drift: an account suspended or restored by hand in Atlassian, against what the app applied. */
import type { UserTurn } from './turn';

/** Drift the policy says to report: logged (attention) once, left as it is. */
export async function reportDrift({ next, calls }: UserTurn, state: string, what: string): Promise<void> {
  if (next.driftNoted === state) return;
  next.driftNoted = state;
  await calls.note(
    'drift',
    'attention',
    'a full reconcile found a change made by hand in Atlassian',
    `${what}; left as it is (drift policy "report"): change it in Atlassian, or set the drift policy to "repair"`,
  );
}
