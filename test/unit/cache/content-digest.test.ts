/** Model digests through the cache: equal to a plain hash, not recomputed for unchanged files, fooled by no edit. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { stat, utimes, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { openLayerCache } from "../../../src/cache/index.js";
import { modelFiles, modelSha256 } from "../../../src/map/index.js";
import { makeTempDir } from "../../helpers/tmp.js";

describe("content digests of model folders", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    tmp = await makeTempDir("mb-cdig-");
  });
  after(() => tmp.cleanup());

  it("matches modelSha256, memoises, and sees a same-size edit with the mtime put back", async () => {
    const model = join(tmp.dir, "model");
    await mkdir(join(model, "sub"), { recursive: true });
    await writeFile(join(model, "a.bin"), "alpha");
    await writeFile(join(model, "sub", "b.bin"), "bravo");
    const cache = await openLayerCache({ dir: join(tmp.dir, "cache"), racyWindowMs: 0 });
    const files = await modelFiles(model);
    const first = await cache.contentDigest(files);
    assert.equal(first, await modelSha256(model));
    const hashed = cache.stats.hashedFiles;
    assert.equal(await cache.contentDigest(files), first);
    assert.equal(cache.stats.hashedFiles, hashed, "unchanged files are not read again");

    const b = join(model, "sub", "b.bin");
    const before = await stat(b);
    await sleep(20);
    await writeFile(b, "BRAVO");
    await utimes(b, before.atime, before.mtime);
    const edited = await cache.contentDigest(files);
    assert.notEqual(edited, first);
    assert.equal(edited, await modelSha256(model));
  });
});
