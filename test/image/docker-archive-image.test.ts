import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readDockerArchiveImage } from "../../src/image/docker-archive-image.js";
import { appendLayers } from "../../src/image/append.js";
import { MediaType } from "../../src/image/media-types.js";
import { writeDockerTarball } from "../../src/sinks/docker-tarball.js";
import { isMapBuildError } from "../../src/errors.js";
import { makeTempDir } from "../helpers/tmp.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { run, runOk } from "../helpers/run.js";
import { makeLayer } from "./fixtures.js";
import { buildTestImage } from "../sinks/test-image.js";
import { startDockerd, type TestDockerd as Dockerd } from "../helpers/dockerd.js";

describe("readDockerArchiveImage (Docker v2 family base)", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let dockerd: Dockerd;
  let archive: string;
  before(async () => {
    tmp = await makeTempDir("mb-da-");
    archive = join(tmp.dir, "base.tar");
    const layout = await pythonBaseLayout();
    [dockerd] = await Promise.all([
      startDockerd(),
      runOk("skopeo", ["copy", "--quiet", `oci:${layout}:${PYTHON_BASE_TAG}`, `docker-archive:${archive}:x.test/py:base`]),
    ]);
  });
  after(async () => {
    await dockerd?.stop();
    await tmp?.cleanup();
  });

  it("reads skopeo's docker-archive as a Docker v2 image whose uncompressed layers keep digest = diffId", async () => {
    const img = await readDockerArchiveImage(archive, "x.test/py:base");
    assert.equal(await img.mediaType(), MediaType.dockerManifest);
    const m = await img.manifest();
    assert.equal(m.config.mediaType, MediaType.dockerConfig);
    const [l] = await img.layers();
    assert.ok(l);
    assert.equal(await l.mediaType(), MediaType.dockerLayer);
    assert.equal(await l.digest(), await l.diffId());
    await assert.rejects(readDockerArchiveImage(archive, "x.test/py:nope"), (e: unknown) => isMapBuildError(e) && e.code === "E_MANIFEST_UNKNOWN");
  });

  it("refuses OCI layers on a Docker base", async () => {
    const base = await readDockerArchiveImage(archive);
    const oci = await makeLayer(tmp.dir, [{ name: "x", data: "x" }], { gzip: true, family: "oci" });
    const img = appendLayers(base, [{ layer: oci, history: {} }]);
    await assert.rejects(img.manifest(), (e: unknown) => isMapBuildError(e) && e.code === "E_UNSUPPORTED_MEDIA_TYPE");
  });

  it("docker-family image: Docker media types, docker load + run, and docker save → read back", async () => {
    const base = await readDockerArchiveImage(archive);
    const img = await buildTestImage(tmp.dir, base);
    const m = await img.manifest();
    assert.equal(await img.mediaType(), MediaType.dockerManifest);
    assert.equal(m.mediaType, MediaType.dockerManifest);
    assert.equal(m.config.mediaType, MediaType.dockerConfig);
    assert.deepEqual(
      m.layers.map((l) => l.mediaType),
      [MediaType.dockerLayer, MediaType.dockerLayerGzip, MediaType.dockerLayer],
    );
    const out = join(tmp.dir, "app.tar");
    const name = "127.0.0.1:5000/mb/docker-family:1";
    await writeDockerTarball(img, out, { tags: [name] });
    await runOk("docker", ["-H", dockerd.host, "load", "-i", out]);
    const r = await run("docker", ["-H", dockerd.host, "run", "--rm", "--network", "none", name, "sh", "-c", "hello.sh && python3 -c 'print(1)'"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "hello-from-layer\n1\n");

    // docker 20.10's own `docker save` (legacy <id>/layer.tar form) reads back to the same config
    const saved = join(tmp.dir, "saved.tar");
    await runOk("docker", ["-H", dockerd.host, "save", "-o", saved, name]);
    const back = await readDockerArchiveImage(saved, name);
    assert.equal((await back.manifest()).config.digest, m.config.digest);
    for (const l of await back.layers()) {
      const s = await l.open();
      for await (const _ of s); // verified read: digest and size hold
    }
    // our own hybrid tar is a docker-archive too, gzip layers and all
    const hybrid = await readDockerArchiveImage(out);
    assert.equal(await hybrid.digest(), await img.digest());
  });
});
