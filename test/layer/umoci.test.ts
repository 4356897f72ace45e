/**
 * Our layers through a strict consumer: an OCI layout built by hand (one gzip app layer, one
 * uncompressed model layer, a minimal config) unpacked by `umoci unpack`, which checks every
 * blob's digest and size and each layer's diff_id.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFile, lstat, mkdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { digestHex, sha256Digest } from "../../src/digest.js";
import { MediaType } from "../../src/image/media-types.js";
import { planFromDisk, writeLayer, type FileLayer } from "../../src/layer/index.js";
import { makeTempDir } from "../helpers/tmp.js";
import { runOk } from "../helpers/run.js";

let dir: string;
let cleanup: () => Promise<void>;
const longDir = `very-${"long-".repeat(22)}name`; // > 100 bytes once under opt/monai/app/

before(async () => {
  ({ dir, cleanup } = await makeTempDir("mb-umoci-"));
});
after(async () => {
  await cleanup();
});

async function writeBlob(layout: string, data: Buffer): Promise<{ digest: `sha256:${string}`; size: number }> {
  const digest = sha256Digest(data) as `sha256:${string}`;
  await writeFile(join(layout, "blobs/sha256", digestHex(digest)), data);
  return { digest, size: data.length };
}

async function ociLayout(layout: string, layers: FileLayer[]): Promise<void> {
  await mkdir(join(layout, "blobs/sha256"), { recursive: true });
  await writeFile(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  for (const l of layers) await copyFile(l.path, join(layout, "blobs/sha256", digestHex(await l.digest())));
  const config = {
    architecture: "amd64",
    os: "linux",
    config: { Cmd: ["/opt/monai/app/run.sh"] },
    rootfs: { type: "layers", diff_ids: await Promise.all(layers.map((l) => l.diffId())) },
    history: layers.map(() => ({ created: "1970-01-01T00:00:00Z", created_by: "map-build test" })),
  };
  const cfg = await writeBlob(layout, Buffer.from(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, ...cfg },
    layers: layers.map((l) => l.descriptor()),
  };
  const man = await writeBlob(layout, Buffer.from(JSON.stringify(manifest)));
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [{ mediaType: MediaType.ociManifest, ...man, annotations: { "org.opencontainers.image.ref.name": "test" } }],
  };
  await writeFile(join(layout, "index.json"), JSON.stringify(index));
}

describe("layers unpacked by umoci", () => {
  it("keeps contents, modes, symlinks, long paths and nested dirs", async () => {
    const app = join(dir, "app");
    await mkdir(join(app, "pkg/sub/deeper"), { recursive: true });
    await mkdir(join(app, longDir));
    await writeFile(join(app, "app.py"), "print('hi')\n");
    await writeFile(join(app, "run.sh"), "#!/bin/sh\necho ran\n", { mode: 0o750 });
    await writeFile(join(app, "pkg/sub/deeper/data.txt"), "deep");
    await writeFile(join(app, longDir, "inside.txt"), "long");
    await symlink("pkg/sub/deeper/data.txt", join(app, "data-link"));
    const models = join(dir, "models");
    await mkdir(models);
    const weights = Buffer.alloc(3 * 1024 * 1024 + 7, 0xab);
    await writeFile(join(models, "model.ts"), weights);

    const tmp = join(dir, "tmp");
    await mkdir(tmp);
    const appLayer = await writeLayer(await planFromDisk([{ source: app, target: "/opt/monai/app" }], { uid: 1000, gid: 1000 }), {
      compression: "gzip",
      family: "oci",
      tmpDir: tmp,
    });
    const modelLayer = await writeLayer(await planFromDisk([{ source: models, target: "/opt/monai/models" }]), { compression: "none", family: "oci", tmpDir: tmp });
    const layout = join(dir, "layout");
    await ociLayout(layout, [appLayer, modelLayer]);

    const bundle = join(dir, "bundle");
    await runOk("umoci", ["unpack", "--image", `${layout}:test`, bundle]);
    const root = join(bundle, "rootfs");

    const a = join(root, "opt/monai/app");
    assert.equal(await readFile(join(a, "app.py"), "utf8"), "print('hi')\n");
    assert.equal(await readFile(join(a, "pkg/sub/deeper/data.txt"), "utf8"), "deep");
    assert.ok(Buffer.byteLength(`opt/monai/app/${longDir}/inside.txt`) > 100);
    assert.equal(await readFile(join(a, longDir, "inside.txt"), "utf8"), "long");
    assert.equal(await readlink(join(a, "data-link")), "pkg/sub/deeper/data.txt");
    assert.equal(await readFile(join(a, "data-link"), "utf8"), "deep");
    const mode = async (p: string): Promise<string> => ((await lstat(p)).mode & 0o7777).toString(8);
    assert.equal(await mode(join(a, "run.sh")), "755");
    assert.equal(await mode(join(a, "app.py")), "644");
    assert.equal(await mode(join(a, "pkg/sub")), "755");
    assert.equal(await mode(join(root, "opt")), "755");
    const st = await lstat(join(a, "app.py"));
    assert.deepEqual([st.uid, st.gid], [1000, 1000]);
    assert.equal((await runOk("sh", [join(a, "run.sh")])).trim(), "ran");
    assert.deepEqual(await readFile(join(root, "opt/monai/models/model.ts")), weights);

    await appLayer.dispose();
    await modelLayer.dispose();
  });
});
