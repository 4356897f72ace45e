import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { access, readdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { openLayerCache, type LayerCache } from "../../../src/cache/index.js";
import { writeLayer, type LayerEntry } from "../../../src/layer/index.js";
import { scratchDirs } from "../../helpers/tmp.js";

const scratch = scratchDirs("mb-pr-");
const fresh = scratch.fresh;

const opts = { compression: "none", family: "oci" } as const;
const DAY = 24 * 60 * 60 * 1000;

function entriesOf(data: Buffer, extra: LayerEntry[] = []): LayerEntry[] {
  return [{ type: "file", path: "/data/blob.bin", mode: 0o644, size: data.length, source: { kind: "bytes", data } }, ...extra];
}

interface Stored {
  key: string;
  size: number;
  digest: string;
}

/** Build and put a layer of `bytes` random bytes; its entry is then dated `ageMs` ago. */
async function store(cache: LayerCache, entries: LayerEntry[], ageMs: number): Promise<Stored> {
  const key = await cache.keyFor(entries, opts);
  const built = await writeLayer(entries, { ...opts, tmpDir: cache.tmpDir });
  const layer = await cache.put(key, built, { move: true });
  await age(cache, key, ageMs);
  return { key, size: layer.info.size, digest: layer.info.digest };
}

async function age(cache: LayerCache, key: string, ageMs: number): Promise<void> {
  const t = new Date(Date.now() - ageMs);
  await utimes(join(cache.dir, "entries", `${key}.json`), t, t);
}

async function keys(cache: LayerCache): Promise<string[]> {
  return (await cache.ls()).map((e) => e.key);
}

describe("layer cache: prune", () => {
  it("removes least recently used entries down to the limit; a hit counts as a use", async () => {
    const cacheDir = await fresh("cache");
    const writer = await openLayerCache({ dir: cacheDir });
    const L: Stored[] = [];
    for (let i = 0; i < 4; i++) L.push(await store(writer, entriesOf(randomBytes(64 * 1024)), (4 - i) * DAY)); // L0 oldest
    const s = L[0]!.size;
    assert.ok(L.every((l) => l.size === s));

    // A separate process (e.g. `map-build cache prune`): nothing of its own to protect.
    const cli = await openLayerCache({ dir: cacheDir });
    assert.equal(await cli.usage(), 4 * s);
    assert.deepEqual(await keys(cli), [L[3]!.key, L[2]!.key, L[1]!.key, L[0]!.key]);
    const r = await cli.prune({ maxBytes: 2 * s + 100 });
    assert.deepEqual(r, { removed: 2, freedBytes: 2 * s });
    assert.deepEqual(await keys(cli), [L[3]!.key, L[2]!.key]);
    assert.deepEqual((await readdir(join(cacheDir, "blobs", "sha256"))).sort(), [L[2]!.digest.slice(7), L[3]!.digest.slice(7)].sort());

    const reader = await openLayerCache({ dir: cacheDir });
    assert.equal(await reader.get(L[0]!.key), undefined);
    assert.ok(await reader.get(L[2]!.key), "L2 is now the most recently used");

    const cli2 = await openLayerCache({ dir: cacheDir });
    assert.deepEqual(await cli2.prune({ maxBytes: s }), { removed: 1, freedBytes: s });
    assert.deepEqual(await keys(cli2), [L[2]!.key]);
    assert.deepEqual(await cli2.prune({ maxBytes: s }), { removed: 0, freedBytes: 0 }, "already within the limit");
  });

  it("removes entries unused for a number of days", async () => {
    const cacheDir = await fresh("cache");
    const writer = await openLayerCache({ dir: cacheDir });
    const old = await store(writer, entriesOf(randomBytes(1000)), 10 * DAY);
    const recent = await store(writer, entriesOf(randomBytes(1000)), 1 * DAY);
    const cli = await openLayerCache({ dir: cacheDir });
    const r = await cli.prune({ olderThanDays: 5 });
    assert.deepEqual(r, { removed: 1, freedBytes: old.size });
    assert.deepEqual(await keys(cli), [recent.key]);
  });

  it("keeps a blob while another entry still names it", async () => {
    const cacheDir = await fresh("cache");
    const writer = await openLayerCache({ dir: cacheDir });
    const data = randomBytes(5000);
    // A repeated identical directory entry: another key, the same bytes.
    const a = await store(writer, entriesOf(data), 10 * DAY);
    const b = await store(writer, entriesOf(data, [{ type: "dir", path: "/data", mode: 0o755 }, { type: "dir", path: "/data", mode: 0o755 }]), DAY);
    assert.notEqual(a.key, b.key);
    assert.equal(a.digest, b.digest);

    const cli = await openLayerCache({ dir: cacheDir });
    assert.deepEqual(await cli.prune({ olderThanDays: 5 }), { removed: 1, freedBytes: 0 });
    const hit = await cli.get(b.key);
    assert.equal(hit?.info.digest, b.digest);
    assert.deepEqual(await cli.prune({ maxBytes: 0 }), { removed: 0, freedBytes: 0 }, "blobs this process handed out are kept");
    const other = await openLayerCache({ dir: cacheDir });
    assert.deepEqual(await other.prune({ maxBytes: 0 }), { removed: 1, freedBytes: b.size });
    assert.deepEqual(await readdir(join(cacheDir, "blobs", "sha256")), []);
  });

  it("prunes after a put when over the limit, sparing what builds are using", async () => {
    const cacheDir = await fresh("cache");
    const earlier = await openLayerCache({ dir: cacheDir });
    const L: Stored[] = [];
    for (let i = 0; i < 3; i++) L.push(await store(earlier, entriesOf(randomBytes(32 * 1024)), (20 - i) * 60 * 1000));
    const justUsed = await store(earlier, entriesOf(randomBytes(32 * 1024)), 60 * 1000); // within the 10 min grace
    const s = L[0]!.size;

    const build = await openLayerCache({ dir: cacheDir, maxBytes: 3 * s });
    const mine = await store(build, entriesOf(randomBytes(32 * 1024)), 0);
    assert.deepEqual(await keys(build), [mine.key, justUsed.key, L[2]!.key]);
    assert.equal(await build.usage(), 3 * s);

    const tight = await openLayerCache({ dir: cacheDir, maxBytes: 1 });
    const last = await store(tight, entriesOf(randomBytes(32 * 1024)), 0);
    assert.deepEqual((await keys(tight)).sort(), [last.key, mine.key, justUsed.key].sort(), "recently used entries outlive the limit");
  });

  it("removes stale temp files but not fresh ones, nor fresh blobs without an entry", async () => {
    const cacheDir = await fresh("cache");
    const cache = await openLayerCache({ dir: cacheDir });
    const staleTmp = join(cache.tmpDir, "layer-dead.tmp");
    const freshTmp = join(cache.tmpDir, "layer-live.tmp");
    const orphan = join(cacheDir, "blobs", "sha256", "ab".repeat(32));
    await writeFile(staleTmp, Buffer.alloc(100));
    await writeFile(freshTmp, Buffer.alloc(10));
    await writeFile(orphan, Buffer.alloc(10));
    const t = new Date(Date.now() - 2 * DAY);
    await utimes(staleTmp, t, t);
    await utimes(orphan, t, t); // its ctime is still now: a put in progress
    const r = await cache.prune({ maxBytes: 10 });
    assert.deepEqual(r, { removed: 0, freedBytes: 100 });
    await assert.rejects(access(staleTmp));
    await access(freshTmp);
    await access(orphan);
  });
});
