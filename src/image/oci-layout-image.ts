/**
 * A base image read from an OCI image layout (skopeo `oci:DIR:tag`, umoci, or a tar of one), for
 * air-gapped builds. Every blob is checked against its descriptor as it is read.
 */
import { MAX_JSON_DOCUMENT_BYTES } from "../defaults.js";
import { isDigest, type Digest } from "../digest.js";
import { MapBuildError } from "../errors.js";
import { fileLayer } from "./file-layer.js";
import { isImageManifestMediaType, isIndexMediaType, MediaType } from "./media-types.js";
import { hostPlatform, offeredPlatforms, selectManifest, type PlatformSpec } from "./platform.js";
import { ImageConfigSchema, ImageIndexSchema, ImageManifestSchema, parseJson, type ImageIndex } from "./schemas.js";
import { verifyBytes } from "../verify-stream.js";
import { archiveStore, blobRelPath, directoryStore, type LayoutStore } from "./layout-store.js";
import { indexTar, type TarIndexReader } from "./tar-index.js";
import { normalizeTag } from "./tag-name.js";
import type { Descriptor, Image, Platform } from "./image.js";

export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";
/** Manifest and config blobs are small; refuse absurd ones before reading them into memory. */
/** Nested indexes deeper than this are a loop or garbage. */
const MAX_INDEX_DEPTH = 4;

/** Read and verify a small blob (manifest, index, config). */
function missingBlob(store: LayoutStore, what: string, d: Digest, cause?: unknown): MapBuildError {
  return new MapBuildError("E_INPUT_FORMAT", `${what} ${d} is missing from the OCI layout ${store.name}`, {
    hint: "the layout is incomplete; re-create it (e.g. with skopeo copy)",
    cause,
  });
}

export async function readJsonBlob(store: LayoutStore, desc: Descriptor, what: string): Promise<Buffer> {
  if (desc.size > MAX_JSON_DOCUMENT_BYTES) {
    throw new MapBuildError("E_MANIFEST_INVALID", `${what} ${desc.digest} claims ${desc.size} bytes, more than any manifest or config should`);
  }
  const bytes = await store.readFile(blobRelPath(desc.digest));
  if (!bytes) throw missingBlob(store, what, desc.digest);
  return verifyBytes(bytes, desc.digest, desc.size, `${what} ${desc.digest}`);
}

async function checkLayoutVersion(store: LayoutStore): Promise<void> {
  const dir = store.name;
  const raw = await store.readFile("oci-layout");
  if (!raw) {
    throw new MapBuildError("E_INPUT_FORMAT", `${dir} is not an OCI image layout (no oci-layout file)`, {
      hint: "point oci: at a directory written by skopeo, umoci or map-build",
    });
  }
  const text = raw.toString("utf8");
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

export async function readLayoutIndex(store: LayoutStore): Promise<ImageIndex> {
  const bytes = await store.readFile("index.json");
  if (!bytes) throw new MapBuildError("E_INPUT_FORMAT", `${store.name} has no index.json`, { hint: "the OCI layout is incomplete" });
  return parseJson(ImageIndexSchema, bytes, `${store.name}/index.json`);
}

/** A tag matches its annotation exactly, as a full name (`docker.io/library/x:1` = `x:1`), or as the tag part. */
function refMatches(annotation: string | undefined, ref: string): boolean {
  if (!annotation) return false;
  if (annotation === ref) return true;
  if (annotation.includes("/") || annotation.includes(":")) {
    if (normalizeTag(annotation) === normalizeTag(ref)) return true;
    const colon = annotation.lastIndexOf(":");
    return colon > annotation.lastIndexOf("/") && annotation.slice(colon + 1) === ref;
  }
  return false;
}

const CONTAINERD_NAME_ANNOTATION = "io.containerd.image.name";

/** A full reference (`host/repo:tag`) from the annotations; a bare tag like `3.11` names no registry image. */
function registryName(annotations: Record<string, string> | undefined): string | undefined {
  return [annotations?.[CONTAINERD_NAME_ANNOTATION], annotations?.[REF_NAME_ANNOTATION]].find((n) => n !== undefined && n.includes("/"));
}

/** Pick the top-level descriptor for `ref` (a tag in ref.name, or a digest). */
function pickTopLevel(index: ImageIndex, dir: string, ref: string | undefined): Descriptor | undefined {
  const tags = index.manifests.map((m) => m.annotations?.[REF_NAME_ANNOTATION]).filter((t): t is string => !!t);
  if (ref !== undefined) {
    const found = isDigest(ref)
      ? index.manifests.find((m) => m.digest === ref)
      : index.manifests.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === ref) ??
        index.manifests.find((m) => refMatches(m.annotations?.[REF_NAME_ANNOTATION], ref));
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

/**
 * Several top-level images and no name given: the platform decides when they are platform
 * entries; a layout of separately named images (skopeo copy into one layout twice) needs a name.
 */
function pickByPlatform(store: LayoutStore, index: ImageIndex, platform: PlatformSpec | undefined): Descriptor {
  if (index.manifests.some((m) => m.platform)) return selectManifest(index, platform ?? hostPlatform(), `OCI layout ${store.name}`);
  const names = index.manifests.map((m) => m.annotations?.[REF_NAME_ANNOTATION] ?? m.digest);
  throw new MapBuildError("E_INPUT_FORMAT", `OCI layout ${store.name} holds ${names.length} images; say which (${names.join(", ")})`, {
    hint: `append the name to the path: ${store.transport}:${store.name}:${names[0]}`,
  });
}

export async function readOciLayoutImage(dir: string, ref?: string, platform?: PlatformSpec): Promise<Image> {
  return readLayoutImage(directoryStore(dir), ref, platform);
}

/** `oci-archive:FILE` (a tar of a layout), and map-build's hybrid tarballs read as what they are. */
export async function readOciArchiveImage(file: string, ref?: string, platform?: PlatformSpec, readIndex: TarIndexReader = indexTar): Promise<Image> {
  return readLayoutImage(await archiveStore(file, await readIndex(file, "oci-archive")), ref, platform);
}

/** index.json without the artifacts attached to an image (SBOM, provenance): they are listed beside it, and are not images. */
async function readImageEntries(store: LayoutStore): Promise<ImageIndex> {
  const all = await readLayoutIndex(store);
  return { ...all, manifests: all.manifests.filter((m) => m.artifactType === undefined) };
}

export async function readLayoutImage(store: LayoutStore, ref?: string, platform?: PlatformSpec): Promise<Image> {
  const dir = store.name;
  await checkLayoutVersion(store);
  const index = await readImageEntries(store);
  if (index.manifests.length === 0) throw new MapBuildError("E_INPUT_FORMAT", `OCI layout ${dir} holds no images`);
  let desc = pickTopLevel(index, dir, ref) ?? pickByPlatform(store, index, platform);
  for (let depth = 0; isIndexMediaType(desc.mediaType); depth++) {
    if (depth >= MAX_INDEX_DEPTH) throw new MapBuildError("E_MANIFEST_INVALID", `OCI layout ${dir}: indexes nested too deep`);
    const nested = parseJson(ImageIndexSchema, await readJsonBlob(store, desc, "image index"), `image index ${desc.digest}`);
    desc = selectManifest(nested, platform ?? hostPlatform(), `image index ${desc.digest}`);
  }
  if (!isImageManifestMediaType(desc.mediaType)) {
    throw new MapBuildError("E_UNSUPPORTED_MEDIA_TYPE", `OCI layout ${dir}: unsupported manifest media type "${desc.mediaType}"`, {
      hint: "use an OCI or Docker v2 schema 2 image",
    });
  }
  return loadImage(store, desc);
}

async function loadImage(store: LayoutStore, desc: Descriptor): Promise<Image> {
  const rawManifest = await readJsonBlob(store, desc, "image manifest");
  const manifest = parseJson(ImageManifestSchema, rawManifest, `image manifest ${desc.digest}`);
  if (manifest.mediaType && manifest.mediaType !== desc.mediaType) {
    throw new MapBuildError("E_MANIFEST_INVALID", `manifest ${desc.digest} says ${manifest.mediaType} but its descriptor says ${desc.mediaType}`);
  }
  const rawConfig = await readJsonBlob(store, manifest.config, "image config");
  const config = parseJson(ImageConfigSchema, rawConfig, `image config ${manifest.config.digest}`);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new MapBuildError(
      "E_MANIFEST_INVALID",
      `image ${desc.digest}: manifest has ${manifest.layers.length} layers but config has ${config.rootfs.diff_ids.length} diff_ids`,
    );
  }
  const layers = manifest.layers.map((l, i) => {
    const at = store.blob(l.digest);
    if (!at) throw missingBlob(store, "layer", l.digest);
    return fileLayer({ ...at, size: l.size, mediaType: l.mediaType, digest: l.digest, diffId: config.rootfs.diff_ids[i]! });
  });
  const mediaType = desc.mediaType || MediaType.ociManifest;
  return {
    name: registryName(desc.annotations),
    rawManifest: async () => rawManifest,
    manifest: async () => manifest,
    mediaType: async () => mediaType,
    digest: async () => desc.digest,
    rawConfig: async () => rawConfig,
    config: async () => config,
    layers: async () => [...layers],
  };
}

/**
 * The platforms a layout's image is offered for: the entries of the index `ref` names (or of the
 * top-level index when the layout lists platform entries); undefined for a single image.
 */
export async function readLayoutPlatforms(store: LayoutStore, ref?: string): Promise<Platform[] | undefined> {
  await checkLayoutVersion(store);
  const index = await readImageEntries(store);
  const top = pickTopLevel(index, store.name, ref);
  if (!top) return index.manifests.some((m) => m.platform) ? offeredPlatforms(index) : undefined;
  if (!isIndexMediaType(top.mediaType)) return undefined;
  return offeredPlatforms(parseJson(ImageIndexSchema, await readJsonBlob(store, top, "image index"), `image index ${top.digest}`));
}
