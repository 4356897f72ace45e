/**
 * What goes into a layer, before any bytes are written: a flat list of entries with their final
 * metadata. Planning (walking the disk, unpacking wheels, generating manifests) produces entries;
 * the layer writer sorts them, adds missing parent directories and streams them to a tar.
 */
import type { Readable } from "node:stream";
import type { FileIdentity } from "../open-regular.js";

export type EntrySource =
  /**
   * A file on disk, read when the layer is written. With `identity` (a planned walk) it is opened
   * without following a symlink and must still be that very regular file (open-regular.ts).
   */
  | { kind: "file"; path: string; identity?: FileIdentity }
  /** Generated content held in memory (manifests, scripts, RECORD files). */
  | { kind: "bytes"; data: Uint8Array }
  /** Content opened lazily (e.g. a member of a wheel); must yield exactly `size` bytes. */
  /**
   * `sha256`: the hex digest the stream's bytes are guaranteed to have (open() fails otherwise), so
   * the layer cache can key the entry without reading it (a wheel member verified against RECORD).
   * `deflated`: the same content as a raw deflate stream, which a gzip layer copies as a member of
   * its own instead of compressing the bytes again (a large wheel member).
   * `whole`: small content (most members of a wheel) loaded and checked in one step, with the
   * same guarantees as open(); the layer writer prefers it, since a stream per file costs more
   * than the file when there are thousands of them.
   */
  | { kind: "stream"; open(): Promise<Readable>; sha256?: string; deflated?: DeflatedContent; whole?(): Promise<Buffer> };

/**
 * One step of DeflatedContent: compressed bytes, the bytes they inflate to, or (last) the CRC-32
 * of all inflated bytes.
 */
export type DeflateStep = { deflated: Buffer } | { inflated: Buffer } | { crc32: number };

/**
 * Content that exists as one raw deflate stream (RFC 1951). The steps' `deflated` bytes, in order,
 * are exactly one complete stream; their `inflated` bytes, in order, are what it inflates to — the
 * entry's content, with the same guarantees as the source's open() — and a `crc32` step comes
 * last. The source checks this by inflating as it goes and fails the iteration otherwise, before
 * its `crc32` step: the layer copies the compressed bytes on that word.
 *
 * The compressed bytes decide the layer's bytes, and a content digest does not pin them: a layer
 * with such entries is keyed by a description naming them (DeferredEntries: the wheels' sha256).
 */
export interface DeflatedContent {
  open(): Promise<AsyncIterable<DeflateStep>>;
}

interface EntryBase {
  /** Absolute path inside the image, POSIX, no trailing slash, e.g. `/opt/monai/app/app.py`. */
  path: string;
  /** Permission bits only (e.g. 0o644); file type comes from `type`. */
  mode: number;
  /** Owner ids; default 0. Owner names are never written. */
  uid?: number;
  gid?: number;
}

export interface DirEntry extends EntryBase {
  type: "dir";
}

export interface FileEntry extends EntryBase {
  type: "file";
  size: number;
  source: EntrySource;
}

export interface SymlinkEntry extends EntryBase {
  type: "symlink";
  /** Link target exactly as stored (relative targets stay relative). */
  target: string;
}

export interface HardlinkEntry extends EntryBase {
  type: "hardlink";
  /** Absolute image path of an earlier regular-file entry in the same layer. */
  target: string;
}

export type LayerEntry = DirEntry | FileEntry | SymlinkEntry | HardlinkEntry;

/**
 * The entries of a layer that are costly to plan (an install of wheels reads every RECORD), given
 * as a description of their inputs and a planner: a layer cache keyed by the description is asked
 * first, and `plan()` runs only when it misses.
 */
export interface DeferredEntries {
  /**
   * Everything that decides the planned entries and their bytes (input digests, the planner's
   * version), e.g. canonical JSON. Two planners with one description must plan the same entries.
   */
  description: string;
  plan(): Promise<LayerEntry[]>;
  /** After the layer is written: false when an input changed meanwhile (the layer is then not cached). */
  unchanged?(): Promise<boolean>;
}
