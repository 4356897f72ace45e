/**
 * The one retry primitive: which failures are worth another try, backoff with full jitter,
 * `Retry-After`, an abortable wait on an injectable clock (after undici's retry-handler and ggcr's
 * transport/retry.go). `withRetry` wraps a call; `Retrier` is the same policy for loops that cannot
 * be one call (a download that resumes mid-stream keeps its own state between tries).
 */
import { MapBuildError } from "./errors.js";

export interface RetryPolicy {
  /** Total tries, the first included. */
  attempts: number;
  /** First backoff delay; doubled per attempt, with full jitter. */
  minDelayMs: number;
  /** Upper bound of one backoff delay, also of an honoured `Retry-After`. */
  maxDelayMs: number;
}

/** Time as the retry loop sees it: tests inject one that does not wait. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface RetryEvent {
  /** The try that failed (1 = the first). */
  attempt: number;
  error: unknown;
  delayMs: number;
}

export interface WithRetryOptions {
  policy: RetryPolicy;
  /** Whether this failure is worth another try; default `isRetryableError`. */
  retryable?: (err: unknown) => boolean;
  /** Aborting ends the wait with E_INTERRUPTED and stops further tries. */
  signal?: AbortSignal | undefined;
  /** Before each wait (logging, tests counting retries). */
  onRetry?: (e: RetryEvent) => void;
  clock?: Clock;
  random?: () => number;
}

/** 5xx except 501 (the server will never do it) and 505; 429 is rate limiting; 408 a slow client. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** Socket-level failures that a fresh connection may not see again. */
const RETRYABLE_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
]);

export function isRetryableError(err: unknown): boolean {
  if (err instanceof MapBuildError) {
    return err.code === "E_NETWORK" || err.code === "E_TIMEOUT" || (err.code === "E_REGISTRY" && hasRetryableStatus(err));
  }
  if (err instanceof RetryableStatusError) return true;
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && RETRYABLE_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function hasRetryableStatus(err: unknown): boolean {
  const status = (err as { status?: unknown } | undefined)?.status;
  return typeof status === "number" && isRetryableStatus(status);
}

/**
 * A failure that carries the server's answer: an HTTP status worth retrying, and the delay its
 * `Retry-After` asked for. Thrown by a try that wants the loop to wait and go again.
 */
export class RetryableStatusError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status}`);
  }
}

/** The delay a server asked for (`retryAfterMs` on the error), if any. */
function retryAfterOf(err: unknown): number | undefined {
  const ms = (err as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof ms === "number" ? ms : undefined;
}

/** Delay before try number `attempt` (1 = first retry): random in [ceiling/2, ceiling], ceiling = min·2^(attempt-1), capped. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** (attempt - 1));
  // Full jitter keeps many parallel uploads from retrying in lockstep.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** `Retry-After` as delta-seconds or an HTTP date → ms, capped at maxDelayMs; undefined if absent/invalid. */
export function parseRetryAfter(value: string | undefined, maxDelayMs: number, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.max(0, Math.min(ms, maxDelayMs));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const systemClock: Clock = { now: () => Date.now(), sleep };

export function abortError(signal: AbortSignal): MapBuildError {
  return new MapBuildError("E_INTERRUPTED", "interrupted", { cause: signal.reason });
}

/** One retry budget: `failed(err)` rethrows when the policy says stop, else waits the backoff. */
export class Retrier {
  /** Tries that have failed so far. */
  failures = 0;

  constructor(private readonly opts: WithRetryOptions) {}

  async failed(err: unknown): Promise<void> {
    const { policy, signal } = this.opts;
    this.failures++;
    if (this.failures >= policy.attempts || signal?.aborted || !(this.opts.retryable ?? isRetryableError)(err)) throw err;
    const delayMs = Math.min(retryAfterOf(err) ?? backoffDelay(this.failures, policy, this.opts.random), policy.maxDelayMs);
    this.opts.onRetry?.({ attempt: this.failures, error: err, delayMs });
    await (this.opts.clock ?? systemClock).sleep(delayMs, signal);
  }
}

/** Call `fn` (given the try number, 1-based) until it succeeds or the policy gives up. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: WithRetryOptions): Promise<T> {
  const retrier = new Retrier(opts);
  for (;;) {
    try {
      return await fn(retrier.failures + 1);
    } catch (err) {
      await retrier.failed(err);
    }
  }
}
