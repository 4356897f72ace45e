export { packageMap } from "./package-map.js";
export type { LayerSummary, OutputSummary, PackageMapOptions, PackageMapResult, PackageOutputs } from "./options.js";
