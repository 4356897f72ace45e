/**
 * Hand-made tar archives for the hostile-archive tests: every header field is written by this
 * file (not by a tar library), so a test can put any lie into any field.
 */
export interface RawMember {
  name: string;
  body?: Uint8Array;
  /** Type flag, default "0". */
  type?: string;
  /** Replaces the 12-byte size field as written (octal text, or raw bytes for base-256). */
  sizeField?: string | Uint8Array;
}

function header(m: RawMember, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(m.name.slice(0, 100), 0, "utf8");
  h.write("0000644\0", 100);
  h.write("0000000\0", 108);
  h.write("0000000\0", 116);
  if (m.sizeField instanceof Uint8Array) Buffer.from(m.sizeField).copy(h, 124);
  else h.write(m.sizeField ?? `${size.toString(8).padStart(11, "0")}\0`, 124, 12, "latin1");
  h.write("00000000000\0", 136);
  h.write(m.type ?? "0", 156);
  h.write("ustar\0", 257);
  h.write("00", 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return h;
}

/** A tar of `members` (bodies padded to 512) plus the two zero blocks. */
export function rawTar(members: readonly RawMember[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const body = Buffer.from(m.body ?? new Uint8Array());
    parts.push(header(m, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** One PAX record set ("<len> key=value\n" with len counting itself). */
export function paxBody(records: Record<string, string>): Buffer {
  let out = "";
  for (const [k, v] of Object.entries(records)) {
    const rest = ` ${k}=${v}\n`;
    let len = rest.length + 1;
    while (String(len).length + rest.length !== len) len++;
    out += `${len}${rest}`;
  }
  return Buffer.from(out);
}

/** Base-256 size field for `n` (GNU: high bit set in the first byte). */
export function base256(n: bigint, negative = false): Uint8Array {
  const f = new Uint8Array(12);
  let v = n;
  for (let i = 11; i >= 1; i--) {
    f[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  f[0] = negative ? 0xff : 0x80;
  return f;
}
