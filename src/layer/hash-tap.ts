/**
 * Pass-through transforms that hash and count what flows through them, so diffId, digest and size
 * come out of the same pass that writes the bytes (no second read of a multi-GB file).
 */
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import type { Digest } from "../digest.js";
import { MapBuildError } from "../errors.js";

export class HashTap extends Transform {
  readonly #hash: Hash = createHash("sha256");
  #bytes = 0;
  #digest: Digest | undefined;
  /** Byte offset → value to write there (after hashing nothing else is changed). */
  readonly #patches: ReadonlyMap<number, number>;

  readonly #hashing: boolean;

  /**
   * `patches` rewrite single bytes at fixed stream offsets before hashing (the gzip OS byte).
   * `hash: false` only counts: an uncompressed blob's digest is its diffId, already being computed.
   */
  constructor(opts: { patches?: ReadonlyMap<number, number>; hash?: boolean } = {}) {
    super();
    this.#patches = opts.patches ?? new Map();
    this.#hashing = opts.hash ?? true;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    for (const [offset, value] of this.#patches) {
      if (offset >= this.#bytes && offset < this.#bytes + chunk.length) chunk[offset - this.#bytes] = value;
    }
    if (this.#hashing) this.#hash.update(chunk);
    this.#bytes += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.#hashing) this.#digest = `sha256:${this.#hash.digest("hex")}`;
    cb();
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Available once the stream has ended. */
  get digest(): Digest {
    if (this.#digest === undefined) throw new MapBuildError("E_INTERNAL", "digest read before the stream ended");
    return this.#digest;
  }
}
