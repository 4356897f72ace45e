/**
 * Build independent layers in parallel, bounded. Each gzip layer already spreads its blocks over
 * the cores (block-gzip-writer.ts); building several at once still overlaps one layer's reads,
 * hashing and small-file overhead with another's compression.
 */
import { availableParallelism } from "node:os";
import type { LayerEntry } from "./entry.js";
import type { FileLayer } from "./file-layer.js";
import { writeLayer, type WriteLayerOptions } from "./write-layer.js";

export interface LayerSpec {
  entries: readonly LayerEntry[];
  opts: WriteLayerOptions;
}

export interface WriteLayersOptions {
  /** Layers built at once; default os.availableParallelism(). */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * Layers in the order of `specs`. On the first failure the other builds are aborted, every layer
 * already written is disposed, and that first error is thrown.
 */
export async function writeLayers(specs: readonly LayerSpec[], opts: WriteLayersOptions = {}): Promise<FileLayer[]> {
  const limit = Math.max(1, Math.floor(opts.concurrency ?? availableParallelism()));
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(opts.signal?.reason);
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();

  const results: (FileLayer | undefined)[] = new Array(specs.length);
  let firstError: unknown;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (firstError === undefined && next < specs.length) {
      const i = next++;
      const spec = specs[i]!;
      const signal = spec.opts.signal ? AbortSignal.any([spec.opts.signal, stop.signal]) : stop.signal;
      try {
        results[i] = await writeLayer(spec.entries, { ...spec.opts, signal });
      } catch (err) {
        if (firstError === undefined) {
          firstError = err;
          stop.abort(err);
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, specs.length) }, worker));
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
  }
  if (firstError !== undefined) {
    await Promise.all(results.map((l) => l?.dispose()));
    throw firstError;
  }
  return results as FileLayer[];
}
