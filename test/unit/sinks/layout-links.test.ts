/**
 * An OCI layout written from a cached or freshly built layer file, or from a cached base blob,
 * shares its inode (a hard link, no second write), the cache keeps trusting its blob without
 * re-hashing it, and an edit of the layout's file is seen by the cache. Real files; hashing is counted through the cache's stats.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { open, readFile, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { cachedBlobLayer, openBlobCache, openLayerCache, writeLayerCached, type LayerCache } from "../../../src/cache/index.js";
import { canonicalJson } from "../../../src/image/index.js";
import { sha256Digest } from "../../../src/digest.js";
import { appendLayers } from "../../../src/image/append.js";
import { imageOf } from "../../../src/image/image-of.js";
import { MediaType } from "../../../src/image/media-types.js";
import type { Image, Layer } from "../../../src/image/index.js";
import type { FileLayer, LayerEntry } from "../../../src/layer/index.js";
import { writeOciLayout } from "../../../src/sinks/oci-layout.js";
import { placeStoredFile } from "../../../src/sinks/stored-file.js";
import { scratchDirs } from "../../helpers/tmp.js";
import { nextTimestampTick } from "../../helpers/timestamp-tick.js";

const scratch = scratchDirs("mb-links-");
const gzipOpts = { compression: "gzip", family: "oci" } as const;
const payload = randomBytes(512 * 1024);

function entries(): LayerEntry[] {
  return [{ type: "file", path: "/opt/deps/lib.so", mode: 0o644, size: payload.length, source: { kind: "bytes", data: payload } }];
}

/** A config-only base (no layers) plus `layers`. */
function imageWith(layers: Layer[]): Image {
  const config = { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, config: {} };
  const rawConfig = canonicalJson(config);
  const manifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, digest: sha256Digest(rawConfig), size: rawConfig.length }, layers: [] };
  const rawManifest = canonicalJson(manifest);
  const base = imageOf(async () => ({ rawManifest, manifest, mediaType: MediaType.ociManifest, digest: sha256Digest(rawManifest), rawConfig, config, layers: [] }) as never);
  return appendLayers(base, layers.map((layer) => ({ layer, history: { created_by: "test" } })));
}

/** A build's deps layer through the cache (a new LayerCache is a new process). */
async function buildDeps(cacheDir: string): Promise<{ cache: LayerCache; layer: FileLayer; cached: boolean }> {
  const cache = await openLayerCache({ dir: cacheDir });
  const r = await writeLayerCached(cache, entries(), { ...gzipOpts, tmpDir: await scratch.fresh("tmp") });
  return { cache, layer: r.layer as FileLayer, cached: r.cached };
}

function blobIn(layout: string, layer: FileLayer): string {
  return join(layout, "blobs", "sha256", layer.info.digest.slice("sha256:".length));
}

async function sha256File(path: string): Promise<string> {
  return `sha256:${createHash("sha256").update(await readFile(path)).digest("hex")}`;
}

describe("OCI layout blobs linked from map-build's own files", () => {
  it("a cached layer is linked, not copied, and the next builds do not re-hash the cached blob", async () => {
    const cacheDir = await scratch.fresh("cache");
    const first = await buildDeps(cacheDir);
    assert.equal(first.cached, false);
    const layoutA = await scratch.fresh("out-a");
    await writeOciLayout(imageWith([first.layer]), layoutA);
    const [blob, out] = [await stat(first.layer.path), await stat(blobIn(layoutA, first.layer))];
    assert.equal(out.ino, blob.ino, "the layout's blob is the cache's file");
    assert.equal(blob.nlink, 2);

    const second = await buildDeps(cacheDir);
    assert.equal(second.cached, true);
    assert.equal(second.cache.stats.verifiedBlobs, 0, "the link refreshed the entry's verified stat");
    const layoutB = await scratch.fresh("out-b");
    await writeOciLayout(imageWith([second.layer]), layoutB);
    assert.equal((await stat(blobIn(layoutB, second.layer))).ino, blob.ino);
    await writeOciLayout(imageWith([second.layer]), layoutA, { tag: "again" }); // already there: the same file

    const third = await buildDeps(cacheDir);
    assert.deepEqual([third.cached, third.cache.stats.verifiedBlobs], [true, 0]);
    assert.equal((await stat(first.layer.path)).nlink, 3);

    // Deleting an output drops a link (the blob's ctime moves): hashed once, then trusted again.
    await nextTimestampTick(cacheDir, (await stat(first.layer.path, { bigint: true })).ctimeNs);
    await rm(layoutB, { recursive: true });
    const fourth = await buildDeps(cacheDir);
    assert.deepEqual([fourth.cached, fourth.cache.stats.verifiedBlobs], [true, 1]);
    const fifth = await buildDeps(cacheDir);
    assert.deepEqual([fifth.cached, fifth.cache.stats.verifiedBlobs], [true, 0]);
  });

  it("an edit of the layout's blob in place is seen by the cache, which rebuilds; deleting the cache leaves the layout whole", async () => {
    const cacheDir = await scratch.fresh("cache");
    const first = await buildDeps(cacheDir);
    const layout = await scratch.fresh("out");
    await writeOciLayout(imageWith([first.layer]), layout);
    const outBlob = blobIn(layout, first.layer);
    const good = await stat(outBlob);
    await nextTimestampTick(layout, (await stat(outBlob, { bigint: true })).ctimeNs);

    // Same size, mtime put back: only ctime tells (user space cannot set it).
    const fh = await open(outBlob, "r+");
    const byte = Buffer.alloc(1);
    await fh.read(byte, 0, 1, 100);
    await fh.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, 100);
    await fh.close();
    await utimes(outBlob, good.atime, good.mtime);

    const second = await buildDeps(cacheDir);
    assert.equal(second.cache.stats.verifiedBlobs, 1, "the changed stat made the cache hash its blob");
    assert.equal(second.cached, false, "the bad blob is dropped and the layer rebuilt");
    assert.equal(await sha256File(second.layer.path), second.layer.info.digest);
    assert.notEqual((await stat(second.layer.path)).ino, good.ino, "the cache's new blob is a new file");

    // The other way: the cache gone, the layout keeps good bytes.
    const layout2 = await scratch.fresh("out2");
    await writeOciLayout(imageWith([second.layer]), layout2);
    await rm(cacheDir, { recursive: true });
    assert.equal(await sha256File(blobIn(layout2, second.layer)), second.layer.info.digest);
  });

  it("a layer built without a cache is linked before its temp file is deleted", async () => {
    const tmpDir = await scratch.fresh("tmp");
    const { layer } = await writeLayerCached(undefined, entries(), { ...gzipOpts, tmpDir });
    const layout = await scratch.fresh("out");
    await writeOciLayout(imageWith([layer as FileLayer]), layout);
    assert.equal((await stat(blobIn(layout, layer as FileLayer))).ino, (await stat((layer as FileLayer).path)).ino);
    await layer.dispose();
    const out = blobIn(layout, layer as FileLayer);
    assert.equal((await stat(out)).nlink, 1);
    assert.equal(await sha256File(out), layer.info.digest);
  });
});

describe("OCI layout blobs linked from the base blob cache", () => {
  it("a registry base's cached blob is linked, and the next build trusts it without re-hashing", async () => {
    const cacheDir = await scratch.fresh("cache");
    const bytes = randomBytes(256 * 1024);
    const digest = sha256Digest(bytes);
    let downloads = 0;
    const registryLayer: Layer = {
      source: { registry: "127.0.0.1:1", repository: "base/x" },
      digest: async () => digest,
      diffId: async () => sha256Digest(Buffer.from("diff")),
      size: async () => bytes.length,
      mediaType: async () => MediaType.ociLayerGzip,
      open: async () => {
        downloads++;
        return Readable.from([bytes]);
      },
    };
    const first = await openBlobCache({ dir: cacheDir });
    const base = cachedBlobLayer(registryLayer, first);
    assert.equal(await base.storedFile!(), undefined, "not cached yet: the sink streams it (and open() caches it)");
    for await (const _ of await base.open()); // the base scan reads it
    const layout = await scratch.fresh("out");
    await writeOciLayout(imageWith([base]), layout);
    const cached = join(cacheDir, "blobs", "sha256", digest.slice("sha256:".length));
    const out = join(layout, "blobs", "sha256", digest.slice("sha256:".length));
    assert.equal((await stat(out)).ino, (await stat(cached)).ino);

    const second = await openBlobCache({ dir: cacheDir });
    const again = cachedBlobLayer(registryLayer, second);
    assert.equal((await again.storedFile!())?.path, cached);
    assert.deepEqual([second.stats.rehashed, downloads], [0, 1]);
  });
});

describe("placeStoredFile fallbacks", () => {
  const exdev = async (): Promise<void> => {
    throw Object.assign(new Error("EXDEV: cross-device link not permitted"), { code: "EXDEV" });
  };

  // No second filesystem is at hand in CI (no mounts without root), so link() fails as it would
  // across filesystems.
  it("across filesystems a cached blob is copied without hashing the copy, and the cache's entry stays valid", async () => {
    const cacheDir = await scratch.fresh("cache");
    const { layer } = await buildDeps(cacheDir);
    const target = join(await scratch.fresh("out"), "blob");
    const how = await placeStoredFile((await layer.storedFile())!, target, layer.info.digest, layer.info.size, { link: exdev });
    assert.equal(how, "copied");
    assert.notEqual((await stat(target)).ino, (await stat(layer.path)).ino);
    assert.equal(await sha256File(target), layer.info.digest);
    const again = await buildDeps(cacheDir);
    assert.deepEqual([again.cached, again.cache.stats.verifiedBlobs], [true, 0]);
  });

  it("a kept file changed since it was verified, and a user's file, are copied and the copy hashed; never linked", async () => {
    const cacheDir = await scratch.fresh("cache");
    const { layer } = await buildDeps(cacheDir);
    const out = await scratch.fresh("out");
    await nextTimestampTick(out, (await stat(layer.path, { bigint: true })).ctimeNs);
    await utimes(layer.path, new Date(), new Date()); // bytes unchanged, stat not the verified one
    let links = 0;
    const counting = async (): Promise<void> => {
      links++;
      throw new Error("not expected");
    };
    assert.equal(await placeStoredFile((await layer.storedFile())!, join(out, "a"), layer.info.digest, layer.info.size, { link: counting }), "copied-hashed");
    assert.equal(await placeStoredFile({ path: layer.path }, join(out, "b"), layer.info.digest, layer.info.size, { link: counting }), "copied-hashed");
    assert.equal(links, 0);
    // wrong bytes are not placed: the caller streams the blob and its check fails
    assert.equal(await placeStoredFile({ path: layer.path }, join(out, "c"), sha256Digest(Buffer.from("other")), layer.info.size), undefined);
    await assert.rejects(stat(join(out, "c")), { code: "ENOENT" });
  });
});
