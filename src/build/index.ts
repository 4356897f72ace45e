export { packageMap } from "./package-map.js";
export type { LayerSummary, OutputSummary, PackageMapOptions, PackageMapResult } from "./options.js";
