/**
 * The tar bytes of a normalised entry list, as an async generator so that `stream.pipeline` pulls
 * it at the pace of the slowest stage (gzip, disk): nothing is buffered beyond one read chunk.
 */
import type { FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";
import { MapBuildError, isMapBuildError } from "../errors.js";
import { InputFileError, openRegularFile } from "../open-regular.js";
import type { GzipWriterInput } from "./block-gzip-writer.js";
import type { DeflatedContent, FileEntry, LayerEntry } from "./entry.js";
import { END_OF_ARCHIVE, encodeHeader, padding } from "./tar-header.js";

/** Read size per file chunk: large enough to keep syscalls and per-chunk overhead low. */
const READ_CHUNK = 1024 * 1024;

export interface TarChunkOptions {
  /** Seconds since the epoch, written on every member. */
  mtime: number;
  /** Called after each content chunk with the running total of content bytes. */
  onContent?: (bytesSoFar: number) => void;
  /**
   * Read file contents into one reused buffer: each yielded chunk is valid only until the next
   * one is pulled. For consumers that finish with a chunk first (hash + awaited write): streaming
   * a multi-GB file then leaves no garbage for the collector (fresh 1 MiB chunks pile up to
   * ~64 MB before V8 collects external memory).
   */
  reuseBuffer?: boolean;
}

/**
 * What the gzip path of the layer writer gets (tarPieces): tar bytes to compress, a step of a gzip
 * member copied from an entry's deflate stream, or tar bytes such a member already holds (`covered`:
 * hashed for the diffId, not compressed again).
 */
export type TarPiece = GzipWriterInput | { covered: Buffer };

export function tarChunks(entries: readonly LayerEntry[], opts: TarChunkOptions): AsyncGenerator<Buffer> {
  // without copyDeflated, every piece is tar bytes
  return tarStream(entries, opts, false) as AsyncGenerator<Buffer>;
}

/** The tar as TarPieces: entries whose content is a deflate stream become copied gzip members. */
export function tarPieces(entries: readonly LayerEntry[], opts: TarChunkOptions): AsyncGenerator<TarPiece> {
  return tarStream(entries, opts, true);
}

async function* tarStream(entries: readonly LayerEntry[], opts: TarChunkOptions, copyDeflated: boolean): AsyncGenerator<TarPiece> {
  let contentBytes = 0;
  const counted = (n: number) => {
    contentBytes += n;
    opts.onContent?.(contentBytes);
  };
  let shared: Buffer | undefined;
  for (const e of entries) {
    const name = e.path.slice(1) + (e.type === "dir" ? "/" : "");
    const base = { name, mode: e.mode, uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: opts.mtime };
    switch (e.type) {
      case "dir":
        yield encodeHeader({ ...base, type: "dir", size: 0 });
        break;
      case "symlink":
        yield encodeHeader({ ...base, type: "symlink", size: 0, linkname: e.target });
        break;
      case "hardlink":
        yield encodeHeader({ ...base, type: "hardlink", size: 0, linkname: e.target.slice(1) });
        break;
      case "file": {
        yield encodeHeader({ ...base, type: "file", size: e.size });
        const deflated = copyDeflated && e.source.kind === "stream" ? e.source.deflated : undefined;
        if (deflated) {
          yield* copiedMember(e, deflated, counted);
        } else {
          let written = 0;
          for await (const chunk of fileContent(e, opts.reuseBuffer ? (shared ??= Buffer.allocUnsafe(READ_CHUNK)) : undefined)) {
            written += chunk.length;
            if (written > e.size) throw changedSize(e, "grew");
            yield chunk;
            counted(chunk.length);
          }
          if (written !== e.size) throw changedSize(e, "shrank");
        }
        yield padding(e.size);
        break;
      }
    }
  }
  yield END_OF_ARCHIVE;
}

/**
 * A file's content as one gzip member made of its deflate stream: the compressed bytes go to the
 * writer as they are, the inflated bytes beside them as `covered` tar bytes; the trailer takes the
 * source's CRC-32 and the size counted here (which must be the planned one).
 */
async function* copiedMember(e: FileEntry, deflated: DeflatedContent, counted: (n: number) => void): AsyncGenerator<TarPiece> {
  yield { rawMember: "start" };
  let written = 0;
  let crc32: number | undefined;
  try {
    for await (const step of await deflated.open()) {
      if ("deflated" in step) {
        yield { rawMember: "data", data: step.deflated };
      } else if ("inflated" in step) {
        written += step.inflated.length;
        if (written > e.size) throw changedSize(e, "grew");
        yield { covered: step.inflated };
        counted(step.inflated.length);
      } else {
        crc32 = step.crc32;
      }
    }
  } catch (err) {
    throw readFailed(e, undefined, err);
  }
  if (written !== e.size) throw changedSize(e, "shrank");
  if (crc32 === undefined) throw new MapBuildError("E_INTERNAL", `the deflated content of ${e.path} ended without its CRC-32`);
  yield { rawMember: "end", crc32, size: written };
}

/** Total content bytes of the files in a list, for progress totals. */
export function contentSize(entries: readonly LayerEntry[]): number {
  let n = 0;
  for (const e of entries) if (e.type === "file") n += e.size;
  return n;
}

async function* fileContent(e: FileEntry, reuse?: Buffer): AsyncGenerator<Buffer> {
  const src = e.source;
  switch (src.kind) {
    case "bytes":
      yield Buffer.from(src.data.buffer, src.data.byteOffset, src.data.byteLength);
      return;
    case "file": {
      if (reuse) {
        yield* readInto(e, src.path, reuse);
        return;
      }
      const fh = await openPlanned(e, src.path);
      // Read at most size + 1 bytes: one byte too many proves the file grew since planning,
      // without reading the rest of a file that may keep growing (a log, a download in progress).
      const stream = fh.createReadStream({ start: 0, end: e.size, highWaterMark: READ_CHUNK });
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } catch (err) {
        throw readFailed(e, src.path, err);
      } finally {
        stream.destroy();
      }
      return;
    }
    case "stream": {
      if (src.whole) {
        try {
          yield await src.whole();
        } catch (err) {
          throw readFailed(e, undefined, err);
        }
        return;
      }
      let stream: Readable;
      try {
        stream = await src.open();
      } catch (err) {
        throw readFailed(e, undefined, err);
      }
      try {
        for await (const chunk of stream) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      } catch (err) {
        throw readFailed(e, undefined, err);
      } finally {
        stream.destroy();
      }
      return;
    }
  }
}

/** Up to size + 1 bytes of a file, each chunk a view of `buf` (see TarChunkOptions.reuseBuffer). */
async function* readInto(e: FileEntry, path: string, buf: Buffer): AsyncGenerator<Buffer> {
  const fh = await openPlanned(e, path);
  try {
    let left = e.size + 1; // one byte too many proves the file grew since planning
    while (left > 0) {
      let n: number;
      try {
        ({ bytesRead: n } = await fh.read(buf, 0, Math.min(buf.length, left), null));
      } catch (err) {
        throw readFailed(e, path, err);
      }
      if (n === 0) return;
      left -= n;
      yield buf.subarray(0, n);
    }
  } finally {
    await fh.close().catch(() => {});
  }
}

/** The planned file itself: never a FIFO (which would hang the process) nor a symlink swapped in. */
async function openPlanned(e: FileEntry, path: string): Promise<FileHandle> {
  const identity = e.source.kind === "file" ? e.source.identity : undefined;
  try {
    return await openRegularFile(path, identity ? { noFollow: true, expect: identity } : {});
  } catch (err) {
    throw readFailed(e, path, err);
  }
}

function changedSize(e: FileEntry, how: "grew" | "shrank"): MapBuildError {
  const where = e.source.kind === "file" ? e.source.path : e.path;
  return new MapBuildError("E_LAYER_INPUT", `${where} ${how} while the layer was being written (planned ${e.size} bytes)`, {
    hint: "do not modify the input files during the build, then run it again",
  });
}

function readFailed(e: FileEntry, hostPath: string | undefined, err: unknown): MapBuildError {
  if (isMapBuildError(err)) return err;
  if (err instanceof InputFileError) {
    return new MapBuildError("E_LAYER_INPUT", `${err.message}, so it cannot go into ${e.path}`, {
      hint: "do not change the input files during the build, then run it again", cause: err,
    });
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = hostPath ?? e.path;
  const hint =
    code === "EACCES" || code === "EPERM"
      ? `make ${where} readable by this user (chmod a+r) or exclude it`
      : code === "ENOENT"
        ? "the file was removed during the build; run it again"
        : "check that the input can be read, then run the build again";
  return new MapBuildError("E_LAYER_INPUT", `cannot read ${where} for ${e.path}: ${(err as Error)?.message ?? String(err)}`, {
    hint,
    cause: err,
  });
}
