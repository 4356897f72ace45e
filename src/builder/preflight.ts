/** Checks that fail a build before layers are written, so a base for the wrong platform costs seconds, not a full build. */
import { MapBuildError, optionName } from "../errors.js";
import { formatPlatform, type PlatformSpec } from "../image/index.js";
import type { ImageConfig } from "../image/index.js";

/**
 * A single-platform base (no index to choose from) must still be for the platform asked for with
 * --platform. Without --platform any base is accepted: MAPs are routinely built on one machine
 * kind for another, and nothing from the base runs here.
 */
export function checkBasePlatform(config: ImageConfig, want: PlatformSpec, baseLabel: string): void {
  const os = config.os;
  const architecture = config.architecture;
  if (!os || !architecture) return; // nothing to compare (non-conforming but harmless)
  const have: PlatformSpec = config.variant ? { os, architecture, variant: config.variant } : { os, architecture };
  const variantOk = !want.variant || !have.variant || want.variant === have.variant;
  if (have.os !== want.os || have.architecture !== want.architecture || !variantOk) {
    throw new MapBuildError("E_PLATFORM_NOT_FOUND", `base ${baseLabel} is for ${formatPlatform(have)} only, not ${formatPlatform(want)}`, {
      hint: `drop ${optionName("platform")} to build for ${formatPlatform(have)}, or use a base image built for ${formatPlatform(want)}`,
    });
  }
}
