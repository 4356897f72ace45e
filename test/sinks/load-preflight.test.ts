/**
 * `--load` pings the engine before the build starts: with nothing listening at DOCKER_HOST the run
 * fails with exit 8 (E_ENGINE) before any layer temp file or cache entry exists.
 */
import assert from "node:assert/strict";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { runCli } from "../helpers/cli.js";
import { makeTempDir } from "../helpers/tmp.js";
import { EXAMPLE_APP, EXAMPLE_MODEL } from "../package/fixtures.js";

describe("--load preflight", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    tmp = await makeTempDir("mb-load-pre-");
  });
  after(async () => {
    await tmp?.cleanup();
  });

  it("no engine at DOCKER_HOST: exit 8 before anything is built", async () => {
    const root = join(tmp.dir, "run");
    await mkdir(join(root, "tmp"), { recursive: true });
    // an oci: path that does not exist would fail later; the engine is checked first
    const r = await runCli(["package", EXAMPLE_APP, "-m", EXAMPLE_MODEL, "-b", "oci:/nonexistent/base", "-t", "app:1", "--no-sdk", "--load"], {
      env: { TMPDIR: join(root, "tmp"), MAP_BUILD_CACHE_DIR: join(root, "cache"), DOCKER_HOST: `unix://${join(root, "none.sock")}` },
    });
    assert.equal(r.code, ExitCode.output, r.stderr);
    assert.match(r.stderr, /\[E_ENGINE\]/);
    assert.deepEqual((await readdir(join(root, "tmp"))).filter((f) => f.startsWith("map-build-")), []);
    assert.deepEqual((await readdir(root)).sort(), ["tmp"]);
  });
});
