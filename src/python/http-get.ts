/**
 * GET for index pages and wheel files: redirects followed (credentials only to the origin that
 * asked for them), transient failures retried by the one retry primitive (src/retry.ts), and bodies taken
 * through undici's dispatch handler without ever pausing the parser. undici 7 asserts
 * (`assert(!this.paused)`, an uncaught exception) when a server ends a close-delimited HTTP/1.0
 * body while fetch() is applying backpressure; consuming each chunk synchronously avoids that.
 */
import type { Dispatcher } from "undici";
import { MapBuildError } from "../errors.js";
import { isRetryableError, isRetryableStatus, parseRetryAfter, RetryableStatusError, withRetry } from "../retry.js";

export interface GetOptions {
  dispatcher: Dispatcher;
  /** Headers for a URL (the caller decides where credentials go). */
  headers: (u: URL) => Record<string, string>;
  signal?: AbortSignal;
  /** Tries per request, the first included (default 4). */
  attempts?: number;
  /** First backoff delay (default 200 ms). */
  minDelayMs?: number;
  /** Called before each retry (tests count them). */
  onRetry?: (attempt: number, why: string) => void;
}

export interface GetResponse {
  status: number;
  headers: Record<string, string>;
  /** The final URL after redirects. */
  url: string;
}

/** Receives a 2xx body; must not throw (it runs inside undici's parser): keep the error instead. */
/** `data` may return an Error to stop the transfer (a body larger than the sink accepts). */
type Sink = { data(chunk: Buffer): void | Error; reset(): void };

function once(dispatcher: Dispatcher, u: URL, headers: Record<string, string>, sink: Sink, signal?: AbortSignal): Promise<GetResponse> {
  return new Promise((resolve, reject) => {
    let res: GetResponse | undefined;
    const ok = () => res !== undefined && res.status >= 200 && res.status < 300;
    // dispatch() itself ignores an AbortSignal (only undici's request/fetch wrappers honour it):
    // abort through the controller, or a request the server never answers outlives SIGTERM
    let controller: { abort(reason: Error): void } | undefined;
    const abortError = () => Object.assign(new Error("aborted"), { name: "AbortError" });
    const onAbort = () => controller?.abort(abortError());
    const settle = <T>(f: (v: T) => void) => (v: T) => {
      signal?.removeEventListener("abort", onAbort);
      f(v);
    };
    resolve = settle(resolve);
    reject = settle(reject);
    if (signal?.aborted) return reject(abortError());
    signal?.addEventListener("abort", onAbort, { once: true });
    dispatcher.dispatch({ origin: u.origin, path: `${u.pathname}${u.search}`, method: "GET", headers }, {
      onRequestStart(c: { abort(reason: Error): void }) {
        controller = c;
        if (signal?.aborted) c.abort(abortError());
      },
      onResponseStart(_c: unknown, status: number, h: Record<string, string | string[] | undefined>) {
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(h)) if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
        res = { status, headers: flat, url: u.toString() };
        if (ok()) sink.reset();
      },
      onResponseData(c: { abort(reason: Error): void }, chunk: Buffer) {
        const stop = ok() ? sink.data(chunk) : undefined;
        if (stop) c.abort(stop);
      },
      onResponseEnd() {
        resolve(res!);
      },
      onResponseError(_c: unknown, err: Error) {
        reject(err);
      },
    } as unknown as Dispatcher.DispatchHandler);
  });
}

/** GET `url`, feeding a 2xx body to `sink` (reset before each try); follows up to 5 redirects. */
export async function httpGet(url: URL, opts: GetOptions, sink: Sink): Promise<GetResponse> {
  const attempts = opts.attempts ?? 4;
  const policy = { attempts, minDelayMs: opts.minDelayMs ?? 200, maxDelayMs: 10_000 };
  try {
    return await withRetry(async (attempt) => {
      const r = await followRedirects(url, opts, sink);
      // The last try's answer is returned: the caller reports the status.
      if (isRetryableStatus(r.status) && attempt < attempts) throw new RetryableStatusError(r.status, parseRetryAfter(r.headers["retry-after"], policy.maxDelayMs));
      return r;
    }, {
      policy,
      signal: opts.signal,
      retryable: isRetryableError,
      onRetry: ({ attempt, error }) => opts.onRetry?.(attempt, error instanceof RetryableStatusError ? error.message : ((error as { code?: string }).code ?? (error as Error).message)),
    });
  } catch (e) {
    if (opts.signal?.aborted && !(e instanceof MapBuildError && e.code === "E_INTERRUPTED")) throw new MapBuildError("E_INTERRUPTED", "interrupted", { cause: e });
    throw e;
  }
}

async function followRedirects(url: URL, opts: GetOptions, sink: Sink): Promise<GetResponse> {
  let u = url;
  for (let hop = 0; ; hop++) {
    const r = await once(opts.dispatcher, u, opts.headers(u), sink, opts.signal);
    const loc = r.headers["location"];
    if (![301, 302, 303, 307, 308].includes(r.status) || !loc || hop >= 5) return r;
    u = new URL(loc, u);
  }
}

/** A body held in memory (index pages, metadata files), refused above `limit` bytes. */
export function memorySink(limit = 64 * 1024 * 1024): Sink & { bytes(): Buffer; text(): string } {
  let chunks: Buffer[] = [];
  let size = 0;
  const bytes = () => {
    if (size > limit) throw new MapBuildError("E_PYTHON_DEPS", `response larger than ${limit} bytes`, { hint: "check the index URL" });
    return Buffer.concat(chunks);
  };
  return {
    data(c) {
      size += c.length;
      if (size <= limit) chunks.push(c);
    },
    reset() { chunks = []; size = 0; },
    bytes,
    text: () => bytes().toString("utf8"),
  };
}

/**
 * Larger than any wheel seen (CUDA builds of torch are about 2.5 GB): a server streaming without
 * end must not fill the disk.
 */
export const MAX_DOWNLOAD_BYTES = 8 * 1024 ** 3;

/** Where a body goes chunk by chunk (the blob store's put, which writes and hashes); reset before each try. Must not throw. */
export interface BodyWriter {
  write(chunk: Buffer): void;
  reset(): void;
}

/** A body handed to `out`, at most `limit` bytes: more stops the transfer with E_PYTHON_DEPS. */
export function cappedSink(out: BodyWriter, limit = MAX_DOWNLOAD_BYTES): Sink {
  let size = 0;
  return {
    data(c) {
      size += c.length;
      if (size > limit) return new MapBuildError("E_PYTHON_DEPS", `download larger than ${limit} bytes`, { hint: "the server sends more than any wheel holds; check the index" });
      out.write(c);
    },
    reset() {
      size = 0;
      out.reset();
    },
  };
}
