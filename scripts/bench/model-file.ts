/**
 * The generated model: random float32 weights, written once per bench run. Values are
 * ±[2^-8, 1) with random mantissas (sign and mantissa bits from node:crypto, exponent drawn from
 * 8 values), so gzip finds about as little to squeeze as in real weights (facts.md: ~7 %).
 */
import { randomFillSync } from "node:crypto";
import { open } from "node:fs/promises";

const CHUNK = 16 * 1024 * 1024;

export async function writeModelFile(path: string, mebibytes: number): Promise<void> {
  const total = Math.round(mebibytes * 1024 * 1024);
  const buf = Buffer.allocUnsafe(CHUNK);
  const words = new Uint32Array(buf.buffer, buf.byteOffset, CHUNK / 4);
  const fh = await open(path, "wx", 0o644);
  try {
    for (let done = 0; done < total; ) {
      randomFillSync(words);
      for (let i = 0; i < words.length; i++) {
        const u = words[i]!;
        words[i] = (u & 0x807fffff) | ((119 + ((u >>> 23) & 7)) << 23);
      }
      const n = Math.min(CHUNK, total - done);
      await fh.write(buf, 0, n);
      done += n;
    }
  } finally {
    await fh.close();
  }
}
