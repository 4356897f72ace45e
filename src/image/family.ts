/**
 * Media-type families. One family per image (facts.md): a Docker v2 manifest carries Docker config
 * and layer types, an OCI manifest OCI ones; mixing them makes containerd and umoci refuse it.
 */
import { MapBuildError } from "../errors.js";
import { MediaType, type ManifestFamily } from "./media-types.js";
import type { Image, Layer } from "./image.js";

const DOCKER_LAYERS: ReadonlySet<string> = new Set([MediaType.dockerLayer, MediaType.dockerLayerGzip, MediaType.dockerForeignLayerGzip]);

/** The family of a layer media type, or undefined for a type that is no layer at all. */
export function layerFamily(mediaType: string): ManifestFamily | undefined {
  if (DOCKER_LAYERS.has(mediaType)) return "docker";
  if (mediaType.startsWith("application/vnd.oci.image.layer.")) return "oci";
  return undefined;
}

export function manifestFamily(mediaType: string): ManifestFamily {
  if (mediaType === MediaType.dockerManifest) return "docker";
  if (mediaType === MediaType.ociManifest) return "oci";
  throw new MapBuildError("E_UNSUPPORTED_MEDIA_TYPE", `unsupported image manifest media type "${mediaType}"`, {
    hint: "use a base image with an OCI or Docker v2 schema 2 manifest",
  });
}

export async function imageFamily(image: Image): Promise<ManifestFamily> {
  return manifestFamily(await image.mediaType());
}

/** The same bytes under the other family's name: tar ↔ rootfs.diff.tar, +gzip ↔ .tar.gzip. */
function layerMediaTypeFor(mediaType: string, family: ManifestFamily): string {
  const have = layerFamily(mediaType);
  if (have === family) return mediaType;
  const map: Record<string, string> =
    family === "docker"
      ? { [MediaType.ociLayer]: MediaType.dockerLayer, [MediaType.ociLayerGzip]: MediaType.dockerLayerGzip }
      : { [MediaType.dockerLayer]: MediaType.ociLayer, [MediaType.dockerLayerGzip]: MediaType.ociLayerGzip };
  const to = map[mediaType];
  if (!to) {
    throw new MapBuildError("E_UNSUPPORTED_MEDIA_TYPE", `layer media type "${mediaType}" has no ${family} equivalent`, {
      hint: "build the layer gzip-compressed or uncompressed",
    });
  }
  return to;
}

/** Relabel a layer for a family without touching its bytes (the builder does not know the base's family). */
export function layerForFamily(layer: Layer, family: ManifestFamily): Layer {
  const wrapped: Layer = {
    digest: () => layer.digest(),
    diffId: () => layer.diffId(),
    size: () => layer.size(),
    open: () => layer.open(),
    mediaType: async () => layerMediaTypeFor(await layer.mediaType(), family),
  };
  return { ...wrapped, ...(layer.source ? { source: layer.source } : {}), ...(layer.storedFile ? { storedFile: () => layer.storedFile!() } : {}) };
}
