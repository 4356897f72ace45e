/**
 * An `Image` read from a registry: manifest and config fetched and validated up front (they are
 * small and everything else depends on them), layers lazy (`RemoteLayer.open()` streams on demand).
 */
import type { Readable } from "node:stream";
import { MAX_JSON_DOCUMENT_BYTES } from "../defaults.js";
import { MapBuildError } from "../errors.js";
import type { Digest } from "../digest.js";
import { imageOf, type BlobSource, type Image, type Layer } from "../image/index.js";
import { MediaType, isIndexMediaType, isLayerMediaType } from "../image/index.js";
import { hostPlatform, selectManifest, type PlatformSpec } from "../image/index.js";
import {
  ImageConfigSchema,
  ImageIndexSchema,
  ImageManifestSchema,
  parseJson,
  type Descriptor,
  type ImageManifest,
} from "../image/index.js";
import { fetchBlob, type RepositoryRef } from "./blobs.js";
import { getManifest, type ManifestRef } from "./manifests.js";
import type { Transport } from "./transport.js";

export interface ResolveImageOptions {
  /** Which image of an index; default the host's (linux/<arch>). Ignored for a plain manifest. */
  platform?: PlatformSpec;
  signal?: AbortSignal;
}

/** Configs are small; refuse to buffer a runaway one. */

export async function resolveImage(t: Transport, ref: ManifestRef, opts: ResolveImageOptions = {}): Promise<Image> {
  let fetched = await getManifest(t, ref, opts.signal);
  const name = `${ref.registry}/${ref.repository}`;
  if (isIndexMediaType(fetched.mediaType)) {
    const index = parseJson(ImageIndexSchema, fetched.bytes, `image index ${name}`);
    const chosen = selectManifest(index, opts.platform ?? hostPlatform(), `image index ${name}`);
    fetched = await getManifest(t, { ...ref, identifier: chosen.digest }, opts.signal);
    if (isIndexMediaType(fetched.mediaType)) {
      throw new MapBuildError("E_UNSUPPORTED_MEDIA_TYPE", `${name}@${chosen.digest} is a nested index`, {
        hint: "pick the image by digest (name@sha256:…) instead of through the index",
      });
    }
  }
  const manifest = parseJson(ImageManifestSchema, fetched.bytes, `manifest of ${name}`);
  checkMediaTypes(manifest, name);
  const repo: RepositoryRef = { registry: ref.registry, apiHost: ref.apiHost, repository: ref.repository };
  const rawConfig = await readAll(
    fetchBlob(t, repo, manifest.config.digest, { size: manifest.config.size, signal: opts.signal }),
    manifest.config.size,
  );
  const config = parseJson(ImageConfigSchema, rawConfig, `config of ${name}`);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new MapBuildError(
      "E_MANIFEST_INVALID",
      `${name}: manifest has ${manifest.layers.length} layers but config.rootfs.diff_ids has ${diffIds.length}`,
      { hint: "the base image is broken; rebuild or choose another base" },
    );
  }
  const source: BlobSource = { registry: ref.registry, repository: ref.repository };
  const layers = manifest.layers.map((d, i) => new RemoteLayer(t, repo, d, diffIds[i]!, source));
  return imageOf(async () => ({ rawManifest: fetched.bytes, manifest, mediaType: fetched.mediaType, digest: fetched.digest, rawConfig, config, layers }));
}

function checkMediaTypes(manifest: ImageManifest, name: string): void {
  const cfg = manifest.config.mediaType;
  if (cfg !== MediaType.ociConfig && cfg !== MediaType.dockerConfig) {
    throw new MapBuildError("E_UNSUPPORTED_MEDIA_TYPE", `${name}: config media type ${cfg} is not an image config`, {
      hint: "this reference is an artifact (chart, signature, …), not a container image",
    });
  }
  for (const layer of manifest.layers) {
    if (!isLayerMediaType(layer.mediaType)) {
      throw new MapBuildError("E_UNSUPPORTED_MEDIA_TYPE", `${name}: layer ${layer.digest} has unsupported media type ${layer.mediaType}`, {
        hint: "only tar, tar+gzip and tar+zstd layers are supported",
      });
    }
  }
}

async function readAll(stream: Readable, size: number): Promise<Buffer> {
  if (size > MAX_JSON_DOCUMENT_BYTES) {
    stream.destroy();
    throw new MapBuildError("E_MANIFEST_INVALID", `image config of ${size} bytes exceeds ${MAX_JSON_DOCUMENT_BYTES}`);
  }
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export class RemoteLayer implements Layer {
  constructor(
    private readonly t: Transport,
    private readonly repo: RepositoryRef,
    readonly descriptor: Descriptor,
    private readonly diff: Digest,
    readonly source: BlobSource,
  ) {}

  async digest(): Promise<Digest> {
    return this.descriptor.digest;
  }
  async diffId(): Promise<Digest> {
    return this.diff;
  }
  async size(): Promise<number> {
    return this.descriptor.size;
  }
  async mediaType(): Promise<string> {
    return this.descriptor.mediaType;
  }
  /** Verified against the descriptor's size and digest; resumes with Range after a drop. */
  async open(opts: { signal?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<Readable> {
    return fetchBlob(this.t, this.repo, this.descriptor.digest, { size: this.descriptor.size, ...opts });
  }
}
