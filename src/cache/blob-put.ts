/**
 * One put into the blob store: bytes are written to a temp file inside the store (same
 * filesystem, so publishing is a link or rename) while their sha256 and size are computed, so the
 * bytes are checked as they arrive, never read back. Writes are synchronous: a caller inside an
 * HTTP parser callback (python/http-get.ts) must not pause it, and a stream (blob-tee.ts) then
 * needs no backpressure of its own. A failed write never throws here: the put is spoiled
 * (`failure`), the hash goes on, and publishing refuses it.
 */
import { createHash, type Hash } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { rm } from "node:fs/promises";
import type { Digest } from "../digest.js";

export class BlobPut {
  readonly tmpPath: string;
  #hash: Hash = createHash("sha256");
  #size = 0;
  #fd: number | undefined;
  #failure: unknown;
  #digest: Digest | undefined;

  /** Use BlobStore.put(). `tmpPath` must not exist. */
  constructor(tmpPath: string) {
    this.tmpPath = tmpPath;
  }

  /** Bytes written (and hashed) so far. */
  get size(): number {
    return this.#size;
  }

  /** The error a write failed with, if any: the bytes were hashed but the file is not whole. */
  get failure(): unknown {
    return this.#failure;
  }

  write(chunk: Buffer): void {
    this.#size += chunk.length;
    this.#hash.update(chunk);
    if (this.#failure !== undefined) return;
    try {
      this.#fd ??= openSync(this.tmpPath, "wx", 0o644);
      writeSync(this.#fd, chunk);
    } catch (err) {
      this.#failure = err;
    }
  }

  /** Start over (a retried download): an empty file, a fresh hash. */
  reset(): void {
    this.#close();
    this.#hash = createHash("sha256");
    this.#size = 0;
    this.#failure = undefined;
    try {
      this.#fd = openSync(this.tmpPath, "w", 0o644);
    } catch (err) {
      this.#failure = err;
    }
  }

  /** Close the file; the sha256 of everything written since the last reset. */
  finish(): Digest {
    if (this.#digest === undefined) {
      if (this.#fd === undefined && this.#failure === undefined) this.write(Buffer.alloc(0)); // an empty blob is a file too
      this.#close();
      this.#digest = `sha256:${this.#hash.digest("hex")}`;
    }
    return this.#digest;
  }

  /** Drop the temp file (a put that failed, or whose bytes were not the ones expected). */
  async discard(): Promise<void> {
    this.#close();
    await rm(this.tmpPath, { force: true }).catch(() => {});
  }

  #close(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch (err) {
      this.#failure ??= err;
    }
    this.#fd = undefined;
  }
}
