/**
 * Issue 13 item 3: every malformed tar header field goes through the archive index and must come
 * back as E_INPUT_FORMAT (never a Node assertion, a RangeError or a multi-GB allocation).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMapBuildError } from "../../../src/errors.js";
import { indexTar, readMember } from "../../../src/image/tar-index.js";
import { base256, paxBody, rawTar, type RawMember } from "./hostile-tar.js";

const GIB = 1024 ** 3;
const MANIFEST = { name: "manifest.json", body: Buffer.from("[]") };

interface Case {
  name: string;
  members: RawMember[];
  message: RegExp;
}

const CASES: Case[] = [
  { name: "size field is not octal (NaN)", members: [{ ...MANIFEST, sizeField: "zzzzzzzzzzz\0" }], message: /invalid size/ },
  { name: "size field has a sign", members: [{ ...MANIFEST, sizeField: "-0000000001\0" }], message: /invalid size/ },
  { name: "octal size of 3 GiB in a tiny file", members: [{ ...MANIFEST, sizeField: `${(3 * GIB).toString(8).padStart(11, "0")}\0` }], message: /past the end/ },
  { name: "base-256 size of 64 GiB", members: [{ ...MANIFEST, sizeField: base256(64n * BigInt(GIB)) }], message: /past the end/ },
  { name: "base-256 size beyond 2^53", members: [{ ...MANIFEST, sizeField: base256(2n ** 80n) }], message: /invalid size/ },
  { name: "base-256 negative size", members: [{ ...MANIFEST, sizeField: base256(1n, true) }], message: /invalid size/ },
  { name: "pax size of 6 GiB", members: [{ name: "pax", type: "x", body: paxBody({ size: String(6 * GIB) }) }, MANIFEST], message: /past the end/ },
  { name: "pax size not a number", members: [{ name: "pax", type: "x", body: paxBody({ size: "12abc" }) }, MANIFEST], message: /invalid size/ },
  { name: "pax size negative", members: [{ name: "pax", type: "x", body: paxBody({ size: "-5" }) }, MANIFEST], message: /invalid size/ },
  { name: "pax header larger than 1 MiB", members: [{ name: "pax", type: "x", body: paxBody({ comment: "x".repeat(1024 * 1024 + 10) }) }, MANIFEST], message: /extended header/ },
  { name: "GNU long name larger than 1 MiB", members: [{ name: "././@LongLink", type: "L", body: Buffer.alloc(1024 * 1024 + 10, 0x61) }, MANIFEST], message: /extended header/ },
  { name: "pax header declaring more than the file holds", members: [{ name: "pax", type: "x", body: paxBody({ path: "a" }), sizeField: `${(2 * GIB).toString(8).padStart(11, "0")}\0` }], message: /past the end/ },
];

describe("tar index: hostile header fields", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mb-tar-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const c of CASES) {
    it(c.name, async () => {
      const file = join(dir, "t.tar");
      await writeFile(file, rawTar(c.members));
      await assert.rejects(indexTar(file), (e: unknown) => {
        assert.ok(isMapBuildError(e), `a MapBuildError, got ${String(e)}`);
        assert.equal(e.code, "E_INPUT_FORMAT");
        assert.match(e.message, c.message);
        return true;
      });
    });
  }

  it("a valid archive still indexes (pax path and size honoured)", async () => {
    const file = join(dir, "ok.tar");
    const body = Buffer.from('[{"Config":"c.json","Layers":[]}]');
    await writeFile(file, rawTar([{ name: "pax", type: "x", body: paxBody({ path: "long/".repeat(30) + "manifest.json" }) }, { name: "short", body }, MANIFEST]));
    const members = await indexTar(file);
    const m = members.get("long/".repeat(30) + "manifest.json");
    assert.ok(m);
    assert.deepEqual(await readMember(file, m), body);
    assert.ok(members.get("manifest.json"));
  });

  it("readMember refuses a member larger than the manifest cap before allocating", async () => {
    const file = join(dir, "big.tar");
    await writeFile(file, rawTar([{ name: "manifest.json", body: Buffer.alloc(17 * 1024 * 1024, 0x20) }]));
    const m = (await indexTar(file)).get("manifest.json")!;
    await assert.rejects(readMember(file, m), (e: unknown) => isMapBuildError(e) && e.code === "E_INPUT_FORMAT" && /more than a manifest/.test(e.message));
  });
});
