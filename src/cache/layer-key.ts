/**
 * The cache key of a layer: sha256 over a canonical description of everything that decides its
 * bytes, as jib's LayerEntriesSelector does, but with content hashes instead of mtimes (an mtime
 * can be restored after an edit; see stat-index.ts). Two entry lists that writeLayer turns into the
 * same bytes may get different keys (a cache miss, harmless); two lists with one key always give
 * the same bytes. Host paths of `file` sources are not part of the key, so moving a project keeps
 * its cache.
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { MapBuildError, isMapBuildError } from "../errors.js";
import { runBounded } from "../run-bounded.js";
import { layerMediaType } from "../image/index.js";
import { DEFAULT_GZIP_LEVEL, DEFAULT_OMIT_PARENT_DIRS, GZIP_BLOCK_SIZE, type LayerEntry, type WriteLayerOptions } from "../layer/index.js";
import { interrupted, matchesSnapshot, statFile, type FileSnapshot, type StatIndex } from "./stat-index.js";

/**
 * Bump when writeLayer's output for the same inputs changes (tar header layout, gzip settings,
 * parent-directory rules): old entries then stop matching instead of handing out layers a fresh
 * build would no longer produce.
 */
export const LAYER_CACHE_FORMAT = 2; // 2: gzip layers are 1 MiB multi-member streams

/** The writeLayer options that change the bytes; the rest (tmpDir, id, progress, signal) do not. */
export type LayerKeyOptions = Pick<WriteLayerOptions, "compression" | "family" | "level" | "mtime" | "omitParentDirs">;

/** A key plus what is needed to prove, after writing, that the inputs it describes did not change. */
export interface LayerInputs {
  /** 64 lowercase hex digits. */
  key: string;
  /** The `file` sources as they were when hashed. */
  files: readonly FileSnapshot[];
}

/** Parallel stats and reads while hashing: enough to hide per-file latency, few enough for fds. */
const HASH_CONCURRENCY = 16;

export async function describeLayerInputs(entries: readonly LayerEntry[], opts: LayerKeyOptions & { signal?: AbortSignal }, index: StatIndex): Promise<LayerInputs> {
  const contentDigests = new Map<LayerEntry, string>();
  const files: FileSnapshot[] = [];
  await runBounded(entries, async (e, _i, signal) => {
    if (signal.aborted) throw interrupted(signal.reason);
    if (e.type !== "file") return;
    const src = e.source;
    switch (src.kind) {
      case "file": {
        const snap = await index.digestOf(src.path, signal);
        files.push(snap);
        contentDigests.set(e, snap.sha256);
        break;
      }
      case "bytes":
        contentDigests.set(e, createHash("sha256").update(src.data).digest("hex"));
        break;
      case "stream":
        // copied deflate streams decide a gzip layer's bytes and the content digest does not pin them
        if (src.deflated && opts.compression === "gzip") {
          throw new MapBuildError("E_INTERNAL", `${e.path}: a gzip layer that copies deflate streams must be keyed by a description of them (DeferredEntries)`);
        }
        // A stream that checks its own bytes against a digest is keyed by it; others are read once more.
        contentDigests.set(e, src.sha256 ?? (await hashStream(e.path, src.open)));
        break;
    }
  }, { limit: HASH_CONCURRENCY, signal: opts.signal });
  await index.save();

  const header = layerKeyHeader(opts);
  // writeLayer sorts entries by path, so their order here must not change the key.
  const lines = entries.map((e) => JSON.stringify(describe(e, contentDigests.get(e)))).sort(comparePaths);
  const hash = createHash("sha256").update(JSON.stringify(header)).update("\n");
  for (const line of lines) hash.update(line).update("\n");
  return { key: hash.digest("hex"), files };
}

/** The write options that fix the bytes, as hashed into every key. */
function layerKeyHeader(opts: LayerKeyOptions): Record<string, unknown> {
  const level = opts.compression === "gzip" ? (opts.level ?? DEFAULT_GZIP_LEVEL) : null;
  return {
    format: "map-build layer",
    v: LAYER_CACHE_FORMAT,
    compression: opts.compression,
    level,
    // the gzip member size fixes the bytes too: a change must miss, not hand out old blobs
    gzipBlock: opts.compression === "gzip" ? GZIP_BLOCK_SIZE : null,
    family: opts.family,
    mediaType: layerMediaType(opts.family, opts.compression),
    mtime: opts.mtime ?? 0,
    omitParentDirs: [...new Set(opts.omitParentDirs ?? DEFAULT_OMIT_PARENT_DIRS)].sort(),
  };
}

/**
 * The key of a layer whose entries are planned only on a miss (DeferredEntries): the write options
 * plus the caller's description of the inputs. Marked as such, so it never equals a key computed
 * from an entry list.
 */
export function describedLayerKey(description: string, opts: LayerKeyOptions): string {
  return createHash("sha256").update(JSON.stringify({ ...layerKeyHeader(opts), described: true })).update("\n").update(description).digest("hex");
}

/**
 * True when every `file` source is still as it was when the key was computed: same inode, size and
 * timestamps, and for files changed too recently to trust timestamps, the same contents. Those are
 * hashed through the index, so one that has aged past the racy window meanwhile (a model written
 * just before a long build) is recorded there and not read again by the next build.
 */
export async function inputsUnchanged(inputs: LayerInputs, index: StatIndex): Promise<boolean> {
  try {
    for (const snap of inputs.files) {
      if (!matchesSnapshot(snap, await statFile(snap.path))) return false;
      if (snap.racy) {
        const again = await index.digestOf(snap.path);
        if (again.sha256 !== snap.sha256 || !sameFile(again, snap)) return false;
      }
    }
    return true;
  } catch {
    return false;
  } finally {
    await index.save();
  }
}

function sameFile(a: FileSnapshot, b: FileSnapshot): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

function describe(e: LayerEntry, contentDigest: string | undefined): unknown[] {
  const base = [e.path, e.type, e.mode, e.uid ?? 0, e.gid ?? 0];
  switch (e.type) {
    case "dir":
      return base;
    case "file":
      return [...base, e.size, contentDigest];
    case "symlink":
    case "hardlink":
      return [...base, e.target];
  }
}

/** Any fixed order will do: it only has to be independent of the order of the input list. */
function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function hashStream(imagePath: string, open: () => Promise<Readable>): Promise<string> {
  const hash = createHash("sha256");
  let stream: Readable | undefined;
  try {
    stream = await open();
    for await (const chunk of stream) hash.update(chunk as Uint8Array);
  } catch (err) {
    if (isMapBuildError(err)) throw err;
    throw new MapBuildError("E_LAYER_INPUT", `cannot read the content of ${imagePath}: ${(err as Error)?.message ?? String(err)}`, {
      hint: "check that the input can be read, then run the build again",
      cause: err,
    });
  } finally {
    stream?.destroy();
  }
  return hash.digest("hex");
}
