import assert from "node:assert/strict";
import { createReadStream, existsSync } from "node:fs";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { elfNeeded } from "../../../src/python/elf.js";
import { makeElf } from "../../python/elf-factory.js";

const fromBytes = (b: Uint8Array) => async () => Readable.from([Buffer.from(b)]);

describe("ELF DT_NEEDED", () => {
  it("reads the needed libraries of real shared objects on this machine", async () => {
    const libz = ["/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"].find((p) => existsSync(p));
    assert.ok(libz, "libz.so.1 is on every Debian machine");
    assert.deepEqual(await elfNeeded(async () => createReadStream(libz)), ["libc.so.6"]);
    const python = process.execPath; // node: a big real executable with several DT_NEEDED
    const needed = await elfNeeded(async () => createReadStream(python));
    assert.ok(needed?.includes("libc.so.6"), String(needed));
  });

  it("reads a generated shared object, delivered in small chunks", async () => {
    const elf = makeElf(["libstdc++.so.6", "libm.so.6", "libc.so.6"]);
    assert.deepEqual(await elfNeeded(fromBytes(elf)), ["libstdc++.so.6", "libm.so.6", "libc.so.6"]);
    const chunked = async () => Readable.from(Array.from({ length: Math.ceil(elf.length / 7) }, (_, i) => Buffer.from(elf.subarray(i * 7, i * 7 + 7))));
    assert.deepEqual(await elfNeeded(chunked), ["libstdc++.so.6", "libm.so.6", "libc.so.6"]);
  });

  it("not ELF, or truncated: undefined", async () => {
    assert.equal(await elfNeeded(fromBytes(Buffer.from("print('hi')\n"))), undefined);
    await assert.rejects(elfNeeded(fromBytes(makeElf(["libx.so"]).subarray(0, 100))));
  });
});
