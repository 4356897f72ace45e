/**
 * One streaming pass per layer: tar → sha256 (diffId) → gzip or nothing → sha256 (digest) + byte
 * count → a temp file created exclusively. Memory stays flat: every stage honours backpressure and
 * file contents are never concatenated. gzip runs on all cores: the tar is cut into fixed 1 MiB
 * blocks compressed as independent gzip members (block-gzip-writer.ts).
 */
import { createHash, randomBytes, type Hash } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { MapBuildError, isMapBuildError, toMapBuildError } from "../errors.js";
import { FileLayer, layerMediaType, type Compression, type FileLayerInfo, type ManifestFamily } from "../image/index.js";
import type { Digest } from "../digest.js";
import type { ProgressSink } from "../progress.js";
import { BlockGzipWriter, defaultGzipConcurrency } from "./block-gzip-writer.js";
import type { LayerEntry } from "./entry.js";
import { ReplayLayer } from "./replay-layer.js";
import { DEFAULT_OMIT_PARENT_DIRS, normalizeEntries } from "./normalize-entries.js";
import { contentSize, tarChunks, tarPieces, type TarPiece } from "./tar-chunks.js";

/**
 * Measured on this machine kind (node:zlib, 64 MiB, one core): random bytes 44 MB/s at level 1 and
 * 40 MB/s at level 6 (nothing to gain either way); JavaScript/text 160 MB/s at level 1 vs 55 MB/s
 * at level 6, for output 25 % larger (ratio 0.22 vs 0.18). Compression dominates build time
 * (facts.md), so level 1: three times faster on code, same size on weights.
 */
export const DEFAULT_GZIP_LEVEL = 1;

export interface WriteLayerOptions {
  compression: Compression;
  /** gzip level 0–9; default DEFAULT_GZIP_LEVEL. */
  level?: number;
  /**
   * gzip blocks compressed at once, each on a libuv thread-pool thread; default
   * min(os.availableParallelism(), UV_THREADPOOL_SIZE or 4). Never changes the bytes.
   */
  concurrency?: number;
  family: ManifestFamily;
  /** Where the temp file goes; it must exist. Same filesystem as the cache lets it rename. */
  tmpDir: string;
  /** Seconds since the epoch on every member; the caller applies SOURCE_DATE_EPOCH. Default 0. */
  mtime?: number;
  /** Missing parents not to emit; default DEFAULT_OMIT_PARENT_DIRS. */
  omitParentDirs?: readonly string[];
  /** Label in progress events, e.g. "app" or "model:seg". */
  id?: string;
  progress?: ProgressSink;
  signal?: AbortSignal;
}

export interface BuildLayerOptions extends WriteLayerOptions {
  /**
   * "recipe": an uncompressed layer is hashed but not written; the result regenerates its bytes
   * from the entries on every open() (replay-layer.ts). Needs entries ReplayLayer.canReplay
   * accepts. Ignored for gzip (compressing again on every read would cost minutes). Default "file".
   */
  keep?: "file" | "recipe";
}

/** Emit a progress event at most every this many content bytes. */
const PROGRESS_STEP = 8 * 1024 * 1024;

export async function writeLayer(entries: readonly LayerEntry[], opts: WriteLayerOptions): Promise<FileLayer> {
  return (await buildLayer(entries, { ...opts, keep: "file" })) as FileLayer;
}

/** The options' mtime, gzip level and concurrency with their defaults, refused when out of range. */
function checkedSettings(opts: BuildLayerOptions): { mtime: number; level: number; concurrency: number } {
  const mtime = opts.mtime ?? 0;
  if (!Number.isSafeInteger(mtime) || mtime < 0 || mtime > 0o77777777777) {
    throw new MapBuildError("E_USAGE", `invalid layer mtime ${mtime}`, { hint: "use whole seconds since 1970, e.g. SOURCE_DATE_EPOCH" });
  }
  const level = opts.level ?? DEFAULT_GZIP_LEVEL;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new MapBuildError("E_USAGE", `invalid gzip level ${level}`, { hint: "use a compression level from 0 to 9" });
  }
  const concurrency = opts.concurrency ?? defaultGzipConcurrency();
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new MapBuildError("E_USAGE", `invalid gzip concurrency ${concurrency}`, { hint: "use a whole number of threads, 1 or more" });
  }
  return { mtime, level, concurrency };
}

/** writeLayer, or with `keep: "recipe"` an uncompressed layer that is hashed, not stored. */
export async function buildLayer(entries: readonly LayerEntry[], opts: BuildLayerOptions): Promise<BuiltLayer> {
  const { mtime, level, concurrency } = checkedSettings(opts);
  const sorted = normalizeEntries(entries, opts.omitParentDirs ?? DEFAULT_OMIT_PARENT_DIRS);
  if (opts.signal?.aborted) throw interrupted(opts.signal.reason);

  const id = opts.id ?? "layer";
  const progress = opts.progress;
  const total = contentSize(sorted);
  let nextReport = PROGRESS_STEP;
  const onContent = (bytes: number): void => {
    if (progress && bytes >= nextReport) {
      nextReport = bytes + PROGRESS_STEP;
      progress({ id, phase: "build", bytes, total });
    }
  };

  const path = join(opts.tmpDir, `layer-${randomBytes(12).toString("hex")}.tmp`);
  const diffHash = createHash("sha256");
  let diffId: Digest;
  const gzip = opts.compression === "gzip";
  let blob: { digest: () => Digest; bytes: () => number };
  let created = false;
  const recipe = !gzip && opts.keep === "recipe";
  if (recipe && !ReplayLayer.canReplay(sorted)) throw new MapBuildError("E_INTERNAL", "a layer with streamed entries cannot be kept as a recipe");
  progress?.({ id, phase: "build", bytes: 0, total });
  try {
    const signal = opts.signal ? { signal: opts.signal } : {};
    if (gzip) {
      // 'wx': never follow or truncate something already there.
      const file = await open(path, "wx", 0o644);
      created = true;
      const writer = new BlockGzipWriter(file, { level, concurrency });
      blob = { digest: () => writer.digest, bytes: () => writer.bytes };
      try {
        await pipeline(tarPieces(sorted, { mtime, onContent }), diffHashing(diffHash), writer, signal);
        diffId = `sha256:${diffHash.digest("hex")}`;
      } finally {
        // The descriptor is closed only once in-flight blocks settle; the caller may then rm.
        if (!writer.destroyed) writer.destroy();
        await writer.fileClosed;
      }
    } else {
      // Uncompressed: the blob's digest is the diffId. Each chunk is hashed and written before the
      // next is read, so the reader reuses one buffer (tarChunks' reuseBuffer): model layers of
      // many GB stream through without garbage.
      const file = recipe ? undefined : await open(path, "wx", 0o644);
      created = !recipe;
      let bytes = 0;
      try {
        for await (const chunk of tarChunks(sorted, { mtime, onContent, reuseBuffer: true })) {
          if (opts.signal?.aborted) throw interrupted(opts.signal.reason);
          diffHash.update(chunk);
          if (file) for (let off = 0; off < chunk.length; ) off += (await file.write(chunk, off, chunk.length - off)).bytesWritten;
          bytes += chunk.length;
        }
      } finally {
        await file?.close();
      }
      const blobDigest: Digest = `sha256:${diffHash.digest("hex")}`;
      blob = { digest: () => blobDigest, bytes: () => bytes };
      diffId = blobDigest;
    }
  } catch (err) {
    if (created) await rm(path, { force: true }).catch(() => {});
    throw writeFailed(err, path, opts.signal);
  }
  progress?.({ id, phase: "done", bytes: total, total });

  const info = {
    digest: blob.digest(),
    diffId,
    size: blob.bytes(),
    mediaType: layerMediaType(opts.family, opts.compression),
  };
  return recipe ? new ReplayLayer(sorted, mtime, info) : new FileLayer(path, info, { owned: true });
}

/**
 * The gzip writer's input with every tar byte hashed on the way (the diffId); `covered` bytes are
 * already inside a copied member, so they stop here. A stream stage, not a generator: when the
 * build is aborted while the source waits (a stalled input), pipeline can end it and settle.
 */
function diffHashing(hash: Hash): Transform {
  return new Transform({
    objectMode: true,
    highWaterMark: 1,
    transform(p: TarPiece, _enc, cb) {
      if (Buffer.isBuffer(p)) {
        hash.update(p);
        cb(null, p);
      } else if ("covered" in p) {
        hash.update(p.covered);
        cb();
      } else {
        cb(null, p);
      }
    },
  });
}

/** What writeLayer returns: a layer in a file, or (keep: "recipe") one regenerated from its entries. */
export type BuiltLayer = FileLayer | ReplayLayer;

/** The recipe layer for `entries` whose bytes are already known (a layer cache hit). */
export function replayLayer(entries: readonly LayerEntry[], opts: Pick<WriteLayerOptions, "mtime" | "omitParentDirs">, info: FileLayerInfo): ReplayLayer {
  return new ReplayLayer(normalizeEntries(entries, opts.omitParentDirs ?? DEFAULT_OMIT_PARENT_DIRS), opts.mtime ?? 0, info);
}

function writeFailed(err: unknown, path: string, signal: AbortSignal | undefined): MapBuildError {
  if (isMapBuildError(err)) return err;
  if (signal?.aborted || (err as Error | undefined)?.name === "AbortError") return interrupted(err);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT" || code === "EACCES" || code === "EROFS" || code === "ENOENT" || code === "EEXIST") {
    return new MapBuildError("E_OUTPUT", `cannot write layer file ${path}: ${(err as Error).message}`, {
      hint: code === "ENOSPC" || code === "EDQUOT" ? "free disk space in the temp directory or point TMPDIR elsewhere" : "check that the temp directory exists and is writable",
      cause: err,
    });
  }
  return toMapBuildError(err);
}

function interrupted(cause: unknown): MapBuildError {
  return new MapBuildError("E_INTERRUPTED", "layer build interrupted", { cause });
}
