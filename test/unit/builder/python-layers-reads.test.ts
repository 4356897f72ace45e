/**
 * What a cold deps build reads, counted: the base layer is opened once (the scan for its Python,
 * distributions and libraries), each wheel is hashed once (the resolver's digest; the re-check
 * after the layer is written is answered by the stat index), and the native-library check, run
 * beside the writes, reports its warning. A second build of the same inputs hashes nothing and
 * opens no base layer.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { pythonLayers } from "../../../src/builder/python-layers.js";
import { openLayerCache, writeDeferredLayerCached } from "../../../src/cache/index.js";
import type { Image, Layer } from "../../../src/image/image.js";
import { silentLogger } from "../../../src/progress.js";
import { makeLayer } from "../../image/fixtures.js";
import { makeTempDir } from "../../helpers/tmp.js";
import { makeElf } from "../../python/elf-factory.js";
import { COLORFMT, GREET, writeWheel } from "../../python/wheel-factory.js";

describe("a cold deps build's reads", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let wheelhouse: string;
  let opens = 0;
  let base: Image;

  before(async () => {
    tmp = await makeTempDir("mb-pyreads-");
    const layer = await makeLayer(tmp.dir, [
      { name: "usr/bin/python3.11", data: "ELF" },
      { name: "usr/lib/x86_64-linux-gnu/libc.so.6", data: "ELF" },
    ], { gzip: true });
    const counted: Layer = { ...layer, open: () => (opens++, layer.open()) } as Layer;
    base = { layers: async () => [counted] } as unknown as Image;
    wheelhouse = join(tmp.dir, "wheelhouse");
    await mkdir(wheelhouse);
    for (const spec of [GREET, COLORFMT]) await writeWheel(wheelhouse, spec);
    await writeWheel(wheelhouse, {
      name: "fastext", version: "1.0", tag: "cp311-cp311-manylinux_2_17_x86_64",
      files: { "fastext/__init__.py": "", "fastext/_core.cpython-311-x86_64-linux-gnu.so": { data: makeElf(["libstdc++.so.6", "libc.so.6"]) } },
    });
  });
  after(async () => tmp?.cleanup());

  async function build(name: string) {
    const cacheDir = join(tmp.dir, "cache");
    // wheels written just now would be "racy" (too new to trust their stat) and hashed on every look
    const cache = await openLayerCache({ dir: cacheDir, racyWindowMs: 0 });
    const work = join(tmp.dir, name);
    await mkdir(work);
    const python = await pythonLayers({ pipPackages: ["greet", "fastext"], requirementsFiles: [] }, { noSdk: true, wheelhouse: [wheelhouse] }, {
      base, baseConfig: { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }, baseLabel: "test-base",
      platform: { os: "linux", architecture: "amd64" }, work, cacheDir, digestFile: (p) => cache.contentDigest([p]), logger: silentLogger,
    });
    const [deps] = python.layers;
    assert.ok(deps && "deferred" in deps);
    const [written, warnings] = await Promise.all([
      writeDeferredLayerCached(cache, deps.deferred, { compression: "gzip", family: "oci", tmpDir: work, mtime: 0, id: deps.id }),
      python.checkLibraries(),
    ]);
    return { cache, written, warnings };
  }

  it("opens the base layer once and hashes each wheel once; a rebuild hashes and opens nothing", async () => {
    const first = await build("first");
    assert.equal(opens, 1, "one pass over the base layer");
    assert.equal(first.written.cached, false);
    assert.equal(first.cache.stats.hashedFiles, 3, "three wheels, each hashed once");
    assert.deepEqual(first.warnings, [
      "fastext 1.0 needs libstdc++.so.6 (for fastext/_core.cpython-311-x86_64-linux-gnu.so), which neither the wheels nor the base provide: importing it will fail",
    ]);

    const second = await build("second");
    assert.equal(opens, 1, "the base scan came from the cache");
    assert.equal(second.written.cached, true);
    assert.equal(second.cache.stats.hashedFiles, 0, "unchanged wheels are not read again");
    assert.deepEqual(second.warnings, first.warnings);
  });
});
