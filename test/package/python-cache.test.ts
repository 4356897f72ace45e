/**
 * Issue 16, torch-sized wheels fast and flat: an app-only rebuild does only the app layer and the
 * manifests. The deps layer comes from the cache by a key made of the wheels' digests (from the
 * stat index: an unchanged wheel is not read again) and the install target, so the rebuild opens
 * no wheel — not to hash it, not for its metadata, not for a member — asks no index, and writes
 * one layer. Counted by opened files (test/helpers/fs-spy.ts) and index requests, never timed; the
 * cache's clock is injected an hour ahead, so wheels written just now are not "racily clean"
 * (stat-index.ts) and the test needs no wait.
 * (Peak RSS of the deps build: test/python/deps-memory.test.ts; speed: `npm run bench` row 6.)
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { packageMap, ociLayoutSink, type PackageMapOptions, type PackageMapResult } from "../../src/index.js";
import { spyOnOpens } from "../helpers/fs-spy.js";
import { pythonBaseLayout } from "../helpers/python-base.js";
import { makeTempDir } from "../helpers/tmp.js";
import { bigWheelhouse } from "../python/big-wheelhouse.js";
import { startIndex, type IndexServer } from "../python/index-server.js";
import { COLORFMT, GREET, makeWheel } from "../python/wheel-factory.js";
import { EXAMPLE_APP } from "./fixtures.js";

const built = (r: PackageMapResult) => r.layers.filter((l) => l.origin === "built").map((l) => l.role);
const depsLayer = (r: PackageMapResult) => r.layers.find((l) => l.role === "python-deps");

describe("map-build package: app-only rebuilds", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let base: string;
  let index: IndexServer;
  before(async () => {
    tmp = await makeTempDir("mb-pkg-bigwheels-");
    base = `oci:${await pythonBaseLayout()}:bookworm-python`;
    const served = (w: ReturnType<typeof makeWheel>) => [{ filename: w.filename, bytes: w.bytes, sha256: w.sha256 }];
    index = await startIndex({ greet: served(makeWheel(GREET)), colorfmt: served(makeWheel(COLORFMT)) });
  });
  after(async () => {
    await index?.close();
    await tmp?.cleanup();
  });

  const newApp = async (name: string, requirements: string[]) => {
    const app = join(tmp.dir, name);
    await cp(EXAMPLE_APP, app, { recursive: true });
    await writeFile(join(app, "requirements.txt"), `${requirements.join("\n")}\n`);
    return app;
  };
  const editApp = async (app: string) => writeFile(join(app, "app.py"), `${await readFile(join(app, "app.py"), "utf8")}\n# edited\n`);
  const build = (opts: Omit<PackageMapOptions, "tag" | "base" | "sinks">, out: string) =>
    packageMap({ tag: "x:1", base, noSdk: true, sinks: [ociLayoutSink(join(tmp.dir, out))], cacheNow: () => Date.now() + 3_600_000, ...opts });

  it("with a large wheelhouse: no wheel opened, one layer written, the same deps layer", { timeout: 300_000 }, async () => {
    const wheelhouse = join(tmp.dir, "wheelhouse");
    const appPath = await newApp("app", await bigWheelhouse(wheelhouse, { members: 3000, bigBytes: 16 * 1024 * 1024 }));
    const opts = { appPath, wheelhouse: [wheelhouse], cacheDir: join(tmp.dir, "cache") };
    const spy = spyOnOpens();
    try {
      const first = await build(opts, "l1");
      assert.ok(spy.under(wheelhouse).length >= 3000, `the first build read the wheels (${spy.under(wheelhouse).length} opens)`);
      await editApp(appPath);
      spy.opened.length = 0;
      const second = await build(opts, "l2");
      assert.deepEqual(spy.under(wheelhouse), [], "the rebuild opened no wheel (no hash, no metadata, no member)");
      assert.deepEqual(built(second), ["app"], "only the app layer was written");
      assert.equal(depsLayer(second)?.origin, "cached");
      assert.equal(depsLayer(second)?.digest, depsLayer(first)?.digest);
    } finally {
      spy.stop();
    }
  });

  it("installing a lock from an index: the rebuild asks the index nothing and reads no downloaded wheel", { timeout: 300_000 }, async () => {
    const appPath = await newApp("app-locked", ["greet==1.0"]);
    const cacheDir = join(tmp.dir, "cache-locked");
    const lockFile = join(tmp.dir, "pylock.toml");
    const first = await build({ appPath, cacheDir, indexUrl: index.url, lockFile }, "k1");
    assert.ok(index.requests.some((r) => r.path.startsWith("/files/")), "the first build downloaded the wheel");
    await editApp(appPath);
    const asked = index.requests.length;
    const spy = spyOnOpens();
    try {
      const second = await build({ appPath, cacheDir, locked: lockFile }, "k2");
      assert.deepEqual(index.requests.slice(asked), [], "no index request");
      assert.deepEqual(spy.under(join(cacheDir, "blobs", "sha256")).filter((p) => p.endsWith(makeWheel(GREET).sha256)), [], "the downloaded wheel was not read again");
      assert.deepEqual(built(second), ["app"]);
      assert.equal(depsLayer(second)?.digest, depsLayer(first)?.digest);
    } finally {
      spy.stop();
    }
  });
});
