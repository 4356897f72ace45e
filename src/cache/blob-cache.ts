/**
 * Downloaded base blobs kept between builds, by digest: a tarball, OCI layout or engine load onto
 * a registry base downloads each base layer once per machine instead of once per build. The
 * blobs are the blob store's (blob-store.ts), of kind `base`, in the layer cache's directory under
 * its size limit and LRU prune: only bytes whose size and digest were checked are published, every
 * hit is checked (and verified again as it is read), anything bad is deleted and downloaded again.
 */
import { pipeline, type Readable } from "node:stream";
import type { Digest } from "../digest.js";
import type { BlobSource, Layer, StoredFile } from "../image/index.js";
import { BlobTee } from "./blob-tee.js";
import { openBlobStore, type BlobStore, type BlobStoreOptions, type BlobStoreStats } from "./blob-store.js";

export type BlobCacheOptions = BlobStoreOptions;
export type BlobCacheStats = BlobStoreStats;

/** The facts about a blob the cache stores with it (a layer's descriptor plus its diffId). */
export interface BlobInfo {
  digest: Digest;
  diffId: Digest;
  size: number;
  mediaType: string;
}

const HINT = "a cached base blob is corrupt; it was deleted, so building again downloads it afresh";

export async function openBlobCache(opts: BlobCacheOptions): Promise<BlobCache> {
  return new BlobCache(await openBlobStore(opts));
}

export class BlobCache {
  readonly #store: BlobStore;

  /** Use openBlobCache(). */
  constructor(store: BlobStore) {
    this.#store = store;
  }

  get dir(): string {
    return this.#store.dir;
  }

  get maxBytes(): number {
    return this.#store.maxBytes;
  }

  get stats(): BlobCacheStats {
    return this.#store.stats;
  }

  /**
   * The blob's bytes: from the cache when it holds them (checked), else from `fetch()` (whose
   * stream is copied into the cache as it is read, and published once verified at EOF). The
   * stream errors with E_SIZE_MISMATCH / E_DIGEST_MISMATCH rather than yield wrong bytes.
   */
  async open(info: BlobInfo, fetch: () => Promise<Readable>, what = `blob ${info.digest}`): Promise<Readable> {
    if (!info.digest.startsWith("sha256:")) return fetch(); // the store is sha256/ only
    const hit = await this.#store.get("base", info.digest, info.size);
    if (hit !== undefined) return this.#store.read(hit, `cached ${what}`, HINT);
    const source = await fetch();
    const { diffId, mediaType } = info;
    const tee = new BlobTee({ digest: info.digest, size: info.size, what, put: this.#store.put(), publish: (put) => this.#store.publish("base", put, { diffId, mediaType }) });
    // pipeline: an error on either side destroys both (a failed download leaves no temp file,
    // an abandoned read stops the download).
    pipeline(source, tee, () => {});
    return tee;
  }

  /** The cached blob as a file the cache vouches for, when the cache holds it (checked). */
  async storedFile(info: Pick<BlobInfo, "digest" | "size">): Promise<StoredFile | undefined> {
    const hit = info.digest.startsWith("sha256:") ? await this.#store.get("base", info.digest, info.size) : undefined;
    return hit && this.#store.storedFile(hit);
  }

  /** Bytes taken by all blobs (base, wheels and built). */
  usage(): Promise<number> {
    return this.#store.usage();
  }
}

/**
 * A layer whose bytes come from the blob cache when it holds them, else from `layer` (copied into
 * the cache on the way). Digest, diffId, size, media type and `source` are the layer's own, so a
 * push still HEAD-skips or mounts from the source registry and never reads the bytes.
 */
export function cachedBlobLayer(layer: Layer, cache: BlobCache): Layer {
  let info: Promise<BlobInfo> | undefined;
  const facts = () =>
    (info ??= Promise.all([layer.digest(), layer.diffId(), layer.size(), layer.mediaType()]).then(([digest, diffId, size, mediaType]) => ({ digest, diffId, size, mediaType })));
  const wrapped: Layer = {
    digest: () => layer.digest(),
    diffId: () => layer.diffId(),
    size: () => layer.size(),
    mediaType: () => layer.mediaType(),
    open: async () => {
      const i = await facts();
      const where = layer.source ? ` from ${layer.source.registry}/${layer.source.repository}` : "";
      return cache.open(i, () => layer.open(), `blob ${i.digest}${where}`);
    },
    // a blob not cached yet is streamed through open(), which caches it
    storedFile: async () => (await cache.storedFile(await facts())) ?? (await layer.storedFile?.()),
  };
  const source: BlobSource | undefined = layer.source;
  return source ? { ...wrapped, source } : wrapped;
}

