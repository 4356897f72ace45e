/**
 * gzip on every core for ONE layer: the tar stream is cut into fixed-size blocks, each block becomes
 * an independent gzip member (RFC 1952 §2.2 allows members back to back; Go's compress/gzip — used
 * by Docker, containerd, umoci, skopeo — GNU gunzip and node's zlib.gunzip all read them as one
 * stream: test/layer/multi-member-loaders.test.ts), compressed by async node:zlib on the libuv
 * thread pool, so N blocks in flight use N cores. Members are written to the file in block order
 * while the blob's sha256 and size are computed in the same pass.
 *
 * Determinism: block boundaries sit at fixed offsets of the tar stream and every member is
 * compressed alone with the same settings, so the bytes depend only on the input and the level —
 * never on `concurrency`, timing or how the input was chunked. Each member's header has mtime 0
 * (zlib's default) and its OS byte set to 255, as the single-member writer did. A tar of at most
 * one block gives exactly the bytes the former single-stream writer gave.
 *
 * Memory: at most `concurrency` blocks are submitted and not yet written, plus the one being
 * filled; _write's callback waits for a free slot, so backpressure reaches the file reads.
 *
 * Measured on this machine kind (2 cores, level 1, one process per run, best of 5, under load from
 * other jobs; writeLayer times exclude node start-up, the pipelines include process start):
 *   256 MiB (128 MiB random + 128 MiB source text): single-stream writeLayer 4.53 s; this writer
 *     2.14 s at concurrency 2 (2.1×), 3.55 s at concurrency 1; `tar | pigz -p2 -1 | sha256sum`
 *     2.14 s (1.00×); `tar | pigz -p2 | sha256sum` (level 6) 3.30 s. Output 0.04 % larger.
 *   256 MiB random: this writer 3.03 s at concurrency 2, pigz -p2 -1 pipeline 3.02 s (1.0×);
 *     concurrency 3 or 4 on 2 cores is no faster and holds more memory.
 *   Small layers: 250 kB 4.8 ms vs 5.5 ms single-stream, 5 MB 43 ms vs 71 ms — so there is no
 *     second, single-stream path: one block is one member either way.
 * Both cores are then busy (main thread: tar reads, two sha256, copies ≈ 0.7 s; pool: deflate),
 * so what is left to gain is CPU, not parallelism. Tried and dropped: reusing one zlib engine per
 * slot (flush Z_FINISH + reset; same bytes, no faster), and freeing a slot when its block is
 * compressed rather than written (3 % slower: more threads contend with the main thread).
 *
 * Pre-compressed members (RawMemberPiece): content that is already a raw deflate stream (a wheel
 * member) is not compressed again. The block being filled is cut there (submitted as a shorter
 * member), then header, the deflate bytes as they come and the trailer are written in order after
 * every member before them; the next tar bytes start a fresh block. Cuts depend only on where such
 * content sits in the tar, so the bytes still never depend on concurrency or timing.
 */
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { Writable } from "node:stream";
import { gzip, type ZlibOptions } from "node:zlib";
import type { Digest } from "../digest.js";
import { MapBuildError } from "../errors.js";

/**
 * Tar bytes per gzip member. Measured here (2 cores, level 1, 192 MiB of half random half source
 * text, blocks compressed 2 at a time): the output grows by 0.27 % over one member at 256 KiB
 * blocks (each member starts with an empty 32 KiB dictionary and carries 18 bytes of framing),
 * 0.07 % at 1 MiB, 0.03 % at 2 MiB, 0.02 % at 4 MiB; throughput is the same from 1 MiB up (a
 * block is ~20 ms of work, the per-member set-up ~0.1 ms). 1 MiB keeps the size cost negligible
 * while letting layers of a few MiB (apps, small packages) use both cores and keeping memory low.
 * Changing it changes every large layer's digest: bump the layer cache format with it.
 */
export const GZIP_BLOCK_SIZE = 1024 * 1024;

/**
 * Upper bound on the tar bytes of blocks in flight, whatever the concurrency asked for. Each block
 * in flight also holds an output buffer of about its size and ~0.3 MiB of deflate state, so this
 * is ~70 MB at worst (32 blocks); measured peak RSS grows ~4 MB per extra block in flight.
 */
export const MAX_IN_FLIGHT_BYTES = 32 * 1024 * 1024;

/**
 * Byte 9 of a gzip member is the OS that wrote it; zlib sets it from the build platform (3 on
 * Linux, 19 on macOS since zlib 1.2.12), which would make digests differ between machines. We
 * write 255 ("unknown"), as Go's compress/gzip does. The header mtime (bytes 4–7) is already 0.
 */
const GZIP_OS_OFFSET = 9;
const GZIP_OS_UNKNOWN = 255;

/**
 * The header of a member whose deflate data we copy (RFC 1952 §2.3): magic, method 8, no flags,
 * mtime 0, XFL 0 (the level that made the data is unknown), OS 255 like the compressed blocks.
 */
const RAW_MEMBER_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, GZIP_OS_UNKNOWN]);

/**
 * One step of a gzip member made from an existing raw deflate stream: "start" (after the tar bytes
 * before it), its deflate bytes in order ("data"), then "end" with the CRC-32 and byte count of
 * what those bytes inflate to. The writer trusts these: its caller inflated the data to check it.
 */
export type RawMemberPiece =
  | { rawMember: "start" }
  | { rawMember: "data"; data: Buffer }
  | { rawMember: "end"; crc32: number; size: number };

/** What a BlockGzipWriter takes: tar bytes to compress, or a step of a pre-compressed member. */
export type GzipWriterInput = Buffer | RawMemberPiece;

/** The 8-byte trailer of a gzip member: CRC-32 and size mod 2^32, little-endian. */
function gzipTrailer(crc32: number, size: number): Buffer {
  const t = Buffer.alloc(8);
  t.writeUInt32LE(crc32 >>> 0, 0);
  t.writeUInt32LE(size % 2 ** 32, 4);
  return t;
}

export interface BlockGzipOptions {
  /** gzip level 0–9. */
  level: number;
  /** Blocks compressed at once (capped by MAX_IN_FLIGHT_BYTES / blockSize). */
  concurrency: number;
  /** Tar bytes per member; default GZIP_BLOCK_SIZE. Only tests pass another value. */
  blockSize?: number;
}

/**
 * The default concurrency: one block per core, but no more than the libuv thread pool can run at
 * once (UV_THREADPOOL_SIZE, default 4): further blocks would only wait there holding memory, and
 * the file reads and writes of the same pass need a pool thread too.
 */
export function defaultGzipConcurrency(): number {
  const pool = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? "", 10);
  return Math.max(1, Math.min(availableParallelism(), Number.isInteger(pool) && pool > 0 ? pool : 4));
}

function gzipBlock(input: Buffer, opts: ZlibOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => gzip(input, opts, (err, out) => (err ? reject(err) : resolve(out))));
}

/**
 * An object-mode Writable that takes tar bytes (Buffers) and RawMemberPieces and writes gzip
 * members into `file` (opened by the caller, closed by this stream when it finishes or is
 * destroyed; `fileClosed` settles after that).
 */
export class BlockGzipWriter extends Writable {
  readonly #file: FileHandle;
  readonly #blockSize: number;
  readonly #limit: number;
  readonly #zlib: ZlibOptions;
  readonly #hash = createHash("sha256");
  #bytes = 0;
  #digest: Digest | undefined;
  #block: Buffer | undefined;
  #fill = 0;
  #members = 0;
  /** Inside a pre-compressed member: between its "start" and "end" pieces. */
  #inRawMember = false;
  /** Block buffers whose compression finished, for reuse (no fresh 1 MiB allocation per block). */
  readonly #spare: Buffer[] = [];
  /** Blocks submitted and not yet written. */
  #inFlight = 0;
  #wakeProducer: (() => void) | undefined;
  /** Writes members in order: each step waits for its block's compression, then for the file. */
  #tail: Promise<void> = Promise.resolve();
  #failure: { err: unknown } | undefined;
  readonly fileClosed: Promise<void>;
  #markClosed!: () => void;

  constructor(file: FileHandle, opts: BlockGzipOptions) {
    // one piece at a time: tar chunks are up to 1 MiB each, and _write already waits for a free slot
    super({ objectMode: true, highWaterMark: 1 });
    this.#file = file;
    this.#blockSize = opts.blockSize ?? GZIP_BLOCK_SIZE;
    this.#limit = Math.max(1, Math.min(Math.floor(opts.concurrency), Math.floor(MAX_IN_FLIGHT_BYTES / this.#blockSize)));
    this.#zlib = { level: opts.level, memLevel: 8 };
    this.fileClosed = new Promise((resolve) => (this.#markClosed = resolve));
  }

  /** Bytes written to the file. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of gzip members written (for tests and diagnostics). */
  get members(): number {
    return this.#members;
  }

  /** sha256 of the file's bytes; available once the stream has finished. */
  get digest(): Digest {
    if (this.#digest === undefined) throw new MapBuildError("E_INTERNAL", "digest read before the stream ended");
    return this.#digest;
  }

  override _write(chunk: GzipWriterInput, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    (Buffer.isBuffer(chunk) ? this.#take(chunk) : this.#takeRaw(chunk)).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    (async () => {
      if (this.#inRawMember) throw new MapBuildError("E_INTERNAL", "gzip layer ended inside a pre-compressed member");
      // An empty input still needs one member: zero members is not a valid gzip file.
      if (this.#fill > 0 || this.#members + this.#inFlight === 0) await this.#submit();
      await this.#tail;
      this.#digest = `sha256:${this.#hash.digest("hex")}`;
    })().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#fail(err ?? new Error("destroyed"));
    // Let compressions and writes already started settle before closing the descriptor, so none
    // of them touches a closed (or reused) fd.
    this.#tail
      .catch(() => {})
      .then(() => this.#file.close())
      .catch(() => {})
      .then(() => {
        this.#markClosed();
        cb(err);
      });
  }

  async #take(chunk: Buffer): Promise<void> {
    if (this.#inRawMember) throw new MapBuildError("E_INTERNAL", "tar bytes inside a pre-compressed gzip member");
    let off = 0;
    while (off < chunk.length) {
      if (this.#failure) throw this.#failure.err;
      const block = (this.#block ??= this.#spare.pop() ?? Buffer.allocUnsafe(this.#blockSize));
      const n = chunk.copy(block, this.#fill, off, Math.min(chunk.length, off + this.#blockSize - this.#fill));
      this.#fill += n;
      off += n;
      if (this.#fill === this.#blockSize) await this.#submit();
    }
  }

  async #submit(): Promise<void> {
    while (this.#inFlight >= this.#limit && !this.#failure) await new Promise<void>((resolve) => (this.#wakeProducer = resolve));
    if (this.#failure) throw this.#failure.err;
    const block = this.#block ?? Buffer.alloc(0);
    const input = block.subarray(0, this.#fill);
    this.#block = undefined;
    this.#fill = 0;
    this.#inFlight++;
    // One output buffer big enough for the whole member (deflate's worst case is the input plus
    // ~0.03 %): zlib then finishes a block in one thread-pool job instead of hopping back to the
    // main thread every 16 KiB, which measured ~5 % less CPU. Sized by the input, not the block:
    // a short block (cut before a copied member) must not cost a fresh 1 MiB buffer.
    const compressed = gzipBlock(input, { ...this.#zlib, chunkSize: Math.max(64, input.length + (input.length >> 3) + 4096) }).finally(() => {
      if (block.length === this.#blockSize) this.#spare.push(block);
    });
    compressed.catch(() => {}); // observed by the write step below, or moot after a failure
    this.#tail = this.#tail
      .then(async () => {
        const member = await compressed;
        member[GZIP_OS_OFFSET] = GZIP_OS_UNKNOWN;
        this.#hash.update(member);
        await this.#writeAll(member);
        this.#members++;
        this.#inFlight--;
        this.#wake();
      })
      .catch((err: unknown) => {
        this.#fail(err);
        throw err;
      });
    this.#tail.catch(() => {}); // surfaced through #failure, _final or _destroy
  }

  async #takeRaw(piece: RawMemberPiece): Promise<void> {
    if (this.#failure) throw this.#failure.err;
    if ((piece.rawMember === "start") === this.#inRawMember) throw new MapBuildError("E_INTERNAL", `pre-compressed gzip member: "${piece.rawMember}" out of order`);
    switch (piece.rawMember) {
      case "start":
        // the tar bytes before it end their member here, so the copied member starts on its own
        if (this.#fill > 0) await this.#submit();
        this.#inRawMember = true;
        return this.#append(RAW_MEMBER_HEADER);
      case "data":
        return this.#append(piece.data);
      case "end":
        this.#inRawMember = false;
        await this.#append(gzipTrailer(piece.crc32, piece.size));
        this.#members++;
    }
  }

  /**
   * Bytes written as they are, after every member submitted before them. Waits until they are in
   * the file, so at most one piece of a copied member is held (a multi-GB member streams through).
   */
  async #append(buf: Buffer): Promise<void> {
    const step = this.#tail.then(async () => {
      this.#hash.update(buf);
      await this.#writeAll(buf);
    });
    this.#tail = step.catch((err: unknown) => {
      this.#fail(err);
      throw err;
    });
    this.#tail.catch(() => {}); // surfaced through #failure, _final or _destroy
    await step;
  }

  async #writeAll(buf: Buffer): Promise<void> {
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.#file.write(buf, off, buf.length - off, this.#bytes);
      if (bytesWritten === 0) throw Object.assign(new Error("no space left: write returned 0 bytes"), { code: "ENOSPC" });
      off += bytesWritten;
      this.#bytes += bytesWritten;
    }
  }

  #fail(err: unknown): void {
    this.#failure ??= { err };
    this.#wake();
  }

  #wake(): void {
    const wake = this.#wakeProducer;
    this.#wakeProducer = undefined;
    wake?.();
  }
}
