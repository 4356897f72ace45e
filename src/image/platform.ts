/** Platforms (`os/arch[/variant]`) and picking one image out of an index. */
import { arch } from "node:os";
import { MapBuildError, optionName } from "../errors.js";
import type { Descriptor, ImageIndex, Platform } from "./schemas.js";

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

/** Node's arch names → OCI GOARCH names. */
const NODE_TO_OCI_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x", ia32: "386" };

export function hostPlatform(): PlatformSpec {
  return { os: "linux", architecture: NODE_TO_OCI_ARCH[arch()] ?? arch() };
}

/** Parse `linux/amd64`, `linux/arm64/v8`, `amd64` (os defaults to linux). */
export function parsePlatform(s: string): PlatformSpec {
  const parts = s.trim().split("/");
  if (parts.some((p) => !/^[a-z0-9._-]+$/.test(p)) || parts.length > 3) {
    throw new MapBuildError("E_USAGE", `invalid platform "${s}"`, { hint: "use os/arch[/variant], e.g. linux/amd64" });
  }
  if (parts.length === 1) return { os: "linux", architecture: parts[0]! };
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: PlatformSpec | Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** arm64 without a variant means v8; amd64 variants (v2, v3) are accepted for a plain amd64 request. */
function variantMatches(want: string | undefined, have: string | undefined, architecture: string): boolean {
  if (!want) return true;
  const norm = (v: string | undefined) => (architecture === "arm64" && !v ? "v8" : v);
  return norm(want) === norm(have);
}

/** Does an image for `have` satisfy a request for `want` (no variant asked: any; arm64 = arm64/v8)? */
export function platformMatches(want: PlatformSpec, have: PlatformSpec): boolean {
  return have.os === want.os && have.architecture === want.architecture && variantMatches(want.variant, have.variant, want.architecture);
}

/** An index's image entries; `unknown/unknown` entries are attestations (buildx), never images to run. */
function imageEntries(index: ImageIndex): Descriptor[] {
  return index.manifests.filter((m) => m.platform && m.platform.os !== "unknown" && m.platform.architecture !== "unknown");
}

/** The platforms an index offers, in its order. */
export function offeredPlatforms(index: ImageIndex): Platform[] {
  return imageEntries(index).map((m) => m.platform!);
}

/**
 * The index entry for `want`. Entries for `unknown/unknown` are attestations (buildx) and are
 * never chosen. Throws E_PLATFORM_NOT_FOUND listing what the index offers.
 */
export function selectManifest(index: ImageIndex, want: PlatformSpec, what = "image index"): Descriptor {
  const candidates = imageEntries(index);
  const found = candidates.find((m) => platformMatches(want, m.platform!));
  if (found) return found;
  const offered = candidates.map((m) => formatPlatform(m.platform!)).join(", ") || "none";
  throw new MapBuildError("E_PLATFORM_NOT_FOUND", `${what} has no image for ${formatPlatform(want)} (it offers: ${offered})`, {
    hint: `choose one of the offered platforms with ${optionName("platform")}, or use a base image built for your target`,
  });
}
