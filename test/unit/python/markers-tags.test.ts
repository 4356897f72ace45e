import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { markerMatches } from "../../../src/python/markers.js";
import { markerEnvFor, PYTHON_BASE_TARGET, targetFromOptions, targetPresetForBase } from "../../../src/python/target.js";
import { compatibleTags, parseWheelFilename, platformTags, tagRanker } from "../../../src/python/wheel-tags.js";

const env311 = markerEnvFor(PYTHON_BASE_TARGET);
const ngc = targetPresetForBase("nvcr.io/nvidia/pytorch:21.07-py3")!;

describe("PEP 508 markers", () => {
  it("evaluates versions, strings, and/or, parentheses, extras", () => {
    const t = (m: string, extras: string[] = []) => markerMatches(m, env311, extras);
    assert.equal(t('python_version >= "3.8"'), true);
    assert.equal(t('python_version < "3.10"'), false);
    assert.equal(t("python_version > '3.9'"), true); // 3.11 > 3.9 as versions, not strings
    assert.equal(t('python_full_version == "3.11.*"'), true);
    assert.equal(t('sys_platform == "win32" or platform_machine == "x86_64"'), true);
    assert.equal(t('(sys_platform == "linux" and python_version < "3.8") or os_name == "nt"'), false);
    assert.equal(t('"linux" in sys_platform'), true);
    assert.equal(t('platform_machine not in "aarch64 arm64"'), true);
    assert.equal(t('implementation_name == "cpython" and platform_python_implementation == "CPython"'), true);
    assert.equal(t('extra == "fancy"'), false);
    assert.equal(t('extra == "Fancy"', ["fancy"]), true);
    assert.equal(markerMatches('python_version < "3.9"', markerEnvFor(ngc)), true);
    assert.equal(markerMatches('platform_machine == "aarch64"', markerEnvFor(targetFromOptions({ platform: "linux/arm64" }))), true);
    assert.throws(() => t('python_version >= "3.8" and'), /invalid environment marker/);
    assert.throws(() => t("unknown_var == '1'"), /unknown variable/);
  });
});

describe("targets", () => {
  it("has presets and option parsing", () => {
    assert.equal(ngc.pythonVersion, "3.8");
    assert.equal(ngc.pythonPath, "/opt/conda/bin/python3");
    assert.equal(targetPresetForBase("nvcr.io/nvidia/pytorch:22.08-py3")?.sitePrefix, "/opt/conda");
    assert.equal(targetPresetForBase("docker.io/library/alpine:3"), undefined);
    const t = targetFromOptions({ pythonVersion: "3.10", platform: "linux/arm64", glibc: "2.31" });
    assert.deepEqual([t.pythonVersion, t.machine, t.glibc], ["3.10", "aarch64", [2, 31]]);
    assert.throws(() => targetFromOptions({ pythonVersion: "python3" }), /invalid python version/);
    assert.throws(() => targetFromOptions({ platform: "windows/amd64" }), /unsupported python platform/);
  });
});

describe("wheel tags", () => {
  it("parses filenames with build tags and compressed tag sets", () => {
    const w = parseWheelFilename("My_Pkg-1.0-2b-py2.py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")!;
    assert.equal(w.name, "my-pkg");
    assert.deepEqual(w.build, [2, "b"]);
    assert.equal(w.tags.length, 4);
    assert.equal(parseWheelFilename("pkg-1.0.tar.gz"), undefined);
    assert.equal(parseWheelFilename("pkg-1.0-x-py3-none-any.whl"), undefined);
  });

  it("lists platform tags with glibc and legacy aliases", () => {
    const p = platformTags(PYTHON_BASE_TARGET);
    assert.equal(p[0], "manylinux_2_36_x86_64");
    assert.ok(p.indexOf("manylinux2014_x86_64") === p.indexOf("manylinux_2_17_x86_64") + 1);
    assert.ok(p.includes("manylinux2010_x86_64") && p.includes("manylinux1_x86_64"));
    assert.equal(p.at(-1), "linux_x86_64");
    assert.equal(platformTags(targetFromOptions({ platform: "aarch64" })).at(-2), "manylinux2014_aarch64");
    assert.equal(compatibleTags(PYTHON_BASE_TARGET)[0]!.python, "cp311");
  });

  it("ranks compatibility: most specific first, incompatible undefined", () => {
    const rank = tagRanker(PYTHON_BASE_TARGET);
    const r = (f: string) => rank(parseWheelFilename(f)!);
    const native = r("x-1-cp311-cp311-manylinux_2_17_x86_64.whl")!;
    const abi3 = r("x-1-cp38-abi3-manylinux2014_x86_64.whl")!;
    const pure = r("x-1-py3-none-any.whl")!;
    const newerGlibc = r("x-1-cp311-cp311-manylinux_2_28_x86_64.whl")!;
    assert.ok(newerGlibc < native && native < abi3 && abi3 < pure);
    assert.equal(r("x-1-cp311-cp311-manylinux_2_38_x86_64.whl"), undefined); // glibc too new
    assert.equal(r("x-1-cp311-cp311-musllinux_1_1_x86_64.whl"), undefined);
    assert.equal(r("x-1-cp311-cp311-macosx_11_0_arm64.whl"), undefined);
    assert.equal(r("x-1-cp311-cp311-manylinux_2_17_aarch64.whl"), undefined);
    assert.equal(r("x-1-cp312-abi3-manylinux_2_17_x86_64.whl"), undefined); // abi3 only for ≤ target
    assert.equal(r("x-1-cp310-cp310-manylinux_2_17_x86_64.whl"), undefined);
    assert.equal(r("x-1-cp27-cp27mu-manylinux1_x86_64.whl"), undefined);
    assert.ok(r("x-1-py311-none-any.whl")! < r("x-1-py3-none-any.whl")!);
    assert.ok(r("x-1-py2.py3-none-any.whl") !== undefined);
    assert.ok(r("x-1-cp311-none-linux_x86_64.whl") !== undefined);
    assert.notEqual(tagRanker(ngc)(parseWheelFilename("x-1-cp38-cp38-manylinux_2_31_x86_64.whl")!), undefined);
    assert.equal(tagRanker(ngc)(parseWheelFilename("x-1-cp38-cp38-manylinux_2_34_x86_64.whl")!), undefined);
  });
});
