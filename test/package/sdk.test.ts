/**
 * Issue 6 acceptance: the App SDK in the MAP. A small stand-in `monai_deploy_app_sdk-0.5.1` wheel
 * (generated here, with one generated dependency) is installed with --sdk-wheel into the base's
 * user site; in docker `import monai.deploy` works (checklist 21, 26), export mode copies the
 * manifests (25), and the example, now importing the stand-in SDK, still writes its scores. Without
 * --no-sdk and without any SDK source the build stops with E_USAGE naming both ways out.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { startDockerd, type TestDockerd } from "../helpers/dockerd.js";
import { pushPythonBase } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { makeTempDir } from "../helpers/tmp.js";
import { SDKDEP, sdkWheel, writeWheel } from "../python/wheel-factory.js";
import { buildContext, buildLayout, exampleArgs, type BuildContext } from "./build.js";
import { EXAMPLE_APP, EXAMPLE_INPUT, EXAMPLE_MODEL, EXPECTED_SCORES } from "./fixtures.js";

const SITE = "/root/.local/lib/python3.11/site-packages";

describe("map-build package: the App SDK", () => {
  let registry: TestRegistry;
  let dockerd: TestDockerd;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let ctx: BuildContext;
  let sdkFile: string;
  let wheelhouse: string;

  before(async () => {
    tmp = await makeTempDir("mb-pkg-sdk-");
    [registry, dockerd] = await Promise.all([startRegistry(), startDockerd()]);
    const base = await pushPythonBase(registry.host);
    ctx = await buildContext(tmp.dir, base);
    const sdkDir = join(tmp.dir, "sdk");
    wheelhouse = join(tmp.dir, "wheelhouse");
    await mkdir(sdkDir);
    await mkdir(wheelhouse);
    sdkFile = (await writeWheel(sdkDir, sdkWheel("0.5.1"))).path;
    assert.ok(sdkFile.endsWith("monai_deploy_app_sdk-0.5.1-py3-none-any.whl"));
    await writeWheel(wheelhouse, SDKDEP);
  });
  after(async () => {
    await Promise.allSettled([registry?.stop(), dockerd?.stop()]);
    await tmp?.cleanup();
  });

  it("--sdk-wheel: monai.deploy importable in docker, manifests say 0.5.1, export mode and the app work", async () => {
    const tar = join(tmp.dir, "sdk.tar");
    const tag = "localhost/word-score-sdk:1.0";
    const args = ["package", EXAMPLE_APP, "-t", tag, "-b", ctx.base, "-m", EXAMPLE_MODEL, "--sdk-wheel", sdkFile, "--wheelhouse", wheelhouse, "--tarball", tar];
    const { image, dir } = await buildLayout(ctx, args, { child: true });
    // `map-build inspect` runs the static checklist (1-23) on the result: all pass, exit 0
    const inspect = await runCli(["inspect", `oci:${dir}:1.0`, "--json"], { env: ctx.env, cwd: tmp.dir });
    assert.equal(inspect.code, 0, `inspect: ${inspect.stdout}\n${inspect.stderr}`);
    // checklist 21: the SDK in the user site of the base's python (3.11 in the test base)
    assert.match(image.text(`${SITE}/monai/deploy/__init__.py`), /__version__ = "0\.5\.1"/);
    assert.ok(image.files.has(`${SITE}/monai_deploy_app_sdk-0.5.1.dist-info/METADATA`));
    assert.ok(image.files.has(`${SITE}/sdkdep/__init__.py`), "the SDK's dependency is installed too");
    assert.ok(![...image.files.keys()].some((p) => p.startsWith("/opt/monai/app/") && (p.includes("__pycache__") || p.endsWith(".pyc"))));
    assert.equal(image.appJson["sdk-version"], "0.5.1");
    assert.equal(image.pkgJson["sdk-version"], "0.5.1");
    assert.equal(image.labels.sdk_version, "0.5.1");
    // checklist 20: the SDK's requirements are listed (0.5.1 appended install_requires)
    assert.match(image.text("/opt/monai/app/requirements.txt"), /^sdkdep>=1\.0$/m);

    const load = await dockerd.docker(["load", "-i", tar]);
    assert.equal(load.code, 0, load.stderr);
    // checklist 26
    const imp = await dockerd.docker(["run", "--rm", "--network", "none", "--entrypoint", "/bin/bash", tag, "-c", 'python3 -c "import monai.deploy, monai.deploy.core; print(monai.deploy.__file__)"']);
    assert.equal(imp.code, 0, imp.stderr);
    assert.equal(imp.stdout.trim(), `${SITE}/monai/deploy/__init__.py`);
    // checklist 25: export mode
    const exp = join(tmp.dir, "export");
    await mkdir(exp);
    const ex = await dockerd.docker(["run", "--rm", "--network", "none", "-v", `${exp}:/var/run/monai/export/config`, tag]);
    assert.equal(ex.code, 0, `${ex.stdout}\n${ex.stderr}`);
    assert.deepEqual((await readdir(exp)).sort(), ["app.json", "pkg.json"]);
    assert.equal(await readFile(join(exp, "app.json"), "utf8"), image.text("/etc/monai/app.json"));
    // the runner's way (§1.8): bash -c "<command>" with the data mounts; the app imports the stand-in SDK
    const out = join(tmp.dir, "out");
    await mkdir(out);
    const r = await dockerd.docker([
      "run", "--rm", "--network", "none", "-v", `${EXAMPLE_INPUT}:/var/monai/input`, "-v", `${out}:/var/monai/output`,
      "--entrypoint", "/bin/bash", tag, "-c", String(image.appJson.command) + ' && PYTHONPATH=/opt/monai/app python3 -c "import sys, app; sys.exit(0 if app.Application.__module__ == \'monai.deploy.core\' else 1)"',
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(await readFile(join(out, "scores.csv"), "utf8"), EXPECTED_SCORES);
  });

  it("sdk-version comes from the wheel (PEP 440 → semver); --sdk-version overrides it", async () => {
    const dir = join(tmp.dir, "sdk-rc");
    await mkdir(dir);
    const rc = (await writeWheel(dir, sdkWheel("0.6.0rc2"))).path;
    const { image } = await buildLayout(ctx, ["package", EXAMPLE_APP, "-t", "x:1", "-b", ctx.base, "--sdk-wheel", rc, "--wheelhouse", wheelhouse, "--python-version", "3.11"]);
    assert.equal(image.appJson["sdk-version"], "0.6.0-rc.2");
    assert.equal(image.labels.sdk_version, "0.6.0-rc.2");
    const over = await buildLayout(ctx, ["package", EXAMPLE_APP, "-t", "x:1", "-b", ctx.base, "--sdk-wheel", rc, "--wheelhouse", wheelhouse, "--python-version", "3.11", "--sdk-version", "0.5.1"]);
    assert.equal(over.image.pkgJson["sdk-version"], "0.5.1");
  });

  it("without --no-sdk and without an SDK source: E_USAGE naming --sdk-wheel and --no-sdk, no output", async () => {
    const tar = join(tmp.dir, "never.tar");
    const r = await runCli(exampleArgs(ctx, ["--tarball", tar]).filter((a) => a !== "--no-sdk"), { env: ctx.env, cwd: tmp.dir });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[0]!, /^error: .*SDK.* \[E_USAGE\]$/);
    assert.match(lines[1]!, /^hint: .*--sdk-wheel.*--no-sdk/);
    assert.ok(!(await readdir(tmp.dir)).includes("never.tar"));
  });
});
