/**
 * Failure injection and rate limiting for the embedded organization, so the adapter and the
 * reconcile worker can be tested against what a real gateway does to them:
 *
 * - `429`: rate limited, with Retry-After and X-RateLimit-* (Reset in ISO 8601, as
 *   Atlassian documents for the Organizations API). Nothing is applied.
 * - `500`: internal error. Nothing is applied.
 * - `timeout-before`: no answer, nothing applied.
 * - `timeout-after`: the request is applied, then the answer is lost: the case that tells
 *   an idempotent client from a naive one.
 *
 * Faults come from a seeded generator (reproducible runs) at `rate`, or are scripted one by
 * one with `failNext` (exact tests). A rate limit (`requestsPerSecond`) is a token bucket
 * holding one second of requests.
 */
import { seededRandom } from '../seeded-random';
import type { OrgRequest } from './types';

export type FaultKind = '429' | '500' | 'timeout-before' | 'timeout-after';
export const FAULT_KINDS: FaultKind[] = ['429', '500', 'timeout-before', 'timeout-after'];

export interface FaultOptions {
  /** Share of calls that fail, 0–1 (default 0). */
  rate?: number;
  /** Which faults the random draw picks from, equally (default all four). */
  kinds?: FaultKind[];
  /** Seed of the generator (default: random, printed by nobody; fix it to replay a run). */
  seed?: number;
  /** Seconds a 429 asks the client to wait (default 1). */
  retryAfterSeconds?: number;
}

/** Which requests a scripted fault applies to (all when omitted). */
export type FaultMatch = { method?: string; path?: string | RegExp } | ((request: OrgRequest) => boolean);

export class FaultPlan {
  rate: number;
  kinds: FaultKind[];
  retryAfterSeconds: number;
  private random: () => number;
  private readonly scripted: { kind: FaultKind; match?: FaultMatch }[] = [];

  constructor(options: FaultOptions = {}) {
    this.rate = clampRate(options.rate ?? 0);
    this.kinds = options.kinds?.length ? [...options.kinds] : [...FAULT_KINDS];
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
    this.random = seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  /** Changes the random faults (rate, kinds, seed) at run time. */
  configure(options: FaultOptions): void {
    if (options.rate !== undefined) this.rate = clampRate(options.rate);
    if (options.kinds?.length) this.kinds = [...options.kinds];
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    if (options.seed !== undefined) this.random = seededRandom(options.seed);
  }

  /** The next request that matches fails with `kind` (scripted faults queue up in order). */
  failNext(kind: FaultKind, match?: FaultMatch): void {
    this.scripted.push({ kind, ...(match ? { match } : {}) });
  }

  /** The fault for this request, if any: a scripted one first, then the random draw. */
  draw(request: OrgRequest): FaultKind | undefined {
    const index = this.scripted.findIndex((s) => !s.match || matches(s.match, request));
    if (index >= 0) return this.scripted.splice(index, 1)[0].kind;
    if (this.rate <= 0 || this.random() >= this.rate) return undefined;
    return this.kinds[Math.floor(this.random() * this.kinds.length)];
  }
}

function matches(match: FaultMatch, request: OrgRequest): boolean {
  if (typeof match === 'function') return match(request);
  if (match.method && match.method.toUpperCase() !== request.method.toUpperCase()) return false;
  if (match.path === undefined) return true;
  return typeof match.path === 'string' ? request.path.includes(match.path) : match.path.test(request.path);
}

function clampRate(rate: number): number {
  if (!Number.isFinite(rate)) return 0;
  return Math.min(1, Math.max(0, rate));
}

/** A token bucket: `limit` requests per second, bursts of up to one second's worth. */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limit;
    this.last = now();
  }

  /** Takes a token; when none is left, says how long until the next one (ms). */
  take(): { allowed: boolean; remaining: number; resetMs: number } {
    const now = this.now();
    this.tokens = Math.min(this.limit, this.tokens + ((now - this.last) / 1000) * this.limit);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { allowed: true, remaining: Math.floor(this.tokens), resetMs: this.msUntilFull() };
    }
    return { allowed: false, remaining: 0, resetMs: Math.ceil(((1 - this.tokens) / this.limit) * 1000) };
  }

  private msUntilFull(): number {
    return Math.ceil(((this.limit - this.tokens) / this.limit) * 1000);
  }
}
