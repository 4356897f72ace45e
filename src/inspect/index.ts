export { inspectMap, type InspectOptions, type InspectReport, type InspectedLayer } from "./inspect-map.js";
export { listLayerFiles, type LayerListing, type TarFileInfo } from "../image/index.js";
export { diffImages, type ImageDiff, type LayerDiff, type FileChange, type ValueChange } from "./diff-images.js";
export type { InspectCheck, CheckStatus } from "./checklists.js";
export { attachedArtifacts, SBOM_ARTIFACT_TYPES } from "./attached.js";
