/**
 * The one bounded-concurrency runner: layers, blob uploads, input hashing and directory walks all
 * go through it, so "what happens to the others when one fails" has one answer.
 */
import { availableParallelism } from "node:os";
import { MapBuildError, isMapBuildError } from "./errors.js";

export interface BoundedOptions {
  /** At most this many at once; default one per core (layer writing is gzip-bound). */
  limit?: number;
  /** The caller's cancellation; aborts every running item. */
  signal?: AbortSignal;
}

/**
 * Map `items` through `fn`, results in input order. On the first failure no further item starts,
 * the `signal` handed to the running ones is aborted (with that failure as its reason) so they stop
 * early instead of finishing work nobody will use, and once all have settled the failure of the
 * lowest index is thrown (not counting the siblings' own interruptions), so the same bad input
 * gives the same error on every run. Nothing keeps running after this returns or throws.
 */
export async function runBounded<T, R>(
  items: readonly T[],
  fn: (item: T, index: number, signal: AbortSignal) => Promise<R>,
  opts: BoundedOptions = {},
): Promise<R[]> {
  const limit = Math.max(1, Math.floor(opts.limit ?? availableParallelism()));
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const results = new Array<R>(items.length);
  const failures: { index: number; error: unknown }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal.aborted) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i, signal);
      } catch (error) {
        if (failures.length === 0) stop.abort(error);
        else if (isInterruption(error, stop.signal.reason)) continue;
        failures.push({ index: i, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures.reduce((a, b) => (b.index < a.index ? b : a)).error;
  if (opts.signal?.aborted) throw new MapBuildError("E_INTERRUPTED", "interrupted", { cause: opts.signal.reason });
  return results;
}

/** A sibling stopped by our abort rather than failing on its own. */
function isInterruption(error: unknown, reason: unknown): boolean {
  return error === reason || (isMapBuildError(error) && error.code === "E_INTERRUPTED") || (error instanceof Error && error.name === "AbortError");
}
