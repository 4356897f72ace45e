/**
 * The cache's one content-addressed, verified blob store: downloaded base blobs and downloaded
 * wheels (built layers place their files in the same folder, layer-cache.ts):
 *
 *   <dir>/blobs/sha256/<hex>     the bytes, one file per digest (a wheel and a blob with the same
 *                                digest are the same bytes)
 *   <dir>/<kind>-blobs/<hex>.json a marker per kind (blob-kinds.ts): the blob's facts, its stat
 *                                when last verified, mtime = last use for the LRU prune
 *   <dir>/tmp/                   puts in progress, linked into blobs/ once verified
 *
 * Like the layer cache it cannot lie (style §3.10): only bytes whose digest (and size) were checked
 * as they were written are published, every hit is checked (re-hashed when the file changed since
 * it was verified), and anything bad is deleted and fetched again. The prune counts every blob
 * under one size bound and treats markers as references (cache-prune.ts).
 *
 * Before this store, wheels lived in `<dir>/wheels/sha256/`; those files are not read any more
 * (a wheel is downloaded again once) and go on the next explicit prune.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, type BigIntStats } from "node:fs";
import { link, mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline, type Readable } from "node:stream";
import { digestHex, type Digest } from "../digest.js";
import type { StoredFile } from "../image/index.js";
import { MapBuildError, optionName } from "../errors.js";
import { VerifyStream } from "../verify-stream.js";
import { BlobPut } from "./blob-put.js";
import { BLOB_KINDS, markerDir, type BlobKind } from "./blob-kinds.js";
import { DEFAULT_CACHE_MAX_BYTES, cacheLayout, type CacheLayout } from "./cache-dir.js";
import { checkBlob } from "./blob-check.js";
import { keptBlob } from "./kept-blob.js";
import { blobStat, readEntry, writeEntry, type CacheEntry } from "./cache-entry.js";
import { listBlobs, pruneCache } from "./cache-prune.js";
import { claimCacheDir } from "./cache-tag.js";
import { discardBlob } from "./place-file.js";
import { hashFile } from "./stat-index.js";

export interface BlobStoreOptions {
  /** The cache directory (the layer cache's). */
  dir: string;
  /** Size bound for all blobs, shared with built layers; default DEFAULT_CACHE_MAX_BYTES. */
  maxBytes?: number;
  /** The automatic prune keeps entries used this recently (other builds may be reading them); default 10 min. */
  pruneGraceMs?: number;
}

export interface BlobStoreStats {
  /** get() found the blob, checked. */
  hits: number;
  /** get() did not. */
  misses: number;
  /** Puts verified and published. */
  stored: number;
  /** Stored blobs found corrupt (hash or size) and deleted. */
  discarded: number;
  /** Stored blobs re-hashed because their file changed since they were verified. */
  rehashed: number;
}

/** What the marker records beside digest and size (a layer's diffId and media type; a wheel is stored as it is). */
export interface BlobFacts {
  diffId: Digest;
  mediaType: string;
}

export interface StoredBlob extends BlobFacts {
  kind: BlobKind;
  path: string;
  digest: Digest;
  size: number;
  /** The file's stat when found or placed: a verified read compares against it. */
  stat: BigIntStats;
}

/** The media type recorded for a wheel (a zip file, stored as it is: its diffId is its digest). */
export const WHEEL_MEDIA_TYPE = "application/zip";

const DEFAULT_PRUNE_GRACE_MS = 10 * 60 * 1000;

export async function openBlobStore(opts: BlobStoreOptions): Promise<BlobStore> {
  const layout = cacheLayout(opts.dir);
  const maxBytes = opts.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  if (!(maxBytes >= 0)) {
    throw new MapBuildError("E_USAGE", `invalid cache size limit ${maxBytes}`, { hint: "give the cache limit as a number of bytes ≥ 0" });
  }
  try {
    for (const d of [layout.blobs, layout.tmp, ...BLOB_KINDS.map((k) => markerDir(layout, k))]) await mkdir(d, { recursive: true });
    await claimCacheDir(layout.dir);
  } catch (err) {
    throw new MapBuildError("E_OUTPUT", `cannot use the cache directory ${layout.dir}: ${(err as Error).message}`, {
      hint: `set MAP_BUILD_CACHE_DIR to a writable directory, or build with ${optionName("noCache")}`,
      cause: err,
    });
  }
  return new BlobStore(layout, maxBytes, opts.pruneGraceMs ?? DEFAULT_PRUNE_GRACE_MS);
}

/** Where the store keeps `digest` (64 hex digits checked; the file may not exist). */
export function blobPathIn(dir: string, digest: Digest): string {
  return join(cacheLayout(dir).blobs, digestHex(digest));
}

export class BlobStore {
  readonly dir: string;
  readonly maxBytes: number;
  readonly stats: BlobStoreStats = { hits: 0, misses: 0, stored: 0, discarded: 0, rehashed: 0 };
  readonly #layout: CacheLayout;
  readonly #graceMs: number;
  /** Blobs (hex) handed out by this instance: never pruned by it while it lives. */
  readonly #inUse = new Set<string>();

  /** Use openBlobStore(), which creates the directories. */
  constructor(layout: CacheLayout, maxBytes: number, graceMs: number) {
    this.#layout = layout;
    this.dir = layout.dir;
    this.maxBytes = maxBytes;
    this.#graceMs = graceMs;
  }

  /**
   * The blob when the store holds it as a `kind` (and, given `size`, of that size), checked; else
   * undefined, after deleting a bad copy. Never throws.
   */
  async get(kind: BlobKind, digest: Digest, size?: number): Promise<StoredBlob | undefined> {
    const hit = await this.#lookup(kind, digest, size).catch(() => undefined);
    if (hit) this.stats.hits++;
    else this.stats.misses++;
    return hit;
  }

  /**
   * A hit's bytes, verified as they are read. A mismatch here (media corruption that left the
   * stat alone) fails this read and deletes the blob, so that the next build fetches it again.
   */
  read(blob: StoredBlob, what: string, hint: string): Readable {
    const verify = new VerifyStream(blob.digest, blob.size, what, { hint });
    pipeline(createReadStream(blob.path, { highWaterMark: 1024 * 1024 }), verify, (err) => {
      const code = (err as { code?: string } | null | undefined)?.code;
      if (code === "E_DIGEST_MISMATCH" || code === "E_SIZE_MISMATCH") void this.#discard(markerDir(this.#layout, blob.kind), digestHex(blob.digest), blob.stat);
    });
    return verify;
  }

  /** A hit as a file the store vouches for (an output may link it, kept-blob.ts). */
  storedFile(blob: StoredBlob): StoredFile {
    return { path: blob.path, kept: keptBlob(join(markerDir(this.#layout, blob.kind), `${digestHex(blob.digest)}.json`), blobStat(blob.stat)) };
  }

  /** A new put: write the bytes into it, check `finish()`, then publish() or discard() it. */
  put(): BlobPut {
    return new BlobPut(join(this.#layout.tmp, `put-${process.pid}-${randomBytes(6).toString("hex")}.tmp`));
  }

  /**
   * Move a finished put's file into place as a `kind` and record it. Never replaces a good blob
   * (another build may have published the same digest first). Throws when the put's file is not
   * whole (a write failed); the temp file is gone either way.
   */
  async publish(kind: BlobKind, put: BlobPut, facts?: BlobFacts): Promise<StoredBlob> {
    const digest = put.finish();
    try {
      if (put.failure !== undefined) throw put.failure;
      const path = join(this.#layout.blobs, digestHex(digest));
      const info = { digest, size: put.size, diffId: facts?.diffId ?? digest, mediaType: facts?.mediaType ?? WHEEL_MEDIA_TYPE };
      const placed = await this.#place(put.tmpPath, path, info);
      this.#inUse.add(digestHex(digest));
      await this.#mark(kind, info, placed.stat);
      if (placed.ours) this.stats.stored++;
      await this.#autoPrune().catch(() => {});
      return { kind, ...info, path, stat: placed.stat };
    } finally {
      await put.discard();
    }
  }

  /** Bytes taken by all blobs (base, wheels and built layers). */
  async usage(): Promise<number> {
    let total = 0;
    for (const b of (await listBlobs(this.#layout)).values()) total += b.size;
    return total;
  }

  /**
   * Put the verified temp file at `path`, or keep a file already there that holds the same bytes
   * (another build, or a built layer, got there first: checked, since nothing says it was). The
   * stat returned is verified: the caller hands the path out as holding `info.digest`.
   */
  async #place(tmp: string, path: string, info: { digest: Digest; size: number }): Promise<{ stat: BigIntStats; ours: boolean }> {
    try {
      // link() fails on an existing name, which is then kept if it is the blob.
      await link(tmp, path);
    } catch (err) {
      const existing = (err as NodeJS.ErrnoException).code === "EEXIST" ? await stat(path, { bigint: true }).catch(() => undefined) : undefined;
      if (existing?.isFile() && Number(existing.size) === info.size && `sha256:${await hashFile(path).catch(() => "")}` === info.digest) {
        return { stat: existing, ours: false };
      }
      await rename(tmp, path); // not the blob (or no hard links here): ours replaces it
    }
    // Unlink the temp name first: dropping a link changes the inode's ctime, which the stat
    // recorded must already include.
    await rm(tmp, { force: true });
    return { stat: await stat(path, { bigint: true }), ours: true };
  }

  async #lookup(kind: BlobKind, digest: Digest, size: number | undefined): Promise<StoredBlob | undefined> {
    if (!digest.startsWith("sha256:")) return undefined; // the store is sha256/ only
    const hex = digestHex(digest);
    const dir = markerDir(this.#layout, kind);
    const markerPath = join(dir, `${hex}.json`);
    const entry = await readEntry(markerPath).catch(() => null);
    if (entry === undefined) return undefined;
    if (entry === null || entry.digest !== digest || (size !== undefined && entry.size !== size)) return this.#unmark(dir, hex);
    const path = join(this.#layout.blobs, hex);
    const st = await checkBlob(path, entry, markerPath, { onRehash: () => this.stats.rehashed++, onDiscard: () => this.stats.discarded++ });
    if (st === undefined) return this.#unmark(dir, hex);
    this.#inUse.add(hex);
    return { kind, path, digest, size: entry.size, diffId: entry.diffId, mediaType: entry.mediaType, stat: st };
  }

  async #mark(kind: BlobKind, info: Omit<CacheEntry, "verified">, verified: BigIntStats): Promise<void> {
    const entry: CacheEntry = { ...info, verified: blobStat(verified) };
    await writeEntry(join(markerDir(this.#layout, kind), `${digestHex(info.digest)}.json`), entry).catch(() => {});
  }

  async #autoPrune(): Promise<void> {
    if (!Number.isFinite(this.maxBytes) || (await this.usage()) <= this.maxBytes) return;
    await pruneCache(this.#layout, { maxBytes: this.maxBytes, keep: this.#inUse, graceMs: this.#graceMs });
  }

  /** Delete a bad blob and its marker; undefined, for #lookup's "miss". */
  async #discard(dir: string, hex: string, examined: BigIntStats): Promise<undefined> {
    this.stats.discarded++;
    await discardBlob(join(this.#layout.blobs, hex), examined);
    return this.#unmark(dir, hex);
  }

  async #unmark(dir: string, hex: string): Promise<undefined> {
    await rm(join(dir, `${hex}.json`), { force: true }).catch(() => {});
    return undefined;
  }
}
