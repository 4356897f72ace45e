export { DEFAULT_CACHE_MAX_BYTES, defaultCacheDir } from "./cache-dir.js";
export { writeDeferredLayerCached, writeLayerCached, type CachedWriteDeps, type CachedWriteResult, type RemoteLayerLookup } from "./cached-write.js";
export type { PruneOptions, PruneResult } from "./cache-prune.js";
export { LayerCache, openLayerCache, type CachedLayerInfo, type LayerCacheOptions, type LayerCacheStats } from "./layer-cache.js";
export { LAYER_CACHE_FORMAT, type LayerInputs, type LayerKeyOptions } from "./layer-key.js";
export { BlobCache, cachedBlobLayer, openBlobCache, type BlobCacheOptions, type BlobCacheStats, type BlobInfo } from "./blob-cache.js";
export { cachedImage } from "./cached-image.js";
