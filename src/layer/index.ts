export type { DeferredEntries, DeflatedContent, DeflateStep, DirEntry, EntrySource, FileEntry, HardlinkEntry, LayerEntry, SymlinkEntry } from "./entry.js";
export { planFromDisk, type DiskMapping, type PlanOptions } from "./plan-from-disk.js";
export { DEFAULT_OMIT_PARENT_DIRS } from "./normalize-entries.js";
export { DEFAULT_GZIP_LEVEL, buildLayer, replayLayer, writeLayer, type BuildLayerOptions, type BuiltLayer, type WriteLayerOptions } from "./write-layer.js";
export { ReplayLayer } from "./replay-layer.js";
export { GZIP_BLOCK_SIZE } from "./block-gzip-writer.js";
export { HashTap } from "./hash-tap.js";
export { writeLayers, type LayerSpec, type WriteLayersOptions } from "./write-layers.js";
// The one file layer lives in image/ (local images use it too); re-exported for layer writers and the cache.
export { FileLayer, layerFromFile, type FileLayerInfo } from "../image/index.js";
