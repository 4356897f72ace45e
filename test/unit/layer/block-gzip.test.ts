/**
 * Multi-member gzip layers (block-gzip-writer.ts): structure, determinism across concurrency,
 * readers that must accept them (gzip -t, gunzip, node's zlib.gunzip), failures and aborts.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { open, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32, deflateRawSync, gunzipSync, gzipSync } from "node:zlib";
import { isMapBuildError } from "../../../src/errors.js";
import { BlockGzipWriter, GZIP_BLOCK_SIZE, type GzipWriterInput } from "../../../src/layer/block-gzip-writer.js";
import { planFromDisk, writeLayer, type LayerEntry } from "../../../src/layer/index.js";
import { scratchDirs } from "../../helpers/tmp.js";
import { runOk } from "../../helpers/run.js";

const scratch = scratchDirs("mb-bgz-");
const fresh = scratch.fresh;

const sha256 = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** Half random, half compressible text, so members differ in size and ratio. */
function mixedData(bytes: number): Buffer {
  const text = Buffer.from("def segment(image):\n    return model(image).argmax(dim=1)  # monai\n".repeat(Math.ceil(bytes / 2 / 66)));
  return Buffer.concat([randomBytes(bytes / 2), text.subarray(0, bytes / 2)]);
}

/** What the writer must produce: each block gzipped alone, OS byte 255, concatenated. */
function expectedMembers(data: Buffer, blockSize: number, level: number): Buffer {
  const members: Buffer[] = [];
  for (let off = 0; off < data.length || members.length === 0; off += blockSize) {
    const m = gzipSync(data.subarray(off, off + blockSize), { level });
    m[9] = 255;
    members.push(m);
  }
  return Buffer.concat(members);
}

/** Feed `data` in uneven chunks through a BlockGzipWriter into a file; return the file bytes. */
async function throughWriter(data: Buffer, opts: { blockSize: number; concurrency: number; level: number }): Promise<{ bytes: Buffer; writer: BlockGzipWriter }> {
  const path = join(await fresh("w"), "out.gz");
  const writer = new BlockGzipWriter(await open(path, "wx"), opts);
  const chunks: Buffer[] = [];
  for (let off = 0, i = 0; off < data.length; i++) {
    const len = [1, 511, 4096, 70_000, 333_333][i % 5]!;
    chunks.push(data.subarray(off, off + len));
    off += len;
  }
  await pipeline(Readable.from(chunks), writer);
  await writer.fileClosed;
  return { bytes: await readFile(path), writer };
}

describe("BlockGzipWriter", () => {
  it("writes one independent member per fixed block, each with mtime 0 and OS byte 255", async () => {
    const data = mixedData(3 * 100_000 + 123_456);
    for (const blockSize of [100_000, 64 * 1024]) {
      const { bytes, writer } = await throughWriter(data, { blockSize, concurrency: 3, level: 1 });
      const expected = expectedMembers(data, blockSize, 1);
      assert.equal(writer.members, Math.ceil(data.length / blockSize));
      assert.ok(bytes.equals(expected), `block ${blockSize}: bytes differ from per-block gzip`);
      assert.equal(writer.digest, sha256(bytes));
      assert.equal(writer.bytes, bytes.length);
      assert.ok(gunzipSync(bytes).equals(data), "node's zlib.gunzip reads all members");
    }
  });

  it("gives the same bytes for every concurrency and level-specific bytes per level", async () => {
    const data = mixedData(2 * 1024 * 1024);
    const digests = new Set<string>();
    for (const concurrency of [1, 2, 3, 8, 64]) {
      digests.add((await throughWriter(data, { blockSize: 256 * 1024, concurrency, level: 6 })).writer.digest);
    }
    assert.equal(digests.size, 1, "concurrency must not change the bytes");
    const l1 = await throughWriter(data, { blockSize: 256 * 1024, concurrency: 2, level: 1 });
    assert.ok(!digests.has(l1.writer.digest));
  });

  it("writes a pre-compressed member between the blocks: the block before is cut, the next starts fresh", async () => {
    const [before, after] = [mixedData(150_000), mixedData(70_000)];
    const content = mixedData(300_000);
    const stream = deflateRawSync(content);
    const pieces = (n: number): GzipWriterInput[] => [
      before,
      { rawMember: "start" },
      ...Array.from({ length: n }, (_, i) => ({ rawMember: "data" as const, data: stream.subarray((i * stream.length) / n, ((i + 1) * stream.length) / n) })),
      { rawMember: "end", crc32: crc32(content), size: content.length },
      after,
    ];
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc32(content), 0);
    trailer.writeUInt32LE(content.length, 4);
    const expected = Buffer.concat([expectedMembers(before, 64 * 1024, 1), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]), stream, trailer, expectedMembers(after, 64 * 1024, 1)]);
    for (const [concurrency, n] of [[1, 1], [3, 7]] as const) {
      const path = join(await fresh("raw"), "out.gz");
      const writer = new BlockGzipWriter(await open(path, "wx"), { blockSize: 64 * 1024, concurrency, level: 1 });
      await pipeline(Readable.from(pieces(n)), writer);
      const bytes = await readFile(path);
      assert.ok(bytes.equals(expected), `concurrency ${concurrency}: bytes differ`);
      assert.equal(writer.members, 3 + 1 + 2);
      assert.equal(writer.digest, sha256(bytes));
      assert.ok(gunzipSync(bytes).equals(Buffer.concat([before, content, after])));
    }
  });

  it("refuses pre-compressed pieces out of order", async () => {
    for (const pieces of [[{ rawMember: "data", data: Buffer.alloc(1) }], [{ rawMember: "start" }, Buffer.alloc(1)], [{ rawMember: "start" }]] as GzipWriterInput[][]) {
      const writer = new BlockGzipWriter(await open(join(await fresh("bad"), "out.gz"), "wx"), { concurrency: 2, level: 1 });
      await assert.rejects(pipeline(Readable.from(pieces), writer), (e) => isMapBuildError(e) && e.code === "E_INTERNAL");
      await writer.fileClosed;
    }
  });

  it("writes one empty member for an empty input", async () => {
    const { bytes, writer } = await throughWriter(Buffer.alloc(0), { blockSize: 1024, concurrency: 2, level: 1 });
    assert.equal(writer.members, 1);
    assert.equal(gunzipSync(bytes).length, 0);
    assert.equal(bytes[9], 255);
  });
});

describe("writeLayer with multi-member gzip", () => {
  let src: string;
  let data: Buffer;
  before(async () => {
    src = await fresh("src");
    data = mixedData(5 * GZIP_BLOCK_SIZE + 4 * 1024 * 1024); // 9 MiB of content → 10 members
    await writeFile(join(src, "weights.bin"), data);
    await writeFile(join(src, "run.py"), "print('hi')\n");
  });

  it("is read back by gzip -t, gunzip and zlib.gunzip, and its tar hashes to diffId", async () => {
    const tmp = await fresh("tmp");
    const layer = await writeLayer(await planFromDisk([{ source: src, target: "/opt/monai/models" }]), { compression: "gzip", family: "oci", tmpDir: tmp });
    const blob = await readFile(layer.path);
    assert.equal(await layer.digest(), sha256(blob));
    assert.equal(await layer.size(), blob.length);
    // Every member starts at a block boundary: count the gzip headers zlib.gunzip walks through.
    const tar = gunzipSync(blob);
    assert.equal(await layer.diffId(), sha256(tar));
    assert.equal(Math.ceil(tar.length / GZIP_BLOCK_SIZE), 10);
    assert.ok(blob.equals(expectedMembers(tar, GZIP_BLOCK_SIZE, 1)), "members are the fixed 1 MiB blocks of the tar");
    await runOk("gzip", ["-t", layer.path]);
    const gunzipped = join(tmp, "layer.tar");
    await runOk("bash", ["-c", 'gunzip -c "$1" > "$2"', "_", layer.path, gunzipped]);
    assert.ok((await readFile(gunzipped)).equals(tar));
    const listing = await runOk("tar", ["-tvf", gunzipped]);
    assert.match(listing, new RegExp(` ${data.length} .* opt/monai/models/weights\\.bin`));
    await layer.dispose();
  });

  it("is identical across runs and concurrency settings", async () => {
    const entries = await planFromDisk([{ source: src, target: "/opt/monai/models" }]);
    const tmp = await fresh("tmp");
    const digests = new Set<string>();
    for (const concurrency of [undefined, 1, 2, 5, 1]) {
      const layer = await writeLayer(entries, { compression: "gzip", family: "docker", tmpDir: tmp, ...(concurrency ? { concurrency } : {}) });
      digests.add(`${await layer.digest()} ${await layer.diffId()} ${await layer.size()}`);
      await layer.dispose();
    }
    assert.equal(digests.size, 1, [...digests].join("\n"));
    assert.deepEqual(await readdir(tmp), []);
  });

  it("refuses a bad concurrency", async () => {
    await assert.rejects(writeLayer([], { compression: "gzip", family: "oci", tmpDir: scratch.root(), concurrency: 0 }), (e) => isMapBuildError(e) && e.code === "E_USAGE");
  });

  it("removes the temp file when aborted after several members were written", async () => {
    const tmp = await fresh("tmp");
    const ac = new AbortController();
    let sent = 0;
    // 8 MiB arrive, then the stream stalls; abort once the file holds some members.
    const stalling: LayerEntry = {
      type: "file",
      path: "/x",
      mode: 0o644,
      size: 64 * 1024 * 1024,
      source: {
        kind: "stream",
        open: async () =>
          new Readable({
            read() {
              if (sent < 8) {
                sent++;
                this.push(randomBytes(1024 * 1024));
              }
            },
          }),
      },
    };
    const p = writeLayer([stalling], { compression: "gzip", family: "oci", tmpDir: tmp, signal: ac.signal });
    for (let i = 0; i < 200 && sent < 8; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    const [file] = await readdir(tmp);
    assert.ok(file, "the temp file exists while building");
    ac.abort();
    await assert.rejects(p, (e) => isMapBuildError(e) && e.code === "E_INTERRUPTED");
    assert.deepEqual(await readdir(tmp), []);
  });

  it("reports a full disk as E_OUTPUT and leaves nothing on it", async () => {
    const small = await fresh("tmpfs");
    await runOk("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", small]);
    try {
      const entries = await planFromDisk([{ source: src, target: "/opt/monai/models" }]);
      await assert.rejects(writeLayer(entries, { compression: "gzip", family: "oci", tmpDir: small }), (e) => isMapBuildError(e) && e.code === "E_OUTPUT" && /layer file/.test(e.message));
      assert.deepEqual(await readdir(small), []);
    } finally {
      await runOk("umount", [small]);
    }
  });

  it("fails with E_LAYER_INPUT and no temp file when an input breaks mid-layer", async () => {
    const tmp = await fresh("tmp");
    const broken: LayerEntry = {
      type: "file",
      path: "/y",
      mode: 0o644,
      size: 32 * 1024 * 1024,
      source: {
        kind: "stream",
        open: async () =>
          Readable.from(
            (async function* () {
              for (let i = 0; i < 4; i++) yield randomBytes(1024 * 1024);
              throw new Error("disk went away");
            })(),
          ),
      },
    };
    await assert.rejects(writeLayer([broken], { compression: "gzip", family: "oci", tmpDir: tmp }), (e) => isMapBuildError(e) && e.code === "E_LAYER_INPUT" && /disk went away/.test(e.message));
    assert.deepEqual(await readdir(tmp), []);
  });
});
