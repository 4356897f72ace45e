/**
 * The one Layer whose stored bytes sit in a local file: a blob written by writeLayer or kept by the
 * layer cache (the whole file), a blob in an OCI layout, a member of a docker-archive tar (a region
 * of the file). Every open() re-reads through a check of size and digest, so a file changed on disk
 * is never pushed under its old digest, and a missing file or wrong bytes fail the same way
 * wherever the layer came from (with the caller's hint on what to do).
 */
import { createReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { Digest } from "../digest.js";
import { MapBuildError } from "../errors.js";
import { VerifyStream } from "../verify-stream.js";
import type { KeptFile, Layer, StoredFile } from "./image.js";

export interface FileLayerInfo {
  /** Digest of the stored bytes (compressed or not, as stored). */
  digest: Digest;
  /** Digest of the uncompressed tar. */
  diffId: Digest;
  /** Byte length of the stored bytes. */
  size: number;
  mediaType: string;
}

export interface FileLayerOptions {
  /** Byte offset of the blob inside the file (a member of an archive); absent: the whole file. */
  offset?: number | undefined;
  /** dispose() deletes the file (a temp file this layer owns and vouches for); otherwise it is left alone. */
  owned?: boolean | undefined;
  /** Who vouches for a file the layer does not own (the layer cache for its blob). */
  kept?: KeptFile | undefined;
  /** What the user should do when the file is missing or its bytes are wrong. */
  hint?: string | undefined;
}

/**
 * Read size of open(): Node's default 64 KiB. 1 MiB reads left more garbage between collections
 * (each read is a fresh buffer): the base scan of the 30 MB python base peaked at 92–95 MB RSS
 * with 1 MiB reads and at 79 MB with 64 KiB, in the same time.
 */
const READ_CHUNK = 64 * 1024;

const STORED_FILE_HINT = "the stored file changed or is corrupt; delete it (or the cache) and build again";

/**
 * A temp file this process wrote (hashing every byte on the way) under a name of its own and
 * deletes when done: nobody else writes it, and a link to it needs nothing recorded.
 */
const OWN_TEMP_FILE: KeptFile = { holds: () => true, linked: async () => {} };

/**
 * A layer whose facts are known up front: every answer but the bytes comes from `info`. FileLayer
 * reads its bytes from a file; layer/replay-layer.ts regenerates them from the layer's inputs.
 */
export abstract class KnownLayer implements Layer {
  readonly info: Readonly<FileLayerInfo>;

  constructor(info: FileLayerInfo) {
    this.info = Object.freeze({ ...info });
  }

  abstract open(): Promise<Readable>;
  /** Release what the layer owns (a temp file); safe to call twice. */
  abstract dispose(): Promise<void>;

  async digest(): Promise<Digest> {
    return this.info.digest;
  }

  async diffId(): Promise<Digest> {
    return this.info.diffId;
  }

  async size(): Promise<number> {
    return this.info.size;
  }

  async mediaType(): Promise<string> {
    return this.info.mediaType;
  }

  /** The descriptor fields of this blob, for manifests. */
  descriptor(): { mediaType: string; digest: Digest; size: number } {
    return { mediaType: this.info.mediaType, digest: this.info.digest, size: this.info.size };
  }
}

export class FileLayer extends KnownLayer {
  readonly path: string;
  readonly #opts: FileLayerOptions;

  constructor(path: string, info: FileLayerInfo, opts: FileLayerOptions = {}) {
    super(info);
    this.path = path;
    this.#opts = opts;
  }

  /** The file itself when the blob is the whole file (not a region of an archive). */
  async storedFile(): Promise<StoredFile | undefined> {
    if (this.#opts.offset !== undefined) return undefined;
    const kept = this.#opts.kept ?? (this.#opts.owned ? OWN_TEMP_FILE : undefined);
    return kept ? { path: this.path, kept } : { path: this.path };
  }

  async open(): Promise<Readable> {
    const { digest, size } = this.info;
    const hint = this.#opts.hint ?? STORED_FILE_HINT;
    const start = this.#opts.offset ?? 0;
    // `end` is inclusive. For a whole file, reading one byte past the descriptor lets the verifier
    // catch an oversized blob; inside an archive the next byte is tar padding, so stop exactly.
    const end = this.#opts.offset === undefined ? start + size : start + size - 1;
    const src = createReadStream(this.path, { start, end: Math.max(end, start), highWaterMark: READ_CHUNK });
    const check = new VerifyStream(digest, size, `layer ${digest} in ${this.path}`, { hint });
    src.on("error", (e: NodeJS.ErrnoException) =>
      check.destroy(e.code === "ENOENT" ? new MapBuildError("E_INPUT_FORMAT", `layer blob ${digest} is missing: ${this.path}`, { hint, cause: e }) : e),
    );
    return src.pipe(check);
  }

  /** Delete the file if this layer owns it. */
  async dispose(): Promise<void> {
    if (this.#opts.owned) await rm(this.path, { force: true });
  }
}

/** Wrap a blob file whose metadata is known (a cache entry, a written layer). */
export function layerFromFile(path: string, info: FileLayerInfo, opts: FileLayerOptions = {}): FileLayer {
  return new FileLayer(path, info, opts);
}

export interface FileLayerSpec extends Omit<FileLayerInfo, "digest"> {
  file: string;
  offset?: number;
  /** Known up front, or worked out on first use (e.g. by hashing a gzip member of an archive). */
  digest: Digest | (() => Promise<Digest>);
}

/** A layer of a local image (OCI layout, docker archive): a FileLayer once its digest is known. */
export function fileLayer(spec: FileLayerSpec): Layer {
  let layer: Promise<FileLayer> | undefined;
  const resolved = (): Promise<FileLayer> =>
    (layer ??= (async () => {
      const digest = typeof spec.digest === "function" ? await spec.digest() : spec.digest;
      const info = { digest, diffId: spec.diffId, size: spec.size, mediaType: spec.mediaType };
      return new FileLayer(spec.file, info, { offset: spec.offset, hint: "the local image is incomplete or damaged; re-create it" });
    })());
  return {
    digest: async () => (await resolved()).info.digest,
    diffId: async () => spec.diffId,
    size: async () => spec.size,
    mediaType: async () => spec.mediaType,
    open: async () => (await resolved()).open(),
    ...(spec.offset === undefined ? { storedFile: async () => ({ path: spec.file }) } : {}),
  };
}
