/**
 * One cache-repository entry: a small OCI 1.1 artifact manifest per layer cache key, tagged by a
 * hash of the key, whose single layer descriptor is the cached layer's blob in the same repository.
 *
 * Why one manifest per key rather than one index per app: keys are content hashes, and the same
 * layer (a model, the Python dependencies) is shared by many apps and branches; a per-key entry is
 * written once and never changed (the same key always renders the same bytes, so concurrent jobs
 * PUT identical manifests and no read-modify-write race can drop an entry), a lookup is one GET
 * by a tag computed from the key, and no app identity is needed. The manifest also references the
 * blob, so a registry's garbage collector keeps the layer as long as its entry exists.
 *
 * The tag and the `key` annotation are sha256("map-build cache-repo v1\n" + local key): the local
 * key is itself a hash of image paths and content digests (layer-key.ts), never host paths or
 * secrets, and the second hash with a version prefix keeps remote entries apart from other formats.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { MapBuildError } from "../errors.js";
import { isDigest, sha256Digest, type Digest } from "../digest.js";
import { EMPTY_CONFIG_MEDIA_TYPE, EMPTY_JSON, MediaType, canonicalJson, isGzipLayer, parseJson } from "../image/index.js";

export const ENTRY_ARTIFACT_TYPE = "application/vnd.map-build.layer-cache.v1";
const FORMAT = "1";
const TAG_PREFIX = "map-build-layer-";
const ANNOTATION = { key: "map-build.cache.key", format: "map-build.cache.format", diffId: "map-build.cache.diff-id" } as const;

/** The facts about a cached layer an entry records. */
export interface EntryLayer {
  digest: Digest;
  diffId: Digest;
  size: number;
  mediaType: string;
}

/** The hash that names a key in the cache repository (tag and annotation). */
export function entryId(key: string): string {
  return createHash("sha256").update(`map-build cache-repo v${FORMAT}\n${key}`).digest("hex");
}

export function entryTag(key: string): string {
  return `${TAG_PREFIX}${entryId(key)}`;
}

export const EMPTY_CONFIG = { mediaType: EMPTY_CONFIG_MEDIA_TYPE, digest: sha256Digest(EMPTY_JSON), size: EMPTY_JSON.length } as const;

/** The entry's manifest bytes: canonical JSON, so every writer of a key PUTs the same bytes. */
export function renderEntry(key: string, layer: EntryLayer): { bytes: Buffer; mediaType: string } {
  const bytes = canonicalJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: ENTRY_ARTIFACT_TYPE,
    config: EMPTY_CONFIG,
    layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size, annotations: { [ANNOTATION.diffId]: layer.diffId } }],
    annotations: { [ANNOTATION.format]: FORMAT, [ANNOTATION.key]: entryId(key) },
  });
  return { bytes, mediaType: MediaType.ociManifest };
}

const digest = z.string().refine(isDigest, "not a digest");
const EntrySchema = z.object({
  schemaVersion: z.literal(2),
  artifactType: z.literal(ENTRY_ARTIFACT_TYPE),
  layers: z
    .array(
      z.object({
        mediaType: z.string().min(1),
        digest: digest.refine((d) => d.startsWith("sha256:"), "not sha256"),
        size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
        annotations: z.object({ [ANNOTATION.diffId]: digest }),
      }),
    )
    .length(1),
  annotations: z.object({ [ANNOTATION.format]: z.literal(FORMAT), [ANNOTATION.key]: z.string() }),
});

/**
 * The layer an entry's manifest records, checked for what can be checked without its blob: the
 * shape, the key it was written for and the media type this build would write. Throws
 * E_MANIFEST_INVALID (with the reason) for anything else.
 */
export function parseEntry(bytes: Buffer, key: string, mediaType: string): EntryLayer {
  const entry = parseJson(EntrySchema, bytes, "cache entry");
  const layer = entry.layers[0]!;
  const recorded: EntryLayer = { digest: layer.digest as Digest, diffId: layer.annotations[ANNOTATION.diffId] as Digest, size: layer.size, mediaType: layer.mediaType };
  const problem =
    entry.annotations[ANNOTATION.key] !== entryId(key) ? "it was written for another key"
    : recorded.mediaType !== mediaType ? `its media type ${recorded.mediaType} is not ${mediaType}`
    : !isGzipLayer(mediaType) && recorded.diffId !== recorded.digest ? "its diff_id differs from the digest of an uncompressed layer"
    : undefined;
  if (problem) throw new MapBuildError("E_MANIFEST_INVALID", `cache entry is unusable: ${problem}`);
  return recorded;
}
