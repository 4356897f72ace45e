/**
 * A layer whose stored bytes sit in one local file, with every answer precomputed: what
 * writeLayer returns and what the cache hands back. open() re-reads the file through a check of
 * size and digest, so a file changed on disk is never pushed under its old digest.
 */
import { createReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import { pipeline } from "node:stream";
import type { Readable } from "node:stream";
import type { Digest } from "../digest.js";
import type { Layer } from "../image/index.js";
import { VerifyStream } from "../verify-stream.js";

export interface FileLayerInfo {
  /** Digest of the file's bytes (compressed or not, as stored). */
  digest: Digest;
  /** Digest of the uncompressed tar. */
  diffId: Digest;
  /** Byte length of the file. */
  size: number;
  mediaType: string;
}

export class FileLayer implements Layer {
  readonly path: string;
  readonly info: Readonly<FileLayerInfo>;
  readonly #owned: boolean;

  /** `owned`: dispose() deletes the file (a temp file); otherwise the file is left alone. */
  constructor(path: string, info: FileLayerInfo, owned: boolean) {
    this.path = path;
    this.info = Object.freeze({ ...info });
    this.#owned = owned;
  }

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

  async open(): Promise<Readable> {
    const verify = new VerifyStream(this.info.digest, this.info.size, `layer file ${this.path}`, {
      hint: "the stored file changed or is corrupt; delete it (or the cache) and build again",
    });
    // pipeline (callback form) forwards a read error (file deleted, EACCES) to `verify`'s consumer.
    return pipeline(createReadStream(this.path, { highWaterMark: 1024 * 1024 }), verify, () => {});
  }

  /** Delete the temp file if this layer owns it; safe to call twice. */
  async dispose(): Promise<void> {
    if (this.#owned) await rm(this.path, { force: true });
  }
}

/**
 * Wrap an existing blob file whose metadata is known (e.g. a cache entry). The file is not
 * deleted by dispose() unless `owned` is set.
 */
export function layerFromFile(path: string, info: FileLayerInfo, opts: { owned?: boolean } = {}): FileLayer {
  return new FileLayer(path, info, opts.owned ?? false);
}
