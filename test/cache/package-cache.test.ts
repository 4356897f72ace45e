/**
 * The layer cache seen from `map-build package`: an unchanged rebuild reuses every layer it built
 * (no layer is written again, the OCI layouts link the cache's files), an app edit rebuilds only the app and skeleton layers, two builds
 * sharing one cache at the same time both produce valid images, and `cache ls|prune` work.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeTempDir } from "../helpers/tmp.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { REPO_ROOT, runCli } from "../helpers/cli.js";
import { validateImage } from "../helpers/validate/validate.js";

interface Result {
  digest: string;
  layers: { role: string; origin: string; digest: string }[];
}

describe("layer cache in package builds", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let base: string;
  let app: string;

  before(async () => {
    ({ dir, cleanup } = await makeTempDir("mb-pcache-"));
    base = `oci:${await pythonBaseLayout()}:${PYTHON_BASE_TAG}`;
    app = join(dir, "app");
    await cp(join(REPO_ROOT, "examples/word_score_app"), app, { recursive: true });
  });
  after(() => cleanup());

  const build = async (out: string, cacheDir: string): Promise<Result> => {
    const r = await runCli(
      ["package", app, "-t", "localhost/cached:1", "-m", join(REPO_ROOT, "examples/models/word_weights.tsv"), "-b", base, "--no-sdk", "--oci-layout", out, "--json"],
      { env: { MAP_BUILD_CACHE_DIR: cacheDir } },
    );
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Result;
  };
  const origins = (r: Result) => Object.fromEntries(r.layers.filter((l) => l.role !== "base").map((l) => [l.role, l.origin]));

  it("reuses unchanged layers and rebuilds only what an app edit touches", async () => {
    const cacheDir = join(dir, "cache1");
    const cold = await build(join(dir, "out1"), cacheDir);
    assert.deepEqual(origins(cold), { "model:word_weights": "built", app: "built", map: "built" });
    const warm = await build(join(dir, "out2"), cacheDir);
    assert.equal(warm.digest, cold.digest);
    assert.deepEqual(origins(warm), { "model:word_weights": "cached", app: "cached", map: "cached" });
    // both layouts hold the cache's own file (hard links), not copies
    const hex = warm.layers.find((l) => l.role === "app")!.digest.slice("sha256:".length);
    const inodes = await Promise.all([join(cacheDir, "blobs"), join(dir, "out1", "blobs"), join(dir, "out2", "blobs")].map(async (d) => (await stat(join(d, "sha256", hex))).ino));
    assert.equal(new Set(inodes).size, 1, inodes.join(" "));

    await writeFile(join(app, "extra.py"), "# an edit\n");
    const edited = await build(join(dir, "out3"), cacheDir);
    assert.notEqual(edited.digest, cold.digest);
    assert.deepEqual(origins(edited), { "model:word_weights": "cached", app: "built", map: "cached" });

    const ls = await runCli(["cache", "ls", "--json"], { env: { MAP_BUILD_CACHE_DIR: cacheDir } });
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal((JSON.parse(ls.stdout) as { entries: unknown[] }).entries.length, 4);
    const prune = await runCli(["cache", "prune"], { env: { MAP_BUILD_CACHE_DIR: cacheDir } });
    assert.match(prune.stdout, /removed 4 layer/);
  });

  it("two concurrent builds sharing one cache both produce valid images", async () => {
    const cacheDir = join(dir, "cache2");
    const [a, b] = await Promise.all([build(join(dir, "c1"), cacheDir), build(join(dir, "c2"), cacheDir)]);
    assert.equal(a.digest, b.digest);
    for (const out of ["c1", "c2"]) {
      const v = await validateImage({ kind: "oci-layout", path: join(dir, out), tag: "1" }, { consumers: ["skopeo", "umoci"] });
      try {
        assert.ok(v.ok, JSON.stringify(v.verdicts));
      } finally {
        await v.cleanup();
      }
    }
  });
});
