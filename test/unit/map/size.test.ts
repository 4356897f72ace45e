import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { memoryToMi, parseMemoryBytes, renderMemoryMi } from "../../../src/map/size.js";
import { isSemver, pep440ToSemver } from "../../../src/map/sdk-version.js";
import { isMapBuildError } from "../../../src/errors.js";

/** A Python replica of sizeutil.get_bytes + convert_bytes(…, "Mi") as the reference. */
const PY_SIZEUTIL = String.raw`
import json, re, sys
U = {"b": 1}
for i, p in enumerate("kmgtpezy"):
    U[p + "b"] = 1000 ** (i + 1); U[p + "i"] = 1024 ** (i + 1); U[p + "ib"] = 1024 ** (i + 1)
def get_bytes(size):
    if isinstance(size, int): return size
    m = re.match(r"^\s*(?P<size>(([1-9]\d+)|\d)(\.\d+)?)\s*(?P<unit>[a-z]{1,3})?\s*$", size, re.IGNORECASE)
    return int(float(m.group("size")) * U[(m.group("unit") or "b").lower()])
def convert(n):
    c = float(n) / U["mi"] * 10
    return f"{int(c) // 10}Mi" if int(c) % 10 == 0 else f"{c / 10:.1f}Mi"
print(json.dumps([convert(get_bytes(v)) for v in json.loads(sys.stdin.read())]))
`;

describe("memory sizes", () => {
  it("renders the documented examples", () => {
    assert.equal(memoryToMi("7Gi"), "7168Mi");
    assert.equal(memoryToMi("500MB"), "476.8Mi");
    assert.equal(memoryToMi(65536), "0Mi");
    assert.equal(memoryToMi(undefined), "0Mi");
    assert.equal(parseMemoryBytes(" 0.3 GiB "), Math.trunc(0.3 * 2 ** 30));
    assert.equal(renderMemoryMi(262144), "0.2Mi"); // 0.25Mi: Python rounds the tie to even
  });

  it("agrees with a Python replica of sizeutil", () => {
    const values: (string | number)[] = ["7Gi", "500MB", 65536, "1", "0.3 GiB", "3mb", "1024", "12.75Mi", "1.25mi", "2kib",
      "10 gb", "0.5Ti", "1.05Gi", 262144, 786432, 1310720, "999KB", "7GI", "1b"];
    const py = JSON.parse(execFileSync("python3", ["-c", PY_SIZEUTIL], { input: JSON.stringify(values), encoding: "utf8" }));
    assert.deepEqual(values.map((v) => memoryToMi(v)), py);
  });

  it("rejects what the SDK regex rejects", () => {
    for (const bad of ["01Gi", "1.Gi", "-1", "7 Gigs", "abc", "1xb", ""]) {
      assert.throws(() => parseMemoryBytes(bad), (e) => isMapBuildError(e) && e.code === "E_USAGE", bad);
    }
    assert.throws(() => parseMemoryBytes(-5));
    assert.throws(() => parseMemoryBytes(1.5));
  });
});

describe("pep440ToSemver", () => {
  it("converts the documented cases", () => {
    assert.equal(pep440ToSemver("0.5.1"), "0.5.1");
    assert.equal(pep440ToSemver("0.1.0rc2"), "0.1.0-rc.2");
    assert.equal(pep440ToSemver("0.1.0a1+0.g84.dirty"), "0.1.0-a.1+0.g84.dirty");
    assert.equal(pep440ToSemver("1.0.0a2.dev456"), "1.0.0-a.2");
    assert.equal(pep440ToSemver("1.0.0a.2"), "1.0.0-a.2");
    assert.equal(pep440ToSemver("1.0.0+abc.5"), "1.0.0+abc.5");
    assert.equal(pep440ToSemver("0.5.1.post1"), "0.5.1");
    assert.equal(pep440ToSemver("v0.4.0"), "0.4.0");
  });
  it("refuses non-PEP 440 and non-semver results", () => {
    assert.throws(() => pep440ToSemver("banana"), /not a PEP 440/);
    assert.throws(() => pep440ToSemver("1.0"), /not semver/);
  });
  it("validates semver", () => {
    assert.ok(isSemver("1.0.0"));
    assert.ok(isSemver("1.0.0-rc.1+b.2"));
    assert.ok(!isSemver("1.0"));
    assert.ok(!isSemver("01.0.0"));
  });
});
