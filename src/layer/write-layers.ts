/**
 * Build independent layers in parallel, bounded. Each gzip layer already spreads its blocks over
 * the cores (block-gzip-writer.ts); building several at once still overlaps one layer's reads,
 * hashing and small-file overhead with another's compression.
 */
import { runBounded } from "../run-bounded.js";
import type { LayerEntry } from "./entry.js";
import type { FileLayer } from "../image/index.js";
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
  const written: FileLayer[] = [];
  try {
    return await runBounded(
      specs,
      async (spec, _i, signal) => {
        const layer = await writeLayer(spec.entries, { ...spec.opts, signal: spec.opts.signal ? AbortSignal.any([spec.opts.signal, signal]) : signal });
        written.push(layer);
        return layer;
      },
      { limit: opts.concurrency, signal: opts.signal },
    );
  } catch (err) {
    await Promise.all(written.map((l) => l.dispose()));
    throw err;
  }
}
