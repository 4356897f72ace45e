/**
 * Read a layer's tar stream: every entry's metadata, the contents of a few wanted files, and the
 * sha256 of the uncompressed tar (its diff_id), in one pass with flat memory.
 */
import { createHash } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { Transform, type Readable, type Writable } from "node:stream";
import { createGunzip } from "node:zlib";
import { extract, type Headers as TarHeaders } from "tar-stream";
import type { Layer } from "./image.js";
import { isGzipLayer } from "./media-types.js";
import { MapBuildError } from "../errors.js";
import type { ProgressSink } from "../progress.js";

export type FileType = "file" | "dir" | "symlink" | "hardlink" | "other";

export interface TarFileInfo {
  /** Absolute path in the image, no trailing slash. */
  path: string;
  type: FileType;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
  linkname?: string;
  /** sha256 of a regular file's contents, when asked for (`hashFiles`). */
  sha256?: string;
}

export interface ListOptions {
  /** Progress events for reading the layer's bytes, under this id. */
  id?: string;
  progress?: ProgressSink;
  /** Hash every regular file's contents (for `diff`). */
  hashFiles?: boolean;
  /** Only entries this accepts are listed (a base scan needs a few among millions). */
  keep?: (f: TarFileInfo) => boolean;
  /** At most this many listed entries; default MAX_LISTED_ENTRIES. */
  maxEntries?: number;
}

export interface LayerListing {
  files: TarFileInfo[];
  /** Contents of the wanted files found in this layer (capped at 1 MiB each). */
  contents: Map<string, Buffer>;
  diffId: string;
}

const MAX_CAPTURE = 1 << 20;
/**
 * Inflated bytes per gunzip step. Each step is a round trip to the thread pool and then runs the
 * whole chain after it (diff_id hash, tar parser) before the next starts; zlib's 16 KiB default made
 * the base scan of the 30 MB python base take ~470 ms of CPU, 256 KiB steps ~320 ms.
 */
const INFLATE_CHUNK = 256 * 1024;
/**
 * Listed entries per layer, and captured bytes per layer: a hostile layer of 1 M empty entries is
 * 8 MB gzipped but took 630 MB to list. Real layers hold a few hundred thousand files at most.
 */
export const MAX_LISTED_ENTRIES = 1_000_000;
const MAX_CAPTURE_TOTAL = 256 << 20;

function normalizeTarPath(name: string): string {
  const trimmed = name.replace(/^\.?\/+/, "").replace(/\/+$/, "");
  return `/${trimmed}`;
}

function typeOf(t: string | null | undefined): FileType {
  switch (t) {
    case "file":
    case "contiguous-file":
      return "file";
    case "directory":
      return "dir";
    case "symlink":
      return "symlink";
    case "link":
      return "hardlink";
    default:
      return "other";
  }
}

/** The layer's bytes, reporting `download` progress as they pass. */
function counted(source: Readable, id: string, total: number, progress: ProgressSink | undefined): Readable {
  if (!progress) return source;
  let bytes = 0;
  progress({ id, phase: "download", bytes, total });
  return source.pipe(
    new Transform({
      transform(chunk: Buffer, _e, cb) {
        bytes += chunk.length;
        progress({ id, phase: "download", bytes, total });
        cb(null, chunk);
      },
    }),
  );
}

/** A tar header as listed. */
function entryInfo(header: TarHeaders): TarFileInfo {
  const info: TarFileInfo = {
    path: normalizeTarPath(header.name),
    type: typeOf(header.type),
    mode: (header.mode ?? 0) & 0o7777,
    uid: header.uid ?? 0,
    gid: header.gid ?? 0,
    mtime: header.mtime ? Math.floor(header.mtime.getTime() / 1000) : 0,
    size: header.size ?? 0,
  };
  if (header.linkname) info.linkname = header.linkname;
  return info;
}

/**
 * umoci 0.4 ends a layer right after the last file's data (no 512-byte padding, no end blocks);
 * Go's tar reader, hence docker and containerd, accept that, so pad the stream for tar-stream.
 */
function padToBlock(): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      total += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      cb(null, total % 512 ? Buffer.alloc(512 - (total % 512)) : undefined);
    },
  });
}

/** `wanted`: exact paths, or a test on each path (files whose contents the caller needs). */
export async function listLayerFiles(
  layer: Layer,
  wanted: ReadonlySet<string> | ((path: string) => boolean) = new Set(),
  opts: ListOptions = {},
): Promise<LayerListing> {
  const wants = typeof wanted === "function" ? wanted : (p: string) => wanted.has(p);
  const files: TarFileInfo[] = [];
  const contents = new Map<string, Buffer>();
  const hash = createHash("sha256");
  const tap = new Transform({ transform: (chunk: Buffer, _e, cb) => cb(null, (hash.update(chunk), chunk)) });
  let capturedTotal = 0;
  const maxEntries = opts.maxEntries ?? MAX_LISTED_ENTRIES;
  const tooBig = (what: string) => new MapBuildError("E_INPUT_FORMAT", `a layer has ${what}, more than map-build reads from one layer`, {
    hint: "the image is damaged or hostile; use another base image",
  });
  const ex = extract();
  ex.on("entry", (header, stream, next) => {
    const info = entryInfo(header);
    const path = info.path;
    if (!opts.keep || opts.keep(info)) files.push(info);
    if (files.length > maxEntries) {
      next(tooBig(`more than ${maxEntries} entries`));
      return;
    }
    const capture = info.type === "file" && wants(path);
    const chunks: Buffer[] = [];
    let captured = 0;
    const fileHash = opts.hashFiles && info.type === "file" ? createHash("sha256") : undefined;
    stream.on("data", (c: Buffer) => {
      fileHash?.update(c);
      if (capture && captured < MAX_CAPTURE) {
        chunks.push(c);
        captured += c.length;
        capturedTotal += c.length;
      }
    });
    stream.on("end", () => {
      if (fileHash) info.sha256 = `sha256:${fileHash.digest("hex")}`;
      if (capture) contents.set(path, Buffer.concat(chunks).subarray(0, MAX_CAPTURE));
      next(capturedTotal > MAX_CAPTURE_TOTAL ? tooBig(`more than ${MAX_CAPTURE_TOTAL >> 20} MiB of metadata files`) : undefined);
    });
    stream.resume();
  });
  const pad = padToBlock();
  const gzip = isGzipLayer(await layer.mediaType());
  // tar-stream's extract is a streamx Writable, which node's pipeline drives like a node one
  const sink = ex as unknown as Writable;
  try {
    const source = counted(await layer.open(), opts.id ?? (await layer.digest()), await layer.size(), opts.progress);
    if (gzip) await pipeline(source, createGunzip({ chunkSize: INFLATE_CHUNK }), tap, pad, sink);
    else await pipeline(source, tap, pad, sink);
    opts.progress?.({ id: opts.id ?? (await layer.digest()), phase: "done", bytes: await layer.size(), total: await layer.size() });
  } catch (cause) {
    if (cause instanceof MapBuildError) throw cause;
    // bytes that do not inflate or parse are a damaged image (integrity, like a digest mismatch);
    // a file that cannot be read at all stays an input problem
    const damaged = (cause as NodeJS.ErrnoException).syscall === undefined;
    throw new MapBuildError(damaged ? "E_DIGEST_MISMATCH" : "E_INPUT_FORMAT", `layer ${await layer.digest()} is not a readable ${gzip ? "gzip tar" : "tar"}: ${(cause as Error).message}`, {
      cause,
      hint: "the image is corrupt; re-pull or re-copy it, or rebuild it",
    });
  }
  return { files, contents, diffId: `sha256:${hash.digest("hex")}` };
}
