/**
 * Opt-in (`npm run test:big`, never in CI: ~10 min idle, 31 min on a loaded 2-core machine; ~25 GB
 * of disk at peak): a 9 GiB sparse model (> 8 GiB, so its tar header needs a PAX size) built into a
 * MAP and read back by real consumers.
 *   1. `--tarball` → `docker load` into a sandbox dockerd → `stat` and `sha256sum` of the model
 *      inside a container, and its tail marker;
 *   2. `--oci-layout` from the warm layer cache → `umoci unpack` → the same checks on the rootfs.
 * Each output is deleted as soon as it has been checked. The layer cache must hold no copy of the
 * model (it keeps uncompressed layers as recipes). CI keeps the unit-level PAX header check
 * (test/robustness/big-input.test.ts).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCliInProcess } from "../test/helpers/cli.js";
import { startDockerd, type TestDockerd } from "../test/helpers/dockerd.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../test/helpers/python-base.js";
import { runOk } from "../test/helpers/run.js";
import { makeTempDir } from "../test/helpers/tmp.js";
import { EXAMPLE_APP } from "../test/package/fixtures.js";

const SIZE = 9 * 1024 ** 3;
const TAIL = Buffer.from("map-build big model tail marker\n");
const IN_IMAGE = "/opt/monai/models/big/big.pt";
const TIMEOUT_MS = 40 * 60 * 1000;

async function sha256Hex(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) h.update(c as Buffer);
  return h.digest("hex");
}

/** Disk blocks under `root` (what `du` counts: a sparse file counts only what it holds). */
async function diskUsage(root: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).blocks * 512;
  }
  return total;
}

describe("a 9 GiB model end to end", { timeout: TIMEOUT_MS }, () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let dockerd: TestDockerd;
  let model: string;
  let modelSha: string;
  let base: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    tmp = await makeTempDir("mb-big-");
    model = join(tmp.dir, "big.pt");
    const f = await open(model, "w");
    await f.truncate(SIZE);
    await f.write(TAIL, 0, TAIL.length, SIZE - TAIL.length);
    await f.close();
    modelSha = await sha256Hex(model);
    base = `oci:${await pythonBaseLayout()}:${PYTHON_BASE_TAG}`;
    env = { MAP_BUILD_CACHE_DIR: join(tmp.dir, "cache"), SOURCE_DATE_EPOCH: undefined };
    dockerd = await startDockerd();
  });
  after(async () => {
    await dockerd?.stop();
    await tmp?.cleanup();
  });

  const build = (output: string[]) =>
    runCliInProcess(["package", EXAMPLE_APP, "-m", model, "-b", base, "-t", "big-model:1", "--no-sdk", "--json", ...output], { env });

  it("--tarball: docker load, then stat and sha256sum in a container", { timeout: TIMEOUT_MS }, async () => {
    const tar = join(tmp.dir, "big.tar");
    const r = await build(["--tarball", tar]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await stat(tar)).size > SIZE);
    const cached = await diskUsage(join(tmp.dir, "cache"));
    assert.ok(cached < 64 * 1024 ** 2, `the layer cache holds ${cached} bytes: no copy of the model`);

    const load = await dockerd.docker(["load", "-i", tar], { timeoutMs: TIMEOUT_MS });
    assert.equal(load.code, 0, load.stderr);
    await rm(tar);
    const check = await dockerd.docker(
      ["run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", "big-model:1", "-c", `stat -c %s ${IN_IMAGE} && sha256sum ${IN_IMAGE} && tail -c ${TAIL.length} ${IN_IMAGE}`],
      { timeoutMs: TIMEOUT_MS },
    );
    assert.equal(check.code, 0, check.stderr);
    const [size, sum, ...tail] = check.stdout.split("\n");
    assert.equal(size, String(SIZE));
    assert.equal(sum?.split(/\s+/)[0], modelSha);
    assert.equal(tail.join("\n"), TAIL.toString());
    await dockerd.docker(["rmi", "big-model:1"]);
  });

  it("--oci-layout from the warm cache: umoci unpack holds the same model", { timeout: TIMEOUT_MS }, async () => {
    const layout = join(tmp.dir, "layout");
    const r = await build(["--oci-layout", layout]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { layers: { role: string; origin: string; size: number }[] };
    const modelLayer = result.layers.find((l) => l.role === "model:big");
    assert.equal(modelLayer?.origin, "cached", "the model layer is reused, not built again");

    const bundle = join(tmp.dir, "bundle");
    await runOk("umoci", ["unpack", "--image", `${layout}:1`, bundle], { timeoutMs: TIMEOUT_MS });
    await rm(layout, { recursive: true });
    const unpacked = join(bundle, "rootfs", IN_IMAGE);
    assert.equal((await stat(unpacked)).size, SIZE);
    assert.equal(await sha256Hex(unpacked), modelSha);
    await rm(bundle, { recursive: true });
  });
});
