/**
 * A pass-through that copies a downloaded blob into a blob store put while the build consumes it,
 * and publishes the copy only when the bytes proved to be the blob: size and digest (computed by
 * the put as it wrote) checked at EOF, before the stream ends, so that a consumer that saw `end`
 * can rely on the blob being cached. Writing the copy is best effort: a full disk or a failing
 * write spoils the copy (it is deleted) but never fails the build, which only needs the bytes
 * passing through.
 */
import { Transform, type TransformCallback } from "node:stream";
import type { Digest } from "../digest.js";
import { digestMismatch, sizeMismatch } from "../verify-stream.js";
import type { BlobPut } from "./blob-put.js";

export interface BlobTeeOptions {
  digest: Digest;
  size: number;
  /** For error messages: which blob from where. */
  what: string;
  put: BlobPut;
  /**
   * Called with the verified put before the stream ends; it publishes it. Its failure is
   * swallowed: caching is an optimization.
   */
  publish: (put: BlobPut) => Promise<unknown>;
}

export class BlobTee extends Transform {
  readonly #o: BlobTeeOptions;
  #settled = false;

  constructor(o: BlobTeeOptions) {
    super();
    this.#o = o;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const { put, size, what } = this.#o;
    if (put.size + chunk.length > size) return cb(sizeMismatch(what, size, put.size + chunk.length, true));
    put.write(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const { put, size, digest, what } = this.#o;
    this.#settled = true;
    if (put.size !== size) return this.#drop(cb, sizeMismatch(what, size, put.size));
    const got = put.finish();
    if (got !== digest) return this.#drop(cb, digestMismatch(what, digest, got));
    void this.#o
      .publish(put)
      .catch(() => {})
      .then(() => put.discard())
      .then(() => cb());
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    // Aborted or failed: the temp file holds unverified bytes, so it goes.
    if (this.#settled) return cb(err);
    this.#settled = true;
    void this.#o.put.discard().then(() => cb(err));
  }

  #drop(cb: TransformCallback, err: Error): void {
    void this.#o.put.discard().then(() => cb(err));
  }
}
