/**
 * Issue 13 item 8: a base layer's entry count cannot drive memory. Entries a scan does not need
 * are never kept, and a layer with more listed entries than the cap is refused (E_INPUT_FORMAT).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMapBuildError } from "../../../src/errors.js";
import type { Layer } from "../../../src/image/image.js";
import { listLayerFiles } from "../../../src/image/layer-files.js";
import { makeLayer, type TarFile } from "../../image/fixtures.js";

describe("entry count of a layer", () => {
  let dir: string;
  let layer: Layer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mb-entries-"));
    const files: TarFile[] = Array.from({ length: 3000 }, (_, i) => ({ name: `junk/${i}`, data: "" }));
    files.push({ name: "usr/lib/python3/dist-packages/x.egg-info/PKG-INFO", data: "Name: x\nVersion: 1\n" });
    layer = await makeLayer(dir, files, { gzip: true });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("more listed entries than the cap: E_INPUT_FORMAT, not an ever-growing list", async () => {
    await assert.rejects(listLayerFiles(layer, new Set(), { maxEntries: 1000 }), (e: unknown) => isMapBuildError(e) && e.code === "E_INPUT_FORMAT" && /more than 1000 entries/.test(e.message));
  });

  it("entries the caller does not keep are not listed, so they do not count", async () => {
    const wanted = (p: string) => p.endsWith("/PKG-INFO");
    const r = await listLayerFiles(layer, wanted, { maxEntries: 1000, keep: (f) => wanted(f.path) });
    assert.deepEqual(r.files.map((f) => f.path), ["/usr/lib/python3/dist-packages/x.egg-info/PKG-INFO"]);
    assert.equal(r.contents.size, 1);
  });
});
