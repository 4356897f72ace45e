/**
 * Which platforms a base offers, read once before a multi-platform build: the entries of its
 * image index (registry, OCI layout or oci-archive). A single-image base offers its config's
 * platform. Only manifests, indexes and one config are read, never layers.
 */
import { formatBaseSpec, detectLocalImage } from "../image/index.js";
import { archiveStore, directoryStore } from "../image/index.js";
import { readLayoutPlatforms } from "../image/index.js";
import { ImageIndexSchema, isIndexMediaType, offeredPlatforms, parseBaseSpec, parseJson, type Platform, type PlatformSpec } from "../image/index.js";
import { parseReference } from "../reference/index.js";
import type { RegistryClient } from "../registry/index.js";
import { openBaseImage } from "../source/index.js";

export async function basePlatforms(spec: string, client: () => RegistryClient, signal?: AbortSignal): Promise<Platform[]> {
  return (await indexPlatforms(spec, client, signal)) ?? [await singleImagePlatform(spec, client, signal)];
}

/** The platforms of the image index `spec` names; undefined when it names a single image (or a docker-archive). */
export async function indexPlatforms(spec: string, client: () => RegistryClient, signal?: AbortSignal): Promise<Platform[] | undefined> {
  const base = parseBaseSpec(spec);
  if (base.kind === "registry") {
    const local = await detectLocalImage(spec);
    if (local) return indexPlatforms(formatBaseSpec(local), client, signal);
  }
  switch (base.kind) {
    case "registry": {
      const fetched = await client().getManifest(parseReference(base.ref), { signal });
      return isIndexMediaType(fetched.mediaType) ? offeredPlatforms(parseJson(ImageIndexSchema, fetched.bytes, `image index ${base.ref}`)) : undefined;
    }
    case "oci":
      return readLayoutPlatforms(directoryStore(base.path), base.ref);
    case "oci-archive":
      return readLayoutPlatforms(await archiveStore(base.path), base.ref);
    case "docker-archive":
      return undefined;
  }
}

/** A base without an index: the platform its config names (the host's platform is only a placeholder to open it). */
async function singleImagePlatform(spec: string, client: () => RegistryClient, signal?: AbortSignal): Promise<Platform> {
  const host: PlatformSpec = { os: "linux", architecture: "amd64" };
  const config = await (await openBaseImage(spec, host, client, signal)).image.config();
  const p: Platform = { os: config.os ?? "linux", architecture: config.architecture ?? "amd64" };
  if (config.variant) p.variant = config.variant;
  return p;
}
