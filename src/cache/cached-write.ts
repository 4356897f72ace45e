/**
 * writeLayer through the cache: key → get → else write, then put. Without a cache (--no-cache) it
 * is plain writeLayer. The cache never decides whether a build works, only how fast: a cache that
 * cannot store (disk full, read-only) still returns the freshly written layer.
 */
import { writeLayer, type FileLayer, type LayerEntry, type WriteLayerOptions } from "../layer/index.js";
import type { LayerCache } from "./layer-cache.js";

export interface CachedWriteResult {
  layer: FileLayer;
  /** True when the layer came from the cache (nothing was tarred or compressed). */
  cached: boolean;
}

export interface CachedWriteDeps {
  /** The layer writer; default writeLayer (tests count calls through this). */
  write?: (entries: readonly LayerEntry[], opts: WriteLayerOptions) => Promise<FileLayer>;
}

/**
 * With a cache, the layer is written into the cache's temp directory (whatever `writeOpts.tmpDir`
 * says) so that storing it is a rename, and the returned layer is the cache's blob (dispose() is
 * harmless). Without one, the caller owns the returned temp file as with writeLayer.
 */
export async function writeLayerCached(
  cache: LayerCache | undefined,
  entries: readonly LayerEntry[],
  writeOpts: WriteLayerOptions,
  deps: CachedWriteDeps = {},
): Promise<CachedWriteResult> {
  const write = deps.write ?? writeLayer;
  if (cache === undefined) return { layer: await write(entries, writeOpts), cached: false };

  const inputs = await cache.inputsFor(entries, writeOpts);
  const hit = await cache.get(inputs.key);
  if (hit !== undefined) {
    writeOpts.progress?.({ id: writeOpts.id ?? "layer", phase: "cached", bytes: hit.info.size, total: hit.info.size, detail: hit.info.digest });
    return { layer: hit, cached: true };
  }

  const layer = await write(entries, { ...writeOpts, tmpDir: cache.tmpDir });
  // An input edited while the layer was written: the key describes other bytes than the layer
  // holds, so storing it would make the cache lie. Use the layer for this build only.
  if (!(await cache.inputsUnchanged(inputs))) return { layer, cached: false };
  try {
    return { layer: await cache.put(inputs.key, layer, { move: true }), cached: false };
  } catch {
    return { layer, cached: false };
  }
}
