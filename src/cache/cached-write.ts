/**
 * writeLayer through the cache: key → get → else the remote cache (if any) → else write, then put.
 * Without a cache (--no-cache) it is plain writeLayer. The cache never decides whether a build
 * works, only how fast: a cache that cannot store (disk full, read-only) still returns the freshly
 * written layer. With a cache, an uncompressed layer is kept as its recipe (replay-layer.ts):
 * hashed once, never stored, so a model file does not get a second copy inside the cache.
 */
import { layerMediaType, type Layer } from "../image/index.js";
import { ReplayLayer, buildLayer, replayLayer, type BuildLayerOptions, type BuiltLayer, type DeferredEntries, type LayerEntry, type WriteLayerOptions } from "../layer/index.js";
import type { LayerCache } from "./layer-cache.js";
import { describedLayerKey } from "./layer-key.js";

export interface CachedWriteResult<R extends Layer = never> {
  /** A built layer (a file or a recipe) unless `remote` answered (then whatever it handed back). */
  layer: BuiltLayer | R;
  /** True when the layer came from a cache (nothing was tarred or compressed). */
  cached: boolean;
  /** The cache key describing the layer's bytes; absent without a cache or when an input changed while it was written. */
  key?: string;
  /** True when the layer came from `remote`, not the local cache or a write. */
  remote?: boolean;
}

/**
 * A second cache consulted on a local miss (the shared cache repository): the layer stored
 * under `key`, verified, or undefined to build it. Never throws except when interrupted.
 * `want.replayable`: the layer is uncompressed and its inputs are local, so building it costs one
 * read and no disk; a hit that would have to be downloaded is not worth taking.
 */
export type RemoteLayerLookup<R extends Layer> = (key: string, want: { mediaType: string; id: string; replayable: boolean }) => Promise<BuiltLayer | R | undefined>;

export interface CachedWriteDeps<R extends Layer = never> {
  /** The layer writer; default buildLayer (tests count calls through this). */
  write?: (entries: readonly LayerEntry[], opts: BuildLayerOptions) => Promise<BuiltLayer>;
  remote?: RemoteLayerLookup<R>;
}

/**
 * With a cache, the layer is written into the cache's temp directory (whatever `writeOpts.tmpDir`
 * says) so that storing it is a rename, and the returned layer is the cache's blob or a recipe
 * (dispose() is harmless). Without one, the caller owns the returned temp file as with writeLayer.
 */
export async function writeLayerCached<R extends Layer = never>(
  cache: LayerCache | undefined,
  entries: readonly LayerEntry[],
  writeOpts: WriteLayerOptions,
  deps: CachedWriteDeps<R> = {},
): Promise<CachedWriteResult<R>> {
  if (cache === undefined) return { layer: await (deps.write ?? buildLayer)(entries, writeOpts), cached: false };
  const inputs = await cache.inputsFor(entries, writeOpts);
  const recipe = writeOpts.compression === "none" && ReplayLayer.canReplay(entries) ? entries : undefined;
  return throughCache(cache, inputs.key, async () => entries, () => cache.inputsUnchanged(inputs), writeOpts, deps, recipe);
}

/**
 * The same for entries planned only on a miss: the key comes from their description, so a hit
 * (local or remote) costs neither planning nor reading any input.
 */
export async function writeDeferredLayerCached<R extends Layer = never>(
  cache: LayerCache | undefined,
  deferred: DeferredEntries,
  writeOpts: WriteLayerOptions,
  deps: CachedWriteDeps<R> = {},
): Promise<CachedWriteResult<R>> {
  if (cache === undefined) return { layer: await (deps.write ?? buildLayer)(await deferred.plan(), writeOpts), cached: false };
  const unchanged = async () => (deferred.unchanged ? deferred.unchanged() : true);
  return throughCache(cache, describedLayerKey(deferred.description, writeOpts), () => deferred.plan(), unchanged, writeOpts, deps);
}

async function throughCache<R extends Layer>(
  cache: LayerCache,
  key: string,
  entries: () => Promise<readonly LayerEntry[]>,
  unchanged: () => Promise<boolean>,
  writeOpts: WriteLayerOptions,
  deps: CachedWriteDeps<R>,
  /** The entries, when the layer is uncompressed and can be kept as a recipe (replay-layer.ts). */
  recipe?: readonly LayerEntry[],
): Promise<CachedWriteResult<R>> {
  const id = writeOpts.id ?? "layer";
  const local = recipe ? await cache.get(key, (info) => replayLayer(recipe, writeOpts, info)) : await cache.get(key);
  const remote = local ? undefined : await deps.remote?.(key, { mediaType: layerMediaType(writeOpts.family, writeOpts.compression), id, replayable: recipe !== undefined });
  const hit = local ?? remote;
  if (hit !== undefined) {
    const [size, digest] = [await hit.size(), await hit.digest()];
    writeOpts.progress?.({ id, phase: "cached", bytes: size, total: size, detail: digest });
    return { layer: hit, cached: true, key, ...(remote ? { remote: true } : {}) };
  }

  const layer = await (deps.write ?? buildLayer)(await entries(), { ...writeOpts, tmpDir: cache.tmpDir, ...(recipe ? { keep: "recipe" as const } : {}) });
  // An input edited while the layer was written: the key describes other bytes than the layer
  // holds, so storing it would make the cache lie. Use the layer for this build only.
  if (!(await unchanged())) return { layer, cached: false };
  try {
    return { layer: await cache.put(key, layer, { move: true }), cached: false, key };
  } catch {
    return { layer, cached: false };
  }
}
