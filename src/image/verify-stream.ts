/**
 * A pass-through that caps a blob at its descriptor's size and checks its digest at EOF, after
 * umoci's verified reader and ggcr's internal/verify: a blob is never trusted by name alone.
 */
import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { digestAlgorithm, type Digest } from "../digest.js";
import { MapBuildError } from "../errors.js";

export function verifyStream(expected: Digest, size: number, what: string): Transform {
  const hash = createHash(digestAlgorithm(expected));
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > size) {
        cb(sizeError(what, size, seen, "more than"));
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      if (seen !== size) {
        cb(sizeError(what, size, seen, "only"));
        return;
      }
      const got = `${digestAlgorithm(expected)}:${hash.digest("hex")}`;
      cb(got === expected ? null : digestError(what, expected, got));
    },
  });
}

/** Check bytes already in memory (manifests, configs, indexes). */
export function verifyBytes(bytes: Buffer, expected: Digest, size: number, what: string): Buffer {
  if (bytes.length !== size) throw sizeError(what, size, bytes.length, bytes.length > size ? "more than" : "only");
  const got = `${digestAlgorithm(expected)}:${createHash(digestAlgorithm(expected)).update(bytes).digest("hex")}`;
  if (got !== expected) throw digestError(what, expected, got);
  return bytes;
}

function sizeError(what: string, size: number, seen: number, how: string): MapBuildError {
  return new MapBuildError("E_SIZE_MISMATCH", `${what}: expected ${size} bytes, got ${how} ${seen}`, {
    hint: "the stored blob is truncated or corrupt; re-create or re-download the source image",
  });
}

function digestError(what: string, expected: string, got: string): MapBuildError {
  return new MapBuildError("E_DIGEST_MISMATCH", `${what}: digest mismatch, expected ${expected}, got ${got}`, {
    hint: "the stored blob is corrupt or was modified; re-create or re-download the source image",
  });
}
