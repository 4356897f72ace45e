/** Every default in one place, each with its reason. */
import { MapBuildError } from "./errors.js";

/** The original packager's default base for SDK 0.1–0.5.0 (map-format.md §0). */
export const DEFAULT_BASE_IMAGE = "nvcr.io/nvidia/pytorch:21.07-py3";

/**
 * Legacy MAP layout defaults (SDK 0.5.1; map-format.md §1.1–1.3). The image paths themselves live
 * with the MAP layout in src/map/layout.ts; these two are only CLI defaults.
 */
export const DEFAULT_INPUT_DIR = "input";
export const DEFAULT_OUTPUT_DIR = "output";

/** The SDK version written to the manifests when no SDK wheel tells us (the layout we emit is 0.5.1's). */
export const DEFAULT_SDK_VERSION = "0.5.1";

/** Version written when the app declares none and --version is not given (upstream ≤ 0.5.0 fallback). */
export const DEFAULT_APP_VERSION = "0.0.0";

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


/** Largest manifest, index or config map-build reads into memory, from any source (registry, layout, archive). */
export const MAX_JSON_DOCUMENT_BYTES = 16 * 1024 * 1024;

/** Larger than any real requirements file, even one with hashes for every wheel. */
export const MAX_REQUIREMENTS_BYTES = 8 * 1024 * 1024;
