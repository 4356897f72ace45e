/**
 * Issue 16, torch-sized wheels fast and flat: an app-only rebuild over a large generated
 * wheelhouse takes the dependency layer from the cache without inflating a single wheel member
 * (counted through installHooks), because the key comes from the wheels' RECORD digests, which the
 * first build verified in the same pass that wrote the layer. (Peak RSS of the deps build is
 * measured by `npm run bench` on the compiled CLI.)
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { installHooks } from "../../src/python/install.js";
import { runCliInProcess } from "../helpers/cli.js";
import { pythonBaseLayout } from "../helpers/python-base.js";
import { makeTempDir } from "../helpers/tmp.js";
import { bigWheelhouse } from "../python/big-wheelhouse.js";
import { EXAMPLE_APP } from "./fixtures.js";

describe("map-build package: large wheelhouses", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let wheelhouse: string;
  let requirements: string[];
  before(async () => {
    tmp = await makeTempDir("mb-pkg-bigwheels-");
    wheelhouse = join(tmp.dir, "wheelhouse");
    requirements = await bigWheelhouse(wheelhouse, { members: 3000, bigBytes: 16 * 1024 * 1024 });
  });
  after(async () => { await tmp?.cleanup(); });

  it("an app-only rebuild inflates no wheel member and reuses the deps layer", { timeout: 300_000 }, async () => {
    const app = join(tmp.dir, "app");
    await cp(EXAMPLE_APP, app, { recursive: true });
    await writeFile(join(app, "requirements.txt"), `${requirements.join("\n")}\n`);
    const base = `oci:${await pythonBaseLayout()}:bookworm-python`;
    const env = { MAP_BUILD_CACHE_DIR: join(tmp.dir, "cache"), SOURCE_DATE_EPOCH: undefined };
    const args = ["package", app, "-t", "x:1", "-b", base, "--no-sdk", "--wheelhouse", wheelhouse, "--json"];
    let opened = 0;
    installHooks.onOpenMember = () => { opened++; };
    try {
      const first = await runCliInProcess([...args, "--oci-layout", join(tmp.dir, "l1")], { env, cwd: tmp.dir });
      assert.equal(first.code, 0, first.stderr);
      assert.ok(opened >= 3000, `first build opened ${opened} members`);
      await writeFile(join(app, "app.py"), `${await readFile(join(app, "app.py"), "utf8")}\n# edited\n`);
      opened = 0;
      const second = await runCliInProcess([...args, "--oci-layout", join(tmp.dir, "l2")], { env, cwd: tmp.dir });
      assert.equal(second.code, 0, second.stderr);
      assert.equal(opened, 0, "no wheel member inflated on the app-only rebuild");
      const layers = (JSON.parse(second.stdout) as { layers: { role: string; origin: string }[] }).layers;
      assert.equal(layers.find((l) => l.role === "python-deps")?.origin, "cached");
      assert.equal(layers.find((l) => l.role === "app")?.origin, "built");
    } finally {
      delete installHooks.onOpenMember;
    }
  });
});
