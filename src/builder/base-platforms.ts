/**
 * Which platforms a base offers, read once before a multi-platform build: the entries of its
 * image index (registry, OCI layout or oci-archive). A single-image base offers its config's
 * platform. Only manifests, indexes and one config are read, never layers.
 */
import { formatBaseSpec, detectLocalImage, indexTar, type TarIndexReader } from "../image/index.js";
import { archiveStore, directoryStore } from "../image/index.js";
import { readLayoutPlatforms } from "../image/index.js";
import { ImageIndexSchema, isIndexMediaType, offeredPlatforms, parseBaseSpec, parseJson, type Platform, type PlatformSpec } from "../image/index.js";
import { parseReference } from "../reference/index.js";
import type { RegistryClient } from "../registry/index.js";
import { openBaseImage } from "../source/index.js";

/** `tarIndex`: how a local archive's member list is read (tarIndexOnce shares one read with the later opens). */
export interface PlatformsOptions {
  tarIndex?: TarIndexReader;
}

export async function basePlatforms(spec: string, client: () => RegistryClient, signal?: AbortSignal, opts: PlatformsOptions = {}): Promise<Platform[]> {
  return (await indexPlatforms(spec, client, signal, opts)) ?? [await singleImagePlatform(spec, client, signal, opts)];
}

/** The platforms of the image index `spec` names; undefined when it names a single image (or a docker-archive). */
export async function indexPlatforms(spec: string, client: () => RegistryClient, signal?: AbortSignal, opts: PlatformsOptions = {}): Promise<Platform[] | undefined> {
  const base = parseBaseSpec(spec);
  const readIndex = opts.tarIndex ?? indexTar;
  if (base.kind === "registry") {
    const local = await detectLocalImage(spec, readIndex);
    if (local) return indexPlatforms(formatBaseSpec(local), client, signal, opts);
  }
  switch (base.kind) {
    case "registry": {
      const fetched = await client().getManifest(parseReference(base.ref), { signal });
      return isIndexMediaType(fetched.mediaType) ? offeredPlatforms(parseJson(ImageIndexSchema, fetched.bytes, `image index ${base.ref}`)) : undefined;
    }
    case "oci":
      return readLayoutPlatforms(directoryStore(base.path), base.ref);
    case "oci-archive":
      return readLayoutPlatforms(await archiveStore(base.path, await readIndex(base.path, "oci-archive")), base.ref);
    case "docker-archive":
      return undefined;
  }
}

/** A base without an index: the platform its config names (the host's platform is only a placeholder to open it). */
async function singleImagePlatform(spec: string, client: () => RegistryClient, signal: AbortSignal | undefined, opts: PlatformsOptions): Promise<Platform> {
  const host: PlatformSpec = { os: "linux", architecture: "amd64" };
  const config = await (await openBaseImage(spec, host, client, signal, opts)).image.config();
  const p: Platform = { os: config.os ?? "linux", architecture: config.architecture ?? "amd64" };
  if (config.variant) p.variant = config.variant;
  return p;
}
