/**
 * Issue 16 acceptance, the base as pip sees it: a base whose layers carry Debian-style
 * `/usr/lib/python3/dist-packages/<name>.egg-info` (file and folder forms, one with requires.txt)
 * and a dist-info in a later layer that whites out an older one. Satisfied requirements are not
 * installed, the unsatisfied one is and is named in the output; in docker the app imports the
 * base's copies. A wheel whose extension modules need a library the base lacks gets one warning
 * naming both, with how many modules need it (an error with --strict-libs); a library its wheel
 * vendors does not.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { startDockerd, type TestDockerd } from "../helpers/dockerd.js";
import { pushPythonBaseWith } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { makeTempDir } from "../helpers/tmp.js";
import { makeElf } from "../python/elf-factory.js";
import { COLORFMT, GREET, writeWheel } from "../python/wheel-factory.js";
import { EXAMPLE_APP } from "./fixtures.js";

const SITE = "/root/.local/lib/python3.11/site-packages";
const DEB = "/usr/lib/python3/dist-packages";
const LOCAL = "/usr/local/lib/python3.11/dist-packages";

describe("map-build package: distributions already in the base", () => {
  let registry: TestRegistry;
  let dockerd: TestDockerd;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let base: string;
  let app: string;
  let wheelhouse: string;

  before(async () => {
    tmp = await makeTempDir("mb-pkg-basedists-");
    [registry, dockerd] = await Promise.all([startRegistry(), startDockerd()]);
    base = await pushPythonBaseWith(registry.host, join(tmp.dir, "base"), [
      {
        files: {
          [`${DEB}/colorfmt-1.2.egg-info`]: "Metadata-Version: 1.1\nName: colorfmt\nVersion: 1.2\n",
          [`${DEB}/colorfmt/__init__.py`]: "def fmt(s):\n    return '<base>' + s\n",
          [`${DEB}/greet-1.0.egg-info/PKG-INFO`]: "Metadata-Version: 1.1\nName: greet\nVersion: 1.0\n",
          [`${DEB}/greet-1.0.egg-info/requires.txt`]: "colorfmt>=1.0\n\n[fancy]\nfancyextra\n",
          [`${DEB}/greet/__init__.py`]: "from colorfmt import fmt\n",
          [`${DEB}/typeguard-2.2.2.egg-info`]: "Metadata-Version: 1.1\nName: typeguard\nVersion: 2.2.2\n",
          [`${DEB}/typeguard/__init__.py`]: "VERSION = '2.2.2'\n",
          [`${LOCAL}/oldpkg-1.0.dist-info/METADATA`]: "Metadata-Version: 2.1\nName: oldpkg\nVersion: 1.0\n",
          [`${LOCAL}/oldpkg/__init__.py`]: "VERSION = '1.0'\n",
        },
      },
      { whiteouts: [`${LOCAL}/oldpkg-1.0.dist-info`] },
      { files: { [`${LOCAL}/oldpkg-2.0.dist-info/METADATA`]: "Metadata-Version: 2.1\nName: oldpkg\nVersion: 2.0\n", [`${LOCAL}/oldpkg/__init__.py`]: "VERSION = '2.0'\n" } },
    ]);
    wheelhouse = join(tmp.dir, "wheelhouse");
    await mkdir(wheelhouse);
    for (const spec of [GREET, COLORFMT, { name: "oldpkg", version: "2.0", files: { "oldpkg/__init__.py": "VERSION = 'wheel'\n" } }]) await writeWheel(wheelhouse, spec);
    await writeWheel(wheelhouse, { name: "typeguard", version: "4.0", files: { "typeguard/__init__.py": "VERSION = '4.0'\n" } });
    await writeWheel(wheelhouse, {
      name: "fastext", version: "1.0", tag: "cp311-cp311-manylinux_2_17_x86_64",
      files: {
        "fastext/__init__.py": "",
        "fastext/_core.cpython-311-x86_64-linux-gnu.so": { data: makeElf(["libstdc++.so.6", "libc.so.6"]) },
        "fastext/_more.cpython-311-x86_64-linux-gnu.so": { data: makeElf(["libstdc++.so.6"]) },
        "fastext/_vend.cpython-311-x86_64-linux-gnu.so": { data: makeElf(["libvend-1a2b3c.so.1", "libm.so.6"]) },
        "fastext.libs/libvend-1a2b3c.so.1": { data: makeElf(["libc.so.6"]) },
      },
    });
    app = join(tmp.dir, "app");
    await cp(EXAMPLE_APP, app, { recursive: true });
    await writeFile(join(app, "requirements.txt"), "greet\ncolorfmt>=1.0\noldpkg>=2\ntypeguard>=3.0.0\nfastext\n");
  });
  after(async () => {
    await Promise.allSettled([registry?.stop(), dockerd?.stop()]);
    await tmp?.cleanup();
  });

  const env = () => ({ MAP_BUILD_CACHE_DIR: join(tmp.dir, "cache") });

  it("installs only what the base does not satisfy, says so, and the MAP imports the base's copies", async () => {
    const tar = join(tmp.dir, "map.tar");
    const tag = "localhost/base-dists:1.0";
    const r = await runCli(["package", app, "-t", tag, "-b", base, "--no-sdk", "--wheelhouse", wheelhouse, "--tarball", tar, "--json"], { env: env(), cwd: tmp.dir });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { warnings: string[] };
    const warnings = result.warnings.join("\n");
    assert.match(warnings, /typeguard 2\.2\.2 in the base does not satisfy typeguard>=3\.0\.0: installing 4\.0/);
    assert.match(warnings, /^fastext 1\.0 needs libstdc\+\+\.so\.6 \(2 extension modules, e\.g\. fastext\/_core\.cpython-311-x86_64-linux-gnu\.so\), which neither the wheels nor the base provide/m);
    assert.equal(warnings.match(/needs libstdc\+\+/g)?.length, 1, "one line per wheel and library");
    assert.doesNotMatch(warnings, /libvend|libm\.so|libc\.so/);

    assert.equal((await dockerd.docker(["load", "-i", tar])).code, 0);
    const py = [
      "import greet, colorfmt, oldpkg, typeguard, fastext",
      "print(greet.__file__); print(colorfmt.fmt('x')); print(oldpkg.VERSION, oldpkg.__file__); print(typeguard.VERSION, typeguard.__file__)",
      `import os; print(sorted(n for n in os.listdir("${SITE}") if n.endswith(".dist-info")))`,
    ].join("\n");
    const run = await dockerd.docker(["run", "--rm", "--network", "none", "--entrypoint", "python3", tag, "-c", py]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(run.stdout, [
      `${DEB}/greet/__init__.py`, "<base>x", `2.0 ${LOCAL}/oldpkg/__init__.py`, `4.0 ${SITE}/typeguard/__init__.py`, "['fastext-1.0.dist-info', 'typeguard-4.0.dist-info']", "",
    ].join("\n"));
  });

  it("--strict-libs fails naming the library and the wheel", async () => {
    const r = await runCli(["package", app, "-t", "x:1", "-b", base, "--no-sdk", "--wheelhouse", wheelhouse, "--strict-libs", "--tarball", join(tmp.dir, "never.tar")], { env: env(), cwd: tmp.dir });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^error: fastext 1\.0 needs libstdc\+\+\.so\.6 \(2 extension modules, e\.g\. fastext\/_core\.[^)]*\), which neither [^;]*\[E_PYTHON_DEPS\]$/m);
    assert.match(r.stderr, /^hint: install libstdc\+\+\.so\.6 in the base image/m);
  });
});
