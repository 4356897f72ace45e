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
  const base = parseBaseSpec(spec);
  if (base.kind === "registry") {
    const local = await detectLocalImage(spec);
    if (local) return basePlatforms(formatBaseSpec(local), client, signal);
  }
  let offered: Platform[] | undefined;
  switch (base.kind) {
    case "registry": {
      const fetched = await client().getManifest(parseReference(base.ref), { signal });
      if (isIndexMediaType(fetched.mediaType)) offered = offeredPlatforms(parseJson(ImageIndexSchema, fetched.bytes, `image index ${base.ref}`));
      break;
    }
    case "oci":
      offered = await readLayoutPlatforms(directoryStore(base.path), base.ref);
      break;
    case "oci-archive":
      offered = await readLayoutPlatforms(await archiveStore(base.path), base.ref);
      break;
    case "docker-archive":
      break;
  }
  if (offered) return offered;
  return [await singleImagePlatform(spec, client, signal)];
}

/** A base without an index: the platform its config names (the host's platform is only a placeholder to open it). */
async function singleImagePlatform(spec: string, client: () => RegistryClient, signal?: AbortSignal): Promise<Platform> {
  const host: PlatformSpec = { os: "linux", architecture: "amd64" };
  const config = await (await openBaseImage(spec, host, client, signal)).image.config();
  const p: Platform = { os: config.os ?? "linux", architecture: config.architecture ?? "amd64" };
  if (config.variant) p.variant = config.variant;
  return p;
}
