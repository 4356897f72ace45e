/**
 * Just enough of a zip reader for wheels: the central directory (names, sizes, Unix modes, so
 * symlinks can be refused) and members read from disk by byte range through node:zlib. Large
 * members are streamed; small ones (≤ 256 KiB compressed, ≤ 4 MiB inflated) are read and inflated
 * in one step; fflate's unzip has no external attributes and
 * wants the whole archive in memory, so it only writes zips (tests).
 */
import { closeSync, openSync, readSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { crc32, createInflateRaw, inflateRawSync } from "node:zlib";
import { MapBuildError } from "../errors.js";
import type { DeflateStep } from "../layer/index.js";

export interface ZipMember {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  /** CRC-32 of the content as the central directory states it (a claim: see deflatedZipMember). */
  crc32: number;
  localHeaderOffset: number;
  /** Unix st_mode when the archive was made on Unix (0 otherwise). */
  unixMode: number;
  isDirectory: boolean;
}

function bad(file: string, why: string): MapBuildError {
  return new MapBuildError("E_PYTHON_DEPS", `${file} is not a readable wheel: ${why}`, {
    hint: "re-download the wheel; it may be truncated or not a zip file",
  });
}

/** A wheel of 100 000 files has a central directory of a few MB. */
const MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024;

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return buf.subarray(0, bytesRead);
}

/** List the members of a zip file from its central directory (zip64 aware). */
export async function readZipDirectory(file: string): Promise<ZipMember[]> {
  const fh = await open(file, "r").catch((e: Error) => { throw bad(file, e.message); });
  try {
    const { size } = await fh.stat();
    const tailLen = Math.min(size, 0xffff + 22);
    const tail = await readAt(fh, size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
    if (eocd < 0) throw bad(file, "no end of central directory");
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
      // every position below comes from the file: check it lies inside before reading there
      const locPos = size - tailLen + eocd - 20;
      const loc = locPos >= 0 ? await readAt(fh, locPos, 20) : Buffer.alloc(0);
      if (loc.length < 20 || loc.readUInt32LE(0) !== 0x07064b50) throw bad(file, "zip64 locator missing");
      const recPos = loc.readBigUInt64LE(8);
      if (recPos > BigInt(size - 56)) throw bad(file, "zip64 end record outside the file");
      const rec = await readAt(fh, Number(recPos), 56);
      if (rec.length < 56 || rec.readUInt32LE(0) !== 0x06064b50) throw bad(file, "zip64 end record missing");
      const [c64, size64, offset64] = [32, 40, 48].map((at) => rec.readBigUInt64LE(at)) as [bigint, bigint, bigint];
      if (size64 > BigInt(size) || offset64 > BigInt(size) || c64 > size64 / 46n) throw bad(file, "zip64 end record points outside the file");
      [count, cdSize, cdOffset] = [Number(c64), Number(size64), Number(offset64)];
    }
    if (cdOffset + cdSize > size) throw bad(file, "central directory outside the file");
    if (cdSize > MAX_CENTRAL_DIRECTORY) throw bad(file, `central directory of ${cdSize} bytes (more than ${MAX_CENTRAL_DIRECTORY})`);
    const cd = await readAt(fh, cdOffset, cdSize);
    const out: ZipMember[] = [];
    let p = 0;
    for (let n = 0; n < count; n++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw bad(file, "corrupt central directory");
      const madeBy = cd.readUInt16LE(p + 4) >> 8;
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      let compressedSize = cd.readUInt32LE(p + 20);
      let usize = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28), extraLen = cd.readUInt16LE(p + 30), commentLen = cd.readUInt16LE(p + 32);
      const ext = cd.readUInt32LE(p + 38);
      let localHeaderOffset = cd.readUInt32LE(p + 42);
      const nameBuf = cd.subarray(p + 46, p + 46 + nameLen);
      if (flags & 1) throw bad(file, "encrypted members");
      const name = nameBuf.toString(flags & 0x800 ? "utf8" : "latin1");
      // zip64 extended information (0x0001) carries the fields that overflowed, in this order.
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      if (eEnd + commentLen > cd.length) throw bad(file, "corrupt central directory");
      while (e + 4 <= eEnd) {
        const id = cd.readUInt16LE(e), len = cd.readUInt16LE(e + 2);
        if (id === 1) {
          let q = e + 4;
          const field = (): number => {
            if (q + 8 > Math.min(e + 4 + len, eEnd)) throw bad(file, `corrupt zip64 field for ${name}`);
            const v = cd.readBigUInt64LE(q);
            q += 8;
            if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(file, `impossible zip64 size or offset for ${name}`);
            return Number(v);
          };
          if (usize === 0xffffffff) usize = field();
          if (compressedSize === 0xffffffff) compressedSize = field();
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = field();
        }
        e += 4 + len;
      }
      out.push({
        name, method, compressedSize, size: usize, crc32: cd.readUInt32LE(p + 16), localHeaderOffset,
        unixMode: madeBy === 3 ? ext >>> 16 : 0,
        isDirectory: name.endsWith("/"),
      });
      p = eEnd + commentLen;
    }
    return out;
  } finally {
    await fh.close();
  }
}

/** Cap the byte count (a central directory may lie about sizes: zip bombs). */
function capBytes(limit: number, what: string): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > limit) cb(new MapBuildError("E_PYTHON_DEPS", `${what} inflates beyond its declared size ${limit}`, { hint: "the wheel is corrupt or a zip bomb; do not use it" }));
      else cb(null, chunk);
    },
  });
}

/**
 * Members up to this compressed size are read in one call and inflated synchronously: a torch
 * wheel has ~12,000 small files, and a stream per member (a second open, thread-pool hops for every
 * read and inflate step) made system time dominate. Their inflated size is capped too (below).
 */
const SMALL_COMPRESSED = 256 * 1024;
const SMALL_INFLATED = 4 * 1024 * 1024;
/** Large members stream in steps of this size: 8× fewer thread-pool round trips than zlib's 16 KiB default, little garbage per step. */
const STREAM_CHUNK = 128 * 1024;

function inflateSmall(file: string, m: ZipMember, raw: Buffer): Buffer {
  const what = `${file}: ${m.name}`;
  if (m.method === 0) {
    if (raw.length !== m.size) throw new MapBuildError("E_PYTHON_DEPS", `${what} is ${raw.length} bytes, not its declared ${m.size}`, { hint: "the wheel is corrupt; do not use it" });
    return raw;
  }
  try {
    // one output buffer of the declared size (zlib's default 16 KiB per call was ~160 MB of garbage
    // over a torch wheel's small files); maxOutputLength: a member lying about its size fails here
    return inflateRawSync(raw, { chunkSize: Math.max(64, m.size + 64), maxOutputLength: Math.max(1, m.size) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new MapBuildError("E_PYTHON_DEPS", `${what} inflates beyond its declared size ${m.size}`, { hint: "the wheel is corrupt or a zip bomb; do not use it" });
    }
    throw bad(file, `${m.name}: ${(e as Error).message}`);
  }
}

/** Where a member's data starts (after its local header), read through `fh`. */
async function dataStartOf(fh: FileHandle, file: string, m: ZipMember): Promise<number> {
  const hdr = await readAt(fh, m.localHeaderOffset, 30);
  if (hdr.length < 30 || hdr.readUInt32LE(0) !== 0x04034b50) throw bad(file, `bad local header for ${m.name}`);
  return m.localHeaderOffset + 30 + hdr.readUInt16LE(26) + hdr.readUInt16LE(28);
}

/** Small enough to read and inflate in one step (SMALL_COMPRESSED, SMALL_INFLATED). */
export const isSmallMember = (m: ZipMember) => m.compressedSize <= SMALL_COMPRESSED && m.size <= SMALL_INFLATED;

/** Local-header extra bytes read along with a small member (python's zipfile writes none, Info-ZIP ~28). */
const EXTRA_GUESS = 64;

/**
 * A small member's stored bytes: one open, usually one read of header and data together, closed at
 * once. Synchronous on purpose: from the page cache that is a few µs per call, while the async
 * open/read/read/close of 10,000 members (a torch wheel) took ~1.5 s of main-thread time, mostly
 * promise and FileHandle bookkeeping.
 */
function readStoredSmall(file: string, m: ZipMember): Buffer {
  const fd = openSync(file, "r");
  try {
    const guess = 30 + Buffer.byteLength(m.name) + EXTRA_GUESS + m.compressedSize;
    let buf = Buffer.allocUnsafe(guess);
    const got = readSync(fd, buf, 0, guess, m.localHeaderOffset);
    if (got < 30 || buf.readUInt32LE(0) !== 0x04034b50) throw bad(file, `bad local header for ${m.name}`);
    const start = 30 + buf.readUInt16LE(26) + buf.readUInt16LE(28);
    const end = start + m.compressedSize;
    if (end > got) {
      if (got < guess) throw bad(file, `${m.name} is cut short`);
      buf = Buffer.concat([buf.subarray(0, got), Buffer.allocUnsafe(end - got)]);
      if (readSync(fd, buf, got, end - got, m.localHeaderOffset + got) !== end - got) throw bad(file, `${m.name} is cut short`);
    }
    return buf.subarray(start, end);
  } finally {
    closeSync(fd);
  }
}

/**
 * The whole content of a small member (see SMALL_COMPRESSED), read and inflated in one step;
 * undefined for a large one (stream it with openZipMember).
 */
export async function readSmallMember(file: string, m: ZipMember): Promise<Buffer | undefined> {
  if (!isSmallMember(m)) return undefined;
  if (m.method !== 0 && m.method !== 8) throw bad(file, `${m.name} uses compression method ${m.method} (only stored and deflate are allowed in wheels)`);
  if (m.compressedSize === 0) return Buffer.alloc(0);
  return inflateSmall(file, m, readStoredSmall(file, m));
}

/** A member's stored (compressed) bytes as a stream through one open file, closed when the stream ends. */
async function storedBytes(file: string, m: ZipMember): Promise<Readable> {
  const fh = await open(file, "r");
  let start: number;
  try {
    start = await dataStartOf(fh, file, m);
  } catch (e) {
    await fh.close();
    throw e;
  }
  return fh.createReadStream({ start, end: start + m.compressedSize - 1, highWaterMark: STREAM_CHUNK, autoClose: true });
}

/** The uncompressed bytes of one member, read from disk through one open file. */
export async function openZipMember(file: string, m: ZipMember): Promise<Readable> {
  const small = await readSmallMember(file, m);
  if (small) return Readable.from([small]);
  if (m.method !== 0 && m.method !== 8) throw bad(file, `${m.name} uses compression method ${m.method} (only stored and deflate are allowed in wheels)`);
  const raw = await storedBytes(file, m);
  const cap = capBytes(m.size, `${file}: ${m.name}`);
  raw.on("error", (e) => cap.destroy(e));
  if (m.method === 0) return raw.pipe(cap);
  const inflate = createInflateRaw({ chunkSize: STREAM_CHUNK });
  inflate.on("error", (e) => cap.destroy(bad(file, `${m.name}: ${e.message}`)));
  cap.on("close", () => { raw.destroy(); inflate.destroy(); });
  return raw.pipe(inflate).pipe(cap);
}

/** A member fully in memory (METADATA, RECORD, scripts: small files), bounded by `limit`. */
export async function readZipMember(file: string, m: ZipMember, limit = 16 * 1024 * 1024): Promise<Buffer> {
  if (m.size > limit) throw bad(file, `${m.name} is ${m.size} bytes (more than ${limit})`);
  const chunks: Buffer[] = [];
  for await (const c of await openZipMember(file, m)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A deflated member as DeflateSteps (layer/entry.ts): its compressed bytes as stored, read once, and
 * beside them what they inflate to, then its CRC-32. Nothing the zip states is trusted: the stream
 * must end exactly at the member's compressed size and inflate to its declared size and CRC-32,
 * else the iteration fails before the CRC step (a gzip trailer must never lie: docker pull would
 * fail on it later).
 */
export async function* deflatedZipMember(file: string, m: ZipMember): AsyncGenerator<DeflateStep> {
  if (m.method !== 8) throw bad(file, `${m.name} is not deflated`);
  let size = 0;
  let crc = 0;
  for await (const step of isSmallMember(m) ? smallDeflated(file, m) : streamedDeflated(file, m)) {
    if ("inflated" in step) {
      size += step.inflated.length;
      if (size > m.size) throw inflatesBeyond(file, m);
      crc = crc32(step.inflated, crc);
    }
    yield step;
  }
  if (size !== m.size) throw new MapBuildError("E_PYTHON_DEPS", `${file}: ${m.name} inflates to ${size} bytes, not its declared ${m.size}`, { hint: "the wheel is corrupt; re-download it" });
  if (crc !== m.crc32) {
    throw new MapBuildError("E_DIGEST_MISMATCH", `${file}: ${m.name} does not match the CRC-32 its zip directory states`, { hint: "the wheel is corrupt or was tampered with; re-download it" });
  }
  yield { crc32: crc };
}

function inflatesBeyond(file: string, m: ZipMember): MapBuildError {
  return new MapBuildError("E_PYTHON_DEPS", `${file}: ${m.name} inflates beyond its declared size ${m.size}`, { hint: "the wheel is corrupt or a zip bomb; do not use it" });
}

function endsEarly(file: string, m: ZipMember): MapBuildError {
  return bad(file, `${m.name}: its deflate stream ends before its compressed size ${m.compressedSize}`);
}

/** A small member (see SMALL_COMPRESSED): one read, one inflate. */
async function* smallDeflated(file: string, m: ZipMember): AsyncGenerator<DeflateStep> {
  const raw = readStoredSmall(file, m);
  let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    inflated = inflateRawSync(raw, { info: true, chunkSize: Math.max(64, m.size + 64), maxOutputLength: Math.max(1, m.size) }) as unknown as typeof inflated;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw inflatesBeyond(file, m);
    throw bad(file, `${m.name}: ${(e as Error).message}`);
  }
  if (inflated.engine.bytesWritten !== raw.length) throw endsEarly(file, m);
  yield { deflated: raw };
  yield { inflated: inflated.buffer };
}

/**
 * A large member streamed: each compressed chunk read from the file goes out as it is and into the
 * inflater, whose output follows; memory stays a few chunks whatever the member's size.
 */
async function* streamedDeflated(file: string, m: ZipMember): AsyncGenerator<DeflateStep> {
  const raw = await storedBytes(file, m);
  const read: Buffer[] = []; // compressed chunks handed to the inflater and not yet yielded
  const tee = new Transform({ transform(chunk: Buffer, _enc, cb) { read.push(chunk); cb(null, chunk); } });
  const inflate = createInflateRaw({ chunkSize: STREAM_CHUNK });
  raw.on("error", (e) => inflate.destroy(e));
  try {
    try {
      for await (const out of raw.pipe(tee).pipe(inflate)) {
        while (read.length) yield { deflated: read.shift()! };
        yield { inflated: out as Buffer };
      }
    } catch (e) {
      throw bad(file, `${m.name}: ${(e as Error).message}`);
    }
    while (read.length) yield { deflated: read.shift()! };
    if (inflate.bytesWritten !== m.compressedSize) throw endsEarly(file, m);
  } finally {
    raw.destroy();
    inflate.destroy();
  }
}
