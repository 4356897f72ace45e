/**
 * Issue 7 acceptance, through `map-build package`: an app folder with its own requirements.txt
 * needing generated wheels — `greet` (pure, a console script, depends on colorfmt) from a PEP 503
 * index on 127.0.0.1 and `colorfmt` (a `.data/scripts` entry) from a --wheelhouse — is built with
 * the wheels fetched on the host; in docker (no network) the app imports them, the scripts run,
 * and the app still writes its scores.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { startDockerd, type TestDockerd } from "../helpers/dockerd.js";
import { pushPythonBase, pythonBaseLayout } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { makeTempDir } from "../helpers/tmp.js";
import { startIndex, type IndexServer } from "../python/index-server.js";
import { COLORFMT, GREET, makeWheel, writeWheel } from "../python/wheel-factory.js";
import { readLayout } from "./fixtures.js";
import { EXAMPLE_APP, EXAMPLE_INPUT, EXAMPLE_MODEL, EXPECTED_SCORES, layoutLayerDigests } from "./fixtures.js";

const SITE = "/root/.local/lib/python3.11/site-packages";

describe("map-build package: python dependencies from an index and a wheelhouse, run in docker", () => {
  let registry: TestRegistry;
  let dockerd: TestDockerd;
  let index: IndexServer;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let base: string;

  before(async () => {
    tmp = await makeTempDir("mb-pkg-py-");
    const greet = makeWheel(GREET);
    // PEP 503 (HTML) only, with hashes: the form pip's own mirrors serve
    index = await startIndex({ greet: [{ filename: greet.filename, bytes: greet.bytes, sha256: greet.sha256, requiresPython: ">=3.8" }] }, { htmlOnly: true });
    [registry, dockerd] = await Promise.all([startRegistry(), startDockerd()]);
    base = await pushPythonBase(registry.host);
  });
  after(async () => {
    await Promise.allSettled([registry?.stop(), dockerd?.stop(), index?.close()]);
    await tmp?.cleanup();
  });

  it("installs greet (index) and colorfmt (wheelhouse) into the user site; the app imports them in docker", async () => {
    const app = join(tmp.dir, "app");
    await cp(EXAMPLE_APP, app, { recursive: true });
    const requirements = "greet==1.0\n";
    await writeFile(join(app, "requirements.txt"), requirements);
    // the app itself uses the dependency at run time (the MAP's command runs app.py)
    const main = await readFile(join(app, "app.py"), "utf8");
    await writeFile(join(app, "app.py"), main.replace(/if __name__ == "__main__":\n(?![\s\S]*if __name__)/, 'if __name__ == "__main__":\n    import greet\n    print(greet.hello("app"))\n'));
    const wheelhouse = join(tmp.dir, "wheelhouse");
    await mkdir(wheelhouse);
    await writeWheel(wheelhouse, COLORFMT);

    const tag = "localhost/word-score-deps:1.0";
    const tar = join(tmp.dir, "deps.tar");
    const layout = join(tmp.dir, "layout");
    const env = { MAP_BUILD_CACHE_DIR: join(tmp.dir, "cache"), SOURCE_DATE_EPOCH: undefined, MONAI_BASEIMAGE: undefined, DOCKER_HOST: undefined };
    const r = await runCli(
      ["package", app, "-t", tag, "-b", base, "-m", EXAMPLE_MODEL, "--no-sdk", "--index-url", index.url, "--wheelhouse", wheelhouse, "--tarball", tar, "--oci-layout", layout, "--json"],
      { env, cwd: tmp.dir },
    );
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { layers: { role: string }[] };
    assert.deepEqual(result.layers.map((l) => l.role), ["base", "python-deps", "model:word_weights", "app", "map"]);
    assert.ok(index.requests.some((q) => q.path === "/simple/greet/"), "the index was asked for greet");
    assert.ok(index.requests.some((q) => q.path.startsWith("/files/greet-1.0")), "greet was downloaded from the index");

    const image = await readLayout(layout, await layoutLayerDigests(await pythonBaseLayout()));
    assert.equal(image.text("/opt/monai/app/requirements.txt"), requirements);
    assert.ok(image.files.has(`${SITE}/greet/cli.py`));
    assert.ok(image.files.has(`${SITE}/colorfmt-1.2.dist-info/RECORD`));
    for (const script of ["/root/.local/bin/greet", "/root/.local/bin/colorfmt-demo"]) {
      const f = image.files.get(script);
      assert.ok(f && (f.mode & 0o111) !== 0, `${script} executable`);
      assert.match(f.data.toString("utf8"), /^#!\/usr\/bin\/python3/, `${script} shebang points at the base's python`);
    }

    const load = await dockerd.docker(["load", "-i", tar]);
    assert.equal(load.code, 0, load.stderr);
    const tools = await dockerd.docker([
      "run", "--rm", "--network", "none", "--entrypoint", "/bin/bash", tag, "-c",
      'set -e; command -v greet; greet MAP; colorfmt-demo; python3 -c "import greet, colorfmt; print(greet.hello(colorfmt.__name__))"',
    ]);
    assert.equal(tools.code, 0, `${tools.stdout}\n${tools.stderr}`);
    assert.equal(tools.stdout, "/root/.local/bin/greet\n[hello, MAP]\n[demo]\n[hello, colorfmt]\n");

    const out = join(tmp.dir, "out");
    await mkdir(out);
    const run = await dockerd.docker(["run", "--rm", "--network", "none", "-v", `${EXAMPLE_INPUT}:/var/monai/input:ro`, "-v", `${out}:/var/monai/output`, tag]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /\[hello, app\]/);
    assert.equal(await readFile(join(out, "scores.csv"), "utf8"), EXPECTED_SCORES);
  });

  it("a requirement no source has: E_PYTHON_DEPS names it, exit 3, no tarball", async () => {
    const req = join(tmp.dir, "missing.txt");
    await writeFile(req, "nosuchpkg==9.9\n");
    const tar = join(tmp.dir, "never.tar");
    const r = await runCli(["package", EXAMPLE_APP, "-t", "x:1", "-b", base, "--no-sdk", "-r", req, "--index-url", index.url, "--tarball", tar], {
      env: { MAP_BUILD_CACHE_DIR: join(tmp.dir, "cache") },
      cwd: tmp.dir,
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^error: .*nosuchpkg.* \[E_PYTHON_DEPS\]$/m);
    assert.match(r.stderr, /^hint: /m);
    await assert.rejects(readFile(tar));
  });
});
