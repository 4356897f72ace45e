/**
 * The DT_NEEDED entries of an ELF shared object, read from a stream (a wheel member is inflated,
 * not seekable): the header and program headers, then the dynamic segment, then just the bytes of
 * the string table the entries point at — a second pass only when the strings lie before the
 * dynamic segment. Nothing but those ranges is kept in memory.
 */
import type { Readable } from "node:stream";

const PT_LOAD = 1, PT_DYNAMIC = 2;
const DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5;

/** Bytes [start, end) of a stream, reading no further than needed. */
async function capture(open: () => Promise<Readable>, start: number, end: number, signal: AbortSignal | undefined, allowShort = false): Promise<Buffer> {
  const out = Buffer.alloc(end - start);
  let pos = 0;
  const src = await open();
  try {
    for await (const raw of src) {
      signal?.throwIfAborted();
      const c = raw as Buffer;
      const from = Math.max(start, pos), to = Math.min(end, pos + c.length);
      if (to > from) c.copy(out, from - start, from - pos, to - pos);
      pos += c.length;
      if (pos >= end) break;
    }
  } finally {
    src.destroy();
  }
  if (pos < end) {
    if (!allowShort || pos <= start) throw new Error("truncated ELF file");
    return out.subarray(0, pos - start);
  }
  return out;
}

interface Layout {
  le: boolean;
  is64: boolean;
  loads: { offset: number; vaddr: number; filesz: number }[];
  dynamic?: { offset: number; size: number };
}

function parseHeaders(h: Buffer, open: () => Promise<Readable>, signal: AbortSignal | undefined): Promise<Layout | undefined> | Layout | undefined {
  if (h.length < 52 || h.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = h[4] === 2, le = h[5] === 1;
  const u16 = (o: number) => (le ? h.readUInt16LE(o) : h.readUInt16BE(o));
  const phoff = is64 ? Number(le ? h.readBigUInt64LE(32) : h.readBigUInt64BE(32)) : le ? h.readUInt32LE(28) : h.readUInt32BE(28);
  const phentsize = u16(is64 ? 54 : 42), phnum = u16(is64 ? 56 : 44);
  const parse = (ph: Buffer): Layout => {
    const out: Layout = { le, is64, loads: [] };
    const word = (o: number) => (is64 ? Number(le ? ph.readBigUInt64LE(o) : ph.readBigUInt64BE(o)) : le ? ph.readUInt32LE(o) : ph.readUInt32BE(o));
    for (let i = 0; i < phnum; i++) {
      const b = i * phentsize;
      const type = le ? ph.readUInt32LE(b) : ph.readUInt32BE(b);
      const offset = word(b + (is64 ? 8 : 4)), vaddr = word(b + (is64 ? 16 : 8)), filesz = word(b + (is64 ? 32 : 16));
      if (type === PT_LOAD) out.loads.push({ offset, vaddr, filesz });
      if (type === PT_DYNAMIC) out.dynamic = { offset, size: filesz };
    }
    return out;
  };
  const end = phoff + phentsize * phnum;
  if (end <= h.length) return parse(h.subarray(phoff, end));
  return capture(open, phoff, end, signal).then(parse);
}

/**
 * DT_NEEDED library names, or undefined when the stream is not ELF / has no dynamic segment.
 * `signal` stops reading (the stream of a big library is read up to its dynamic segment).
 */
export async function elfNeeded(open: () => Promise<Readable>, signal?: AbortSignal): Promise<string[] | undefined> {
  const head = await capture(open, 0, 64, signal).catch(() => undefined);
  if (!head) return undefined;
  const layout = await parseHeaders(head, open, signal);
  if (!layout?.dynamic) return undefined;
  const { le, is64, dynamic } = layout;
  const dyn = await capture(open, dynamic.offset, dynamic.offset + dynamic.size, signal);
  const size = is64 ? 16 : 8;
  const needed: number[] = [];
  let strtab: number | undefined;
  for (let o = 0; o + size <= dyn.length; o += size) {
    const tag = is64 ? Number(le ? dyn.readBigInt64LE(o) : dyn.readBigInt64BE(o)) : le ? dyn.readInt32LE(o) : dyn.readInt32BE(o);
    const val = is64 ? Number(le ? dyn.readBigUInt64LE(o + 8) : dyn.readBigUInt64BE(o + 8)) : le ? dyn.readUInt32LE(o + 4) : dyn.readUInt32BE(o + 4);
    if (tag === DT_NULL) break;
    if (tag === DT_NEEDED) needed.push(val);
    if (tag === DT_STRTAB) strtab = val;
  }
  if (!needed.length || strtab === undefined) return [];
  const load = layout.loads.find((l) => strtab! >= l.vaddr && strtab! < l.vaddr + l.filesz);
  if (!load) return undefined;
  const base = strtab - load.vaddr + load.offset;
  const lo = Math.min(...needed), hi = Math.max(...needed) + 4096;
  const strings = await capture(open, base + lo, base + hi, signal, true);
  return needed.map((n) => {
    const s = strings.subarray(n - lo);
    const z = s.indexOf(0);
    return s.subarray(0, z < 0 ? s.length : z).toString("utf8");
  });
}
