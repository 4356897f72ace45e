/**
 * POSIX pax/ustar header encoding, written by hand instead of with tar-stream 3.1.7 because that
 * library encodes sizes ≥ 8 GiB as GNU base-256 (not a pax `size` record), splits long names into
 * the ustar prefix field rather than a pax `path`, and routes through streamx, which we do not need.
 * Here every field is fixed for reproducibility: no atime/ctime/mtime pax records, empty owner
 * names, octal zero device numbers, one constant name for the extended header.
 *
 * Format: POSIX.1-2001 "pax Interchange Format" (IEEE Std 1003.1, pax(1)), as written by Go's
 * archive/tar and read by containerd, Docker, umoci and GNU tar.
 */

export type TarType = "file" | "hardlink" | "symlink" | "dir";

export interface TarHeader {
  /** Member name as stored: no leading `/`, directories end in `/`. */
  name: string;
  type: TarType;
  /** Permission bits (0o7777 is kept, file type comes from `type`). */
  mode: number;
  uid: number;
  gid: number;
  /** Content bytes; 0 for everything but files. */
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Link target for symlinks and hardlinks. */
  linkname?: string;
}

export const BLOCK = 512;
/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE: Buffer = Buffer.alloc(2 * BLOCK);

const TYPEFLAG: Record<TarType, string> = { file: "0", hardlink: "1", symlink: "2", dir: "5" };
/** Largest value of an 11-digit (size, mtime) and a 7-digit (mode, uid, gid) octal field. */
const MAX_OCTAL_11 = 0o77777777777;
const MAX_OCTAL_7 = 0o7777777;
/** Only printable ASCII goes into ustar text fields; anything else travels in a pax record. */
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

/** Shared zero bytes for padding: like END_OF_ARCHIVE, read and never written by consumers. */
const ZEROS: Buffer = Buffer.alloc(BLOCK);

/** Zero bytes that pad `size` content bytes to a whole block (a view of shared zeros: do not write to it). */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return ZEROS.subarray(0, rest === 0 ? 0 : BLOCK - rest);
}

/**
 * The bytes that precede a member's content: an optional pax extended header (type `x`) plus the
 * ustar header. Names longer than 100 bytes or with bytes outside printable ASCII (UTF-8, newlines)
 * get a pax `path`; the same for `linkpath`; sizes ≥ 8 GiB get a pax `size` and uid/gid beyond 7
 * octal digits a pax `uid`/`gid`, with the ustar field then set to 0 as Python's tarfile and Go's
 * archive/tar do (readers take the pax value).
 */
export function encodeHeader(h: TarHeader): Buffer {
  const pax: [string, string][] = [];
  const nameBytes = Buffer.byteLength(h.name);
  if (nameBytes > 100 || !PLAIN_ASCII.test(h.name)) pax.push(["path", h.name]);
  const link = h.linkname ?? "";
  if (Buffer.byteLength(link) > 100 || !PLAIN_ASCII.test(link)) pax.push(["linkpath", link]);
  if (h.size > MAX_OCTAL_11) pax.push(["size", String(h.size)]);
  if (h.uid > MAX_OCTAL_7) pax.push(["uid", String(h.uid)]);
  if (h.gid > MAX_OCTAL_7) pax.push(["gid", String(h.gid)]);

  const ustar = ustarBlock({
    name: pax.some(([k]) => k === "path") ? asciiFallback(h.name) : h.name,
    linkname: pax.some(([k]) => k === "linkpath") ? asciiFallback(link) : link,
    typeflag: TYPEFLAG[h.type],
    mode: h.mode & 0o7777,
    uid: h.uid > MAX_OCTAL_7 ? 0 : h.uid,
    gid: h.gid > MAX_OCTAL_7 ? 0 : h.gid,
    size: h.size > MAX_OCTAL_11 ? 0 : h.size,
    mtime: h.mtime,
  });
  if (pax.length === 0) return ustar;

  const records = Buffer.from(pax.map(([k, v]) => paxRecord(k, v)).join(""), "utf8");
  const paxHeader = ustarBlock({
    name: "PaxHeader",
    linkname: "",
    typeflag: "x",
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: records.length,
    mtime: h.mtime,
  });
  return Buffer.concat([paxHeader, records, padding(records.length), ustar]);
}

/** `"<len> <key>=<value>\n"` where len counts the whole record, its own digits included. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length + bodyLen !== len) len = bodyLen + String(len).length;
  return `${len}${body}`;
}

interface UstarFields {
  name: string;
  linkname: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
}

function ustarBlock(f: UstarFields): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(f.name, 0, 100, "utf8");
  writeOctal(b, 100, 8, f.mode);
  writeOctal(b, 108, 8, f.uid);
  writeOctal(b, 116, 8, f.gid);
  writeOctal(b, 124, 12, f.size);
  writeOctal(b, 136, 12, f.mtime);
  b.fill(0x20, 148, 156); // checksum is computed over spaces in its own field
  b.write(f.typeflag, 156, 1, "ascii");
  b.write(f.linkname, 157, 100, "utf8");
  b.write("ustar\u000000", 257, 8, "ascii");
  // uname/gname (265, 297) stay empty: owner names are never written.
  writeOctal(b, 329, 8, 0);
  writeOctal(b, 337, 8, 0);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  writeOctal(b, 148, 7, sum); // six digits and NUL; the space after them is already there
  return b;
}

/**
 * `width - 1` octal digits then NUL, the ustar convention. Digit by digit into the block: one
 * header per file, and string formatting was most of a header's garbage with 15,000 files.
 */
function writeOctal(b: Buffer, offset: number, width: number, value: number): void {
  let v = Math.trunc(value);
  for (let i = offset + width - 2; i >= offset; i--) {
    b[i] = 0x30 + (v % 8);
    v = Math.floor(v / 8);
  }
  b[offset + width - 1] = 0;
}

/**
 * What the ustar name field holds when the real name travels in pax: printable ASCII, cut to 100
 * bytes. Only readers without pax support see it.
 */
function asciiFallback(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "_").slice(0, 100);
}
