/**
 * map-build's library API. `packageMap` does what `map-build package` does; the CLI is a thin
 * shell over it. The building blocks (references, registry client, image model, layer writer,
 * outputs) are exported for tools that assemble images their own way.
 */
export { packageMap } from "./builder/index.js";
export type { CacheRepoSummary, LayerSummary, OutputSummary, PackageMap1Options, PackageMapOptions, PackageMapResult } from "./builder/index.js";
export { inspectMap, type InspectOptions, type InspectReport } from "./inspect/index.js";

export { MapBuildError, RegistryError, isMapBuildError, optionName, renderOptionNames, type ErrorCode } from "./errors.js";
export type { Logger, ProgressEvent, ProgressPhase, ProgressSink } from "./progress.js";
export { sha256Digest, type Digest } from "./digest.js";

export { parseReference } from "./reference/index.js";
export type { ImageReference } from "./reference/index.js";
export { RegistryClient, type RegistryClientOptions } from "./registry/index.js";
export { defaultKeychain, dockerConfigKeychain, envKeychain, explicitKeychain, multiKeychain } from "./registry/keychain/index.js";
export type { Credential, Keychain } from "./registry/index.js";

export {
  appendLayers,
  parseBaseSpec,
  readDockerArchiveImage,
  readOciLayoutImage,
  hostPlatform,
  parsePlatform,
  MediaType,
  type ConfigChanges,
  type Image,
  type ImageConfig,
  type ImageManifest,
  type Layer,
  type PlatformSpec,
} from "./image/index.js";
export { planFromDisk, writeLayer, writeLayers, type LayerEntry, type WriteLayerOptions } from "./layer/index.js";
export {
  dockerTarballSink,
  engineLoadSink,
  loadIntoEngine,
  ociArchiveSink,
  ociLayoutSink,
  pushImage,
  pushSink,
  writeDockerTarball,
  writeOciArchive,
  writeOciLayout,
  type Sink,
  type SinkContext,
  type SinkSummary,
} from "./sinks/index.js";
export { analyzeApp, checkConformance, planModels, renderManifests, type AppInfo, type ModelPlan } from "./map/index.js";
