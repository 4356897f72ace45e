/** Every default in one place, each with its reason. */
import { MapBuildError } from "./errors.js";

/** The original packager's default base for SDK 0.1–0.5.0 (map-format.md §0). */
export const DEFAULT_BASE_IMAGE = "nvcr.io/nvidia/pytorch:21.07-py3";

/** Legacy MAP layout defaults (SDK 0.5.1; map-format.md §1.1–1.3). */
export const DEFAULT_WORKING_DIR = "/var/monai/";
export const DEFAULT_INPUT_DIR = "input";
export const DEFAULT_OUTPUT_DIR = "output";
export const DEFAULT_MODELS_DIR = "/opt/monai/models";
export const APP_DIR = "/opt/monai/app";
export const MANIFEST_DIR = "/etc/monai";
export const EXECUTOR_PATH = "/opt/monai/executor/monai-exec";

/** The SDK version written to the manifests when no SDK wheel tells us (the layout we emit is 0.5.1's). */
export const DEFAULT_SDK_VERSION = "0.5.1";

/** Version written when the app declares none and --version is not given (upstream ≤ 0.5.0 fallback). */
export const DEFAULT_APP_VERSION = "0.0.0";

/**
 * gzip level for new layers. Level 1 is as fast as anything node:zlib does here (facts.md: ~6 MB/s
 * per core at level 1 and 6 alike on the slow machine kind) and compresses code and text well.
 */
export const DEFAULT_GZIP_LEVEL = 1;

/**
 * Parallel blob transfers. go-containerregistry uses 4 (pkg/v1/remote/options.go); registries
 * throttle more, and 2 cores gain nothing from more compression jobs.
 */
export const DEFAULT_TRANSFER_CONCURRENCY = 4;

/** Reproducible builds: `SOURCE_DATE_EPOCH` when set, else the Unix epoch (never "now"). */
export function sourceDateEpoch(env: NodeJS.ProcessEnv): number {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === "") return 0;
  if (!/^\d+$/.test(raw)) {
    throw new MapBuildError("E_USAGE", `SOURCE_DATE_EPOCH="${raw}" is not a number of seconds`, {
      hint: "set SOURCE_DATE_EPOCH to an integer, e.g. $(git log -1 --format=%ct), or unset it",
    });
  }
  return Number(raw);
}

