import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cp, readFile, readdir, stat, writeFile, open } from "node:fs/promises";
import { join } from "node:path";
import { readOciLayoutImage } from "../../src/image/oci-layout-image.js";
import { writeDockerTarball } from "../../src/sinks/docker-tarball.js";
import { isMapBuildError } from "../../src/errors.js";
import { makeTempDir } from "../helpers/tmp.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { run, runOk } from "../helpers/run.js";
import { BIG, buildTestImage, LONG } from "./test-image.js";
import { startDockerd, type TestDockerd as Dockerd } from "../helpers/dockerd.js";

async function sha256File(f: string): Promise<string> {
  return createHash("sha256").update(await readFile(f)).digest("hex");
}

describe("writeDockerTarball", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let dockerd: Dockerd;
  before(async () => {
    tmp = await makeTempDir("mb-dt-");
    dockerd = await startDockerd();
  });
  after(async () => {
    await dockerd?.stop();
    await tmp?.cleanup();
  });

  it("docker loads the hybrid tar and runs the new files", async () => {
    const image = await buildTestImage(tmp.dir);
    const out = join(tmp.dir, "image.tar");
    const name = "127.0.0.1:5000/mb/app:1";
    await writeDockerTarball(image, out, { tags: [name] });
    await runOk("docker", ["-H", dockerd.host, "load", "-i", out]);
    const id = (await runOk("docker", ["-H", dockerd.host, "image", "inspect", "-f", "{{.Id}}", name])).trim();
    assert.equal(id, (await image.manifest()).config.digest);
    const script = [
      `cat "/${LONG}"`,
      "cat /app/link",
      "readlink /app/link",
      "hello.sh",
      "stat -c %s /models/big.bin",
      "pwd",
      "echo $MODEL",
      "stat -c %a /app/bin/hello.sh",
    ].join(" && ");
    const r = await run("docker", ["-H", dockerd.host, "run", "--rm", "--network", "none", name, "sh", "-c", script]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), [
      "long path ok",
      "nested b",
      "nested/a/b.txt",
      "hello-from-layer",
      String(BIG),
      "/app",
      "/models",
      "755",
    ]);
    const py = await runOk("docker", ["-H", dockerd.host, "run", "--rm", "--network", "none", name, "python3", "-c", "print(6*7)"]);
    assert.equal(py.trim(), "42");
  });

  it("is deterministic across build directories", async () => {
    const a = await makeTempDir("mb-det-a-");
    const b = await makeTempDir("mb-det-b-");
    try {
      const i1 = await buildTestImage(a.dir);
      const i2 = await buildTestImage(b.dir);
      assert.equal(await i1.digest(), await i2.digest());
      await writeDockerTarball(i1, join(a.dir, "t.tar"), { tags: ["x.test/a:1"] });
      await writeDockerTarball(i2, join(b.dir, "t.tar"), { tags: ["x.test/a:1"] });
      assert.equal(await sha256File(join(a.dir, "t.tar")), await sha256File(join(b.dir, "t.tar")));
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });

  it("a tampered base blob aborts with E_DIGEST_MISMATCH and leaves no file", async () => {
    const layout = join(tmp.dir, "tampered");
    await cp(await pythonBaseLayout(), layout, { recursive: true });
    const base = await readOciLayoutImage(layout, PYTHON_BASE_TAG);
    const layer = (await base.manifest()).layers[0]!;
    const blob = join(layout, "blobs", "sha256", layer.digest.slice(7));
    const fh = await open(blob, "r+");
    await fh.write(Buffer.from("XXXX"), 0, 4, Math.floor(layer.size / 2)); // same size, wrong bytes
    await fh.close();
    const outDir = join(tmp.dir, "tampered-out");
    await cp(join(layout, "oci-layout"), join(outDir, "marker")); // creates outDir
    const image = await buildTestImage(tmp.dir, base);
    const out = join(outDir, "image.tar");
    await assert.rejects(writeDockerTarball(image, out, { tags: ["x.test/a:1"] }), (e: unknown) => {
      assert.ok(isMapBuildError(e));
      assert.equal(e.code, "E_DIGEST_MISMATCH");
      return true;
    });
    assert.deepEqual(await readdir(outDir), ["marker"]);
    await assert.rejects(stat(out));
    await writeFile(join(outDir, "unused"), ""); // the directory itself is still writable
  });
});
