/**
 * facts.md says Go's gzip reader takes multi-member streams: prove it with the strict consumers. A
 * 9 MiB layer (10 gzip members) and a deps layer whose large wheel members are their deflate
 * streams copied from the wheel (issue 16), on the real python base, go through `docker load` +
 * `docker run`, `ctr images import` + `ctr run`, `umoci unpack` (which checks digests, sizes and
 * diff_ids) and `skopeo copy --dest-decompress`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { appendLayers, imageFamily, readOciLayoutImage, type Image } from "../../src/image/index.js";
import { GZIP_BLOCK_SIZE, planFromDisk, writeLayer, type FileLayer } from "../../src/layer/index.js";
import { planWheelInstall } from "../../src/python/install.js";
import { readZipDirectory } from "../../src/python/zip-reader.js";
import { writeDockerTarball, writeOciLayout } from "../../src/sinks/index.js";
import { startContainerd, type TestContainerd } from "../helpers/containerd.js";
import { startDockerd, type TestDockerd } from "../helpers/dockerd.js";
import { PYTHON_BASE_TAG, pythonBaseLayout } from "../helpers/python-base.js";
import { runOk } from "../helpers/run.js";
import { makeTempDir } from "../helpers/tmp.js";
import { bigMemberWheel, writeWheel } from "../python/wheel-factory.js";

const NAME = "127.0.0.1:5000/mb/multi-member:1";
const SO = "/root/.local/lib/python3.11/site-packages/bigpkg/lib/libbig.so";
const CHECK = `sha256sum /opt/mb/data.bin ${SO} | cut -d' ' -f1 && /opt/mb/hello.sh`;

let dir: string;
let cleanup: () => Promise<void>;
let dockerd: TestDockerd | undefined;
let containerd: TestContainerd | undefined;
let layer: FileLayer;
let deps: FileLayer;
/** The `.so`'s deflate stream as stored in its wheel. */
let soStream: Buffer;
let image: Image;
let tarball: string;
let expected: string;

before(async () => {
  ({ dir, cleanup } = await makeTempDir("mb-mm-"));
  const app = join(dir, "app");
  await mkdir(app);
  const data = Buffer.concat([randomBytes(5 * GZIP_BLOCK_SIZE), Buffer.from("monai ".repeat(700_000))]);
  await writeFile(join(app, "data.bin"), data);
  await writeFile(join(app, "hello.sh"), "#!/bin/sh\necho multi-member ok\n", { mode: 0o755 });
  const wheel = bigMemberWheel();
  const w = await writeWheel(dir, wheel);
  expected = [data, wheel.so].map((d) => createHash("sha256").update(d).digest("hex")).join("\n") + "\nmulti-member ok";

  const startedD = startDockerd();
  const startedC = startContainerd();
  const base = await readOciLayoutImage(await pythonBaseLayout(), PYTHON_BASE_TAG);
  const tmp = join(dir, "tmp");
  await mkdir(tmp);
  layer = await writeLayer(await planFromDisk([{ source: app, target: "/opt/mb" }]), { compression: "gzip", family: await imageFamily(base), tmpDir: tmp });
  const target = { sitePackages: "/root/.local/lib/python3.11/site-packages", scriptsDir: "/root/.local/bin", pythonPath: "/usr/bin/python3" };
  deps = await writeLayer((await planWheelInstall([{ file: w.path }], target)).entries, { compression: "gzip", family: await imageFamily(base), tmpDir: tmp });
  soStream = await storedStream(w.path, "bigpkg/lib/libbig.so");
  image = appendLayers(base, [layer, deps].map((l) => ({ layer: l, history: { created_by: "map-build multi-member test" } })));
  tarball = join(dir, "image.tar");
  await writeDockerTarball(image, tarball, { tags: [NAME] });
  [dockerd, containerd] = await Promise.all([startedD, startedC]);
});

after(async () => {
  await Promise.allSettled([dockerd?.stop(), containerd?.stop()]);
  await layer?.dispose();
  await deps?.dispose();
  await cleanup();
});

describe("a multi-member gzip layer in real loaders", () => {
  it("has several members", async () => {
    const blob = await readFile(layer.path);
    const tar = gunzipSync(blob);
    assert.ok(tar.length > 9 * GZIP_BLOCK_SIZE);
    // A single-member gzip of the same tar would end after one trailer; ours holds one per block.
    let headers = 0;
    for (let i = blob.indexOf(0x1f); i >= 0; i = blob.indexOf(0x1f, i + 1)) {
      if (blob[i + 1] === 0x8b && blob[i + 2] === 8 && blob.readUInt32LE(i + 4) === 0 && blob[i + 9] === 255) headers++;
    }
    assert.ok(headers >= Math.ceil(tar.length / GZIP_BLOCK_SIZE), `only ${headers} member headers`);
  });

  it("copies the large wheel member's deflate stream into the deps layer", async () => {
    const blob = await readFile(deps.path);
    assert.ok(blob.indexOf(soStream) > 0, "the .so's deflate stream is in the layer as stored in the wheel");
    assert.equal(`sha256:${createHash("sha256").update(gunzipSync(blob)).digest("hex")}`, await deps.diffId());
  });

  it("docker load + docker run", { timeout: 60_000 }, async () => {
    const d = dockerd!;
    const load = await d.docker(["load", "-i", tarball]);
    assert.equal(load.code, 0, load.stderr);
    const run = await d.docker(["run", "--rm", "--network", "none", NAME, "sh", "-c", CHECK]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), expected);
  });

  it("ctr images import + ctr run", { timeout: 60_000 }, async () => {
    const c = containerd!;
    const imp = await c.ctr(["images", "import", tarball]);
    assert.equal(imp.code, 0, imp.stderr);
    const run = await c.ctr(["run", "--rm", NAME, "mb-multi", "sh", "-c", CHECK]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), expected);
  });

  it("umoci unpack", { timeout: 60_000 }, async () => {
    const layout = join(dir, "layout");
    await writeOciLayout(image, layout, { tag: "multi" });
    const bundle = join(dir, "bundle");
    await runOk("umoci", ["unpack", "--image", `${layout}:multi`, bundle], { timeoutMs: 60_000 });
    const sums = await Promise.all(["opt/mb/data.bin", SO.slice(1)].map(async (f) => createHash("sha256").update(await readFile(join(bundle, "rootfs", f))).digest("hex")));
    assert.deepEqual(sums, expected.split("\n").slice(0, 2));
    assert.equal((await runOk("sh", [join(bundle, "rootfs/opt/mb/hello.sh")])).trim(), "multi-member ok");
  });

  it("skopeo copy --dest-decompress: Go's gzip reader gives each layer's diff_id", { timeout: 60_000 }, async () => {
    const layout = join(dir, "layout-skopeo");
    await writeOciLayout(image, layout, { tag: "multi" });
    const out = join(dir, "skopeo-dir");
    await runOk("skopeo", ["copy", "--quiet", "--dest-decompress", `oci:${layout}:multi`, `dir:${out}`], { timeoutMs: 60_000 });
    for (const l of [layer, deps]) {
      const diffId = await l.diffId();
      const tar = await readFile(join(out, diffId.slice("sha256:".length)));
      assert.equal(`sha256:${createHash("sha256").update(tar).digest("hex")}`, diffId);
    }
  });
});

/** The raw deflate bytes of one member as stored in a zip. */
async function storedStream(file: string, name: string): Promise<Buffer> {
  const m = (await readZipDirectory(file)).find((x) => x.name === name)!;
  const zip = await readFile(file);
  const start = m.localHeaderOffset + 30 + zip.readUInt16LE(m.localHeaderOffset + 26) + zip.readUInt16LE(m.localHeaderOffset + 28);
  return zip.subarray(start, start + m.compressedSize);
}
