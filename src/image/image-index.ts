/**
 * A multi-platform image: one image per platform under an OCI image index, or a Docker manifest
 * list when the images are Docker v2 (one family per artifact, as for layers). The index bytes are
 * canonical JSON in the order the platforms were asked for, so equal images give an equal digest.
 */
import { sha256Digest, type Digest } from "../digest.js";
import { MapBuildError } from "../errors.js";
import { canonicalJson } from "./canonical-json.js";
import { manifestFamily } from "./family.js";
import type { Descriptor, Image, Platform } from "./image.js";
import { MediaType } from "./media-types.js";
import { formatPlatform, type PlatformSpec } from "./platform.js";

export interface PlatformImage {
  platform: Platform;
  image: Image;
  /** The image's entry in the index (media type, digest, size, platform). */
  descriptor: Descriptor;
  /** The image's own full name where a name holds one image (docker's RepoTags, an engine), instead of `<tag>-<arch>`. */
  name?: string;
}

export interface MultiPlatformImage {
  images: PlatformImage[];
  /** The serialised index, exactly the bytes whose sha256 is `digest`. */
  rawIndex: Buffer;
  mediaType: string;
  digest: Digest;
}

/** The platform an image is for, from its config (the index entry must say what the image is). */
export async function imagePlatform(image: Image): Promise<Platform> {
  const c = await image.config();
  if (!c.os || !c.architecture) {
    throw new MapBuildError("E_MANIFEST_INVALID", "an image of a multi-platform build has no os/architecture in its config", {
      hint: "use a base image whose config names its platform",
    });
  }
  return c.variant ? { architecture: c.architecture, os: c.os, variant: c.variant } : { architecture: c.architecture, os: c.os };
}

/** `names[i]`, when given, is image i's own name (PlatformImage.name); it is not part of the index bytes. */
export async function buildImageIndex(images: readonly Image[], names?: readonly string[]): Promise<MultiPlatformImage> {
  if (images.length === 0) throw new MapBuildError("E_USAGE", "a multi-platform image needs at least one image");
  const entries: PlatformImage[] = [];
  for (const image of images) {
    const platform = await imagePlatform(image);
    const key = formatPlatform(platform);
    if (entries.some((e) => formatPlatform(e.platform) === key)) {
      throw new MapBuildError("E_USAGE", `platform ${key} is listed twice`, { hint: "name each platform once" });
    }
    const descriptor: Descriptor = { mediaType: await image.mediaType(), digest: await image.digest(), size: (await image.rawManifest()).length, platform };
    const name = names?.[entries.length];
    entries.push({ platform, image, descriptor, ...(name ? { name } : {}) });
  }
  const families = new Set(entries.map((e) => manifestFamily(e.descriptor.mediaType)));
  if (families.size > 1) {
    throw new MapBuildError("E_UNSUPPORTED_MEDIA_TYPE", "the platforms' images mix OCI and Docker v2 manifests", {
      hint: "use a base image whose platforms share one manifest format",
    });
  }
  const mediaType = families.has("docker") ? MediaType.dockerManifestList : MediaType.ociIndex;
  const rawIndex = canonicalJson({ schemaVersion: 2, mediaType, manifests: entries.map((e) => e.descriptor) });
  return { images: entries, rawIndex, mediaType, digest: sha256Digest(rawIndex) };
}

/** The image for `platform` (exact os/architecture/variant match), or undefined. */
export function findPlatformImage(index: MultiPlatformImage, platform: PlatformSpec): PlatformImage | undefined {
  const key = formatPlatform(platform);
  return index.images.find((e) => formatPlatform(e.platform) === key) ?? index.images.find((e) => e.platform.os === platform.os && e.platform.architecture === platform.architecture);
}

/**
 * The name of one platform's image where a name holds one image (docker's RepoTags, an OCI
 * layout entry for umoci): `app:1.0` → `app:1.0-arm64` (variant appended: `-armv7`).
 */
export function platformTagged(name: string, platform: Platform): string {
  return `${name}-${platform.architecture}${platform.variant ?? ""}`;
}

/** The names of one platform's image where a name holds one image: its own name, else each of `names` as `<name>-<arch>`. */
export function platformImageNames(names: readonly string[], entry: PlatformImage): string[] {
  if (entry.name) return [entry.name, ...names.slice(1).map((n) => platformTagged(n, entry.platform))];
  return names.map((n) => platformTagged(n, entry.platform));
}
