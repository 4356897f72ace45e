/** The platform list of a build: `linux/amd64,linux/arm64[/v8]`, or `all` (every platform the base offers). */
import { MapBuildError } from "../errors.js";
import { formatPlatform, parsePlatform, platformMatches, type Platform, type PlatformSpec } from "../image/index.js";

export type PlatformRequest = PlatformSpec[] | "all";

export const ALL_PLATFORMS = "all";

export function parsePlatformList(s: string): PlatformRequest {
  const items = s.split(",").map((x) => x.trim()).filter((x) => x !== "");
  if (items.length === 0) throw new MapBuildError("E_USAGE", "no platform given", { hint: "name platforms as os/arch[/variant], comma-separated, or all" });
  if (items.includes(ALL_PLATFORMS)) {
    if (items.length > 1) throw new MapBuildError("E_USAGE", `"${ALL_PLATFORMS}" cannot be combined with other platforms`, { hint: "use all alone, or list the platforms" });
    return ALL_PLATFORMS;
  }
  const platforms = items.map(parsePlatform);
  const seen = new Set<string>();
  for (const p of platforms) {
    const key = formatPlatform(p);
    if (seen.has(key)) throw new MapBuildError("E_USAGE", `platform ${key} is listed twice`, { hint: "name each platform once" });
    seen.add(key);
  }
  return platforms;
}

/** Several platforms (or `all`): the build makes an index rather than one image. */
export function isMultiPlatform(s: string | undefined): boolean {
  return s !== undefined && (s.includes(",") || s.trim() === ALL_PLATFORMS);
}

/**
 * The platforms to build, each as the base offers it (so `linux/arm64` takes the base's variant).
 * Fails listing what the base offers when one is missing, before anything is built.
 */
export function choosePlatforms(request: PlatformRequest, offered: readonly Platform[], baseLabel: string): PlatformSpec[] {
  if (request === ALL_PLATFORMS) return offered.map(spec);
  const missing = request.filter((want) => !offered.some((have) => platformMatches(want, have)));
  if (missing.length) {
    const list = offered.map(formatPlatform).join(", ") || "none";
    throw new MapBuildError("E_PLATFORM_NOT_FOUND", `base ${baseLabel} has no image for ${missing.map(formatPlatform).join(", ")} (it offers: ${list})`, {
      hint: "build only for the platforms the base offers, or use a base image built for the missing ones",
    });
  }
  return request.map((want) => spec(offered.find((have) => platformMatches(want, have))!));
}

function spec(p: Platform): PlatformSpec {
  return p.variant ? { os: p.os, architecture: p.architecture, variant: p.variant } : { os: p.os, architecture: p.architecture };
}
