export { inspectMap, type InspectOptions, type InspectReport, type InspectedLayer } from "./inspect-map.js";
export { listLayerFiles, type LayerListing, type TarFileInfo } from "./layer-files.js";
