export type { BuildFacts, DistributionLicense, ImageFile, ModelFacts, PythonDistribution } from "./facts.js";
export { CYCLONEDX_MEDIA_TYPE, cycloneDxDocument, renderCycloneDx } from "./cyclonedx.js";
export { SPDX_MEDIA_TYPE, renderSpdx, spdxDocument } from "./spdx.js";
export { IN_TOTO_MEDIA_TYPE, MAP_BUILD_TYPE, SLSA_PROVENANCE_V1, provenanceStatement, renderProvenance, type ProvenanceOptions } from "./provenance.js";
export { externalParameters, type BuildParameters } from "./parameters.js";
export { toolIdentity } from "./tool.js";
export { ociPurl, pypiPurl } from "./purl.js";
export { isoSeconds } from "./ids.js";
