import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { makeTempDir } from "../../helpers/tmp.js";
import { parseAppConfig, readAppConfig, versionString } from "../../../src/map1/app-config.js";
import { planMap1Models } from "../../../src/map1/models.js";
import { renderMap1Manifests, type AppKind } from "../../../src/map1/manifests.js";
import { holoscanPlatform, holoscanPlatforms } from "../../../src/map1/platforms.js";
import { holoscanIndexTag, holoscanReleaseVersion, holoscanTag, normalizePep440, pep440BaseVersion } from "../../../src/map1/tag-name.js";
import { isMapBuildError } from "../../../src/errors.js";
import { fixture } from "../../helpers/fixtures.js";

const FIXTURES = fixture("map1");

interface Case {
  app: string;
  files: string[];
  models?: string;
  sdk: "monai-deploy" | "holoscan";
  sdkVersion: string;
  timeout?: number;
  platformConfig: "dgpu" | "igpu";
}

describe("MAP 1.0 manifests: bytes written by holoscan-cli 4.2.0's own code (scripts/generate-map1-fixtures.py)", async () => {
  const tmp = await makeTempDir("mb-map1-");
  after(tmp.cleanup);
  for (const name of (await readdir(FIXTURES, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name)) {
    it(name, async () => {
      const dir = join(FIXTURES, name);
      const c = JSON.parse(await readFile(join(dir, "case.json"), "utf8")) as Case;
      const work = join(tmp.dir, name);
      for (const rel of c.files) {
        await mkdir(dirname(join(work, rel)), { recursive: true });
        await writeFile(join(work, rel), "");
      }
      const appKind: AppKind = c.files.includes(`${c.app}/__main__.py`) ? "python-module" : c.app.endsWith(".py") ? "python-file" : "binary";
      if (appKind === "binary") await chmod(join(work, c.app), 0o755);
      const models = c.models ? await planMap1Models(join(work, c.models)) : [];
      const config = await readAppConfig(join(dir, "app.yaml"));
      const out = renderMap1Manifests({
        config,
        appKind,
        appFile: basename(c.app),
        sdk: c.sdk,
        sdkVersion: c.sdkVersion,
        timeout: c.timeout ?? 0,
        models: models.map((m) => m.name),
        platformConfig: c.platformConfig,
      });
      assert.equal(out.appJson.toString("latin1"), await readFile(join(dir, "app.json"), "latin1"));
      assert.equal(out.pkgJson.toString("latin1"), await readFile(join(dir, "pkg.json"), "latin1"));
    });
  }

  it("plans folder models as upstream copies them (a folder with files is itself a model)", async () => {
    const root = join(tmp.dir, "models-plan", "weights");
    await mkdir(join(root, "seg"), { recursive: true });
    await writeFile(join(root, "a.pt"), "x");
    const plan = await planMap1Models(root);
    assert.deepEqual(plan.map((m) => [m.name, m.kind, m.imageDir, basename(m.sourcePath)]), [
      ["weights", "folder", "/opt/holoscan/models/weights", "weights"],
      ["seg", "folder", "/opt/holoscan/models/seg", "seg"],
    ]);
  });
});

describe("app.yaml", () => {
  const parse = (s: string) => parseAppConfig(Buffer.from(s), "app.yaml");
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      assert.ok(isMapBuildError(e));
      return `${e.code}: ${e.message}`;
    }
    return "no error";
  };

  it("keeps YAML 1.1 types as PyYAML does", () => {
    const c = parse("application:\n  title: t\n  version: 1.10\nresources:\n  a: 010\n  b: 1e3\n  c: yes\n  d: 0x1f\n");
    assert.equal(versionString(c.version), "1.1");
    assert.deepEqual([...(c.resources as Map<unknown, unknown>).values()], [8n, "1e3", true, 31n]);
  });

  it("refuses what upstream refuses, naming the key", () => {
    assert.match(code(() => parse("resources: {}\n")), /^E_APP_INVALID: app\.yaml: .*application/);
    assert.match(code(() => parse("application:\n  title: ''\n  version: 1\nresources: {}\n")), /title is empty/);
    assert.match(code(() => parse("application:\n  title: t\nresources: {}\n")), /application\.version/);
    assert.match(code(() => parse("application:\n  title: t\n  version: 1\n")), /resources/);
    assert.match(code(() => parse("application: [\n")), /not valid YAML/);
    assert.match(code(() => parse("application:\n  title: t\n  version: 1\n  pip-packages: numpy\nresources: {}\n")), /pip-packages/);
  });

  it("reads pip-packages in order", () => {
    const c = parse("application:\n  title: t\n  version: '1'\n  pip-packages: [b>=1, a]\nresources: {}\n");
    assert.deepEqual(c.pipPackages, ["b>=1", "a"]);
    assert.equal(versionString(c.version), "1");
  });
});

describe("platforms and tags", () => {
  it("maps new and old platform names", () => {
    assert.deepEqual(holoscanPlatform("x86_64"), { name: "x86_64", tagName: "x64-workstation", config: "dgpu", oci: "linux/amd64" });
    assert.equal(holoscanPlatform("x64-workstation").name, "x86_64");
    assert.equal(holoscanPlatform("igx-orin-devkit", "igpu").name, "igx-igpu");
    assert.equal(holoscanPlatform("jetson-agx-orin-devkit").oci, "linux/arm64");
    assert.deepEqual(holoscanPlatforms("sbsa, igx-dgpu").map((p) => p.oci), ["linux/arm64", "linux/arm64"]);
    assert.throws(() => holoscanPlatform("riscv"), /unknown platform/);
  });

  it("names images as holoscan-cli does, keeping a registry host", () => {
    const x86 = holoscanPlatform("x86_64");
    assert.equal(holoscanTag("my_app", x86, "1.0"), "my_app-x64-workstation-dgpu-linux-amd64:1.0");
    assert.equal(holoscanTag("org/my_app:2.0", x86, "1.0"), "org-my_app-x64-workstation-dgpu-linux-amd64:2.0");
    assert.equal(holoscanTag("127.0.0.1:5000/apps/seg", holoscanPlatform("jetson"), "1.0"), "127.0.0.1:5000/apps-seg-jetson-agx-orin-devkit-igpu-linux-arm64:1.0");
    assert.throws(() => holoscanTag("a:b:c!", x86, "1"), /not a valid Docker tag/);
  });

  it("names a multi-platform index <name>:<tag or version>", () => {
    assert.equal(holoscanIndexTag("my_app", "1.0"), "my_app:1.0");
    assert.equal(holoscanIndexTag("127.0.0.1:5000/apps/seg:2", "1.0"), "127.0.0.1:5000/apps/seg:2");
    assert.throws(() => holoscanIndexTag("a@sha256:00", "1"), /not a tag/);
  });

  it("normalises versions as packaging.version does", () => {
    assert.equal(normalizePep440("1.0.0-rc1", "--version"), "1.0.0rc1");
    assert.equal(pep440BaseVersion("3.0.0rc2"), "3.0.0");
    assert.equal(holoscanReleaseVersion("3.1"), "3.1.0");
    assert.equal(holoscanReleaseVersion("3.1.0.1"), "3.1.0");
    assert.throws(() => normalizePep440("not a version", "--version"), /PEP 440/);
  });
});
