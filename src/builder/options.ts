/** Options and result of packageMap(), the library API behind `map-build package`. */
import type { Keychain } from "../registry/index.js";
import type { RegistryTuning } from "../registry/index.js";
import type { Logger, ProgressSink } from "../progress.js";
import type { Sink, SinkSummary } from "../sinks/index.js";
import type { SupplyChainOptions } from "./attestations.js";

export interface PackageMapOptions {
  /** The legacy MAP of App SDK ≤ 0.5 (the default); `"1.0"` takes PackageMap1Options instead. */
  format?: "legacy";
  /** A `.py` file (only it is packaged) or a folder holding `__main__.py`. */
  appPath: string;
  /** Image name, `[registry/]repo[:tag]`: the push target, and the name written into archives. */
  tag: string;
  /** Model file or folder (`--model`). */
  model?: string;
  /** Base image: registry reference, `oci:DIR[:tag]` or `docker-archive:FILE[:tag]`. */
  base: string;
  platform?: string;
  /** Extra config labels (the MAP's own labels base, tag, version, sdk_version are not replaced). */
  labels?: Record<string, string>;
  /** Manifest annotations, over map-build's own (the OCI base name/digest). */
  annotations?: Record<string, string>;

  // manifest and layout values (original packager flags)
  workingDir?: string;
  inputDir?: string;
  outputDir?: string;
  modelsDir?: string;
  timeout?: number;
  version?: string;
  requirements?: string;
  cpu?: number;
  gpu?: number;
  memory?: string;
  sdkVersion?: string;

  // the SDK and Python dependencies
  /** Install no SDK (apps that do not import monai.deploy at run time). */
  noSdk?: boolean;
  sdkWheel?: string;
  wheelhouse?: string[];
  findLinks?: string[];
  indexUrl?: string;
  extraIndexUrls?: string[];
  pythonVersion?: string;
  /** Index hosts (host or host:port) reached without TLS verification (pip's trusted-host). */
  trustedHosts?: string[];
  /** Constraint files (pip's `constraint` setting): they limit versions of what is required, never add a package. */
  constraintFiles?: string[];
  /** Pre-releases may satisfy requirements. */
  pre?: boolean;
  /** Use no index at all, only local wheel folders (pip's no-index). */
  noIndex?: boolean;
  /** The index used when none is configured; "" for none. */
  defaultIndexUrl?: string;
  /** Write the resolved set here as pylock.toml. */
  lockFile?: string;
  /** Install exactly this pylock.toml. */
  locked?: string;
  /** An extension module needing a library neither its wheel nor the base has fails the build (else a warning). */
  strictLibs?: boolean;

  // layers
  compression?: "gzip" | "none";
  compressionLevel?: number;
  noCache?: boolean;
  /** Layer cache folder; without it nothing is cached (the CLI passes $MAP_BUILD_CACHE_DIR or the XDG default). */
  cacheDir?: string;
  /** Size bound of that cache, pruned least recently used first; default DEFAULT_CACHE_MAX_BYTES (20 GiB). */
  cacheMaxBytes?: number;
  /**
   * A registry repository (`registry/repo`) sharing the layer cache between machines: layers are
   * looked up there before they are built, and the layers a build made are recorded there after
   * it. Needs the local cache (not with `noCache`). Its failures are warnings, never errors.
   */
  cacheRepo?: string;
  /** Look layers up in `cacheRepo` but write nothing there (jobs whose output must not be trusted). */
  cacheRepoReadonly?: boolean;
  /**
   * The layer cache's clock (ms since the epoch; default Date.now): inputs changed within ~2 s of
   * it are hashed but not remembered (stat-index.ts). Tests inject one instead of waiting.
   */
  cacheNow?: () => number;
  /** Seconds since the epoch for every timestamp (SOURCE_DATE_EPOCH); default 0. */
  sourceDateEpoch?: number;
  tmpDir?: string;

  /** Where the image goes, written in this order (put local files before a push, so a push failure keeps them); at least one. */
  sinks: Sink[];
  /** SBOM and provenance: formats, files, in-image copy; attached by every sink that can hold them unless `attach: false`. */
  supplyChain?: SupplyChainOptions;

  // registry access
  keychain?: Keychain;
  insecureRegistries?: string[];
  /** Registry retries and timeouts; the client's defaults when absent. */
  registryTuning?: RegistryTuning;

  progress?: ProgressSink;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface LayerSummary {
  role: string;
  digest: string;
  diffId: string;
  size: number;
  mediaType: string;
  /** What happened to it: built now, reused from the cache, or taken from the base. */
  origin: "base" | "built" | "cached";
}

/** What one sink delivered. */
export type OutputSummary = SinkSummary;

export interface PackageMapResult {
  /** Manifest digest. */
  digest: string;
  tag: string;
  mediaType: string;
  /** Sum of all layer sizes plus config and manifest. */
  size: number;
  layers: LayerSummary[];
  outputs: OutputSummary[];
  appJson: string;
  pkgJson: string;
  /** The SBOM and provenance of this image (also in the files and outputs asked for). */
  attestations?: BuildAttestations;
  /** What the layer cache repository did, when one was given. */
  cacheRepo?: CacheRepoSummary;
  warnings: string[];
}

export interface CacheRepoSummary {
  /** registry/repository. */
  repository: string;
  readonly: boolean;
  /** Layers reused from it, keys it did not have, entries found unusable, entries written. */
  hits: number;
  misses: number;
  rejected: number;
  written: number;
}

export interface BuildAttestations {
  sbom: { mediaType: string; digest: string; size: number };
  provenance: { mediaType: string; digest: string; size: number };
}

/** packageMap() options for a MAP 1.0 (holoscan-cli's `holoscan/monai-deploy package -c app.yaml`). */
export interface PackageMap1Options
  extends Pick<
    PackageMapOptions,
    | "tag" | "base" | "timeout" | "version" | "sdkVersion" | "noSdk" | "sdkWheel" | "wheelhouse" | "findLinks" | "indexUrl"
    | "extraIndexUrls" | "constraintFiles" | "pythonVersion" | "compression" | "compressionLevel" | "noCache" | "cacheDir" | "cacheMaxBytes" | "cacheRepo" | "cacheRepoReadonly" | "cacheNow" | "sourceDateEpoch"
    | "tmpDir" | "sinks" | "keychain" | "insecureRegistries" | "registryTuning" | "progress" | "logger" | "signal"
    | "labels" | "annotations" | "supplyChain"
  > {
  format: "1.0";
  /** A folder with `__main__.py`, a `.py` file (its whole folder is packaged) or an executable. */
  appPath: string;
  /** app.yaml. */
  configPath: string;
  /** holoscan-cli platform name: x86_64, sbsa, jetson, igx-igpu, igx-dgpu (or a pre-3.0 name). */
  platform: string;
  /** igpu | dgpu, for the pre-3.0 `igx-orin-devkit` name. */
  platformConfig?: string;
  /** Keep `tag` as given instead of holoscan-cli's `<name>-<platform>-<config>-<arch>:<tag>`. */
  exactTag?: boolean;
  sdk?: "monai-deploy" | "holoscan";
  /** Holoscan SDK version for HOLOSCAN_VERSION and the org.nvidia.holoscan label when no holoscan wheel is installed. */
  holoscanVersion?: string;
  models?: string;
  docs?: string;
  /** Folders merged into /opt/holoscan/lib (`--add`). */
  addLibs?: string[];
  /** Folder copied into /var/holoscan/input (`--input-data`). */
  inputData?: string;
  username?: string;
  uid?: number;
  gid?: number;
  /** Also write a docker-loadable tarball `<dir>/<image tag>.tar` (`:` and `/` as `-`), as holoscan-cli's output folder. */
  tarballDir?: string;
}
