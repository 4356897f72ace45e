/**
 * A minimal 64-bit little-endian ELF shared object: header, PT_LOAD (whole file at vaddr 0x1000)
 * and PT_DYNAMIC, a string table, then the dynamic entries (DT_NEEDED…, DT_STRTAB, DT_STRSZ, DT_NULL).
 * The string table sits before the dynamic segment, as linkers lay it out.
 */
export function makeElf(needed: string[]): Uint8Array {
  const strs = Buffer.concat([Buffer.from([0]), ...needed.map((n) => Buffer.from(`${n}\0`))]);
  const ehdr = 64, phdr = 56 * 2, strOff = ehdr + phdr, dynOff = strOff + strs.length + ((8 - ((strOff + strs.length) % 8)) % 8);
  const entries: [number, number][] = [];
  let o = 1;
  for (const n of needed) { entries.push([1, o]); o += n.length + 1; }
  const vaddr = 0x1000;
  entries.push([5, vaddr + strOff], [10, strs.length], [0, 0]);
  const size = dynOff + entries.length * 16;
  const b = Buffer.alloc(size);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; b[5] = 1; b[6] = 1;
  b.writeUInt16LE(3, 16); // ET_DYN
  b.writeUInt16LE(62, 18); // x86-64
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(64n, 32); // phoff
  b.writeUInt16LE(64, 52);
  b.writeUInt16LE(56, 54);
  b.writeUInt16LE(2, 56);
  const ph = (i: number, type: number, offset: number, va: number, filesz: number) => {
    const p = ehdr + i * 56;
    b.writeUInt32LE(type, p);
    b.writeUInt32LE(4, p + 4);
    b.writeBigUInt64LE(BigInt(offset), p + 8);
    b.writeBigUInt64LE(BigInt(va), p + 16);
    b.writeBigUInt64LE(BigInt(va), p + 24);
    b.writeBigUInt64LE(BigInt(filesz), p + 32);
    b.writeBigUInt64LE(BigInt(filesz), p + 40);
    b.writeBigUInt64LE(8n, p + 48);
  };
  ph(0, 1, 0, vaddr, size);
  ph(1, 2, dynOff, vaddr + dynOff, entries.length * 16);
  strs.copy(b, strOff);
  entries.forEach(([tag, val], i) => { b.writeBigInt64LE(BigInt(tag), dynOff + i * 16); b.writeBigUInt64LE(BigInt(val), dynOff + i * 16 + 8); });
  return b;
}
