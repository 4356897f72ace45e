/**
 * OCI 1.1 artifacts that refer to an image (`subject`): one small blob behind the empty config,
 * as the image spec's artifact guidance describes. Used for the SBOM and the provenance; every
 * output (registry, OCI layout, tarball) stores the same manifest bytes.
 */
import { sha256Digest, type Digest } from "../digest.js";
import { canonicalJson } from "./canonical-json.js";
import { MediaType } from "./media-types.js";
import type { Descriptor } from "./schemas.js";

export const EMPTY_CONFIG_MEDIA_TYPE = "application/vnd.oci.empty.v1+json";
export const EMPTY_JSON = Buffer.from("{}");

export interface ArtifactBlob {
  digest: Digest;
  size: number;
  data: Buffer;
}

/** A referrer ready to store: its manifest bytes, its descriptor (for indexes) and its blobs. */
export interface ReferrerArtifact {
  manifest: Buffer;
  /** mediaType, digest, size, artifactType and annotations, as a referrers index lists it. */
  descriptor: Descriptor & { artifactType: string };
  /** The empty config and the payload. */
  blobs: ArtifactBlob[];
  subject: Descriptor;
}

const blob = (data: Buffer): ArtifactBlob => ({ digest: sha256Digest(data), size: data.length, data });

export function referrerArtifact(subject: Descriptor, artifactType: string, payload: Buffer, annotations: Record<string, string>): ReferrerArtifact {
  const config = blob(EMPTY_JSON);
  const body = blob(payload);
  const manifest = canonicalJson({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType,
    config: { mediaType: EMPTY_CONFIG_MEDIA_TYPE, digest: config.digest, size: config.size },
    layers: [{ mediaType: artifactType, digest: body.digest, size: body.size }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  });
  return {
    manifest,
    descriptor: { mediaType: MediaType.ociManifest, digest: sha256Digest(manifest), size: manifest.length, artifactType, annotations },
    blobs: [config, body],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  };
}

/** The referrers tag schema's tag for a subject: `sha256-<hex>` (distribution spec, fallback). */
export function referrersTag(subject: Digest): string {
  return subject.replace(":", "-");
}

/** A referrers index: `existing` descriptors kept (one per digest), `added` appended. */
export function referrersIndex(existing: readonly Descriptor[], added: readonly Descriptor[]): Buffer {
  const seen = new Set(existing.map((d) => d.digest));
  const manifests = [...existing, ...added.filter((d) => !seen.has(d.digest) && seen.add(d.digest))];
  return canonicalJson({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests });
}
