/** Public surface of the MAP domain: pure data for the builder (no network, no image I/O). */
export { PyFloat, pythonJsonDumps, pythonJsonDumpsCompact, pythonJsonString, pythonFloatRepr, type PyJsonKey, type PyJsonValue } from "./python-json.js";
export { parseMemoryBytes, renderMemoryMi, memoryToMi } from "./size.js";
export { pep440ToSemver, isSemver } from "./sdk-version.js";
export { analyzeApp, MAP_APP_COMMAND_PREFIX, type AppInfo, type AnalyzeOptions, type Unresolved } from "./app-analysis.js";
export { isIgnored, DOCKERIGNORE_PATTERNS } from "./ignore.js";
export { planModels, modelSha256, modelFiles, pythonStem, DEFAULT_MODELS_DIR, type ContentDigest, type ModelPlan } from "./models.js";
export { isTorchScriptFile } from "./torchscript.js";
export {
  buildAppJson, renderManifests, MAP_API_VERSION, DEFAULT_WORKING_DIR,
  type AppJson, type PkgJson, type ManifestInfo, type ManifestModel,
} from "./manifests.js";
export { renderExecutor, shQuote, EXPORT_ROOT, type ExecutorOptions } from "./executor.js";
export {
  mapConfigChanges, mapDirectories, pythonPathJoin, MAP_APP_DIR, MAP_EXECUTOR_DIR, MAP_EXECUTOR_PATH,
  MAP_MANIFEST_DIR, MAP_USER_BIN, DOCKER_DEFAULT_PATH, type MapLayoutOptions, type MapConfigChanges,
} from "./layout.js";
export { checkConformance, type ConformanceInput, type ConformanceResult, type ImageFileInfo } from "./conformance.js";
export { buildFactLabels, readBuildFacts, SDK_LABEL, type BuildFacts } from "./build-facts.js";
export { safeAppFileName } from "./app-file-name.js";
export { appLayer, editDeferred, modelLayer, sbomLayer, skeletonLayer, type DeferredLayer, type NewLayer, type PlannedLayer } from "./map-entries.js";
export { resolveAppMetadata, type AppMetadata, type AppOverrides } from "./app-metadata.js";
export { requirementsList, withSdkRequirements, type RequirementsList, type RequirementsOverride } from "./requirements-list.js";
