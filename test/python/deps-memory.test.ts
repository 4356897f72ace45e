/**
 * Issue 16, memory flat for torch-sized wheels: peak RSS of a cold deps build stays ≤ 150 MB. The
 * child is the real CLI entry (deps-memory-child.ts, bundled to plain JS: the tsx loader alone
 * adds ~40 MB) running `package` with a generated wheelhouse — a 256 MiB random `.so`, 400
 * deflated 320 KiB libraries and 3,000 small members — onto the small python base, output an OCI layout: every member inflated and
 * checked against RECORD, the layer gzip'd and written, blobs copied into the layout. No
 * wall-clock assertion; the timeout only guards against a hang.
 * (The app-only rebuild of the same kind of wheelhouse: test/package/python-cache.test.ts.)
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFile, cp, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { bundleForNode } from "../helpers/bundle.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { run } from "../helpers/run.js";
import { scratchDirs } from "../helpers/tmp.js";
import { EXAMPLE_APP } from "../package/fixtures.js";
import { bigWheelhouse } from "./big-wheelhouse.js";

const BIG_BYTES = 256 * 1024 * 1024;
const MEMBERS = 3000;
/** Large deflated members, each copied into the layer as its own gzip member. */
const LARGE_MEMBERS = 400;
const LIMIT_BYTES = 150 * 1000 * 1000;

/** The environment of a user with no pip configuration and no index: the wheelhouse is the only source. */
function isolatedEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PIP_") && !k.startsWith("MAP_BUILD_")) env[k] = v;
  return { ...env, PIP_CONFIG_FILE: "/dev/null", MAP_BUILD_DEFAULT_INDEX_URL: "", ...extra };
}

describe("python deps layer memory", () => {
  const scratch = scratchDirs("mb-deps-rss-");

  it("a cold deps build of a 256 MiB .so, 400 large and 3,000 small members peaks under 150 MB", { timeout: 900_000 }, async (t) => {
    const dir = await scratch.fresh("build");
    const wheelhouse = join(dir, "wheelhouse");
    const app = join(dir, "app");
    await cp(EXAMPLE_APP, app, { recursive: true });
    await writeFile(join(app, "requirements.txt"), `${(await bigWheelhouse(wheelhouse, { members: MEMBERS, bigBytes: BIG_BYTES, largeMembers: LARGE_MEMBERS })).join("\n")}\n`);
    // the CLI finds its version two folders up from its module (src/cli, dist/cli): keep that shape
    const bundleDir = join(dir, "cli", "bundle", "cli");
    await mkdir(bundleDir, { recursive: true });
    await copyFile(join(REPO_ROOT, "package.json"), join(dir, "cli", "package.json"));
    const child = await bundleForNode(resolve(import.meta.dirname, "deps-memory-child.ts"), bundleDir, "map-build");
    const rssOut = join(dir, "rss.json");
    const out = join(dir, "out");
    const args = [child, "package", app, "-t", "deps/rss:1", "-b", `oci:${await pythonBaseLayout()}:${PYTHON_BASE_TAG}`,
      "--no-sdk", "--wheelhouse", wheelhouse, "--oci-layout", out, "--json"];
    const env = isolatedEnv({ MB_RSS_OUT: rssOut, MAP_BUILD_CACHE_DIR: join(dir, "cache") });
    const r = await run(process.execPath, args, { env, timeoutMs: 850_000 });
    assert.equal(r.code, 0, `the build failed: ${r.stderr}`);
    const peak = (JSON.parse(await readFile(rssOut, "utf8")) as { peakRssKiB: number }).peakRssKiB * 1024;
    t.diagnostic(`peak RSS ${(peak / 1e6).toFixed(1)} MB`);
    const result = JSON.parse(r.stdout) as { layers: { role: string; origin: string; digest: string; size: number }[] };
    const deps = result.layers.find((l) => l.role === "python-deps");
    assert.equal(deps?.origin, "built", "the deps layer was built, not taken from a cache");
    assert.ok(deps.size > BIG_BYTES, `random bytes do not compress: the layer holds the .so (${deps.size} bytes)`);
    const blob = join(out, "blobs", ...deps.digest.split(":"));
    assert.equal((await stat(blob)).size, deps.size, "the OCI layout holds the deps layer");
    assert.ok(peak <= LIMIT_BYTES, `peak RSS ${(peak / 1e6).toFixed(1)} MB > 150 MB`);
  });
});
