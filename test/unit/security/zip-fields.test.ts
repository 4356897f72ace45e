/**
 * Issue 13 (low) and the fuzz acceptance: every header field of a wheel's end record, first
 * central directory entry and first local header is set to hostile values and the zip reader
 * run over the result. It may read the wheel or refuse it with E_PYTHON_DEPS, never throw
 * anything else (a RangeError or ERR_OUT_OF_RANGE was exit 1).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMapBuildError } from "../../../src/errors.js";
import { readZipDirectory, readZipMember } from "../../../src/python/zip-reader.js";
import { GREET, makeWheel } from "../../python/wheel-factory.js";

/** [name, offset from the record's start, byte width] */
const EOCD_FIELDS: [string, number, number][] = [["disk", 4, 2], ["cd disk", 6, 2], ["entries here", 8, 2], ["entries", 10, 2], ["cd size", 12, 4], ["cd offset", 16, 4], ["comment length", 20, 2]];
const CD_FIELDS: [string, number, number][] = [["made by", 4, 2], ["needed", 6, 2], ["flags", 8, 2], ["method", 10, 2], ["compressed size", 20, 4], ["size", 24, 4], ["name length", 28, 2], ["extra length", 30, 2], ["comment length", 32, 2], ["external attrs", 38, 4], ["local header offset", 42, 4]];
const LOCAL_FIELDS: [string, number, number][] = [["signature", 0, 4], ["method", 8, 2], ["compressed size", 18, 4], ["size", 22, 4], ["name length", 26, 2], ["extra length", 28, 2]];
const VALUES = (width: number) => [0, 1, width === 2 ? 0xffff : 0xffffffff, width === 2 ? 0x7fff : 0x7fffffff];

function put(b: Buffer, at: number, width: number, v: number): void {
  if (width === 2) b.writeUInt16LE(v, at);
  else b.writeUInt32LE(v >>> 0, at);
}

/** Read everything the reader offers; resolve to "ok" or the MapBuildError code; reject on anything else. */
async function readAll(file: string): Promise<string> {
  try {
    for (const m of await readZipDirectory(file)) if (!m.isDirectory) await readZipMember(file, m, 1 << 20);
    return "ok";
  } catch (e) {
    if (isMapBuildError(e)) return e.code;
    throw e;
  }
}

describe("zip reader: hostile header fields", () => {
  let dir: string;
  const wheel = Buffer.from(makeWheel(GREET).bytes);
  const eocd = wheel.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const cd = wheel.readUInt32LE(eocd + 16);
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mb-zip-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const tables: [string, number, [string, number, number][]][] = [["end record", eocd, EOCD_FIELDS], ["central directory", cd, CD_FIELDS], ["local header", 0, LOCAL_FIELDS]];
  for (const [where, base, fields] of tables) {
    it(`${where}: every field, every hostile value`, async () => {
      let n = 0;
      for (const [name, off, width] of fields) {
        for (const v of VALUES(width)) {
          const b = Buffer.from(wheel);
          put(b, base + off, width, v);
          const file = join(dir, `w${n++}.whl`);
          await writeFile(file, b);
          const r = await readAll(file);
          assert.ok(r === "ok" || r === "E_PYTHON_DEPS", `${where} ${name}=${v}: ${r}`);
        }
      }
    });
  }

  it("a zip64 locator pointing past the end of the file is refused", async () => {
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(1n << 60n, 8);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(0xffff, 10);
    end.writeUInt32LE(0xffffffff, 16);
    const file = join(dir, "zip64.whl");
    await writeFile(file, Buffer.concat([loc, end]));
    await assert.rejects(readZipDirectory(file), (e: unknown) => isMapBuildError(e) && /outside the file/.test(e.message));
  });

  it("truncations at every 7th byte never escape as a crash", async () => {
    for (let len = 0; len < wheel.length; len += 7) {
      const file = join(dir, "t.whl");
      await writeFile(file, wheel.subarray(0, len));
      const r = await readAll(file);
      assert.ok(r === "ok" || r === "E_PYTHON_DEPS", `truncated at ${len}: ${r}`);
    }
  });
});
