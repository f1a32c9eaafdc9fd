/**
 * The one HTTP client of every Atlassian adapter. It owns what is the same for every call:
 * the Bearer credential (never logged, redacted from every message), retries with backoff,
 * rate limits, timeouts, the time budget of the invocation, the count of requests Forge's
 * egress limit cares about, and the mapping of a final answer to an `AtlassianError` kind.
 *
 * The rule that matters most: a request declares whether it is idempotent. One that is not
 * (invite, create group) is never sent again after a timeout, a network failure or a 5xx,
 * because it may have happened: the client throws `AtlassianError('transient')` with
 * `outcomeUnknown: true` and the adapter reads the state back before deciding to send it
 * again. A 429 is retried whatever the method: a rate-limited request was not processed.
 *
 * `fetch` is injected: `fetch` from `@forge/api` on Forge (it goes through the egress rule of
 * manifest.yml), anything in tests. Time is injected too (`Clock`), so backoff is testable.
 */
import { AtlassianError, AtlassianErrorKind } from './port';
import { EgressMeter, RateLimitPacer } from './rate-limit';

/** The part of a fetch Response the client reads (`@forge/api`'s and the global one fit). */
export interface FetchResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface HttpClientOptions {
  fetch: FetchLike;
  /** e.g. `https://api.atlassian.com/admin`; request paths are appended to it. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`; never logged, redacted from error text. */
  apiKey: string;
  clock?: Clock;
  /** In [0, 1); the jitter source (tests pin it). */
  random?: () => number;
  /** Per attempt, including reading the body. Default 30 s (Forge allows 180 s per request). */
  timeoutMs?: number;
  /** Attempts per request, the first included. Default 5. */
  maxAttempts?: number;
  /** Full-jitter backoff: a random wait in [0, min(maxDelayMs, baseDelayMs * 2^n)). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * The longest single wait the client accepts from a rate limit (Retry-After...). A longer
   * one is not slept through: the request fails `transient` with `retryAfterMs`, so a queue
   * consumer can reschedule itself instead of idling. Default 60 s.
   */
  maxWaitMs?: number;
  /** Epoch ms: nothing is sent, and no wait ends, after it (a consumer has 900 s). */
  deadline?: number;
  /**
   * A cap on the requests this client sends in all (retries count): past it, a request fails
   * `transient` with code `EGRESS_BUDGET` without being sent. `requests` shows the count.
   */
  requestBudget?: number;
  /**
   * Forge's egress limit, per minute of the invocation (FORGE_EGRESS_PER_INVOCATION_MINUTE,
   * counted from the client's creation): a request past a minute's allowance waits for the
   * next minute, or fails `EGRESS_BUDGET` when that is past the deadline.
   */
  egressPerMinute?: number;
  /**
   * Atlassian's rate limit as its answers announce it, shared by every client of one
   * installation (src/atlassian/rate-limit.ts): requests slow down before a 429 and wait out
   * one another's.
   */
  pacer?: RateLimitPacer;
  /** Diagnostics (retries, rate limits). Never receives the key. */
  log?: (message: string) => void;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** Under baseUrl, with its variable segments encoded (build it with `encodePath`). */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Sent as JSON with `Content-Type: application/json` (an empty object is still sent). */
  body?: unknown;
  /** May it be sent again when its outcome is unknown (timeout, network error, 5xx)? */
  idempotent: boolean;
  /** Epoch ms; the earlier of this and the client's deadline applies. */
  deadline?: number;
}

export interface HttpResponse<T = unknown> {
  status: number;
  /** Parsed JSON, or undefined when the answer has no (JSON) body. */
  body: T | undefined;
}

export interface HttpStats {
  /** Requests sent (every attempt counts: that is what Forge's egress limit counts). */
  requests: number;
  retries: number;
  rateLimited: number;
  /** Time spent waiting for the egress allowance or the rate limit before sending. */
  pacedMs: number;
}

/** Encodes each interpolated value as one path segment: `encodePath\`/v2/orgs/${orgId}\``. */
export function encodePath(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce(
    (path, part, i) => path + part + (i < values.length ? encodeURIComponent(values[i]) : ''),
    '',
  );
}

/** The kind of a final HTTP answer the client did not retry (or gave up retrying). */
export function kindForStatus(status: number): AtlassianErrorKind {
  if (status === 402) return 'payment-required';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 405 || status === 501) return 'unsupported';
  if (status === 408 || status === 429 || status >= 500) return 'transient';
  return 'invalid';
}

/**
 * How long a 429 asks us to wait, in ms, or undefined when it does not say:
 * `Retry-After` (seconds or an HTTP date), else `X-RateLimit-Reset`, the header the
 * Organizations API documents (ISO 8601 UTC, "Rate limits" in
 * https://developer.atlassian.com/cloud/admin/organization/rest/intro/; `Retry-After` is only
 * documented for Jira/Confluence, so honouring it first is harmless and UNCONFIRMED for the
 * Org API). `RateLimit-Reason` alone carries no time: the caller backs off.
 */
export function rateLimitDelay(headers: FetchResponse['headers'], now: number): number | undefined {
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = headers.get('x-ratelimit-reset')?.trim();
  if (reset) {
    // Not documented, but some gateways send epoch seconds or a delta: accept both.
    if (/^\d+$/.test(reset)) {
      const n = Number(reset);
      return n > 1e9 ? Math.max(0, n * 1000 - now) : n * 1000;
    }
    const at = Date.parse(reset);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return undefined;
}

/** Removes credentials from text that may leave the process (errors, logs). */
export function redact(text: string, secret?: string): string {
  let out = text;
  if (secret && secret.length >= 4) out = out.split(secret).join('[REDACTED]');
  return out
    .replace(/(Bearer|Basic)\s+[^\s"',;]+/gi, '$1 [REDACTED]')
    .replace(/("?authorization"?\s*[:=]\s*"?)[^"\n,}]+/gi, '$1[REDACTED]');
}

interface ErrorSummary {
  code?: string;
  text?: string;
}

/**
 * Atlassian's error envelope `{errors:[{code,title,detail}]}`, the gateway's `{code,message}`,
 * or the User management API's `{key, context}` (admin-user-management spec, e.g.
 * `forbidden.unclaimedDomain`): the key is the code.
 */
function summariseError(raw: string): ErrorSummary {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return raw.trim() ? { text: raw.trim().slice(0, 300) } : {};
  }
  if (!parsed || typeof parsed !== 'object') return {};
  const body = parsed as {
    errors?: Array<{ code?: unknown; title?: unknown; detail?: unknown }>;
    code?: unknown;
    message?: unknown;
    key?: unknown;
  };
  const first = Array.isArray(body.errors) ? body.errors[0] : undefined;
  if (first) {
    const text = [first.title, first.detail].filter((x) => typeof x === 'string' && x).join(': ');
    return {
      ...(typeof first.code === 'string' ? { code: first.code } : {}),
      ...(text ? { text: text.slice(0, 300) } : {}),
    };
  }
  const code =
    typeof body.code === 'string' ? body.code : typeof body.key === 'string' ? body.key : undefined;
  return {
    ...(code ? { code } : {}),
    ...(typeof body.message === 'string' ? { text: body.message.slice(0, 300) } : {}),
  };
}

type Attempt =
  | { kind: 'answer'; status: number; headers: FetchResponse['headers']; text: string }
  | { kind: 'timeout' }
  | { kind: 'network'; message: string; refusedByEgress: boolean };

export class AtlassianHttpClient {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly baseUrl: string;
  private readonly counts: HttpStats;
  private readonly egress?: EgressMeter;

  constructor(
    private readonly options: HttpClientOptions,
    /**
     * Shared with the client this one was made `at` another base: one request count, one
     * egress allowance (Forge counts every request of the invocation, whatever its host).
     */
    shared?: { counts: HttpStats; egress?: EgressMeter },
  ) {
    if (!options.apiKey) throw new AtlassianError('invalid', 'No Atlassian API key is configured.');
    this.counts = shared?.counts ?? { requests: 0, retries: 0, rateLimited: 0, pacedMs: 0 };
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    if (shared) this.egress = shared.egress;
    else if (options.egressPerMinute !== undefined) {
      this.egress = new EgressMeter(options.egressPerMinute, this.clock.now());
    }
  }

  /** Requests sent so far; the worker bounds its batch with this (egress limit). */
  get requests(): number {
    return this.counts.requests;
  }

  get stats(): HttpStats {
    return { ...this.counts };
  }

  /**
   * The same client (credential, clock, deadline) at another base URL, sharing this one's
   * request count and so its egress budget: the User management API lives at
   * `https://api.atlassian.com/users/...`, beside the Organizations API's `/admin`.
   */
  at(baseUrl: string): AtlassianHttpClient {
    return new AtlassianHttpClient(
      { ...this.options, baseUrl },
      { counts: this.counts, egress: this.egress },
    );
  }

  /** Requests left before `requestBudget` is reached (Infinity without a budget). */
  get remainingBudget(): number {
    return this.options.requestBudget === undefined
      ? Infinity
      : Math.max(0, this.options.requestBudget - this.counts.requests);
  }

  /**
   * Sends the request, retrying what is safe to retry, and returns a 2xx answer; anything
   * else is thrown as an `AtlassianError` whose message never holds the credential.
   */
  async request<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>> {
    const deadline = Math.min(request.deadline ?? Infinity, this.options.deadline ?? Infinity);
    const maxAttempts = Math.max(1, this.options.maxAttempts ?? 5);
    const label = `${request.method} ${request.path}`;
    const url = this.url(request);
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.options.apiKey}`,
      Accept: 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    };

    for (let attempt = 1; ; attempt++) {
      if (this.clock.now() >= deadline) {
        throw this.error('transient', `${label}: out of time before it could be sent.`, {}, 'DEADLINE');
      }
      if (this.remainingBudget <= 0) {
        throw this.error(
          'transient',
          `${label}: the budget of ${this.options.requestBudget} requests for this invocation is used up (Forge egress limit).`,
          {},
          'EGRESS_BUDGET',
        );
      }
      await this.pace(label, deadline);
      this.counts.requests++;
      let result: Attempt;
      try {
        result = await this.attempt(url, { method: request.method, headers, body }, deadline);
      } finally {
        // Whatever the outcome, the request no longer travels (the pacer counts those that do).
        this.options.pacer?.settle();
      }
      // A 429's own headers go through blockFor below (a wait past maxWaitMs is left to the
      // job's reschedule, so an admin's retry is not held by a stale window).
      if (result.kind === 'answer' && result.status !== 429) {
        this.options.pacer?.observe(result.headers, this.clock.now());
      }

      if (result.kind === 'answer' && result.status >= 200 && result.status < 300) {
        return { status: result.status, body: parseJson<T>(result.text) };
      }

      let retryAfter: number | undefined;
      let failure: AtlassianError;
      if (result.kind === 'answer') {
        const summary = summariseError(result.text);
        const detail = `${label} answered ${result.status}${summary.code ? ` ${summary.code}` : ''}${summary.text ? `: ${summary.text}` : ''}`;
        if (result.status === 429) {
          this.counts.rateLimited++;
          retryAfter = rateLimitDelay(result.headers, this.clock.now());
          // Everyone sharing the rate limit holds back, not only this request; a wait longer
          // than a client sleeps through is left to the job's reschedule (retryAfterMs).
          const hold = retryAfter ?? this.backoff(attempt);
          if (hold <= (this.options.maxWaitMs ?? 60_000))
            this.options.pacer?.blockFor(hold, this.clock.now());
          const reason = result.headers.get('ratelimit-reason');
          if (reason) this.log(`${label}: rate limited (${reason}).`);
          failure = this.error('transient', `${detail} (rate limited)`, summary, undefined, result.status);
          // Not processed, so safe to resend whatever the method.
        } else if (kindForStatus(result.status) === 'transient') {
          if (!request.idempotent) {
            throw this.error(
              'transient',
              `${detail}; it was not sent again because it is not idempotent: read the state back before retrying.`,
              summary,
              undefined,
              result.status,
              { outcomeUnknown: true },
            );
          }
          retryAfter = result.status === 503 ? rateLimitDelay(result.headers, this.clock.now()) : undefined;
          failure = this.error('transient', detail, summary, undefined, result.status);
        } else {
          throw this.error(kindForStatus(result.status), detail, summary, undefined, result.status);
        }
      } else if (result.kind === 'network' && result.refusedByEgress) {
        // Forge refused the host: a manifest problem no retry fixes.
        throw this.error('forbidden', `${label}: ${result.message}`, {});
      } else {
        const what =
          result.kind === 'timeout' ? `no answer within ${this.timeoutMs(deadline)} ms` : result.message;
        if (!request.idempotent) {
          throw this.error(
            'transient',
            `${label}: ${what}; it was not sent again because it is not idempotent: read the state back before retrying.`,
            {},
            result.kind === 'timeout' ? 'TIMEOUT' : 'NETWORK',
            undefined,
            { outcomeUnknown: true },
          );
        }
        failure = this.error(
          'transient',
          `${label}: ${what}`,
          {},
          result.kind === 'timeout' ? 'TIMEOUT' : 'NETWORK',
        );
      }

      const wait = retryAfter ?? this.backoff(attempt);
      const maxWait = this.options.maxWaitMs ?? 60_000;
      const late = this.clock.now() + wait >= deadline;
      if (attempt >= maxAttempts || wait > maxWait || late) {
        const why =
          attempt >= maxAttempts ? `after ${attempt} attempts` : `a wait of ${wait} ms is not affordable`;
        throw new AtlassianError(
          failure.kind,
          `${failure.message} (gave up ${why})`,
          failure.status,
          failure.code,
          {
            ...(retryAfter !== undefined || wait > 0 ? { retryAfterMs: wait } : {}),
          },
        );
      }
      this.counts.retries++;
      this.log(
        `${label}: attempt ${attempt} failed (${failure.status ?? failure.code}); retrying in ${wait} ms.`,
      );
      await this.clock.sleep(wait);
    }
  }

  /**
   * Waits until the request may be sent: within this invocation-minute's egress allowance and
   * the rate limit's pace. A wait that would end past the deadline, or is longer than
   * `maxWaitMs`, fails the request `transient` (with `retryAfterMs`) without sending it.
   */
  private async pace(label: string, deadline: number): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      const egressWait = this.egress?.take(now) ?? 0;
      if (egressWait > 0) {
        if (now + egressWait >= deadline) {
          throw this.error(
            'transient',
            `${label}: this invocation's ${this.options.egressPerMinute} requests a minute are used up, and the next minute starts after its deadline (Forge egress limit).`,
            {},
            'EGRESS_BUDGET',
          );
        }
        await this.wait(egressWait);
        continue;
      }
      const rateWait = this.options.pacer?.acquire(now) ?? 0;
      if (rateWait === 0) return;
      if (now + rateWait >= deadline || rateWait > (this.options.maxWaitMs ?? 60_000)) {
        throw new AtlassianError(
          'transient',
          `${label}: held back ${rateWait} ms by Atlassian's rate limit, longer than this invocation can wait.`,
          undefined,
          'RATE_LIMIT_WAIT',
          { retryAfterMs: rateWait },
        );
      }
      // The egress allowance taken above was not spent: the next round takes it again.
      this.egress?.giveBack();
      await this.wait(rateWait);
    }
  }

  private async wait(ms: number): Promise<void> {
    this.counts.pacedMs += ms;
    await this.clock.sleep(ms);
  }

  private url(request: HttpRequest): string {
    const query = Object.entries(request.query ?? {})
      .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    return `${this.baseUrl}${request.path}${query ? `?${query}` : ''}`;
  }

  private timeoutMs(deadline: number): number {
    const configured = this.options.timeoutMs ?? 30_000;
    return Math.max(1, Math.min(configured, deadline - this.clock.now()));
  }

  /** One send, body read included, bounded by the timeout; never throws. */
  private async attempt(url: string, init: Omit<FetchInit, 'signal'>, deadline: number): Promise<Attempt> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Attempt>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve({ kind: 'timeout' });
      }, this.timeoutMs(deadline));
    });
    const send = (async (): Promise<Attempt> => {
      try {
        const response = await this.options.fetch(url, { ...init, signal: controller.signal });
        const text = await response.text();
        return { kind: 'answer', status: response.status, headers: response.headers, text };
      } catch (error) {
        const message = redact(error instanceof Error ? error.message : String(error), this.options.apiKey);
        return {
          kind: 'network',
          message,
          refusedByEgress: /external fetch backend permissions/i.test(message),
        };
      }
    })();
    try {
      // A fetch that ignores the signal still loses the race.
      return await Promise.race([send, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private backoff(attempt: number): number {
    const base = this.options.baseDelayMs ?? 500;
    const cap = this.options.maxDelayMs ?? 30_000;
    return Math.floor(this.random() * Math.min(cap, base * 2 ** (attempt - 1)));
  }

  private error(
    kind: AtlassianErrorKind,
    message: string,
    summary: ErrorSummary,
    code?: string,
    status?: number,
    details: { outcomeUnknown?: boolean } = {},
  ): AtlassianError {
    return new AtlassianError(
      kind,
      redact(message, this.options.apiKey),
      status,
      summary.code ?? code,
      details,
    );
  }

  private log(message: string): void {
    this.options.log?.(redact(message, this.options.apiKey));
  }
}

function parseJson<T>(text: string): T | undefined {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
