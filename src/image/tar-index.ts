/**
 * The member list of a tar file with each member's byte offset, read header by header without
 * reading contents, so a multi-GB `docker save` archive is served by offset with flat memory.
 * Handles ustar prefixes, PAX `path`/`size` records and GNU long names (what docker and skopeo write).
 */
import { open } from "node:fs/promises";
import { MapBuildError } from "../errors.js";

export interface TarMember {
  name: string;
  /** Offset of the first content byte. */
  offset: number;
  size: number;
}

const BLOCK = 512;

function cstr(b: Buffer, start: number, len: number): string {
  const s = b.subarray(start, start + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? s.length : nul).toString("utf8");
}

function parseSize(b: Buffer): number {
  const f = b.subarray(124, 136);
  if (f[0]! & 0x80) {
    // base-256 (GNU) for sizes ≥ 8 GiB
    let n = 0;
    for (let i = 1; i < f.length; i++) n = n * 256 + f[i]!;
    return n;
  }
  const s = cstr(b, 124, 12).trim();
  return s ? parseInt(s, 8) : 0;
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
  const fh = await open(file, "r").catch((cause: unknown) => {
    throw new MapBuildError("E_INPUT_FORMAT", `cannot open the ${what} ${file}`, { hint: `check the path of the ${what}`, cause });
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
      const readBody = async () => {
        const b = Buffer.alloc(size);
        await fh.read(b, 0, size, pos + BLOCK);
        return b;
      };
      if (type === "x") pax = parsePax(await readBody());
      else if (type === "L") longName = cstr(await readBody(), 0, size);
      else if (type !== "g") {
        const prefix = cstr(header, 345, 155);
        let name = longName ?? pax.path ?? (prefix ? `${prefix}/${cstr(header, 0, 100)}` : cstr(header, 0, 100));
        if (pax.size) size = parseInt(pax.size, 10);
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

export async function readMember(file: string, m: TarMember): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const b = Buffer.alloc(m.size);
    await fh.read(b, 0, m.size, m.offset);
    return b;
  } finally {
    await fh.close();
  }
}
