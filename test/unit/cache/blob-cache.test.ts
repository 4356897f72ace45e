/**
 * The base blob cache on its own: a miss streams from the source and publishes the verified copy,
 * a hit reads the file (no source read), bad sources and aborted reads leave nothing behind,
 * corrupt copies are found and replaced, concurrent readers agree, and the prune treats base blobs
 * as referenced (kept while fresh, LRU-removed under the size limit).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { cachedBlobLayer, cachedImage, openBlobCache, openLayerCache, type BlobCache } from "../../../src/cache/index.js";
import type { Digest } from "../../../src/digest.js";
import type { Image, Layer } from "../../../src/image/image.js";
import { makeTempDir } from "../../helpers/tmp.js";

/**
 * Cleanup after a failed or aborted read runs in the background: wait for it by watching the
 * folders empty, turn by turn of the event loop (no guess of how long a loaded machine needs).
 */
async function emptied(...dirs: string[]): Promise<void> {
  for (let turn = 0; turn < 1_000_000; turn++) {
    const left = await Promise.all(dirs.map((d) => files(d)));
    if (left.every((l) => l.length === 0)) return;
    await new Promise((r) => setImmediate(r));
  }
}

const GZ = "application/vnd.oci.image.layer.v1.tar+gzip";

function sha(b: Buffer): Digest {
  return `sha256:${createHash("sha256").update(b).digest("hex")}`;
}

/** A layer over `bytes` that counts opens; `serve` may hand out other bytes than described. */
function sourceLayer(bytes: Buffer, serve: Buffer = bytes): Layer & { opens: number } {
  const l = {
    opens: 0,
    source: { registry: "127.0.0.1:1", repository: "base/x" },
    digest: async () => sha(bytes),
    diffId: async () => sha(Buffer.from("diff")),
    size: async () => bytes.length,
    mediaType: async () => GZ,
    open: async () => {
      l.opens++;
      // small chunks, so that a reader can stop in the middle
      const chunks: Buffer[] = [];
      for (let i = 0; i < serve.length; i += 64 * 1024) chunks.push(serve.subarray(i, i + 64 * 1024));
      return Readable.from(chunks, { objectMode: false });
    },
  };
  return l;
}

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).sort();
}

describe("base blob cache", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let n = 0;
  const fresh = async (maxBytes?: number): Promise<{ cache: BlobCache; root: string }> => {
    const root = join(dir, `c${n++}`);
    return { cache: await openBlobCache({ dir: root, ...(maxBytes === undefined ? {} : { maxBytes }) }), root };
  };

  before(async () => ({ dir, cleanup } = await makeTempDir("mb-blobcache-")));
  after(() => cleanup());

  it("downloads once, then serves the verified copy; the layer keeps its facts and source", async () => {
    const { cache, root } = await fresh();
    const bytes = randomBytes(1024 * 1024 + 17);
    const src = sourceLayer(bytes);
    const layer = cachedBlobLayer(src, cache);
    assert.deepEqual(layer.source, src.source);
    assert.equal(await layer.digest(), sha(bytes));
    assert.equal(await layer.size(), bytes.length);
    assert.equal(await layer.mediaType(), GZ);
    assert.equal(await layer.diffId(), await src.diffId());

    assert.ok((await readAll(await layer.open())).equals(bytes));
    const hex = sha(bytes).slice(7);
    assert.ok((await readFile(join(root, "blobs/sha256", hex))).equals(bytes));
    assert.deepEqual(await files(join(root, "base-blobs")), [`${hex}.json`]);
    assert.deepEqual(await files(join(root, "tmp")), []);

    for (let i = 0; i < 2; i++) assert.ok((await readAll(await layer.open())).equals(bytes));
    assert.equal(src.opens, 1);
    assert.deepEqual({ ...cache.stats }, { hits: 2, misses: 1, stored: 1, discarded: 0, rehashed: 0 });

    // another process (a new instance) finds it too
    const again = await openBlobCache({ dir: root });
    const src2 = sourceLayer(bytes);
    assert.ok((await readAll(await cachedBlobLayer(src2, again).open())).equals(bytes));
    assert.equal(src2.opens, 0);
  });

  it("never caches bytes that fail the digest, and fails the read", async () => {
    const { cache, root } = await fresh();
    const bytes = randomBytes(300_000);
    const bad = Buffer.from(bytes);
    bad[1000] = bad[1000]! ^ 1;
    const layer = cachedBlobLayer(sourceLayer(bytes, bad), cache);
    await assert.rejects(readAll(await layer.open()), { code: "E_DIGEST_MISMATCH" });
    const short = cachedBlobLayer(sourceLayer(bytes, bytes.subarray(0, 1000)), cache);
    await assert.rejects(readAll(await short.open()), { code: "E_SIZE_MISMATCH" });
    await emptied(join(root, "blobs/sha256"), join(root, "base-blobs"), join(root, "tmp"));
    assert.deepEqual(await files(join(root, "blobs/sha256")), []);
    assert.deepEqual(await files(join(root, "base-blobs")), []);
    assert.deepEqual(await files(join(root, "tmp")), []);
  });

  it("an aborted read leaves nothing; the next read downloads and caches", async () => {
    const { cache, root } = await fresh();
    const bytes = randomBytes(4 * 1024 * 1024);
    const src = sourceLayer(bytes);
    const layer = cachedBlobLayer(src, cache);
    const s = await layer.open();
    let got = 0;
    for await (const c of s) {
      got += (c as Buffer).length;
      if (got > 256 * 1024) break; // destroys the stream
    }
    await emptied(join(root, "blobs/sha256"), join(root, "tmp"));
    assert.deepEqual(await files(join(root, "blobs/sha256")), []);
    assert.deepEqual(await files(join(root, "tmp")), []);
    assert.ok((await readAll(await layer.open())).equals(bytes));
    assert.equal(src.opens, 2);
    assert.equal(cache.stats.stored, 1);
  });

  it("a corrupted copy is detected, deleted and downloaded again", async () => {
    const { cache, root } = await fresh();
    const bytes = randomBytes(500_000);
    const src = sourceLayer(bytes);
    const layer = cachedBlobLayer(src, cache);
    await readAll(await layer.open());
    const blob = join(root, "blobs/sha256", sha(bytes).slice(7));
    const bad = Buffer.from(bytes);
    bad[0] = bad[0]! ^ 0xff;
    await writeFile(blob, bad); // same size, new ctime
    assert.ok((await readAll(await layer.open())).equals(bytes));
    assert.equal(src.opens, 2);
    assert.equal(cache.stats.discarded, 1);
    assert.ok((await readFile(blob)).equals(bytes));
    // truncated: caught by size without hashing
    await writeFile(blob, bytes.subarray(0, 10));
    assert.ok((await readAll(await layer.open())).equals(bytes));
    assert.equal(src.opens, 3);
    assert.equal(cache.stats.discarded, 2);
    assert.ok((await readAll(await layer.open())).equals(bytes));
    assert.equal(src.opens, 3);
  });

  it("corruption that keeps the file's stat fails the read at EOF and deletes the copy", async () => {
    const { cache, root } = await fresh();
    const bytes = randomBytes(200_000);
    const src = sourceLayer(bytes);
    const layer = cachedBlobLayer(src, cache);
    await readAll(await layer.open());
    const hex = sha(bytes).slice(7);
    // Pretend the entry verified the current stat after a silent change: rewrite the file, then
    // record its new stat as verified (what bit rot under an unchanged stat looks like).
    const blob = join(root, "blobs/sha256", hex);
    const bad = Buffer.from(bytes);
    bad[5] = bad[5]! ^ 1;
    await writeFile(blob, bad);
    const entryPath = join(root, "base-blobs", `${hex}.json`);
    const entry = JSON.parse(await readFile(entryPath, "utf8")) as Record<string, unknown>;
    const st = await stat(blob, { bigint: true });
    entry.verified = [String(st.ino), String(st.size), String(st.mtimeNs), String(st.ctimeNs)];
    await writeFile(entryPath, JSON.stringify(entry));
    await assert.rejects(readAll(await layer.open()), { code: "E_DIGEST_MISMATCH" });
    await emptied(join(root, "blobs/sha256"));
    assert.deepEqual(await files(join(root, "blobs/sha256")), []);
    assert.ok((await readAll(await layer.open())).equals(bytes));
    assert.equal(src.opens, 2);
  });

  it("concurrent readers of a missing blob all get the bytes; one copy is kept", async () => {
    const { root } = await fresh();
    const bytes = randomBytes(2 * 1024 * 1024);
    const caches = await Promise.all([0, 1, 2, 3].map(() => openBlobCache({ dir: root })));
    const outs = await Promise.all(caches.map(async (c) => readAll(await cachedBlobLayer(sourceLayer(bytes), c).open())));
    for (const o of outs) assert.ok(o.equals(bytes));
    assert.deepEqual(await files(join(root, "blobs/sha256")), [sha(bytes).slice(7)]);
    assert.deepEqual(await files(join(root, "tmp")), []);
    const src = sourceLayer(bytes);
    assert.ok((await readAll(await cachedBlobLayer(src, caches[0]!).open())).equals(bytes));
    assert.equal(src.opens, 0);
  });

  it("the prune keeps base blobs as referenced and removes them least recently used first", async () => {
    const { cache, root } = await fresh();
    const a = randomBytes(100_000);
    const b = randomBytes(100_000);
    await readAll(await cachedBlobLayer(sourceLayer(a), cache).open());
    await readAll(await cachedBlobLayer(sourceLayer(b), cache).open());
    const old = new Date(Date.now() - 3 * 60 * 60 * 1000);
    for (const x of [a, b]) await utimes(join(root, "blobs/sha256", sha(x).slice(7)), old, old); // not fresh orphans
    await utimes(join(root, "base-blobs", `${sha(a).slice(7)}.json`), old, old); // a: least recently used

    const layers = await openLayerCache({ dir: root });
    const keepAll = await layers.prune({ maxBytes: 1e9 });
    assert.deepEqual(keepAll, { removed: 0, freedBytes: 0 });
    assert.equal((await files(join(root, "blobs/sha256"))).length, 2);

    const r = await layers.prune({ maxBytes: 150_000 });
    assert.deepEqual(r, { removed: 1, freedBytes: 100_000 });
    assert.deepEqual(await files(join(root, "blobs/sha256")), [sha(b).slice(7)]);
    assert.deepEqual(await files(join(root, "base-blobs")), [`${sha(b).slice(7)}.json`]);
  });

  it("stays under its size limit by pruning after each download", async () => {
    const { cache, root } = await fresh(250_000);
    const blobs = [0, 1, 2, 3].map(() => randomBytes(100_000));
    for (const x of blobs) await readAll(await cachedBlobLayer(sourceLayer(x), cache).open());
    // the automatic prune spares blobs this instance handed out; a new one may drop them
    const other = await openBlobCache({ dir: root, maxBytes: 250_000, pruneGraceMs: 0 });
    await readAll(await cachedBlobLayer(sourceLayer(randomBytes(100_000)), other).open());
    assert.ok((await other.usage()) <= 250_000, String(await other.usage()));
  });

  it("cachedImage wraps the layers once and leaves manifest and config alone", async () => {
    const { cache } = await fresh();
    const bytes = randomBytes(1000);
    const src = sourceLayer(bytes);
    const img: Image = {
      rawManifest: async () => Buffer.from("{}"),
      manifest: async () => ({ schemaVersion: 2, mediaType: "m", config: { mediaType: "c", digest: sha(bytes), size: 1 }, layers: [] }) as never,
      mediaType: async () => "m",
      digest: async () => sha(Buffer.from("{}")),
      rawConfig: async () => Buffer.from("cfg"),
      config: async () => ({}) as never,
      layers: async () => [src],
    };
    const wrapped = cachedImage(img, cache);
    assert.ok((await wrapped.rawManifest()).equals(Buffer.from("{}")));
    assert.equal(await wrapped.digest(), await img.digest());
    const [l1] = await wrapped.layers();
    const [l2] = await wrapped.layers();
    assert.equal(l1, l2);
    assert.deepEqual(l1!.source, src.source);
    await readAll(await l1!.open());
    await readAll(await l2!.open());
    assert.equal(src.opens, 1);
  });
});
