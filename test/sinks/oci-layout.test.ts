import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, readlink, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ociLayoutSink, writeOciLayout } from "../../src/sinks/oci-layout.js";
import { ociArchiveSink, writeOciArchive } from "../../src/sinks/oci-archive.js";
import { parseReference } from "../../src/reference/index.js";
import { readOciLayoutImage } from "../../src/image/oci-layout-image.js";
import { isMapBuildError } from "../../src/errors.js";
import type { Image } from "../../src/image/image.js";
import { makeTempDir } from "../helpers/tmp.js";
import { runOk } from "../helpers/run.js";
import { BIG, buildTestImage, LONG } from "./test-image.js";

describe("writeOciLayout / writeOciArchive", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let image: Image;
  before(async () => {
    tmp = await makeTempDir("mb-oci-");
    image = await buildTestImage(tmp.dir);
  });
  after(async () => tmp?.cleanup());

  it("umoci unpacks the layout with contents and modes", async () => {
    const layout = join(tmp.dir, "layout");
    await writeOciLayout(image, layout, { tag: "app-1" });
    const bundle = join(tmp.dir, "bundle");
    await runOk("umoci", ["unpack", "--image", `${layout}:app-1`, bundle]);
    const root = join(bundle, "rootfs");
    assert.equal(await readFile(join(root, LONG), "utf8"), "long path ok\n");
    assert.equal(await readlink(join(root, "app/link")), "nested/a/b.txt");
    assert.equal(await readFile(join(root, "app/link"), "utf8"), "nested b\n");
    assert.equal((await stat(join(root, "app/bin/hello.sh"))).mode & 0o7777, 0o755);
    assert.equal((await stat(join(root, "app/nested/a/b.txt"))).mode & 0o7777, 0o644);
    assert.equal((await stat(join(root, "models/big.bin"))).size, BIG);
    await stat(join(root, "usr/bin/python3")); // the base layer is unpacked too
    const cfg = JSON.parse(await readFile(join(bundle, "config.json"), "utf8")) as { process: { env: string[]; cwd: string } };
    assert.equal(cfg.process.cwd, "/app");
    assert.ok(cfg.process.env.includes("PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), cfg.process.env.join(" "));
    await runOk("oci-image-tool", ["validate", "--type", "image", "--ref", "name=app-1", layout]);
  });

  it("skopeo inspects the layout; a second tag reuses blobs and replaces only its own entry", async () => {
    const layout = join(tmp.dir, "layout2");
    await writeOciLayout(image, layout, { tag: "a" });
    const events: string[] = [];
    await writeOciLayout(image, layout, { tag: "b", progress: (e) => events.push(e.phase) });
    assert.ok(events.includes("exists") && !events.includes("write"), events.join(","));
    await writeOciLayout(image, layout, { tag: "b" });
    const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as { manifests: { annotations?: Record<string, string> }[] };
    assert.deepEqual(index.manifests.map((m) => m.annotations?.["org.opencontainers.image.ref.name"]), ["a", "b"]);
    const info = JSON.parse(await runOk("skopeo", ["inspect", `oci:${layout}:b`])) as { Digest: string; Layers: string[] };
    assert.equal(info.Digest, await image.digest());
    assert.equal(info.Layers.length, (await image.layers()).length);
    // and map-build reads its own output back
    const back = await readOciLayoutImage(layout, "a");
    assert.equal(await back.digest(), await image.digest());
  });

  it("refuses a non-empty directory that is not a layout", async () => {
    const dir = join(tmp.dir, "foreign");
    await mkdir(dir);
    await writeFile(join(dir, "keep.txt"), "mine");
    await assert.rejects(writeOciLayout(image, dir, { tag: "x" }), (e: unknown) => isMapBuildError(e) && e.code === "E_OUTPUT");
    assert.equal(await readFile(join(dir, "keep.txt"), "utf8"), "mine");
  });

  it("every name's tag names the image in a layout and an archive (repeated -t)", async () => {
    const layout = join(tmp.dir, "layout-tags");
    const archive = join(tmp.dir, "tags.oci.tar");
    const naming = { alsoNames: ["x.test/app:latest", "x.test/other:1.0"] };
    const ctx = { name: parseReference("x.test/app:1.0"), registry: () => assert.fail("no registry") };
    await ociLayoutSink(layout, naming).write(image, ctx);
    await ociArchiveSink(archive, naming).write(image, ctx);
    const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
    assert.deepEqual(index.manifests.map((m) => m.annotations?.["org.opencontainers.image.ref.name"]), ["1.0", "latest"]);
    for (const ref of [`oci:${layout}:1.0`, `oci:${layout}:latest`, `oci-archive:${archive}:1.0`, `oci-archive:${archive}:latest`]) {
      const info = JSON.parse(await runOk("skopeo", ["inspect", ref])) as { Digest: string };
      assert.equal(info.Digest, await image.digest(), ref);
    }
  });

  it("writes an oci-archive skopeo can read by tag", async () => {
    const file = join(tmp.dir, "img.oci.tar");
    await writeOciArchive(image, file, { tag: "x.test/app:2" });
    const info = JSON.parse(await runOk("skopeo", ["inspect", `oci-archive:${file}:x.test/app:2`])) as { Digest: string };
    assert.equal(info.Digest, await image.digest());
  });
});
