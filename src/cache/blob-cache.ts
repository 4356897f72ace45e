/**
 * Downloaded base blobs kept between builds, by digest: a tarball, OCI layout or engine load onto
 * a registry base downloads each base layer once per machine instead of once per build. Lives in
 * the layer cache's directory and shares its blob store, size limit and LRU prune:
 *
 *   <dir>/blobs/sha256/<hex>     the blob (shared with built layers: one file per digest)
 *   <dir>/base-blobs/<hex>.json  "this blob is a downloaded base blob"; mtime = last use
 *   <dir>/tmp/                   downloads in progress, linked into blobs/ once verified
 *
 * Like the layer cache it cannot lie (style §3.10): only bytes whose size and digest were checked
 * are published, every hit is checked (re-hashed when the file changed since it was verified, and
 * verified again as it is read), and anything bad is deleted and downloaded again.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, type BigIntStats } from "node:fs";
import { link, mkdir, rename, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { pipeline, type Readable } from "node:stream";
import { digestHex, type Digest } from "../digest.js";
import { MapBuildError, optionName } from "../errors.js";
import type { BlobSource, Layer } from "../image/index.js";
import { VerifyStream } from "../verify-stream.js";
import { discardBlob } from "./place-file.js";
import { DEFAULT_CACHE_MAX_BYTES, cacheLayout, type CacheLayout } from "./cache-dir.js";
import { claimCacheDir } from "./cache-tag.js";
import { blobStat, readEntry, sameBlobStat, writeEntry, type CacheEntry } from "./cache-entry.js";
import { listBlobs, pruneCache } from "./cache-prune.js";
import { baseBlobEntriesDir } from "./base-blob-entries.js";
import { BlobTee } from "./blob-tee.js";
import { hashFile } from "./stat-index.js";

export interface BlobCacheOptions {
  /** The cache directory (the layer cache's). */
  dir: string;
  /** Size bound for all blobs, shared with built layers; default DEFAULT_CACHE_MAX_BYTES. */
  maxBytes?: number;
  /** The automatic prune keeps entries used this recently (other builds may be reading them); default 10 min. */
  pruneGraceMs?: number;
}

export interface BlobCacheStats {
  /** open() served from the cache. */
  hits: number;
  /** open() went to the source. */
  misses: number;
  /** Downloads verified and published. */
  stored: number;
  /** Cached blobs found corrupt (hash or size) and deleted. */
  discarded: number;
  /** Cached blobs re-hashed because their file changed since they were verified. */
  rehashed: number;
}

/** The facts about a blob the cache stores with it (a layer's descriptor plus its diffId). */
export interface BlobInfo {
  digest: Digest;
  diffId: Digest;
  size: number;
  mediaType: string;
}

const DEFAULT_PRUNE_GRACE_MS = 10 * 60 * 1000;
const HINT = "a cached base blob is corrupt; it was deleted, so building again downloads it afresh";

export async function openBlobCache(opts: BlobCacheOptions): Promise<BlobCache> {
  const layout = cacheLayout(opts.dir);
  const maxBytes = opts.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  if (!(maxBytes >= 0)) {
    throw new MapBuildError("E_USAGE", `invalid cache size limit ${maxBytes}`, { hint: "give the cache limit as a number of bytes ≥ 0" });
  }
  try {
    for (const d of [layout.blobs, baseBlobEntriesDir(layout), layout.tmp]) await mkdir(d, { recursive: true });
    await claimCacheDir(layout.dir);
  } catch (err) {
    throw new MapBuildError("E_OUTPUT", `cannot use the cache directory ${layout.dir}: ${(err as Error).message}`, {
      hint: `set MAP_BUILD_CACHE_DIR to a writable directory, or build with ${optionName("noCache")}`,
      cause: err,
    });
  }
  return new BlobCache(layout, maxBytes, opts.pruneGraceMs ?? DEFAULT_PRUNE_GRACE_MS);
}

export class BlobCache {
  readonly dir: string;
  readonly maxBytes: number;
  readonly stats: BlobCacheStats = { hits: 0, misses: 0, stored: 0, discarded: 0, rehashed: 0 };
  readonly #layout: CacheLayout;
  readonly #entries: string;
  readonly #graceMs: number;
  /** Blobs (hex) handed out by this instance: never pruned by it while it lives. */
  readonly #inUse = new Set<string>();

  /** Use openBlobCache(), which creates the directories. */
  constructor(layout: CacheLayout, maxBytes: number, graceMs: number) {
    this.#layout = layout;
    this.#entries = baseBlobEntriesDir(layout);
    this.dir = layout.dir;
    this.maxBytes = maxBytes;
    this.#graceMs = graceMs;
  }

  /** Path of the blob file for a digest (which may not exist). */
  blobPath(digest: Digest): string {
    return join(this.#layout.blobs, digestHex(digest));
  }

  /**
   * The blob's bytes: from the cache when it holds them (checked), else from `fetch()` (whose
   * stream is copied into the cache as it is read, and published once verified at EOF). The
   * stream errors with E_SIZE_MISMATCH / E_DIGEST_MISMATCH rather than yield wrong bytes.
   */
  async open(info: BlobInfo, fetch: () => Promise<Readable>, what = `blob ${info.digest}`): Promise<Readable> {
    if (!info.digest.startsWith("sha256:")) return fetch(); // the store is sha256/ only
    const hit = await this.#lookup(info).catch(() => undefined);
    if (hit !== undefined) {
      this.stats.hits++;
      return this.#readCached(info, hit, what);
    }
    this.stats.misses++;
    const source = await fetch();
    const hex = digestHex(info.digest);
    const tee = new BlobTee({
      digest: info.digest,
      size: info.size,
      what,
      tmpPath: join(this.#layout.tmp, `base-${hex}.${process.pid}.${randomBytes(6).toString("hex")}`),
      publish: (tmp) => this.#publish(info, tmp),
    });
    // pipeline: an error on either side destroys both (a failed download leaves no temp file,
    // an abandoned read stops the download).
    pipeline(source, tee, () => {});
    return tee;
  }

  /** Bytes taken by all blobs (base and built). */
  async usage(): Promise<number> {
    let total = 0;
    for (const b of (await listBlobs(this.#layout)).values()) total += b.size;
    return total;
  }

  /** The entry and the blob's stat when the cache holds the blob, checked; else undefined (bad copies deleted). */
  async #lookup(info: BlobInfo): Promise<BigIntStats | undefined> {
    const hex = digestHex(info.digest);
    const entryPath = this.#entryPath(hex);
    const entry = await readEntry(entryPath).catch(() => null);
    if (entry === undefined) return undefined;
    if (entry === null || entry.digest !== info.digest) return this.#drop(hex);
    const path = this.blobPath(info.digest);
    const st = await stat(path, { bigint: true }).catch(() => undefined);
    if (st === undefined) return this.#drop(hex);
    if (!st.isFile() || Number(st.size) !== info.size) return this.#discard(hex, st);
    if (!sameBlobStat(entry.verified, st)) {
      // Written to since it was verified (or never verified): hash it before trusting it.
      this.stats.rehashed++;
      if (`sha256:${await hashFile(path)}` !== info.digest) return this.#discard(hex, st);
      await writeEntry(entryPath, { ...entry, verified: blobStat(st) }).catch(() => {});
    } else {
      const now = new Date();
      await utimes(entryPath, now, now).catch(() => {}); // last use, for LRU
    }
    this.#inUse.add(hex);
    return st;
  }

  /**
   * A verified read of the cached file. A mismatch here (media corruption that left the stat
   * alone) fails this read; the blob is deleted so that the next build downloads it again.
   */
  #readCached(info: BlobInfo, st: BigIntStats, what: string): Readable {
    const verify = new VerifyStream(info.digest, info.size, `cached ${what}`, { hint: HINT });
    pipeline(createReadStream(this.blobPath(info.digest), { highWaterMark: 1024 * 1024 }), verify, (err) => {
      const code = (err as { code?: string } | null | undefined)?.code;
      if (code === "E_DIGEST_MISMATCH" || code === "E_SIZE_MISMATCH") void this.#discard(digestHex(info.digest), st);
    });
    return verify;
  }

  /** Put a verified temp file in place and record it. Never replaces an existing blob. */
  async #publish(info: BlobInfo, tmp: string): Promise<void> {
    const hex = digestHex(info.digest);
    const path = this.blobPath(info.digest);
    try {
      // link() fails on an existing name: a blob another build published first is kept.
      await link(tmp, path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST") {
        const existing = await stat(path, { bigint: true }).catch(() => undefined);
        // A same-size file is checked on its next use (its stat is not the one verified); a wrong
        // size cannot be the blob: replace it.
        if (existing?.isFile() && Number(existing.size) === info.size) return this.#record(info, undefined);
        await rename(tmp, path);
      } else {
        await rename(tmp, path); // filesystems without hard links
      }
    }
    // Unlink the temp name first: dropping a link changes the inode's ctime, which the stat
    // recorded below must already include.
    await rm(tmp, { force: true });
    this.#inUse.add(hex);
    const placed = await stat(path, { bigint: true }).catch(() => undefined);
    await this.#record(info, placed);
    this.stats.stored++;
    await this.#autoPrune().catch(() => {});
  }

  async #record(info: BlobInfo, verifiedStat: BigIntStats | undefined): Promise<void> {
    const { digest, diffId, size, mediaType } = info;
    const entry: CacheEntry = { digest, diffId, size, mediaType, ...(verifiedStat ? { verified: blobStat(verifiedStat) } : {}) };
    await writeEntry(this.#entryPath(digestHex(digest)), entry).catch(() => {});
  }

  async #autoPrune(): Promise<void> {
    if (!Number.isFinite(this.maxBytes) || (await this.usage()) <= this.maxBytes) return;
    await pruneCache(this.#layout, { maxBytes: this.maxBytes, keep: this.#inUse, graceMs: this.#graceMs });
  }

  /** Delete a bad blob and its entry; undefined, for #lookup's "miss". */
  async #discard(hex: string, examined: BigIntStats): Promise<undefined> {
    this.stats.discarded++;
    await discardBlob(join(this.#layout.blobs, hex), examined);
    return this.#drop(hex);
  }

  async #drop(hex: string): Promise<undefined> {
    await rm(this.#entryPath(hex), { force: true }).catch(() => {});
    return undefined;
  }

  #entryPath(hex: string): string {
    return join(this.#entries, `${hex}.json`);
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
  };
  const source: BlobSource | undefined = layer.source;
  return source ? { ...wrapped, source } : wrapped;
}

