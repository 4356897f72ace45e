export { packageMap } from "./package-map.js";
export type { CacheRepoSummary, LayerSummary, OutputSummary, PackageMap1Options, PackageMapOptions, PackageMapResult } from "./options.js";
export type { SupplyChainOptions } from "./attestations.js";
export { packageMultiPlatform, type MultiPlatformResult, type PlatformResult } from "./multi-platform.js";
export { choosePlatforms } from "./platform-list.js";
export { isMultiPlatform } from "./platform-list.js";
export { parsePlatformList } from "./platform-list.js";
export { basePlatforms, indexPlatforms } from "./base-platforms.js";
