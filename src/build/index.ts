export { packageMap } from "./package-map.js";
export type { LayerSummary, OutputSummary, PackageMap1Options, PackageMapOptions, PackageMapResult } from "./options.js";
export { packageMultiPlatform, type MultiPlatformResult, type PlatformResult } from "./multi-platform.js";
