/**
 * An Image over values read once: what a registry answered (manifest and config), or what
 * appendLayers built on first use. Every Image method is a field of ImageParts, so the ways of
 * getting an image differ only in how they read those parts.
 */
import type { Digest } from "../digest.js";
import type { Image, ImageConfig, ImageManifest, Layer } from "./image.js";

export interface ImageParts {
  rawManifest: Buffer;
  manifest: ImageManifest;
  mediaType: string;
  digest: Digest;
  rawConfig: Buffer;
  config: ImageConfig;
  layers: readonly Layer[];
}

/** The image whose parts `read` yields; `read` runs once, on the first call of any method. */
export function imageOf(read: () => Promise<ImageParts>): Image {
  let parts: Promise<ImageParts> | undefined;
  const get = (): Promise<ImageParts> => (parts ??= read());
  return {
    rawManifest: async () => (await get()).rawManifest,
    manifest: async () => (await get()).manifest,
    mediaType: async () => (await get()).mediaType,
    digest: async () => (await get()).digest,
    rawConfig: async () => (await get()).rawConfig,
    config: async () => (await get()).config,
    layers: async () => [...(await get()).layers],
  };
}
