/**
 * Issue 13 item 6: prune deletes only in a folder marked as map-build's cache, and only names
 * map-build writes. A cache folder pointed at the wrong place (here an OCI layout, whose
 * blobs/sha256/<hex> look like ours) loses nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheLayout } from "../../../src/cache/cache-dir.js";
import { pruneCache } from "../../../src/cache/cache-prune.js";
import { CACHEDIR_TAG, isMarkedCache } from "../../../src/cache/cache-tag.js";
import { openLayerCache } from "../../../src/cache/layer-cache.js";
import { isMapBuildError } from "../../../src/errors.js";

const HEX = "ab".repeat(32);
const OLD = new Date(Date.now() - 30 * 24 * 3600 * 1000);

async function oldFile(path: string, text = "x"): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, text);
  await utimes(path, OLD, OLD);
}

async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

describe("cache prune only where and what map-build owns", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mb-prune-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("an OCI layout given as the cache folder: explicit prune refuses, automatic prune does nothing", async () => {
    const layout = join(dir, "oci");
    await oldFile(join(layout, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    await oldFile(join(layout, "index.json"), "{}");
    await oldFile(join(layout, "blobs", "sha256", HEX));
    const before = await tree(layout);
    const c = await openLayerCache({ dir: layout });
    await assert.rejects(c.prune({ maxBytes: 0 }), (e: unknown) => isMapBuildError(e) && e.code === "E_USAGE" && /not a map-build cache/.test(e.message));
    assert.deepEqual(await pruneCache(cacheLayout(layout), { maxBytes: 0, keep: new Set(), graceMs: 0 }), { removed: 0, freedBytes: 0 });
    assert.ok(existsSync(join(layout, "blobs", "sha256", HEX)), "the layout's blob is still there");
    assert.ok(!(await isMarkedCache(layout)), "a foreign folder is never tagged");
    for (const name of before) assert.ok(existsSync(join(layout, name)), name);
  });

  it("an old cache without the tag (only map-build names) is tagged and pruned", async () => {
    const cache = join(dir, "old-cache");
    await oldFile(join(cache, "blobs", "sha256", HEX));
    await oldFile(join(cache, "stat-index.json"), "{}");
    const c = await openLayerCache({ dir: cache });
    assert.ok(await isMarkedCache(cache));
    await c.prune({ maxBytes: 0 }); // runs (a fresh orphan blob is left alone: its ctime is new)
    assert.ok(existsSync(join(cache, CACHEDIR_TAG)));
  });

  it("in a marked cache, files with names map-build never writes stay", async () => {
    const cache = join(dir, "marked");
    const c = await openLayerCache({ dir: cache });
    const strangers = [join(cache, "blobs", "sha256", "notes.txt"), join(cache, "tmp", "keep.me"), join(cache, "entries", "mine.json"), join(cache, "tmp", ".hidden")];
    for (const p of strangers) await oldFile(p);
    const ours = ["layer-0123abcd.tmp", "put-123-0123abcdef01.tmp", "remote-0123456789abcdef01234567.tmp"].map((n) => join(cache, "tmp", n));
    for (const p of ours) await oldFile(p);
    await c.prune({ maxBytes: 0 });
    for (const p of strangers) assert.ok(existsSync(p), p);
    for (const p of ours) assert.ok(!existsSync(p), `a stale temp file of ours goes: ${p}`);
  });

  it("wheels from before the blob store (wheels/sha256/) go on any explicit prune; stale temps too; strangers stay", async () => {
    const cache = join(dir, "wheels");
    const c = await openLayerCache({ dir: cache });
    const oldWheel = join(cache, "wheels", "sha256", "01".repeat(32));
    const stranger = join(cache, "wheels", "sha256", "README");
    const staleTemp = join(cache, "wheels", "sha256", ".tmp-123-abcdef");
    await oldFile(oldWheel, "wheel");
    await oldFile(stranger);
    await oldFile(staleTemp);
    const fresh = join(cache, "wheels", "sha256", "02".repeat(32));
    const freshTemp = join(cache, "wheels", "sha256", ".tmp-124-abcdef");
    await writeFile(fresh, "wheel");
    await writeFile(freshTemp, "wh");
    await c.prune({ olderThanDays: 7 });
    assert.ok(!existsSync(oldWheel) && !existsSync(fresh) && !existsSync(staleTemp), "never read again: deleted");
    assert.ok(existsSync(stranger) && existsSync(freshTemp), "a stranger, and a temp file another build may be writing, stay");
  });
});
