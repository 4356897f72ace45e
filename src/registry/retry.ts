/**
 * Backoff with full jitter, `Retry-After`, and which failures are worth another try
 * (after undici's retry-handler and ggcr's transport/retry.go).
 */
import { MapBuildError } from "../errors.js";
import type { RetryOptions } from "./options.js";

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
    return err.code === "E_NETWORK" || err.code === "E_TIMEOUT" || (err.code === "E_REGISTRY" && isTransientRegistry(err));
  }
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && RETRYABLE_CODES.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function isTransientRegistry(err: MapBuildError): boolean {
  const status = (err as { status?: unknown }).status;
  return typeof status === "number" && isRetryableStatus(status);
}

/** Delay before try number `attempt` (1 = first retry): random in [0, min·2^(attempt-1)], capped. */
export function backoffDelay(attempt: number, opts: RetryOptions, random = Math.random): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.minDelayMs * 2 ** (attempt - 1));
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

export function abortError(signal: AbortSignal): MapBuildError {
  return new MapBuildError("E_INTERRUPTED", "interrupted", { cause: signal.reason });
}
