/**
 * The two ceilings on how fast the app may call Atlassian, and the state that keeps it under
 * them.
 *
 * - Forge's egress limit: 100 requests per invocation-minute to external hosts
 *   (https://developer.atlassian.com/platform/forge/limits-invocation/). It is per invocation: each consumer
 *   invocation running at once has its own, and a 900 s invocation has it every minute it
 *   runs. `EgressMeter` counts one invocation's requests per minute of its run.
 * - Atlassian's rate limit, which no page puts a number on: it is announced per answer in
 *   `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (ISO 8601 UTC), and a
 *   breach answers 429 "until the counter resets" (Organizations REST API, Rate limiting:
 *   https://developer.atlassian.com/cloud/admin/organization/rest/intro/). `RateLimitPacer`
 *   keeps what the last answer announced and spaces requests out before `Remaining` reaches
 *   0, so the app does not cause its own 429s; after a 429 it holds every request until the
 *   reset. The counter is the organization's, shared by every invocation of an installation,
 *   so the pacer is kept per installation (src/forge/installation.ts `perInstallation`), never
 *   per module: invocations one process serves at once share it; invocations in other
 *   processes learn the same state from their own answers' headers.
 */

/** Forge: 100 egress requests per invocation-minute (https://developer.atlassian.com/platform/forge/limits-invocation/). */
export const FORGE_EGRESS_PER_INVOCATION_MINUTE = 100;

const MINUTE_MS = 60_000;

/** One invocation's requests per minute of its run, against Forge's egress limit. */
export class EgressMeter {
  private window = 0;
  private used = 0;

  constructor(
    private readonly perMinute: number,
    private readonly startedAt: number,
  ) {}

  /**
   * Takes a request from the current invocation-minute's allowance: 0 when taken, else how
   * long (ms) until the next minute's allowance starts (nothing is taken then).
   */
  take(now: number): number {
    const window = Math.floor(Math.max(0, now - this.startedAt) / MINUTE_MS);
    if (window !== this.window) {
      this.window = window;
      this.used = 0;
    }
    if (this.used < this.perMinute) {
      this.used++;
      return 0;
    }
    return this.startedAt + (window + 1) * MINUTE_MS - now;
  }

  /** A request taken but not sent (it waited for the rate limit first). */
  giveBack(): void {
    this.used = Math.max(0, this.used - 1);
  }
}

export interface RateLimitHeaders {
  get(name: string): string | null;
}

/**
 * Requests in flight at once before any answer has announced the limit: a partition's run
 * sends one request at a time, so 16 partitions starting together would otherwise send 16
 * before the first answer says how many are left. Grows by one per answer without headers
 * (doubling per round trip, as TCP's slow start does), so a host that never announces a
 * limit is soon not held back at all.
 */
export const SLOW_START_IN_FLIGHT = 4;
/** How soon a request held by the slow start asks again (an answer is due any moment). */
const SLOW_START_POLL_MS = 20;

/**
 * Slows requests down before Atlassian's rate limit answers 429, from what its answers
 * announce. Below `lowWater` requests left (a tenth of the limit, at least 1), the requests
 * left are spread over the time until the reset; none left, or a 429: nothing is sent before
 * the reset (or Retry-After). Requests still in flight are counted as spent: an answer's
 * `Remaining` was counted before they arrived, and a window that resets while they travel
 * starts with them (both ways the counter is the server's, so the pacer assumes the worse).
 * Before the first announcement, at most a slow-start window of requests is in flight.
 */
export class RateLimitPacer {
  private limit?: number;
  /** What the last answer said was left, less what was sent since. */
  private left?: number;
  private resetAt?: number;
  private blockedUntil = 0;
  private lastSendAt = 0;
  /** Requests acquired whose attempt has not ended (answered, failed or timed out). */
  private inFlight = 0;
  /** Until a limit is announced: how many may be in flight (see SLOW_START_IN_FLIGHT). */
  private startWindow = SLOW_START_IN_FLIGHT;

  /**
   * How long to wait before sending (ms); 0 means "send now", and the request is counted.
   * Synchronous, so invocations sharing the pacer cannot both take the last request.
   */
  acquire(now: number): number {
    if (now < this.blockedUntil) return this.blockedUntil - now;
    if (this.limit === undefined) {
      if (this.inFlight >= this.startWindow) return SLOW_START_POLL_MS;
    } else if (this.left !== undefined) {
      if (this.resetAt !== undefined && now >= this.resetAt) {
        // The announced window is over: a new one starts full, less what is still travelling
        // (it lands in the new window). Not "unknown": runs waiting for the reset would all
        // send at once. Its reset is known from the next answer.
        this.left = Math.max(0, this.limit - this.inFlight);
        this.resetAt = undefined;
      }
      if (this.resetAt === undefined) {
        // A new window whose end no answer has announced yet: spend it, then wait for one.
        if (this.left <= 0) return SLOW_START_POLL_MS;
      } else {
        const lowWater = Math.max(1, Math.ceil(this.limit / 10));
        if (this.left <= 0) return this.resetAt - now;
        if (this.left <= lowWater) {
          const spacing = Math.ceil((this.resetAt - now) / (this.left + 1));
          const due = this.lastSendAt + spacing;
          if (due > now) return due - now;
        }
      }
    }
    if (this.left !== undefined) this.left--;
    this.lastSendAt = now;
    this.inFlight++;
    return 0;
  }

  /**
   * An acquired request's attempt ended, whatever its outcome; before `observe` of its answer.
   * Without an announced limit yet, each ending widens the slow-start window by one.
   */
  settle(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.limit === undefined) this.startWindow++;
  }

  /** Takes in what an answer announced (any status). */
  observe(headers: RateLimitHeaders, now: number): void {
    const limit = positiveInteger(headers.get('x-ratelimit-limit'));
    const remaining = nonNegativeInteger(headers.get('x-ratelimit-remaining'));
    const reset = resetTime(headers.get('x-ratelimit-reset'), now);
    if (limit === undefined || remaining === undefined || reset === undefined) return;
    this.limit = limit;
    // What the answer announced, less the requests still travelling (it did not count them).
    const announced = Math.max(0, remaining - this.inFlight);
    // Answers to concurrent requests arrive out of order: the lowest "left" wins until reset.
    this.left =
      this.left !== undefined && this.resetAt !== undefined && now < this.resetAt
        ? Math.min(this.left, announced)
        : announced;
    this.resetAt = Math.max(reset, now);
  }

  /** A 429: nothing is sent by anyone sharing the pacer for `waitMs`. */
  blockFor(waitMs: number, now: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, now + waitMs);
  }
}

function positiveInteger(value: string | null): number | undefined {
  const n = nonNegativeInteger(value);
  return n !== undefined && n > 0 ? n : undefined;
}

function nonNegativeInteger(value: string | null): number | undefined {
  const text = value?.trim();
  return text && /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * `X-RateLimit-Reset` as epoch ms: ISO 8601 UTC as documented (Organizations REST API, Rate limiting); epoch
 * seconds or a delta in seconds are accepted too, as `rateLimitDelay` does.
 */
export function resetTime(value: string | null, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n > 1e9 ? n * 1000 : now + n * 1000;
  }
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at;
}
