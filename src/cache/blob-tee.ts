/**
 * A pass-through that copies a downloaded blob into a temp file while the build consumes it, and
 * publishes the copy only when the bytes proved to be the blob: size and digest checked at EOF,
 * before the stream ends, so that a consumer that saw `end` can rely on the blob being cached.
 * Writing the copy is best effort: a full disk or a failing write abandons the copy (and deletes
 * it) but never fails the build, which only needs the bytes passing through.
 */
import { createHash, type Hash } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Transform, type TransformCallback } from "node:stream";
import type { Digest } from "../digest.js";
import { digestMismatch, sizeMismatch } from "../verify-stream.js";

export interface BlobTeeOptions {
  digest: Digest;
  size: number;
  /** For error messages: which blob from where. */
  what: string;
  /** Where the copy is written; must not exist, and sit on the blob store's filesystem. */
  tmpPath: string;
  /**
   * Called with the complete, verified temp file before the stream ends; it moves the file into
   * place (or leaves it, to be deleted). Its failure is swallowed: caching is an optimization.
   */
  publish: (tmpPath: string) => Promise<void>;
}

/** Bytes queued in the temp file's write stream before the download waits for the disk. */
const FILE_HIGH_WATER = 1024 * 1024;

export class BlobTee extends Transform {
  readonly #hash: Hash;
  readonly #o: BlobTeeOptions;
  #count = 0;
  /** undefined once the copy is abandoned (write error) or finished. */
  #file: WriteStream | undefined;
  /** A transform callback waiting for the file to drain. */
  #waiting: (() => void) | undefined;

  constructor(o: BlobTeeOptions) {
    super();
    this.#o = o;
    this.#hash = createHash("sha256");
    const file = createWriteStream(o.tmpPath, { flags: "wx", highWaterMark: FILE_HIGH_WATER });
    file.on("error", () => this.#abandon());
    this.#file = file;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#count += chunk.length;
    if (this.#count > this.#o.size) return cb(sizeMismatch(this.#o.what, this.#o.size, this.#count, true));
    this.#hash.update(chunk);
    this.push(chunk);
    const file = this.#file;
    if (file === undefined || file.write(chunk)) return cb();
    // The disk is behind: hold the download rather than buffer a multi-GB blob in memory.
    this.#waiting = () => cb();
    file.once("drain", () => this.#release());
  }

  override _flush(cb: TransformCallback): void {
    if (this.#count !== this.#o.size) return cb(sizeMismatch(this.#o.what, this.#o.size, this.#count));
    const got = `sha256:${this.#hash.digest("hex")}`;
    if (got !== this.#o.digest) return cb(digestMismatch(this.#o.what, this.#o.digest, got));
    const file = this.#file;
    if (file === undefined) return cb();
    this.#file = undefined;
    // 'close' comes after the last write reached the file (or after a failed one): publish only
    // a copy whose every write succeeded.
    file.once("close", () => {
      const done = file.errored === null ? this.#o.publish(this.#o.tmpPath) : Promise.resolve();
      void done
        .catch(() => {})
        .then(() => rm(this.#o.tmpPath, { force: true }).catch(() => {}))
        .then(() => cb());
    });
    file.end();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    // Aborted or failed: the temp file holds unverified bytes, so it goes.
    this.#abandon();
    this.#release();
    cb(err);
  }

  #abandon(): void {
    const file = this.#file;
    if (file === undefined) return;
    this.#file = undefined;
    file.destroy();
    file.once("close", () => void rm(this.#o.tmpPath, { force: true }).catch(() => {}));
    this.#release(); // a write error never drains
  }

  #release(): void {
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.();
  }
}
