import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readOciLayoutImage } from "../../src/image/oci-layout-image.js";
import { indexTar } from "../../src/image/tar-index.js";
import { sha256Digest } from "../../src/digest.js";
import { MediaType } from "../../src/image/media-types.js";
import { isMapBuildError } from "../../src/errors.js";
import { makeTempDir } from "../helpers/tmp.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { tarBytes } from "./fixtures.js";

const code = (c: string) => (e: unknown) => isMapBuildError(e) && e.code === c;

describe("readOciLayoutImage", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let layout: string;
  let manifestDesc: { mediaType: string; digest: string; size: number };
  before(async () => {
    tmp = await makeTempDir("mb-oli-");
    layout = join(tmp.dir, "l");
    await cp(await pythonBaseLayout(), layout, { recursive: true });
    const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as { manifests: (typeof manifestDesc)[] };
    const d = index.manifests[0]!;
    manifestDesc = { mediaType: d.mediaType, digest: d.digest, size: d.size };
    // a nested multi-platform index: arm64 points at a missing manifest, amd64 at the real one
    const nested = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [
          { ...manifestDesc, digest: sha256Digest("missing"), platform: { os: "linux", architecture: "arm64" } },
          { ...manifestDesc, platform: { os: "linux", architecture: "amd64" } },
          { ...manifestDesc, platform: { os: "unknown", architecture: "unknown" } },
        ],
      }),
    );
    const nd = sha256Digest(nested);
    await writeFile(join(layout, "blobs/sha256", nd.slice(7)), nested);
    index.manifests.push({ mediaType: MediaType.ociIndex, digest: nd, size: nested.length, annotations: { "org.opencontainers.image.ref.name": "multi" } } as never);
    await writeFile(join(layout, "index.json"), JSON.stringify(index));
  });
  after(async () => tmp?.cleanup());

  it("selects by tag, by digest, and through a nested index by platform", async () => {
    const byTag = await readOciLayoutImage(layout, PYTHON_BASE_TAG);
    assert.equal(await byTag.digest(), manifestDesc.digest);
    const byDigest = await readOciLayoutImage(layout, manifestDesc.digest);
    assert.equal((await byDigest.config()).os, "linux");
    const multi = await readOciLayoutImage(layout, "multi", { os: "linux", architecture: "amd64" });
    assert.equal(await multi.digest(), manifestDesc.digest);
    await assert.rejects(readOciLayoutImage(layout, "multi", { os: "linux", architecture: "s390x" }), code("E_PLATFORM_NOT_FOUND"));
    await assert.rejects(readOciLayoutImage(layout, "multi", { os: "linux", architecture: "arm64" }), code("E_INPUT_FORMAT"));
    await assert.rejects(readOciLayoutImage(layout, "nope"), code("E_MANIFEST_UNKNOWN"));
  });

  it("refuses a bad layout version, a non-layout and a corrupt manifest", async () => {
    const bad = join(tmp.dir, "bad");
    await cp(layout, bad, { recursive: true });
    await writeFile(join(bad, "oci-layout"), '{"imageLayoutVersion":"2.0.0"}');
    await assert.rejects(readOciLayoutImage(bad, PYTHON_BASE_TAG), code("E_INPUT_FORMAT"));
    await assert.rejects(readOciLayoutImage(tmp.dir), code("E_INPUT_FORMAT"));
    await writeFile(join(bad, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    const mpath = join(bad, "blobs/sha256", manifestDesc.digest.slice(7));
    const m = await readFile(mpath);
    await writeFile(mpath, Buffer.concat([m, Buffer.from(" ")]));
    await assert.rejects(readOciLayoutImage(bad, PYTHON_BASE_TAG), code("E_SIZE_MISMATCH"));
    m[m.length - 1] = 0x20;
    await writeFile(mpath, m);
    await assert.rejects(readOciLayoutImage(bad, PYTHON_BASE_TAG), code("E_DIGEST_MISMATCH"));
  });
});

describe("indexTar", () => {
  it("finds members behind PAX and ustar-prefix long names", async () => {
    const long = "d/" + "x".repeat(150) + "/file.bin";
    const prefixed = "p/".repeat(60) + "short.txt";
    const t = await makeTempDir("mb-ti-");
    try {
      const file = join(t.dir, "t.tar");
      await writeFile(file, await tarBytes([{ name: "a.txt", data: "aa" }, { name: long, data: "long" }, { name: prefixed, data: "pfx" }]));
      const m = await indexTar(file);
      const buf = await readFile(file);
      for (const [name, want] of [["a.txt", "aa"], [long, "long"], [prefixed, "pfx"]] as const) {
        const e = m.get(name);
        assert.ok(e, name);
        assert.equal(buf.subarray(e.offset, e.offset + e.size).toString(), want);
      }
    } finally {
      await t.cleanup();
    }
  });
});
