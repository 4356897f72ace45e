/**
 * An image whose layers read through the blob cache (cachedBlobLayer); manifest, config and
 * digest are the image's own, so the built image is byte for byte the one built without it.
 */
import type { Image, Layer } from "../image/index.js";
import { cachedBlobLayer, type BlobCache } from "./blob-cache.js";

export function cachedImage(image: Image, cache: BlobCache): Image {
  // Wrapped once: every caller sees the same layer objects, as with the image itself.
  let layers: Promise<Layer[]> | undefined;
  return {
    rawManifest: () => image.rawManifest(),
    manifest: () => image.manifest(),
    mediaType: () => image.mediaType(),
    digest: () => image.digest(),
    rawConfig: () => image.rawConfig(),
    config: () => image.config(),
    layers: async () => [...(await (layers ??= image.layers().then((ls) => ls.map((l) => cachedBlobLayer(l, cache)))))],
  };
}
