/**
 * Built layers kept between builds, keyed by a hash of their inputs (layer-key.ts), stored once per
 * blob digest. The cache is an optimization that cannot lie (style §3.10): every file appears by
 * rename, every blob is checked before it is handed out, and anything missing, malformed or corrupt
 * is a miss (the bad entry is removed and the layer rebuilt), never an error. Uncompressed layers
 * are stored as recipes (cache-entry.ts): no blob, the bytes are regenerated from the inputs.
 */
import { mkdir, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { digestHex, type Digest } from "../digest.js";
import { MapBuildError, optionName } from "../errors.js";
import { ReplayLayer, layerFromFile, type BuiltLayer, type FileLayer, type FileLayerInfo, type LayerEntry } from "../layer/index.js";
import { placeFile } from "./place-file.js";
import { DEFAULT_CACHE_MAX_BYTES, cacheLayout, defaultCacheDir, type CacheLayout } from "./cache-dir.js";
import { claimCacheDir } from "./cache-tag.js";
import { KEY_RE, blobStat, readEntry, writeEntry, type BlobStat } from "./cache-entry.js";
import { listEntries, pruneCache, listBlobs, type PruneOptions, type PruneResult } from "./cache-prune.js";
import { describeLayerInputs, inputsUnchanged, type LayerInputs, type LayerKeyOptions } from "./layer-key.js";
import { ContentDigests } from "./content-digest.js";
import { checkBlob } from "./blob-check.js";
import { keptBlob } from "./kept-blob.js";
import { BLOB_KINDS, markerDir, type BlobKind } from "./blob-kinds.js";
import { StatIndex, hashFile } from "./stat-index.js";

export interface LayerCacheOptions {
  /** Default: defaultCacheDir(env). */
  dir?: string;
  /** Size bound for the blobs, pruned after each put; default DEFAULT_CACHE_MAX_BYTES. */
  maxBytes?: number;
  /**
   * How get() checks a blob's digest. "stat" (default): re-hash only when the blob's inode, size,
   * mtime or ctime differ from when it was last verified. Any write to the file through the
   * filesystem changes ctime, which user space cannot set back, so this catches every edit at the
   * cost of a stat; silent media corruption is still caught later, because FileLayer.open()
   * verifies size and digest of every byte it reads. "full": re-hash on every hit (sha256 runs
   * ~40× faster than gzip level 1 here, facts.md, but a 2 GiB model still costs seconds).
   */
  verify?: "stat" | "full";
  /** For the default directory; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** See stat-index.ts; default 2000 ms (FAT timestamps have 2 s resolution). */
  racyWindowMs?: number;
  /** The clock the racy window is measured with (ms since the epoch); default Date.now. */
  now?: () => number;
  /** The automatic prune keeps entries used this recently (other builds may be pushing them); default 10 min. */
  pruneGraceMs?: number;
  /** Bound on remembered input files; default 200 000 (a few MB of JSON). */
  maxIndexedFiles?: number;
}

export interface LayerCacheStats {
  hits: number;
  misses: number;
  puts: number;
  /** Input files read and hashed by keyFor, and their bytes. */
  hashedFiles: number;
  hashedBytes: number;
  /** Input files whose digest came from the stat index. */
  indexHits: number;
  /** Blobs re-hashed by get() or put(). */
  verifiedBlobs: number;
}

export interface CachedLayerInfo {
  key: string;
  digest: Digest;
  diffId: Digest;
  size: number;
  mediaType: string;
  lastUsed: Date;
  /** No blob is stored: the layer is regenerated from its inputs when used. */
  recipe: boolean;
}

const DEFAULT_RACY_WINDOW_MS = 2000;
const DEFAULT_PRUNE_GRACE_MS = 10 * 60 * 1000;
const DEFAULT_MAX_INDEXED_FILES = 200_000;

export async function openLayerCache(opts: LayerCacheOptions = {}): Promise<LayerCache> {
  const layout = cacheLayout(opts.dir ?? defaultCacheDir(opts.env ?? process.env));
  const maxBytes = opts.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  if (!(maxBytes >= 0)) {
    throw new MapBuildError("E_USAGE", `invalid cache size limit ${maxBytes}`, { hint: "give the cache limit as a number of bytes ≥ 0" });
  }
  try {
    for (const d of [layout.blobs, layout.entries, layout.tmp]) await mkdir(d, { recursive: true });
    await claimCacheDir(layout.dir);
  } catch (err) {
    throw new MapBuildError("E_OUTPUT", `cannot use the cache directory ${layout.dir}: ${(err as Error).message}`, {
      hint: `set MAP_BUILD_CACHE_DIR to a writable directory, or build with ${optionName("noCache")}`,
      cause: err,
    });
  }
  return new LayerCache(layout, { ...opts, maxBytes });
}

export class LayerCache {
  readonly dir: string;
  /** Where to write layers that will be put: inside the cache, so put() is a rename. */
  readonly tmpDir: string;
  readonly maxBytes: number;
  readonly stats: LayerCacheStats = { hits: 0, misses: 0, puts: 0, hashedFiles: 0, hashedBytes: 0, indexHits: 0, verifiedBlobs: 0 };
  readonly #layout: CacheLayout;
  readonly #index: StatIndex;
  #contentDigests: ContentDigests | undefined;
  readonly #verify: "stat" | "full";
  readonly #graceMs: number;
  /** Blobs (hex) handed out by this instance: never pruned by it while it lives. */
  readonly #inUse = new Set<string>();

  /** Use openLayerCache(), which creates the directories. */
  constructor(layout: CacheLayout, opts: LayerCacheOptions & { maxBytes: number }) {
    this.#layout = layout;
    this.dir = layout.dir;
    this.tmpDir = layout.tmp;
    this.maxBytes = opts.maxBytes;
    this.#verify = opts.verify ?? "stat";
    this.#graceMs = opts.pruneGraceMs ?? DEFAULT_PRUNE_GRACE_MS;
    this.#index = new StatIndex(layout.statIndex, {
      racyWindowMs: opts.racyWindowMs ?? DEFAULT_RACY_WINDOW_MS,
      maxRecords: opts.maxIndexedFiles ?? DEFAULT_MAX_INDEXED_FILES,
      counters: this.stats,
      now: opts.now,
    });
  }

  /** sha256 (hex) of `files`' contents concatenated, reusing earlier hashes of unchanged files. */
  contentDigest(files: readonly string[], signal?: AbortSignal): Promise<string> {
    this.#contentDigests ??= new ContentDigests(join(this.#layout.dir, "content-digests.json"), this.#index);
    return this.#contentDigests.of(files, signal);
  }

  /** The cache key of a layer (64 hex digits). Throws E_LAYER_INPUT when an input cannot be read. */
  async keyFor(entries: readonly LayerEntry[], writeOpts: LayerKeyOptions): Promise<string> {
    return (await this.inputsFor(entries, writeOpts)).key;
  }

  /**
   * The key plus the input snapshot that inputsUnchanged() re-checks after the layer is written.
   * `signal` stops the hashing (E_INTERRUPTED).
   */
  inputsFor(entries: readonly LayerEntry[], writeOpts: LayerKeyOptions & { signal?: AbortSignal }): Promise<LayerInputs> {
    return describeLayerInputs(entries, writeOpts, this.#index);
  }

  /**
   * True when the inputs still are what `inputs` describes. Check it after writing a layer and
   * before putting it: an input edited meanwhile means the key does not describe the layer's bytes.
   */
  inputsUnchanged(inputs: LayerInputs): Promise<boolean> {
    return inputsUnchanged(inputs, this.#index);
  }

  /**
   * The cached layer for `key`, checked; undefined when missing or bad. Never throws. A recipe
   * entry (no blob) is a hit only for a caller that can regenerate the layer: `replay` builds it
   * from the caller's entries and the entry's facts; without it, a recipe entry is a miss.
   */
  get(key: string): Promise<FileLayer | undefined>;
  get(key: string, replay: (info: FileLayerInfo) => BuiltLayer): Promise<BuiltLayer | undefined>;
  async get(key: string, replay?: (info: FileLayerInfo) => BuiltLayer): Promise<BuiltLayer | undefined> {
    const layer = await this.#lookup(key, replay).catch(() => undefined);
    if (layer) this.stats.hits++;
    else this.stats.misses++;
    return layer;
  }

  /**
   * Store `layer` under `key` and return a layer backed by the cache's blob (not owned: its
   * dispose() leaves the blob alone). `move`: the layer's file is a temp file the cache may take
   * (renamed, no copy); it is gone afterwards. Otherwise it is copied and left in place. An
   * existing blob with the same digest is kept (after checking it) and the new copy dropped.
   * A ReplayLayer is recorded as a recipe (no bytes stored) and returned as it is.
   */
  put(key: string, layer: FileLayer, opts?: { move?: boolean }): Promise<FileLayer>;
  put(key: string, layer: BuiltLayer, opts?: { move?: boolean }): Promise<BuiltLayer>;
  async put(key: string, layer: BuiltLayer, opts: { move?: boolean } = {}): Promise<BuiltLayer> {
    if (!KEY_RE.test(key)) throw new MapBuildError("E_INTERNAL", `invalid layer cache key "${key.slice(0, 80)}"`);
    const info = layer.info;
    if (layer instanceof ReplayLayer) {
      await writeEntry(this.#entryPath(key), { ...info, recipe: true }).catch(() => {});
      this.stats.puts++;
      return layer;
    }
    if (!info.digest.startsWith("sha256:")) throw new MapBuildError("E_INTERNAL", `cannot cache a layer with digest ${info.digest}`);
    const hex = digestHex(info.digest);
    const blobPath = join(this.#layout.blobs, hex);
    this.#inUse.add(hex);
    const verified = await this.#storeBlob(layer, blobPath, opts.move ?? false);
    // The blob is in place: from here on the caller's layer is the cache's, so a failure to
    // record the entry (disk full) only costs a future miss.
    try {
      await writeEntry(this.#entryPath(key), { ...info, ...(verified ? { verified } : {}) });
      this.stats.puts++;
    } catch {
      // a cache that cannot record is still a correct cache
    }
    await this.#autoPrune().catch(() => {});
    return layerFromFile(blobPath, { ...info }, verified ? { kept: keptBlob(this.#entryPath(key), verified) } : {});
  }

  /** Every valid entry, most recently used first. */
  async ls(): Promise<CachedLayerInfo[]> {
    const out: CachedLayerInfo[] = [];
    for (const e of await listEntries(this.#layout)) {
      if (e.entry) out.push({ key: e.key, digest: e.entry.digest, diffId: e.entry.diffId, size: e.entry.size, mediaType: e.entry.mediaType, lastUsed: new Date(e.lastUsedMs), recipe: e.entry.recipe === true });
    }
    return out.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
  }

  /** How many blobs of each kind the blob store keeps beside the layers (downloaded base blobs, wheels). */
  async blobCounts(): Promise<Record<BlobKind, number>> {
    const counts = { base: 0, wheel: 0 };
    for (const kind of BLOB_KINDS) counts[kind] = (await listEntries(this.#layout, markerDir(this.#layout, kind))).filter((e) => e.entry).length;
    return counts;
  }

  /** Bytes taken by the blobs (layers, base blobs and wheels). */
  async usage(): Promise<number> {
    let total = 0;
    for (const b of (await listBlobs(this.#layout)).values()) total += b.size;
    return total;
  }

  /**
   * Remove entries unused for `olderThanDays`, then least recently used ones until the blobs fit
   * in `maxBytes` (default: the cache's limit). Blobs this instance handed out are kept.
   */
  prune(opts: PruneOptions = {}): Promise<PruneResult> {
    const olderThanMs = opts.olderThanDays === undefined ? undefined : opts.olderThanDays * 24 * 60 * 60 * 1000;
    return pruneCache(this.#layout, { maxBytes: opts.maxBytes ?? this.maxBytes, ...(olderThanMs === undefined ? {} : { olderThanMs }), keep: this.#inUse, graceMs: 0, refuseForeign: true });
  }

  async #autoPrune(): Promise<void> {
    if (!Number.isFinite(this.maxBytes) || (await this.usage()) <= this.maxBytes) return;
    await pruneCache(this.#layout, { maxBytes: this.maxBytes, keep: this.#inUse, graceMs: this.#graceMs });
  }

  async #lookup(key: string, replay: ((info: FileLayerInfo) => BuiltLayer) | undefined): Promise<BuiltLayer | undefined> {
    if (!KEY_RE.test(key)) return undefined;
    const entryPath = this.#entryPath(key);
    const entry = await readEntry(entryPath).catch(() => null);
    if (entry === undefined) return undefined;
    if (entry === null) return this.#dropEntry(key); // malformed
    if (entry.recipe) {
      if (!replay) return undefined;
      await touch(entryPath);
      const { digest, diffId, size, mediaType } = entry;
      return replay({ digest, diffId, size, mediaType });
    }
    const blobPath = join(this.#layout.blobs, digestHex(entry.digest));
    const st = await checkBlob(blobPath, entry, entryPath, { full: this.#verify === "full", onRehash: () => this.stats.verifiedBlobs++ });
    if (st === undefined) return this.#dropEntry(key);
    this.#inUse.add(digestHex(entry.digest));
    const { digest, diffId, size, mediaType } = entry;
    return layerFromFile(blobPath, { digest, diffId, size, mediaType }, { kept: keptBlob(entryPath, blobStat(st)) });
  }

  /** The stat of the stored blob when it is known to hold the layer's bytes, else undefined. */
  async #storeBlob(layer: FileLayer, blobPath: string, move: boolean): Promise<BlobStat | undefined> {
    const existing = await stat(blobPath, { bigint: true }).catch(() => undefined);
    if (existing?.isFile() && Number(existing.size) === layer.info.size) {
      // Another build (or another key with the same bytes) got there first. Nothing says that
      // file was checked, so check it before dropping our own good copy.
      this.stats.verifiedBlobs++;
      const hex = await hashFile(blobPath).catch(() => "");
      if (`sha256:${hex}` === layer.info.digest) {
        if (move) await rm(layer.path, { force: true });
        return blobStat(existing);
      }
    }
    await placeFile(layer.path, blobPath, move);
    // A moved file holds the bytes writeLayer hashed as it wrote them; a copy is checked on first get.
    if (!move) return undefined;
    const placed = await stat(blobPath, { bigint: true }).catch(() => undefined);
    return placed && blobStat(placed);
  }

  async #dropEntry(key: string): Promise<undefined> {
    await rm(this.#entryPath(key), { force: true }).catch(() => {});
    return undefined;
  }

  #entryPath(key: string): string {
    return join(this.#layout.entries, `${key}.json`);
  }
}

/** Mark an entry used now (its mtime orders the LRU prune). */
async function touch(entryPath: string): Promise<void> {
  const now = new Date();
  await utimes(entryPath, now, now).catch(() => {});
}
