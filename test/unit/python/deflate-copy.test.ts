/**
 * Large deflated wheel members reach a gzip layer as gzip members of their own, their deflate
 * stream copied from the wheel (issue 16): the tar inside is the one the uncompressed path writes,
 * real gzip tools read the blob, the digest does not depend on concurrency, and nothing the zip
 * states (CRC-32, sizes, where the stream ends) is trusted.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { crc32, deflateRawSync } from "node:zlib";
import { isMapBuildError } from "../../../src/errors.js";
import { writeLayer, type LayerEntry } from "../../../src/layer/index.js";
import { planWheelInstall, type InstallTarget } from "../../../src/python/install.js";
import { COPY_DEFLATE_MIN } from "../../../src/python/member-source.js";
import { deflatedZipMember, readSmallMember, readZipDirectory } from "../../../src/python/zip-reader.js";
import { run, runOk } from "../../helpers/run.js";
import { scratchDirs } from "../../helpers/tmp.js";
import { bigMemberWheel, makeWheel, type WheelSpec } from "../../python/wheel-factory.js";

const scratch = scratchDirs("mb-dcopy-");
const target: InstallTarget = { sitePackages: "/root/.local/lib/python3.11/site-packages", scriptsDir: "/root/.local/bin", pythonPath: "/usr/bin/python3" };
const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

const SPEC = bigMemberWheel();
const BIG = SPEC.so;

async function wheelFile(spec: WheelSpec, patch?: (zip: Buffer) => void): Promise<string> {
  const w = makeWheel(spec);
  const bytes = Buffer.from(w.bytes);
  patch?.(bytes);
  const path = join(await scratch.fresh("house"), w.filename);
  await writeFile(path, bytes);
  return path;
}

async function planned(file: string): Promise<LayerEntry[]> {
  return (await planWheelInstall([{ file }], target)).entries;
}

/** The central-directory record of `name` in a zip's bytes (its CRC-32 sits at +16). */
function centralRecord(zip: Buffer, name: string): number {
  for (let p = zip.indexOf(Buffer.from([0x50, 0x4b, 1, 2])); p >= 0; p = zip.indexOf(Buffer.from([0x50, 0x4b, 1, 2]), p + 4)) {
    if (zip.toString("latin1", p + 46, p + 46 + zip.readUInt16LE(p + 28)) === name) return p;
  }
  throw new Error(`${name} not in the central directory`);
}

describe("copying wheel deflate streams into gzip layers", () => {
  it("writes the same tar as the uncompressed path, read back by gzip -t and gunzip, the member's deflate bytes verbatim", async () => {
    const file = await wheelFile(SPEC);
    const entries = await planned(file);
    const so = entries.find((e) => e.path.endsWith("/libbig.so"));
    assert.ok(so?.type === "file" && so.source.kind === "stream" && so.source.deflated, "the large member offers its deflate stream");
    const small = entries.find((e) => e.path.endsWith("/m1.py"));
    assert.ok(small?.type === "file" && small.source.kind === "stream" && !small.source.deflated, `members under ${COPY_DEFLATE_MIN} bytes go through the blocks`);

    const tmpDir = await scratch.fresh("tmp");
    const gz = await writeLayer(entries, { compression: "gzip", family: "oci", tmpDir, concurrency: 2 });
    const plain = await writeLayer(entries, { compression: "none", family: "oci", tmpDir });
    assert.equal(await gz.diffId(), await plain.digest(), "same tar bytes as the uncompressed layer");

    const blobPath = gz.path;
    const blob = await readFile(blobPath);
    assert.equal(await gz.digest(), sha256(blob));
    assert.equal((await run("gzip", ["-t"], { input: blob })).code, 0, "gzip -t accepts every member");
    const gunzipped = join(tmpDir, "layer.tar");
    await runOk("bash", ["-c", 'gunzip -c "$1" > "$2"', "_", blobPath, gunzipped]);
    assert.equal(sha256(await readFile(gunzipped)), await gz.diffId(), "diff_id is the sha256 of gunzip's output");

    const zip = await readFile(file);
    const m = (await readZipDirectory(file)).find((x) => x.name === "bigpkg/lib/libbig.so")!;
    const start = m.localHeaderOffset + 30 + zip.readUInt16LE(m.localHeaderOffset + 26) + zip.readUInt16LE(m.localHeaderOffset + 28);
    const stream = zip.subarray(start, start + m.compressedSize);
    const at = blob.indexOf(stream);
    assert.ok(at >= 10, "the deflate stream is in the blob as stored in the wheel");
    assert.deepEqual([...blob.subarray(at - 10, at)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255], "after a member header: mtime 0, OS 255");
    assert.equal(blob.readUInt32LE(at + stream.length), crc32(BIG) >>> 0);
    assert.equal(blob.readUInt32LE(at + stream.length + 4), BIG.length);
  });

  it("gives the same digest on any concurrency", async () => {
    const entries = await planned(await wheelFile(SPEC));
    const digests = new Set<string>();
    for (const concurrency of [1, 3]) {
      const layer = await writeLayer(entries, { compression: "gzip", family: "oci", tmpDir: await scratch.fresh("tmp"), concurrency });
      digests.add(await layer.digest());
    }
    assert.equal(digests.size, 1);
  });

  it("fails a member whose stored CRC-32 is wrong, by name, and leaves no layer file", async () => {
    const file = await wheelFile(SPEC, (zip) => {
      const p = centralRecord(zip, "bigpkg/lib/libbig.so");
      zip.writeUInt32LE((zip.readUInt32LE(p + 16) ^ 1) >>> 0, p + 16);
    });
    const tmpDir = await scratch.fresh("tmp");
    await assert.rejects(writeLayer(await planned(file), { compression: "gzip", family: "oci", tmpDir }), (e: unknown) => {
      assert.ok(isMapBuildError(e), String(e));
      assert.equal(e.code, "E_DIGEST_MISMATCH");
      assert.match(e.message, /bigpkg\/lib\/libbig\.so does not match the CRC-32/);
      return true;
    });
    assert.deepEqual(await readdir(tmpDir), []);
  });

  it("fails a copied member whose bytes do not match RECORD", async () => {
    const file = await wheelFile({ ...SPEC, badRecordFor: "bigpkg/model.py" });
    await assert.rejects(writeLayer(await planned(file), { compression: "gzip", family: "oci", tmpDir: await scratch.fresh("tmp") }), (e: unknown) => {
      assert.ok(isMapBuildError(e), String(e));
      assert.equal(e.code, "E_DIGEST_MISMATCH");
      assert.match(e.message, /"bigpkg\/model\.py" does not match its RECORD entry/);
      return true;
    });
  });
});

describe("deflatedZipMember", () => {
  const data = Buffer.concat([randomBytes(400_000), Buffer.alloc(400_000, 7)]);
  const stream = deflateRawSync(data);

  async function steps(file: string): Promise<{ deflated: Buffer; inflated: Buffer; crc?: number }> {
    const [m] = await readZipDirectory(file);
    const d: Buffer[] = [];
    const i: Buffer[] = [];
    let crc: number | undefined;
    for await (const s of deflatedZipMember(file, m!)) {
      if ("deflated" in s) d.push(s.deflated);
      else if ("inflated" in s) i.push(s.inflated);
      else crc = s.crc32;
    }
    return { deflated: Buffer.concat(d), inflated: Buffer.concat(i), ...(crc === undefined ? {} : { crc }) };
  }

  it("hands out the stored stream, what it inflates to and the CRC-32, small or streamed", async () => {
    for (const content of [data, data.subarray(0, 70_000)]) {
      const raw = deflateRawSync(content);
      const got = await steps(await oneMemberZip(raw, { size: content.length, crc: crc32(content) }));
      assert.ok(got.deflated.equals(raw));
      assert.ok(got.inflated.equals(content));
      assert.equal(got.crc, crc32(content) >>> 0);
    }
  });

  it("reads a small member whose local header carries more extra bytes than one read takes", async () => {
    const content = data.subarray(0, 70_000);
    const raw = deflateRawSync(content);
    for (const localExtra of [0, 28, 4000]) {
      const file = await oneMemberZip(raw, { size: content.length, crc: crc32(content), localExtra });
      const got = await steps(file);
      assert.ok(got.deflated.equals(raw) && got.inflated.equals(content), `extra ${localExtra}`);
      const [m] = await readZipDirectory(file);
      assert.ok((await readSmallMember(file, m!))?.equals(content));
    }
  });

  it("refuses a small member cut short by the end of the file", async () => {
    const content = data.subarray(0, 70_000);
    const file = await oneMemberZip(deflateRawSync(content), { size: content.length, crc: crc32(content) });
    const [m] = await readZipDirectory(file);
    await assert.rejects(readSmallMember(file, { ...m!, compressedSize: m!.compressedSize + 10_000 }), /cut short/);
  });

  it("refuses a stream that ends before the member's compressed size", async () => {
    for (const junk of [Buffer.from("JUNK"), randomBytes(300_000)]) {
      const file = await oneMemberZip(Buffer.concat([stream, junk]), { size: data.length, crc: crc32(data) });
      await assert.rejects(steps(file), /ends before its compressed size/);
    }
  });

  it("refuses a cut stream, a wrong size and a wrong CRC-32", async () => {
    await assert.rejects(steps(await oneMemberZip(stream.subarray(0, stream.length - 100), { size: data.length, crc: crc32(data) })), /not a readable wheel/);
    await assert.rejects(steps(await oneMemberZip(stream, { size: data.length + 1, crc: crc32(data) })), /inflates to \d+ bytes, not its declared/);
    await assert.rejects(steps(await oneMemberZip(stream, { size: data.length - 1, crc: crc32(data) })), /inflates beyond its declared size/);
    await assert.rejects(steps(await oneMemberZip(stream, { size: data.length, crc: crc32(data) ^ 0x100 })), /does not match the CRC-32/);
  });
});

/** A zip of one deflated member `big.so` whose stored bytes, size and CRC-32 are given as they are. */
async function oneMemberZip(raw: Buffer, facts: { size: number; crc: number; localExtra?: number }): Promise<string> {
  const name = Buffer.from("big.so");
  /** A record of `len` bytes with [offset, width, value] fields, little-endian. */
  const record = (len: number, fields: [number, 2 | 4, number][]) => {
    const b = Buffer.alloc(len);
    for (const [at, width, v] of fields) (width === 2 ? b.writeUInt16LE(v, at) : b.writeUInt32LE(v >>> 0, at));
    return b;
  };
  // method 8, CRC-32, compressed size, size, name length: at +8/+14/+18/+22/+26 locally, +10/+16/+20/+24/+28 centrally
  const member = (at: number): [number, 2 | 4, number][] => [[at, 2, 8], [at + 6, 4, facts.crc], [at + 10, 4, raw.length], [at + 14, 4, facts.size], [at + 18, 2, name.length]];
  const extra = Buffer.alloc(facts.localExtra ?? 0); // an unknown extra field only in the local header
  if (extra.length) [extra.writeUInt16LE(0xcafe, 0), extra.writeUInt16LE(extra.length - 4, 2)];
  const local = record(30, [[0, 4, 0x04034b50], [4, 2, 20], ...member(8), [28, 2, extra.length]]);
  const central = record(46, [[0, 4, 0x02014b50], [4, 2, (3 << 8) | 20], [6, 2, 20], ...member(10), [38, 4, 0o100644 << 16]]);
  const end = record(22, [[0, 4, 0x06054b50], [8, 2, 1], [10, 2, 1], [12, 4, central.length + name.length], [16, 4, local.length + name.length + extra.length + raw.length]]);
  const path = join(await scratch.fresh("zip"), "one.zip");
  await writeFile(path, Buffer.concat([local, name, extra, raw, central, name, end]));
  return path;
}
