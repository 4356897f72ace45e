/**
 * How a wheel member reaches the layer writer (layer/entry.ts EntrySource "stream"): read from the
 * wheel on disk when the layer is written and checked against its RECORD sha256 in that same pass.
 * One small object per member with methods on the prototype, no closures: a torch wheel plans
 * ~15,000 members and the plan stays in memory until the layer is written, so its size counts
 * twice over in the peak (V8 lets the heap grow to a multiple of what is live).
 */
import { createHash } from "node:crypto";
import { Readable, Transform } from "node:stream";
import { MapBuildError } from "../errors.js";
import type { DeflatedContent, DeflateStep } from "../layer/index.js";
import { deflatedZipMember, isSmallMember, openZipMember, readSmallMember, type ZipMember } from "./zip-reader.js";

/**
 * Deflated members from this size up reach a gzip layer as their own gzip members, their deflate
 * stream copied from the wheel (layer/entry.ts DeflatedContent), instead of being compressed again.
 * Each copy costs 18 bytes of framing and cuts the 1 MiB block being filled. Measured here (2
 * cores, 64 MiB of members in wheels written by python's zipfile at level 6, CPU seconds of the
 * layer write, copied vs recompressed): 64 KiB members of Python-like text 1.14 vs 1.12 and
 * half-random binary 1.36 vs 2.28; 256 KiB members 0.74 vs 1.16 and 0.97 vs 2.15; sizes within
 * ±3 %. Smaller members — most of a torch wheel's 10,000 `.py` files — stay in 1 MiB blocks, where
 * copied one by one they would become thousands of tiny gzip members. Part of INSTALL_PLAN_VERSION.
 */
export const COPY_DEFLATE_MIN = 64 * 1024;

export function recordMismatch(label: string, name: string): MapBuildError {
  return new MapBuildError("E_DIGEST_MISMATCH", `${label}: "${name}" does not match its RECORD entry (hash or size differs)`, {
    hint: "the wheel is corrupt or was tampered with (or changed during the build); re-download it",
  });
}

/** Where a member is read from and what it must hash to. */
interface Member {
  /** The wheel on disk. */
  file: string;
  /** The wheel's name, for messages. */
  label: string;
  m: ZipMember;
  /** The sha256 RECORD (or a plan-time hash) gave, hex. */
  sha256: string;
}

/** A member streamed through a sha256 check (the size must be the central directory's too). */
class StreamedMember implements Member {
  readonly kind = "stream" as const;
  deflated?: DeflatedContent;

  constructor(readonly file: string, readonly label: string, readonly m: ZipMember, readonly sha256: string) {
    if (m.method === 8 && m.size >= COPY_DEFLATE_MIN) this.deflated = new CopiedDeflate(this);
  }

  async open(): Promise<Readable> {
    const h = createHash("sha256");
    let size = 0;
    const { label, m, sha256 } = this;
    const check = new Transform({
      transform(chunk: Buffer, _e, cb) {
        h.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
      flush(cb) {
        cb(h.digest("hex") === sha256 && size === m.size ? null : recordMismatch(label, m.name));
      },
    });
    const src = await openZipMember(this.file, m);
    src.on("error", (e) => check.destroy(e));
    return src.pipe(check);
  }
}

/** A small member (zip-reader's isSmallMember): read, inflated and checked in one step. */
class SmallMember extends StreamedMember {
  async whole(): Promise<Buffer> {
    const data = await readSmallMember(this.file, this.m);
    if (!data) throw new MapBuildError("E_INTERNAL", `${this.label}: "${this.m.name}" was planned as a small member`);
    if (data.length !== this.m.size || createHash("sha256").update(data).digest("hex") !== this.sha256) throw recordMismatch(this.label, this.m.name);
    return data;
  }

  override async open(): Promise<Readable> {
    return Readable.from([await this.whole()]);
  }
}

/**
 * A member's deflate stream for a gzip layer (see COPY_DEFLATE_MIN), checked against RECORD in the
 * same pass (the zip reader checks the stream, size and CRC-32): a mismatch fails before the last step.
 */
class CopiedDeflate implements DeflatedContent {
  constructor(private readonly member: Member) {}

  async open(): Promise<AsyncIterable<DeflateStep>> {
    return recordChecked(this.member);
  }
}

async function* recordChecked({ file, label, m, sha256 }: Member): AsyncGenerator<DeflateStep> {
  const h = createHash("sha256");
  for await (const step of deflatedZipMember(file, m)) {
    if ("inflated" in step) h.update(step.inflated);
    else if ("crc32" in step && h.digest("hex") !== sha256) throw recordMismatch(label, m.name);
    yield step;
  }
}

/**
 * The layer entry source of one wheel member; `sha256` is hex. Small members are read whole,
 * others streamed; a gzip layer copies the deflate stream of large deflated ones.
 */
export function memberSource(file: string, label: string, m: ZipMember, sha256: string): StreamedMember {
  return isSmallMember(m) ? new SmallMember(file, label, m, sha256) : new StreamedMember(file, label, m, sha256);
}
