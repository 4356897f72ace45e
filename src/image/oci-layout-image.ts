/**
 * A base image read from an OCI image layout directory (skopeo `oci:DIR:tag`, umoci), for
 * air-gapped builds. Every blob is checked against its descriptor as it is read.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isDigest, digestAlgorithm, digestHex, type Digest } from "../digest.js";
import { MapBuildError } from "../errors.js";
import { fileLayer } from "./file-layer.js";
import { isImageManifestMediaType, isIndexMediaType, MediaType } from "./media-types.js";
import { hostPlatform, selectManifest, type PlatformSpec } from "./platform.js";
import { ImageConfigSchema, ImageIndexSchema, ImageManifestSchema, parseJson, type ImageIndex } from "./schemas.js";
import { verifyBytes } from "./verify-stream.js";
import type { Descriptor, Image } from "./image.js";

export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
/** Manifest and config blobs are small; refuse absurd ones before reading them into memory. */
const MAX_JSON_BLOB = 16 * 1024 * 1024;
/** Nested indexes deeper than this are a loop or garbage. */
const MAX_INDEX_DEPTH = 4;

export function blobPath(dir: string, d: Digest): string {
  return join(dir, "blobs", digestAlgorithm(d), digestHex(d));
}

/** Read and verify a small blob (manifest, index, config). */
export async function readJsonBlob(dir: string, desc: Descriptor, what: string): Promise<Buffer> {
  if (desc.size > MAX_JSON_BLOB) {
    throw new MapBuildError("E_MANIFEST_INVALID", `${what} ${desc.digest} claims ${desc.size} bytes, more than any manifest or config should`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(blobPath(dir, desc.digest));
  } catch (cause) {
    throw new MapBuildError("E_INPUT_FORMAT", `${what} ${desc.digest} is missing from the OCI layout ${dir}`, {
      hint: "the layout is incomplete; re-create it (e.g. with skopeo copy)",
      cause,
    });
  }
  return verifyBytes(bytes, desc.digest, desc.size, `${what} ${desc.digest}`);
}

async function checkLayoutVersion(dir: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(join(dir, "oci-layout"), "utf8");
  } catch (cause) {
    throw new MapBuildError("E_INPUT_FORMAT", `${dir} is not an OCI image layout (no oci-layout file)`, {
      hint: "point oci: at a directory written by skopeo, umoci or map-build",
      cause,
    });
  }
  let version: unknown;
  try {
    version = (JSON.parse(text) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch {
    version = undefined;
  }
  if (typeof version !== "string" || !/^1\.\d+\.\d+$/.test(version)) {
    throw new MapBuildError("E_INPUT_FORMAT", `${dir}/oci-layout has unsupported imageLayoutVersion ${JSON.stringify(version)}`, {
      hint: "only OCI image layout 1.x is supported",
    });
  }
}

export async function readLayoutIndex(dir: string): Promise<ImageIndex> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, "index.json"));
  } catch (cause) {
    throw new MapBuildError("E_INPUT_FORMAT", `${dir} has no index.json`, { hint: "the OCI layout is incomplete", cause });
  }
  return parseJson(ImageIndexSchema, bytes, `${dir}/index.json`);
}

/** Pick the top-level descriptor for `ref` (a tag in ref.name, or a digest). */
function pickTopLevel(index: ImageIndex, dir: string, ref: string | undefined): Descriptor | undefined {
  const tags = index.manifests.map((m) => m.annotations?.[REF_NAME_ANNOTATION]).filter((t): t is string => !!t);
  if (ref !== undefined) {
    const found = isDigest(ref)
      ? index.manifests.find((m) => m.digest === ref)
      : index.manifests.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === ref);
    if (!found) {
      throw new MapBuildError("E_MANIFEST_UNKNOWN", `OCI layout ${dir} has no image "${ref}"`, {
        hint: `available: ${tags.join(", ") || "(no tags)"}`,
      });
    }
    return found;
  }
  if (index.manifests.length === 1) return index.manifests[0];
  return undefined; // several: let the platform decide
}

export async function readOciLayoutImage(dir: string, ref?: string, platform?: PlatformSpec): Promise<Image> {
  await checkLayoutVersion(dir);
  const index = await readLayoutIndex(dir);
  if (index.manifests.length === 0) throw new MapBuildError("E_INPUT_FORMAT", `OCI layout ${dir} holds no images`);
  let desc = pickTopLevel(index, dir, ref) ?? selectManifest(index, platform ?? hostPlatform(), `OCI layout ${dir}`);
  for (let depth = 0; isIndexMediaType(desc.mediaType); depth++) {
    if (depth >= MAX_INDEX_DEPTH) throw new MapBuildError("E_MANIFEST_INVALID", `OCI layout ${dir}: indexes nested too deep`);
    const nested = parseJson(ImageIndexSchema, await readJsonBlob(dir, desc, "image index"), `image index ${desc.digest}`);
    desc = selectManifest(nested, platform ?? hostPlatform(), `image index ${desc.digest}`);
  }
  if (!isImageManifestMediaType(desc.mediaType)) {
    throw new MapBuildError("E_UNSUPPORTED_MEDIA_TYPE", `OCI layout ${dir}: unsupported manifest media type "${desc.mediaType}"`, {
      hint: "use an OCI or Docker v2 schema 2 image",
    });
  }
  return loadImage(dir, desc);
}

async function loadImage(dir: string, desc: Descriptor): Promise<Image> {
  const rawManifest = await readJsonBlob(dir, desc, "image manifest");
  const manifest = parseJson(ImageManifestSchema, rawManifest, `image manifest ${desc.digest}`);
  if (manifest.mediaType && manifest.mediaType !== desc.mediaType) {
    throw new MapBuildError("E_MANIFEST_INVALID", `manifest ${desc.digest} says ${manifest.mediaType} but its descriptor says ${desc.mediaType}`);
  }
  const rawConfig = await readJsonBlob(dir, manifest.config, "image config");
  const config = parseJson(ImageConfigSchema, rawConfig, `image config ${manifest.config.digest}`);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new MapBuildError(
      "E_MANIFEST_INVALID",
      `image ${desc.digest}: manifest has ${manifest.layers.length} layers but config has ${config.rootfs.diff_ids.length} diff_ids`,
    );
  }
  const layers = manifest.layers.map((l, i) =>
    fileLayer({ file: blobPath(dir, l.digest), size: l.size, mediaType: l.mediaType, digest: l.digest, diffId: config.rootfs.diff_ids[i]! }),
  );
  const mediaType = desc.mediaType || MediaType.ociManifest;
  return {
    rawManifest: async () => rawManifest,
    manifest: async () => manifest,
    mediaType: async () => mediaType,
    digest: async () => desc.digest,
    rawConfig: async () => rawConfig,
    config: async () => config,
    layers: async () => [...layers],
  };
}
