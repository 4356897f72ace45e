/**
 * A pass-through that caps the bytes at the expected size and checks the digest at EOF (ggcr's
 * internal/verify, umoci's verified reader). Used on everything we upload.
 */
import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { MapBuildError } from "../errors.js";
import { digestAlgorithm, type Digest } from "../digest.js";

export function sizeMismatch(what: string, expected: number, got: number, more = false): MapBuildError {
  return new MapBuildError("E_SIZE_MISMATCH", `${what}: expected ${expected} bytes, got ${more ? "more than " : ""}${got}`, {
    hint: "the source does not match its descriptor; rebuild or re-pull it",
  });
}

export function digestMismatch(what: string, expected: string, got: string): MapBuildError {
  return new MapBuildError("E_DIGEST_MISMATCH", `${what}: expected ${expected}, got ${got}`, {
    hint: "the content is corrupt or was changed; rebuild or re-pull it",
  });
}

export class VerifyStream extends Transform {
  private readonly hash;
  private count = 0;

  constructor(
    private readonly digest: Digest,
    private readonly size: number | undefined,
    private readonly what: string,
    private readonly onBytes?: (total: number) => void,
  ) {
    super();
    this.hash = createHash(digestAlgorithm(digest));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.count += chunk.length;
    if (this.size !== undefined && this.count > this.size) return cb(sizeMismatch(this.what, this.size, this.count, true));
    this.hash.update(chunk);
    this.onBytes?.(this.count);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.size !== undefined && this.count !== this.size) return cb(sizeMismatch(this.what, this.size, this.count));
    const got = `${digestAlgorithm(this.digest)}:${this.hash.digest("hex")}`;
    if (got !== this.digest) return cb(digestMismatch(this.what, this.digest, got));
    cb();
  }
}
