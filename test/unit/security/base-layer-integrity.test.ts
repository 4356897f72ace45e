/**
 * Issue 13 (low): a base layer whose gzip stream is corrupt is an integrity failure (exit 6, not
 * 3), and a layer whose content does not match the config's diff_id is refused when read.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Digest, type Digest } from "../../../src/digest.js";
import { isMapBuildError } from "../../../src/errors.js";
import { fileLayer } from "../../../src/image/file-layer.js";
import type { Image, Layer } from "../../../src/image/image.js";
import { listLayerFiles } from "../../../src/image/layer-files.js";
import { readMergedFiles } from "../../../src/image/merged-files.js";
import { makeLayer } from "../../image/fixtures.js";
import { exitCodeFor } from "../../../src/cli/exit-codes.js";

const imageOf = (layer: Layer) => ({ layers: async () => [layer] }) as unknown as Image;

describe("base layer integrity", () => {
  let dir: string;
  let good: Layer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mb-integrity-"));
    good = await makeLayer(dir, [{ name: "usr/bin/python3", data: "x".repeat(5000) }], { gzip: true });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("a gzip stream that does not inflate: E_DIGEST_MISMATCH (exit 6)", async () => {
    const file = join(dir, "corrupt.gz");
    const gz = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22]);
    await writeFile(file, gz);
    const layer = fileLayer({ file, size: gz.length, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha256Digest(gz), diffId: `sha256:${"0".repeat(64)}` as Digest });
    await assert.rejects(listLayerFiles(layer), (e: unknown) => isMapBuildError(e) && e.code === "E_DIGEST_MISMATCH" && exitCodeFor(e.code) === 6);
  });

  it("content that does not match the config's diff_id is refused", async () => {
    const lying: Layer = { ...good, diffId: async () => `sha256:${"1".repeat(64)}` as Digest };
    await assert.rejects(readMergedFiles(imageOf(lying), () => true, () => false), (e: unknown) => isMapBuildError(e) && e.code === "E_DIGEST_MISMATCH" && /image config says/.test(e.message));
    const merged = await readMergedFiles(imageOf(good), () => true, () => false);
    assert.ok(merged.files.has("/usr/bin/python3"));
  });
});
