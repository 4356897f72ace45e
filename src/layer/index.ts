export type { DirEntry, EntrySource, FileEntry, HardlinkEntry, LayerEntry, SymlinkEntry } from "./entry.js";
export { planFromDisk, type DiskMapping, type PlanOptions } from "./plan-from-disk.js";
export { DEFAULT_OMIT_PARENT_DIRS } from "./normalize-entries.js";
export { DEFAULT_GZIP_LEVEL, writeLayer, type WriteLayerOptions } from "./write-layer.js";
export { GZIP_BLOCK_SIZE } from "./block-gzip-writer.js";
export { writeLayers, type LayerSpec, type WriteLayersOptions } from "./write-layers.js";
export { FileLayer, layerFromFile, type FileLayerInfo } from "./file-layer.js";
