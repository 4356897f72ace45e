/**
 * The one verified blob store, as the wheel cache uses it: a put is hashed as it is written and
 * published only under its own digest, a hit is checked (a tampered wheel is deleted, a miss), a
 * wheel and a base blob with the same digest are one file, and prune and `cache ls` count wheels
 * like any other blob.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { openBlobCache, openBlobStore, openLayerCache } from "../../../src/cache/index.js";
import type { Digest } from "../../../src/digest.js";
import { WheelCache } from "../../../src/python/wheel-cache.js";
import { makeTempDir } from "../../helpers/tmp.js";

const hex = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const files = async (d: string) => (await readdir(d).catch(() => [])).sort();

describe("the blob store, for wheels", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let n = 0;
  const fresh = () => join(dir, `c${n++}`);
  before(async () => ({ dir, cleanup } = await makeTempDir("mb-blobstore-")));
  after(() => cleanup());

  const fill = (cache: WheelCache, bytes: Buffer, expected?: string) =>
    cache.fill(expected, async (put) => {
      for (let i = 0; i < bytes.length; i += 4096) put.write(bytes.subarray(i, i + 4096));
    });

  it("a download is kept under its digest in blobs/sha256 with a wheel marker, and found again by a new instance", async () => {
    const root = fresh();
    const bytes = randomBytes(100_000);
    const stored = await fill(new WheelCache(root), bytes, hex(bytes));
    assert.equal(stored.sha256, hex(bytes));
    assert.equal(stored.path, join(root, "blobs", "sha256", hex(bytes)));
    assert.deepEqual(await files(join(root, "wheel-blobs")), [`${hex(bytes)}.json`]);
    assert.deepEqual(await files(join(root, "tmp")), []);
    assert.equal(await new WheelCache(root).get(hex(bytes)), stored.path);
  });

  it("bytes that are not the expected ones are not kept", async () => {
    const root = fresh();
    const bytes = randomBytes(10_000);
    const r = await fill(new WheelCache(root), bytes, "0".repeat(64));
    assert.deepEqual(r, { sha256: hex(bytes) });
    assert.deepEqual(await files(join(root, "blobs", "sha256")), []);
    assert.deepEqual(await files(join(root, "tmp")), []);
  });

  it("a tampered wheel is deleted and missed; a retried download (reset) keeps only the last try", async () => {
    const root = fresh();
    const cache = new WheelCache(root);
    const bytes = randomBytes(50_000);
    const r = await cache.fill(undefined, async (put) => {
      put.write(randomBytes(1000)); // a broken first try
      put.reset();
      put.write(bytes);
    });
    assert.equal(r.sha256, hex(bytes));
    const bad = Buffer.from(bytes);
    bad[7] = bad[7]! ^ 1;
    await writeFile(r.path!, bad); // same size, new ctime
    assert.equal(await cache.get(hex(bytes)), undefined);
    assert.ok(!existsSync(r.path!), "the bad copy is gone");
    assert.deepEqual(await files(join(root, "wheel-blobs")), []);
  });

  it("a wheel and a base blob with one digest are one file; prune and cache ls count both kinds", async () => {
    const root = fresh();
    const bytes = randomBytes(30_000);
    const digest = `sha256:${hex(bytes)}` as Digest;
    const wheel = await fill(new WheelCache(root), bytes);
    const base = await openBlobCache({ dir: root });
    const info = { digest, diffId: digest, size: bytes.length, mediaType: "application/vnd.oci.image.layer.v1.tar" };
    for await (const _ of await base.open(info, async () => Readable.from([bytes]))) void _;
    assert.equal(base.stats.hits, 0);
    assert.deepEqual(await files(join(root, "blobs", "sha256")), [hex(bytes)], "one file");
    assert.deepEqual(await files(join(root, "base-blobs")), [`${hex(bytes)}.json`]);
    const layers = await openLayerCache({ dir: root });
    assert.deepEqual(await layers.blobCounts(), { base: 1, wheel: 1 });
    assert.equal(await layers.usage(), bytes.length);
    const pruned = await layers.prune({ maxBytes: 0 });
    assert.deepEqual(pruned, { removed: 2, freedBytes: bytes.length });
    assert.ok(!existsSync(wheel.path!));
    assert.deepEqual(await layers.blobCounts(), { base: 0, wheel: 0 });
  });

  it("a file already at the blob's name is kept only if it holds the blob", async () => {
    const root = fresh();
    const cache = new WheelCache(root);
    const bytes = randomBytes(20_000);
    const path = cache.pathFor(hex(bytes));
    await mkdir(join(root, "blobs", "sha256"), { recursive: true });
    const bad = Buffer.from(bytes);
    bad[0] = bad[0]! ^ 1;
    await writeFile(path, bad); // same size, other bytes, no marker
    assert.equal((await fill(cache, bytes, hex(bytes))).path, path);
    assert.ok((await readFile(path)).equals(bytes), "the impostor was replaced");
    const other = randomBytes(5_000);
    const otherPath = cache.pathFor(hex(other));
    await writeFile(otherPath, other); // the right bytes (a built layer, another build)
    const inode = (await stat(otherPath)).ino;
    assert.equal((await fill(cache, other, hex(other))).path, otherPath);
    assert.equal((await stat(otherPath)).ino, inode, "the good copy was kept");
  });

  it("a put whose file cannot be written is not published", async () => {
    const root = fresh();
    const store = await openBlobStore({ dir: root });
    const broken = store.put();
    await writeFile(broken.tmpPath, "someone else's"); // the put creates its file exclusively: this write fails
    broken.write(Buffer.from("bytes"));
    assert.ok(broken.failure, "the write failed, without throwing");
    await assert.rejects(store.publish("wheel", broken));
    assert.ok(!existsSync(broken.tmpPath));
    assert.deepEqual(await files(join(root, "blobs", "sha256")), []);
  });
});
