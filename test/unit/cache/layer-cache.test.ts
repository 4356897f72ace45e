import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { access, mkdir, open, readdir, readFile, stat, truncate, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { openLayerCache, writeLayerCached, type LayerCache } from "../../../src/cache/index.js";
import { planFromDisk, writeLayer, type FileLayer, type LayerEntry, type WriteLayerOptions } from "../../../src/layer/index.js";
import { scratchDirs } from "../../helpers/tmp.js";
import { runOk } from "../../helpers/run.js";
import { nextTimestampTick } from "../../helpers/timestamp-tick.js";

const scratch = scratchDirs("mb-lc-");
const fresh = scratch.fresh;

function sha256(b: Uint8Array): string {
  return `sha256:${createHash("sha256").update(b).digest("hex")}`;
}

/** writeLayer, counted: the only place tar and gzip work happens. */
function countingWriter(): { write: (e: readonly LayerEntry[], o: WriteLayerOptions) => Promise<FileLayer>; calls: number } {
  const w = {
    calls: 0,
    write: async (e: readonly LayerEntry[], o: WriteLayerOptions): Promise<FileLayer> => {
      w.calls++;
      return writeLayer(e, o);
    },
  };
  return w;
}

/** An app tree plus a generated file and a streamed one, as a MAP build plans them. */
async function appEntries(src: string): Promise<LayerEntry[]> {
  const planned = await planFromDisk([{ source: src, target: "/opt/monai/app" }]);
  const manifest = Buffer.from('{"api-version":"0.1.0"}\n');
  const member = Buffer.from("streamed member\n".repeat(100));
  return [
    ...planned,
    { type: "file", path: "/etc/monai/app.json", mode: 0o644, size: manifest.length, source: { kind: "bytes", data: manifest } },
    { type: "file", path: "/opt/monai/lib/member.txt", mode: 0o644, size: member.length, source: { kind: "stream", open: async () => Readable.from([member]) } },
  ];
}

async function appTree(): Promise<string> {
  const src = await fresh("app");
  await mkdir(join(src, "pkg"));
  await writeFile(join(src, "app.py"), "import pkg\nprint('hello')\n".repeat(200));
  await writeFile(join(src, "pkg", "__init__.py"), "X = 1\n");
  await writeFile(join(src, "weights.bin"), randomBytes(256 * 1024));
  return src;
}

const gzipOpts = { compression: "gzip", family: "oci" } as const;

/**
 * The clock the cache measures its racy window with, moved by the test: whether a file counts as
 * "just written" never depends on how fast the machine is.
 */
function testClock(): { now: () => number; ageEverything(): void } {
  // Files written after this call have timestamps >= t (give or take one coarse kernel tick).
  let t = Date.now();
  return {
    now: () => t,
    /** Every file written so far is now an hour old. */
    ageEverything: () => {
      t = Date.now() + 3_600_000;
    },
  };
}

describe("layer cache: reuse", () => {
  it("serves a second build of unchanged inputs from the cache without writing a layer", async () => {
    const src = await appTree();
    const cacheDir = await fresh("cache");
    const tmpDir = await fresh("tmp");
    const clock = testClock();
    clock.ageEverything(); // the inputs are past the racy window
    const entries = await appEntries(src);

    const first = await openLayerCache({ dir: cacheDir, racyWindowMs: 100, now: clock.now });
    const w = countingWriter();
    const a = await writeLayerCached(first, entries, { ...gzipOpts, tmpDir }, { write: w.write });
    assert.equal(a.cached, false);
    assert.equal(w.calls, 1);
    assert.deepEqual([first.stats.hits, first.stats.misses, first.stats.puts], [0, 1, 1]);
    assert.equal(first.stats.hashedFiles, 3);
    assert.equal((a.layer as FileLayer).path, join(cacheDir, "blobs", "sha256", a.layer.info.digest.slice(7)));
    assert.deepEqual(await readdir(tmpDir), [], "with a cache the layer is written in the cache's tmp dir");

    // A new process: fresh LayerCache, same directory.
    const second = await openLayerCache({ dir: cacheDir, racyWindowMs: 100, now: clock.now });
    const b = await writeLayerCached(second, await appEntries(src), { ...gzipOpts, tmpDir }, { write: w.write });
    assert.equal(b.cached, true);
    assert.equal(w.calls, 1, "no tar/gzip work on a hit");
    assert.deepEqual([second.stats.hits, second.stats.misses, second.stats.puts], [1, 0, 0]);
    assert.deepEqual([second.stats.hashedFiles, second.stats.indexHits], [0, 3], "unchanged files are not re-read");
    assert.equal(second.stats.verifiedBlobs, 0, "the blob is untouched since it was stored: stat check only");
    assert.deepEqual(b.layer.info, a.layer.info);

    // The cached layer is what an uncached build writes, byte for byte.
    const plain = await writeLayerCached(undefined, await appEntries(src), { ...gzipOpts, tmpDir });
    assert.equal(plain.cached, false);
    assert.deepEqual(plain.layer.info, a.layer.info);
    assert.ok((plain.layer as FileLayer).path.startsWith(tmpDir));
    await plain.layer.dispose();

    // Not owned: dispose() leaves the cache's blob alone, and open() verifies it.
    await b.layer.dispose();
    await access((b.layer as FileLayer).path);
    const chunks: Buffer[] = [];
    for await (const c of await b.layer.open()) chunks.push(c as Buffer);
    assert.equal(sha256(Buffer.concat(chunks)), a.layer.info.digest);
  });

  it("re-hashes files changed too recently to trust their timestamps, and still hits", async () => {
    const clock = testClock(); // started before the files are written, and stands still: they stay "just written"
    const src = await appTree();
    const cache = await openLayerCache({ dir: await fresh("cache"), now: clock.now }); // default 2 s racy window
    const tmpDir = await fresh("tmp");
    await writeLayerCached(cache, await appEntries(src), { ...gzipOpts, tmpDir });
    const again = await openLayerCache({ dir: cache.dir, now: clock.now });
    const r = await writeLayerCached(again, await appEntries(src), { ...gzipOpts, tmpDir });
    assert.equal(r.cached, true);
    assert.deepEqual([again.stats.hashedFiles, again.stats.indexHits], [3, 0]);
  });

  it("records a racy input once it has aged past the window during the build", async () => {
    const clock = testClock(); // started before the files are written: they are racy when the key is computed
    const src = await appTree();
    const cache = await openLayerCache({ dir: await fresh("cache"), racyWindowMs: 100, now: clock.now });
    const tmpDir = await fresh("tmp");
    const slowWrite = async (e: readonly LayerEntry[], o: WriteLayerOptions): Promise<FileLayer> => {
      clock.ageEverything(); // a long layer write
      return writeLayer(e, o);
    };
    await writeLayerCached(cache, await appEntries(src), { ...gzipOpts, tmpDir }, { write: slowWrite });
    assert.equal(cache.stats.hashedFiles, 6, "hashed for the key, and again after the write to prove them unchanged");
    const again = await openLayerCache({ dir: cache.dir, racyWindowMs: 100, now: clock.now });
    const r = await writeLayerCached(again, await appEntries(src), { ...gzipOpts, tmpDir });
    assert.equal(r.cached, true);
    assert.deepEqual([again.stats.hashedFiles, again.stats.indexHits], [0, 3]);
  });

  it("detects an edit that keeps the size and restores the mtime (ctime changes)", async () => {
    const src = await appTree();
    const file = join(src, "app.py");
    await writeFile(file, "print('AAAA')\n");
    await utimes(file, 1_600_000_000, 1_600_000_000); // whole seconds: restorable exactly
    const clock = testClock();
    clock.ageEverything();
    const cache = await openLayerCache({ dir: await fresh("cache"), racyWindowMs: 100, now: clock.now });
    const tmpDir = await fresh("tmp");
    const w = countingWriter();
    const a = await writeLayerCached(cache, await appEntries(src), { ...gzipOpts, tmpDir }, { write: w.write });
    const before = await stat(file, { bigint: true });

    await nextTimestampTick(tmpDir, before.ctimeNs); // so the edit's ctime differs from the recorded one
    await writeFile(file, "print('BBBB')\n");
    await utimes(file, 1_600_000_000, 1_600_000_000);
    const afterEdit = await stat(file, { bigint: true });
    assert.equal(afterEdit.size, before.size);
    assert.equal(afterEdit.mtimeNs, before.mtimeNs);
    assert.notEqual(afterEdit.ctimeNs, before.ctimeNs);
    clock.ageEverything(); // past the racy window: only ctime tells the edit apart

    const again = await openLayerCache({ dir: cache.dir, racyWindowMs: 100, now: clock.now });
    const b = await writeLayerCached(again, await appEntries(src), { ...gzipOpts, tmpDir }, { write: w.write });
    assert.equal(b.cached, false);
    assert.equal(w.calls, 2);
    assert.deepEqual([again.stats.hashedFiles, again.stats.indexHits], [1, 2], "only the edited file is re-read");
    assert.notEqual(b.layer.info.digest, a.layer.info.digest);
    const tar = gunzipSync(await readFile((b.layer as FileLayer).path));
    assert.ok(tar.includes(Buffer.from("print('BBBB')")));
    assert.ok(!tar.includes(Buffer.from("print('AAAA')")));
  });

  it("does not store a layer whose inputs changed while it was being written", async () => {
    const src = await appTree();
    const file = join(src, "app.py");
    const cache = await openLayerCache({ dir: await fresh("cache"), racyWindowMs: 0 });
    const tmpDir = await fresh("tmp");
    const write = async (e: readonly LayerEntry[], o: WriteLayerOptions): Promise<FileLayer> => {
      const layer = await writeLayer(e, o);
      await nextTimestampTick(tmpDir, (await stat(file, { bigint: true })).ctimeNs);
      const f = await open(file, "r+");
      await f.write("#", 0); // same size, after the key was computed
      await f.close();
      return layer;
    };
    const r = await writeLayerCached(cache, await appEntries(src), { ...gzipOpts, tmpDir }, { write });
    assert.equal(r.cached, false);
    assert.equal(cache.stats.puts, 0);
    assert.deepEqual(await cache.ls(), []);
    await r.layer.dispose();
  });
});

describe("layer cache: keys", () => {
  it("depends on content and byte-changing options, not on entry order or host paths", async () => {
    const cache = await openLayerCache({ dir: await fresh("cache") });
    const a = await appTree();
    const ea = await appEntries(a);
    const k = await cache.keyFor(ea, gzipOpts);
    assert.match(k, /^[a-f0-9]{64}$/);
    assert.equal(await cache.keyFor([...ea].reverse(), gzipOpts), k, "order does not matter");
    assert.equal(await cache.keyFor(ea, { ...gzipOpts, level: 1, mtime: 0 }), k, "defaults spelled out");

    // The same tree copied elsewhere: same key.
    const b = await fresh("copy");
    await runOk("cp", ["-a", `${a}/.`, b]);
    assert.equal(await cache.keyFor(await appEntries(b), gzipOpts), k);

    const variants: [string, Promise<string>][] = [
      ["level", cache.keyFor(ea, { ...gzipOpts, level: 6 })],
      ["compression", cache.keyFor(ea, { compression: "none", family: "oci" })],
      ["family", cache.keyFor(ea, { compression: "gzip", family: "docker" })],
      ["mtime", cache.keyFor(ea, { ...gzipOpts, mtime: 1 })],
      ["omitParentDirs", cache.keyFor(ea, { ...gzipOpts, omitParentDirs: ["/"] })],
      ["mode", cache.keyFor(ea.map((e) => (e.path === "/opt/monai/app/app.py" ? { ...e, mode: 0o755 } : e)), gzipOpts)],
      ["uid", cache.keyFor(ea.map((e) => (e.path === "/opt/monai/app/app.py" ? { ...e, uid: 1000 } : e)), gzipOpts)],
      ["path", cache.keyFor(ea.map((e) => (e.path === "/opt/monai/app/app.py" ? { ...e, path: "/opt/monai/app/main.py" } : e)), gzipOpts)],
      ["extra dir", cache.keyFor([...ea, { type: "dir", path: "/data", mode: 0o755 }], gzipOpts)],
      ["symlink", cache.keyFor([...ea, { type: "symlink", path: "/opt/l", mode: 0o777, target: "a" }], gzipOpts)],
      ["bytes", cache.keyFor(ea.map((e) => (e.type === "file" && e.source.kind === "bytes" ? { ...e, source: { kind: "bytes" as const, data: Buffer.from('{"api-version":"0.1.1"}\n') } } : e)), gzipOpts)],
      ["stream", cache.keyFor(ea.map((e) => (e.type === "file" && e.source.kind === "stream" ? { ...e, source: { kind: "stream" as const, open: async () => Readable.from([Buffer.alloc(e.size, 65)]) } } : e)), gzipOpts)],
    ];
    const seen = new Map<string, string>([[k, "base"]]);
    for (const [what, p] of variants) {
      const key = await p;
      assert.ok(!seen.has(key), `${what} gives the same key as ${seen.get(key)}`);
      seen.set(key, what);
    }
  });

  it("stops hashing when the build is aborted", async () => {
    const cache = await openLayerCache({ dir: await fresh("cache") });
    const entries = await appEntries(await appTree());
    const signal = AbortSignal.abort();
    await assert.rejects(
      writeLayerCached(cache, entries, { ...gzipOpts, tmpDir: cache.tmpDir, signal }),
      (err: unknown) => (err as { code?: string }).code === "E_INTERRUPTED",
    );
    assert.equal(cache.stats.hashedFiles, 0);
  });

  it("reports an unreadable input as a layer input error", async () => {
    const cache = await openLayerCache({ dir: await fresh("cache") });
    const entry: LayerEntry = { type: "file", path: "/x", mode: 0o644, size: 1, source: { kind: "file", path: join(scratch.root(), "does-not-exist") } };
    await assert.rejects(cache.keyFor([entry], gzipOpts), (err: unknown) => (err as { code?: string }).code === "E_LAYER_INPUT");
  });
});

describe("layer cache: damage", () => {
  async function builtOnce(verify: "stat" | "full"): Promise<{ cache: LayerCache; src: string; tmpDir: string; first: FileLayer; w: ReturnType<typeof countingWriter> }> {
    const src = await appTree();
    const cache = await openLayerCache({ dir: await fresh("cache"), verify });
    const tmpDir = await fresh("tmp");
    const w = countingWriter();
    const first = (await writeLayerCached(cache, await appEntries(src), { ...gzipOpts, tmpDir }, { write: w.write })).layer as FileLayer;
    return { cache, src, tmpDir, first, w };
  }

  for (const verify of ["stat", "full"] as const) {
    it(`detects a corrupted blob of the right size and rebuilds it (verify: ${verify})`, async () => {
      const { cache, src, tmpDir, first, w } = await builtOnce(verify);
      const f = await open(first.path, "r+");
      await f.write(Buffer.from([0x00, 0xff, 0x00]), 0, 3, Math.floor(first.info.size / 2));
      await f.close();
      assert.equal((await stat(first.path)).size, first.info.size);

      const again = await openLayerCache({ dir: cache.dir, verify });
      const r = await writeLayerCached(again, await appEntries(src), { ...gzipOpts, tmpDir }, { write: w.write });
      assert.equal(r.cached, false);
      assert.equal(w.calls, 2);
      assert.deepEqual([again.stats.misses, again.stats.verifiedBlobs, again.stats.puts], [1, 1, 1]);
      assert.deepEqual(r.layer.info, first.info, "rebuilt to the same digest");
      assert.equal(sha256(await readFile((r.layer as FileLayer).path)), first.info.digest, "the bad blob was replaced");

      const third = await openLayerCache({ dir: cache.dir, verify });
      const h = await writeLayerCached(third, await appEntries(src), { ...gzipOpts, tmpDir }, { write: w.write });
      assert.equal(h.cached, true);
    });
  }

  it("treats a truncated or missing blob and a malformed entry as misses, and removes the entry", async () => {
    const { cache, src, first } = await builtOnce("stat");
    const key = await cache.keyFor(await appEntries(src), gzipOpts);
    const entryFile = join(cache.dir, "entries", `${key}.json`);

    await truncate(first.path, first.info.size - 1);
    assert.equal(await cache.get(key), undefined);
    await assert.rejects(access(entryFile));
    await assert.rejects(access(first.path), "a blob of the wrong size is deleted");

    await writeFile(entryFile, "{not json");
    assert.equal(await cache.get(key), undefined);
    await assert.rejects(access(entryFile));

    await writeFile(entryFile, JSON.stringify({ v: 1, digest: first.info.digest, diffId: first.info.diffId, size: first.info.size, mediaType: first.info.mediaType }));
    assert.equal(await cache.get(key), undefined, "blob missing");
    await assert.rejects(access(entryFile));

    assert.equal(await cache.get("not-a-key"), undefined);
    assert.equal(await cache.get("0".repeat(64)), undefined);
  });
});
