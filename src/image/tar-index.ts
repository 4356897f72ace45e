/**
 * The member list of a tar file with each member's byte offset, read header by header without
 * reading contents, so a multi-GB `docker save` archive is served by offset with flat memory.
 * Handles ustar prefixes, PAX `path`/`size` records and GNU long names (what docker and skopeo write).
 */
import { resolve } from "node:path";
import { InputFileError, openRegularFile } from "../open-regular.js";
import { MAX_JSON_DOCUMENT_BYTES } from "../defaults.js";
import { MapBuildError } from "../errors.js";

export interface TarMember {
  name: string;
  /** Offset of the first content byte. */
  offset: number;
  size: number;
}

const BLOCK = 512;
/** PAX and GNU long-name records hold a few names; anything bigger is damage or an attack. */
const MAX_HEADER_RECORD = 1024 * 1024;

function damaged(file: string, what: string): MapBuildError {
  return new MapBuildError("E_INPUT_FORMAT", `${file} is not a valid tar archive: ${what}`, {
    hint: "the archive is truncated or damaged; save or copy it again",
  });
}

function cstr(b: Buffer, start: number, len: number): string {
  const s = b.subarray(start, start + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? s.length : nul).toString("utf8");
}

/** The header's size field; NaN when it is not a number a real archive could hold. */
function parseSize(b: Buffer): number {
  const f = b.subarray(124, 136);
  if (f[0] === 0xff) return NaN; // base-256 negative
  if (f[0]! & 0x80) {
    // base-256 (GNU) for sizes ≥ 8 GiB
    let n = f[0]! & 0x7f;
    for (let i = 1; i < f.length; i++) n = n * 256 + f[i]!;
    return Number.isSafeInteger(n) ? n : NaN;
  }
  const s = cstr(b, 124, 12).trim();
  if (!s) return 0;
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : NaN;
}

function parsePaxSize(v: string): number {
  return /^\d{1,16}$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : NaN;
}

/** PAX records: "<len> <key>=<value>\n", where <len> counts bytes of the whole record. */
function parsePax(b: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < b.length) {
    const sp = b.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(b.subarray(i, sp).toString("ascii"), 10);
    if (!(len > 0)) break;
    const kv = b.subarray(sp + 1, i + len - 1).toString("utf8");
    const eq = kv.indexOf("=");
    if (eq > 0) out[kv.slice(0, eq)] = kv.slice(eq + 1);
    i += len;
  }
  return out;
}

/**
 * Regular files only, keyed by normalised name (no leading `./`). `what` names the archive kind
 * in messages (`docker-archive`, `oci-archive`), as the user wrote it.
 */
export async function indexTar(file: string, what = "archive"): Promise<Map<string, TarMember>> {
  const fh = await openRegularFile(file).catch((cause: unknown) => {
    const why = cause instanceof InputFileError ? `: it ${cause.reason}` : "";
    throw new MapBuildError("E_INPUT_FORMAT", `cannot open the ${what} ${file}${why}`, { hint: `check the path of the ${what}`, cause });
  });
  const members = new Map<string, TarMember>();
  try {
    const { size: total } = await fh.stat();
    const header = Buffer.alloc(BLOCK);
    let pos = 0;
    let longName: string | undefined;
    let pax: Record<string, string> = {};
    while (pos + BLOCK <= total) {
      await fh.read(header, 0, BLOCK, pos);
      if (header.every((x) => x === 0)) break;
      if (cstr(header, 257, 6) !== "ustar" && !cstr(header, 257, 8).startsWith("ustar")) {
        throw new MapBuildError("E_INPUT_FORMAT", `${what} ${file} is not a tar archive (bad header at byte ${pos})`, {
          hint: what === "oci-archive" ? "give a tar of an OCI layout, e.g. written by `skopeo copy … oci-archive:`" : "give a file written by `docker save` or `skopeo copy … docker-archive:`",
        });
      }
      const type = String.fromCharCode(header[156]!);
      let size = parseSize(header);
      const inFile = (n: number, field: string) => {
        if (!Number.isSafeInteger(n) || n < 0) throw damaged(file, `${field} at byte ${pos} has an invalid size`);
        if (pos + BLOCK + n > total) throw damaged(file, `${field} at byte ${pos} declares ${n} bytes, past the end of the file`);
        return n;
      };
      inFile(size, "header");
      const readBody = async () => {
        if (size > MAX_HEADER_RECORD) throw damaged(file, `extended header at byte ${pos} is ${size} bytes (at most ${MAX_HEADER_RECORD})`);
        const b = Buffer.alloc(size);
        await fh.read(b, 0, size, pos + BLOCK);
        return b;
      };
      if (type === "x") pax = parsePax(await readBody());
      else if (type === "L") longName = cstr(await readBody(), 0, size);
      else if (type !== "g") {
        const prefix = cstr(header, 345, 155);
        let name = longName ?? pax.path ?? (prefix ? `${prefix}/${cstr(header, 0, 100)}` : cstr(header, 0, 100));
        if (pax.size !== undefined) size = inFile(parsePaxSize(pax.size), `pax size of ${JSON.stringify(name)}`);
        name = name.replace(/^(\.\/)+/, "");
        if (type === "0" || type === "\0" || type === "7") members.set(name, { name, offset: pos + BLOCK, size });
        longName = undefined;
        pax = {};
      }
      pos += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    }
  } finally {
    await fh.close();
  }
  return members;
}

/** How an archive's member list is read: indexTar itself, or one read shared per file (tarIndexOnce). */
export type TarIndexReader = (file: string, what?: string) => Promise<Map<string, TarMember>>;

/**
 * A reader that reads each archive's headers once and hands the same list out afterwards: one
 * command opens an archive several ways (recognising a bare path, listing its platforms, opening
 * each platform's image, finding attached artifacts), and a multi-GB archive's headers are
 * thousands of reads. Holds for one command, during which the archive is not expected to change;
 * a failed read is not kept (the next caller reads again, and words the error its own way).
 */
export function tarIndexOnce(read: TarIndexReader = indexTar): TarIndexReader {
  const lists = new Map<string, Promise<Map<string, TarMember>>>();
  return (file, what) => {
    const key = resolve(file);
    let list = lists.get(key);
    if (!list) {
      list = read(file, what);
      lists.set(key, list);
      list.catch(() => lists.delete(key));
    }
    return list;
  };
}

/** A small member (manifest, index, config) in memory, bounded by `limit`. */
export async function readMember(file: string, m: TarMember, limit = MAX_JSON_DOCUMENT_BYTES): Promise<Buffer> {
  if (m.size > limit) {
    throw new MapBuildError("E_INPUT_FORMAT", `${file}: ${m.name} is ${m.size} bytes, more than a manifest or config should be (${limit})`, {
      hint: "the archive is damaged or not an image archive; save or copy it again",
    });
  }
  const fh = await openRegularFile(file);
  try {
    const b = Buffer.alloc(m.size);
    const { bytesRead } = await fh.read(b, 0, m.size, m.offset);
    if (bytesRead !== m.size) throw damaged(file, `${m.name} ends early (the file shrank while being read)`);
    return b;
  } finally {
    await fh.close();
  }
}
