/**
 * The MAP 1.0 command line: `monai-deploy package APP -c app.yaml -t TAG --platform x86_64 …` as
 * App SDK >= 0.6 users type it, `map-build package --format 1.0`, and the flags that would need a
 * compiler. Builds go to the small python base (OCI layout), no daemon.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { runCliInProcess } from "../helpers/cli.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { makeTempDir } from "../helpers/tmp.js";
import { writeWheel } from "../python/wheel-factory.js";
import { layoutLayerDigests, readLayout } from "../package/fixtures.js";
import { fixture } from "../helpers/fixtures.js";
import { cycloneDx16Validator, isValid, schemaErrors } from "../sbom/schemas.js";

const FIXTURE = fixture("map1", "monai-module");

describe("MAP 1.0 command line", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let base: string;
  let env: NodeJS.ProcessEnv;
  const app = () => join(tmp.dir, "my_app");

  before(async () => {
    tmp = await makeTempDir("mb-m1cli-");
    base = `oci:${await pythonBaseLayout()}:${PYTHON_BASE_TAG}`;
    await mkdir(app());
    await writeFile(join(app(), "__main__.py"), "print('hi')\n");
    for (const f of ["models/seg/model.ts", "models/cls/weights.pt", "models/notes.txt"]) {
      await mkdir(dirname(join(tmp.dir, f)), { recursive: true });
      await writeFile(join(tmp.dir, f), "w\n");
    }
    await mkdir(join(tmp.dir, "wheels"));
    await writeWheel(join(tmp.dir, "wheels"), { name: "monai-deploy-app-sdk", version: "3.0.0", files: { "monai/deploy/__init__.py": "" }, requires: ["holoscan"] });
    await writeWheel(join(tmp.dir, "wheels"), { name: "holoscan", version: "3.1.0", files: { "holoscan/__init__.py": "" } });
    await writeWheel(join(tmp.dir, "wheels"), { name: "scikit-image", version: "0.20.0", files: { "skimage/__init__.py": "" } });
    env = { MAP_BUILD_CACHE_DIR: join(tmp.dir, "cache"), SOURCE_DATE_EPOCH: undefined, DOCKER_HOST: "unix:///nonexistent.sock", PIP_CONFIG_FILE: "/dev/null", PIP_INDEX_URL: undefined, PIP_FIND_LINKS: undefined, PIP_EXTRA_INDEX_URL: undefined };
  });
  after(() => tmp?.cleanup());

  const cli = (args: string[], entry: "monai-deploy" | "map-build" = "monai-deploy") => runCliInProcess(args, { env, cwd: tmp.dir, entry });

  it("builds what monai-deploy package -c … built, writing <dir>/<tag>.tar for -o", async () => {
    const out = join(tmp.dir, "out");
    await mkdir(out);
    const r = await cli(["package", app(), "-c", join(FIXTURE, "app.yaml"), "-t", "my_app", "--platform", "x86_64", "-m", join(tmp.dir, "models"),
      "--base-image", base, "--wheelhouse", join(tmp.dir, "wheels"), "-o", out, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { tag: string; appJson: unknown; pkgJson: unknown; outputs: { kind: string; target: string }[] };
    assert.equal(result.tag, "docker.io/library/my_app-x64-workstation-dgpu-linux-amd64:1.0");
    assert.deepEqual(result.appJson, JSON.parse(await readFile(join(FIXTURE, "app.json"), "utf8")));
    assert.deepEqual(result.pkgJson, JSON.parse(await readFile(join(FIXTURE, "pkg.json"), "utf8")));
    assert.deepEqual(await readdir(out), ["my_app-x64-workstation-dgpu-linux-amd64-1.0.tar"]);
    assert.ok((await stat(join(out, "my_app-x64-workstation-dgpu-linux-amd64-1.0.tar"))).size > 0);
  });

  it("map-build package --format 1.0 keeps the tag as given with --exact-tag; --label, --annotation, --sbom, --sbom-in-image", async () => {
    const layout = join(tmp.dir, "layout");
    const sbom = join(tmp.dir, "m1.cdx.json");
    const r = await cli(["package", app(), "--format", "1.0", "-c", join(FIXTURE, "app.yaml"), "-t", "apps/seg:2", "--exact-tag", "--platform", "x64-workstation",
      "--base-image", base, "--wheelhouse", join(tmp.dir, "wheels"), "--oci-layout", layout, "--username", "runner", "--uid", "2000", "--gid", "2000",
      "--label", "org.example.team=imaging", "--annotation", "org.opencontainers.image.revision=abc123", "--sbom", sbom, "--sbom-in-image", "--json"], "map-build");
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { tag: string; digest: string; attestations: { sbom: { digest: string } } };
    assert.equal(result.tag, "docker.io/apps/seg:2");
    const image = await readLayout(layout, await layoutLayerDigests(await pythonBaseLayout()));
    assert.equal(image.config.config?.Labels?.["org.example.team"], "imaging");
    assert.equal(image.config.config?.Labels?.tag, "apps/seg:2", "the MAP's own labels stay");
    assert.equal((image.manifest as { annotations?: Record<string, string> }).annotations?.["org.opencontainers.image.revision"], "abc123");
    const bom = JSON.parse(await readFile(sbom, "utf8")) as { metadata: { component: { hashes: { content: string }[] } }; components: { name: string }[] };
    const validate = cycloneDx16Validator();
    assert.ok(isValid(validate, bom), schemaErrors(validate));
    assert.equal(bom.metadata.component.hashes[0]!.content, result.digest.slice(7));
    assert.ok(bom.components.some((c) => c.name === "monai-deploy-app-sdk") && bom.components.some((c) => c.name === "/opt/holoscan/app/__main__.py"), JSON.stringify(bom.components.map((c) => c.name)));
    const inImage = JSON.parse(image.text("/opt/holoscan/sbom.cdx.json")) as { components: { name: string }[] };
    assert.ok(inImage.components.some((c) => c.name === "holoscan"));
    const refused = await cli(["package", app(), "-c", join(FIXTURE, "app.yaml"), "-t", "x", "--platform", "x86_64", "--base-image", base, "--label", "org.nvidia.holoscan=1"]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /would replace the MAP's own org\.nvidia\.holoscan label/);
  });

  it("refuses what needs a compiler or apt, naming the flag", async () => {
    const common = ["package", app(), "-c", join(FIXTURE, "app.yaml"), "-t", "x", "--base-image", base];
    for (const [extra, expected] of [
      [["--platform", "x86_64", "--build-image", "img"], /--build-image is not supported: prebuild and pass the binary folder/],
      [["--platform", "x86_64", "--cmake-args", "-DX=1"], /--cmake-args is not supported: prebuild and pass the binary folder/],
      [["--platform", "x86_64", "--includes", "torch"], /--includes torch is not supported/],
    ] as const) {
      const r = await cli([...common, ...extra]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, expected);
    }
    const cpp = join(tmp.dir, "cpp_app");
    await mkdir(cpp);
    await writeFile(join(cpp, "CMakeLists.txt"), "project(x)\n");
    const r = await cli(["package", cpp, "-c", join(FIXTURE, "app.yaml"), "-t", "x", "--platform", "x86_64", "--base-image", base]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /not supported: building C\+\+ applications[\s\S]*prebuild and pass the binary folder/);
    const noBase = await cli(["package", app(), "-c", join(FIXTURE, "app.yaml"), "-t", "x", "--platform", "x86_64"]);
    assert.equal(noBase.code, 2);
    assert.match(noBase.stderr, /needs a base image that has python3/);
    const noPlatform = await cli(["package", app(), "-c", join(FIXTURE, "app.yaml"), "-t", "x"]);
    assert.match(noPlatform.stderr, /--platform/);
  });

  it("refuses an app file whose name would break the JSON command or the tools script", async () => {
    const dir = join(tmp.dir, "odd");
    await mkdir(dir);
    const file = join(dir, 'x",$(touch PWN).py');
    await writeFile(file, "print('hi')\n");
    const r = await cli(["package", file, "-c", join(FIXTURE, "app.yaml"), "-t", "x", "--platform", "x86_64", "--base-image", base, "-o", tmp.dir]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /cannot go into the run command[\s\S]*rename the file/);
  });
});
