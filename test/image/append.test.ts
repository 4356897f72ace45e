import { before, after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendLayers, EPOCH_ISO } from "../../src/image/append.js";
import { layerForFamily } from "../../src/image/family.js";
import { MediaType } from "../../src/image/media-types.js";
import { readOciLayoutImage } from "../../src/image/oci-layout-image.js";
import { parseBaseSpec } from "../../src/image/base-spec.js";
import { sha256Digest } from "../../src/digest.js";
import type { Image } from "../../src/image/image.js";
import { makeTempDir } from "../helpers/tmp.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { makeLayer } from "./fixtures.js";

describe("appendLayers", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let base: Image;
  before(async () => {
    tmp = await makeTempDir("mb-app-");
    base = await readOciLayoutImage(await pythonBaseLayout(), PYTHON_BASE_TAG);
  });
  after(async () => tmp?.cleanup());

  it("appends diff_ids, history and descriptors; keeps the OCI family; bytes match digests", async () => {
    const baseRaw = Buffer.from(await base.rawConfig());
    const l1 = await makeLayer(tmp.dir, [{ name: "a.txt", data: "a" }], { gzip: true });
    const l2 = await makeLayer(tmp.dir, [{ name: "b.bin", data: "b" }], { gzip: false });
    const img = appendLayers(
      base,
      [
        { layer: l1, history: { created_by: "COPY a", empty_layer: true } },
        { layer: l2, history: { created_by: "COPY b" } },
      ],
      { changes: { cmd: ["python3", "-V"] }, configHistory: [{ created_by: "CMD" }], created: "2024-01-02T03:04:05Z" },
    );
    const [m, c, raw, rawM] = [await img.manifest(), await img.config(), await img.rawConfig(), await img.rawManifest()];
    assert.equal(await img.mediaType(), MediaType.ociManifest);
    assert.equal(m.config.mediaType, MediaType.ociConfig);
    assert.equal(m.config.digest, sha256Digest(raw));
    assert.equal(await img.digest(), sha256Digest(rawM));
    assert.ok(!raw.includes("\n") && !rawM.includes("\n"));
    assert.deepEqual(m.layers.slice(-2).map((l) => l.mediaType), [MediaType.ociLayerGzip, MediaType.ociLayer]);
    const baseCfg = await base.config();
    assert.deepEqual(c.rootfs.diff_ids, [...baseCfg.rootfs.diff_ids, await l1.diffId(), await l2.diffId()]);
    assert.equal(c.created, "2024-01-02T03:04:05Z");
    assert.deepEqual(c.history?.slice(-3), [
      { created_by: "COPY a", created: "2024-01-02T03:04:05Z" },
      { created_by: "COPY b", created: "2024-01-02T03:04:05Z" },
      { created_by: "CMD", created: "2024-01-02T03:04:05Z", empty_layer: true },
    ]);
    assert.deepEqual(c.config?.Cmd, ["python3", "-V"]);
    assert.equal((await img.layers()).length, baseCfg.rootfs.diff_ids.length + 2);
    assert.deepEqual(await base.rawConfig(), baseRaw, "base untouched");
    assert.equal(await img.manifest(), m, "built once");
  });

  it("defaults created to the epoch, and layerForFamily relabels docker layers for an OCI base", async () => {
    const d = await makeLayer(tmp.dir, [{ name: "c", data: "c" }], { gzip: true, family: "docker" });
    await assert.rejects(appendLayers(base, [{ layer: d, history: {} }]).digest(), /does not belong/);
    const img = appendLayers(base, [{ layer: layerForFamily(d, "oci"), history: {} }]);
    assert.equal((await img.config()).created, EPOCH_ISO);
    assert.equal((await img.manifest()).layers.at(-1)?.mediaType, MediaType.ociLayerGzip);
  });
});

describe("parseBaseSpec", () => {
  it("recognises local transports and registry references", () => {
    assert.deepEqual(parseBaseSpec("oci:/x/layout:bookworm"), { kind: "oci", path: "/x/layout", ref: "bookworm" });
    assert.deepEqual(parseBaseSpec("oci:rel/dir"), { kind: "oci", path: "rel/dir" });
    assert.deepEqual(parseBaseSpec("docker-archive:/t.tar:x.test/py:3"), { kind: "docker-archive", path: "/t.tar", ref: "x.test/py:3" });
    assert.deepEqual(parseBaseSpec("oci-archive:/a.tar"), { kind: "oci-archive", path: "/a.tar" });
    assert.deepEqual(parseBaseSpec("nvcr.io/nvidia/pytorch:24.01-py3"), { kind: "registry", ref: "nvcr.io/nvidia/pytorch:24.01-py3" });
    assert.deepEqual(parseBaseSpec("localhost:5000/a@sha256:" + "0".repeat(64)), { kind: "registry", ref: "localhost:5000/a@sha256:" + "0".repeat(64) });
    assert.throws(() => parseBaseSpec("oci:"), /names no path/);
  });
});
