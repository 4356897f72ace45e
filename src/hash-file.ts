/**
 * sha256 of file contents, for hash-only passes (model digests, cache keys, cached blob checks).
 * Reads into one reused buffer: a stream would allocate a fresh 1 MiB chunk per read, and the
 * bench measured ~38 MB of such garbage per pass before the collector caught up.
 */
import { createHash, type Hash } from "node:crypto";
import { openRegularFile } from "./open-regular.js";

const CHUNK = 1024 * 1024;

async function feed(hash: Hash, path: string, buf: Buffer, signal?: AbortSignal): Promise<void> {
  const fh = await openRegularFile(path); // a FIFO swapped in must not block a libuv worker for ever
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      hash.update(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}

/** Hex sha256 over the contents of `paths`, concatenated in order (names are not hashed). */
export async function hashFiles(paths: readonly string[], signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  const buf = Buffer.allocUnsafe(CHUNK);
  for (const p of paths) await feed(hash, p, buf, signal);
  return hash.digest("hex");
}

export function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  return hashFiles([path], signal);
}
