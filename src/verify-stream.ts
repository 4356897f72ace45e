/**
 * Every blob is checked against its descriptor as it is read, after umoci's verified reader and
 * ggcr's internal/verify: a pass-through that fails as soon as more bytes than expected arrive,
 * and at EOF when the count or the digest is wrong. One implementation for registry bodies, layout
 * and archive blobs, cache entries and temp files.
 */
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { digestAlgorithm, type Digest } from "./digest.js";
import { MapBuildError } from "./errors.js";

const DEFAULT_HINT = "the content is corrupt or was changed; rebuild it, or re-pull or re-create the source image";

export function sizeMismatch(what: string, expected: number, got: number, more = false, hint = DEFAULT_HINT): MapBuildError {
  return new MapBuildError("E_SIZE_MISMATCH", `${what}: expected ${expected} bytes, got ${more ? "more than " : ""}${got}`, { hint });
}

export function digestMismatch(what: string, expected: string, got: string, hint = DEFAULT_HINT): MapBuildError {
  return new MapBuildError("E_DIGEST_MISMATCH", `${what}: digest mismatch, expected ${expected}, got ${got}`, { hint });
}

export interface VerifyOptions {
  /** Called with the running byte count (progress). */
  onBytes?: (total: number) => void;
  /** Replaces the default hint of the mismatch errors. */
  hint?: string;
}

export class VerifyStream extends Transform {
  readonly #hash: Hash;
  #count = 0;

  /** `size` undefined: only the digest is checked (e.g. a registry body without Content-Length). */
  constructor(
    private readonly digest: Digest,
    private readonly size: number | undefined,
    private readonly what: string,
    private readonly opts: VerifyOptions = {},
  ) {
    super();
    this.#hash = createHash(digestAlgorithm(digest));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#count += chunk.length;
    if (this.size !== undefined && this.#count > this.size) return cb(sizeMismatch(this.what, this.size, this.#count, true, this.opts.hint));
    this.#hash.update(chunk);
    this.opts.onBytes?.(this.#count);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.size !== undefined && this.#count !== this.size) return cb(sizeMismatch(this.what, this.size, this.#count, false, this.opts.hint));
    const got = `${digestAlgorithm(this.digest)}:${this.#hash.digest("hex")}`;
    cb(got === this.digest ? null : digestMismatch(this.what, this.digest, got, this.opts.hint));
  }
}

/** Check bytes already in memory (manifests, configs, indexes). */
export function verifyBytes(bytes: Buffer, expected: Digest, size: number, what: string): Buffer {
  if (bytes.length !== size) throw sizeMismatch(what, size, bytes.length, bytes.length > size);
  const got = `${digestAlgorithm(expected)}:${createHash(digestAlgorithm(expected)).update(bytes).digest("hex")}`;
  if (got !== expected) throw digestMismatch(what, expected, got);
  return bytes;
}
