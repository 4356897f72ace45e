import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isMapBuildError, type ErrorCode } from "../../../src/errors.js";
import { parseRequirement } from "../../../src/python/requirement.js";
import { selectWheels } from "../../../src/python/select.js";
import { directorySource, simpleIndexSource, type WheelSource } from "../../../src/python/sources.js";
import { PYTHON_BASE_TARGET } from "../../../src/python/target.js";
import { makeTempDir } from "../../helpers/tmp.js";
import { startIndex, type IndexServer } from "../../python/index-server.js";
import { COLORFMT, FASTCALC_AARCH64, FASTCALC_LINUX, FASTCALC_MAC, GREET, STABLEABI, makeWheel, writeWheel, type BuiltWheel } from "../../python/wheel-factory.js";

const reqs = (...lines: string[]) => lines.map((l, i) => parseRequirement(l, `test:${i + 1}`));

function fails(code: ErrorCode, re: RegExp) {
  return (e: unknown) => {
    assert.ok(isMapBuildError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.ok(e.hint, "has a hint");
    return true;
  };
}

describe("wheel selection", () => {
  let dir = "", cleanup = async () => {};
  let house = "", cache = "";
  let index: IndexServer;
  let indexAuth: IndexServer;
  let indexHtml: IndexServer;
  const built: Record<string, BuiltWheel> = {};

  before(async () => {
    ({ dir, cleanup } = await makeTempDir("mb-sel-"));
    house = join(dir, "wheelhouse");
    cache = join(dir, "cache");
    await mkdir(house);
    for (const [k, spec] of Object.entries({ GREET, COLORFMT, FASTCALC_MAC, FASTCALC_LINUX, FASTCALC_AARCH64, STABLEABI })) {
      built[k] = await writeWheel(house, spec);
    }
    await writeWheel(house, { name: "twover", version: "1.0", files: { "twover.py": "" } });
    await writeWheel(house, { name: "twover", version: "2.0", files: { "twover.py": "" } });
    await writeFile(join(house, "onlysrc-1.0.tar.gz"), "not really");
    await writeWheel(house, { name: "oldpy", version: "1.0", tag: "cp27-cp27mu-manylinux1_x86_64", files: { "oldpy.py": "" } });
    await writeWheel(house, { name: "needsghost", version: "1.0", requires: ["ghostpkg>=1"], files: { "needsghost.py": "" } });
    await writeWheel(house, { name: "wantsnew", version: "1.0", requires: ["colorfmt>=2"], files: { "wantsnew.py": "" } });

    const ix = (b: BuiltWheel, sha = b.sha256, requiresPython?: string) => ({ filename: b.filename, bytes: b.bytes, sha256: sha, ...(requiresPython ? { requiresPython } : {}) });
    const futurePy = makeWheel({ name: "colorfmt", version: "9.0", files: { "colorfmt/__init__.py": "" } });
    const tampered = makeWheel({ name: "tampered", version: "1.0", files: { "t.py": "" } });
    index = await startIndex({
      greet: [ix(built["GREET"]!)],
      colorfmt: [ix(built["COLORFMT"]!), ix(futurePy, futurePy.sha256, ">=3.13")],
      fastcalc: [ix(built["FASTCALC_MAC"]!), ix(built["FASTCALC_LINUX"]!), ix(built["FASTCALC_AARCH64"]!)],
      stableabi: [ix(built["STABLEABI"]!)],
      tampered: [ix(tampered, "0".repeat(64))],
      onlysrc: [{ filename: "onlysrc-1.0.tar.gz", bytes: new Uint8Array([1]) }],
    });
    indexHtml = await startIndex({ greet: [ix(built["GREET"]!)], colorfmt: [ix(built["COLORFMT"]!)] }, { htmlOnly: true });
    indexAuth = await startIndex({ greet: [ix(built["GREET"]!)], colorfmt: [ix(built["COLORFMT"]!)] }, { auth: { user: "alice", pass: "s3cret" } });
  });
  after(async () => {
    await index?.close();
    await indexAuth?.close();
    await indexHtml?.close();
    await cleanup();
  });

  const sel = (lines: string[], sources: WheelSource[] = [directorySource(house)], extra: Partial<Parameters<typeof selectWheels>[0]> = {}) =>
    selectWheels({ requirements: reqs(...lines), sources, target: PYTHON_BASE_TARGET, ...extra });

  it("selects pinned wheels and the dependency closure from a wheelhouse", async () => {
    const r = await sel(["greet==1.0", "fastcalc", "stableabi"]);
    assert.deepEqual(r.wheels.map((w) => `${w.name}==${w.version}`), ["colorfmt==1.2", "fastcalc==2.0", "greet==1.0", "stableabi==1.0"]);
    assert.equal(r.wheels.find((w) => w.name === "fastcalc")!.filename, built["FASTCALC_LINUX"]!.filename);
    assert.equal(r.wheels.find((w) => w.name === "colorfmt")!.requestedBy[0], "greet 1.0");
  });

  it("selects from a PEP 503 HTML index and a PEP 691 JSON index, verifying #sha256", async () => {
    const r = await sel(["greet==1.0", "fastcalc==2.0"], [simpleIndexSource(index.url, { cacheDir: cache })]);
    assert.deepEqual(r.wheels.map((w) => w.filename), [built["COLORFMT"]!.filename, built["FASTCALC_LINUX"]!.filename, built["GREET"]!.filename]);
    assert.ok(r.wheels.every((w) => w.file.startsWith(join(cache, "blobs", "sha256"))));
    assert.ok(index.requests.some((q) => q.accept.includes("application/vnd.pypi.simple.v1+json")));
    // colorfmt 9.0 needs Python >= 3.13 (data-requires-python), so the unpinned dep still has one candidate.
    assert.equal(r.wheels.find((w) => w.name === "colorfmt")!.version, "1.2");
    const h = await sel(["greet==1.0"], [simpleIndexSource(indexHtml.url.replace(/\/$/, ""), { cacheDir: join(dir, "cache-html") })]);
    assert.deepEqual(h.wheels.map((w) => w.sha256), [built["COLORFMT"]!.sha256, built["GREET"]!.sha256]);
  });

  it("sends basic auth from the URL, only to the index", async () => {
    const u = new URL(indexAuth.url);
    u.username = "alice";
    u.password = "s3cret";
    const r = await sel(["greet==1.0"], [simpleIndexSource(u.toString(), { cacheDir: join(dir, "cache-auth") })]);
    assert.equal(r.wheels.length, 2);
    await assert.rejects(sel(["greet==1.0"], [simpleIndexSource(indexAuth.url, { cacheDir: cache })]), fails("E_UNAUTHORIZED", /401/));
  });

  it("refuses a download whose sha256 differs from the index", async () => {
    await assert.rejects(sel(["tampered==1.0"], [simpleIndexSource(index.url, { cacheDir: cache })]), fails("E_DIGEST_MISMATCH", /index says 0{64}/));
  });

  it("skips requirements satisfied by the base", async () => {
    const r = await sel(["greet==1.0"], undefined, { installed: new Map([["colorfmt", { version: "1.5" }]]) });
    assert.deepEqual(r.wheels.map((w) => w.name), ["greet"]);
    assert.deepEqual(r.skipped.map((s) => `${s.name}==${s.version}`), ["colorfmt==1.5"]);
    const r2 = await sel(["colorfmt>=1"], undefined, { installed: new Map([["colorfmt", { version: "1.5" }]]) });
    assert.equal(r2.wheels.length, 0);
  });

  it("picks the newest version satisfying a range, the base's copy when it satisfies", async () => {
    assert.equal((await sel(["twover"])).wheels[0]!.version, "2.0");
    assert.equal((await sel(["twover<2"])).wheels[0]!.version, "1.0");
    const kept = await sel(["twover"], undefined, { installed: new Map([["twover", { version: "1.0" }]]) });
    assert.deepEqual([kept.wheels.length, kept.skipped[0]?.version], [0, "1.0"]);
    const up = await sel(["twover>=2"], undefined, { installed: new Map([["twover", { version: "1.0" }]]) });
    assert.equal(up.wheels[0]!.version, "2.0");
    assert.deepEqual(up.warnings, ["twover 1.0 in the base does not satisfy twover>=2: installing 2.0 into the user site, which shadows it"]);
  });

  it("checks the requirements of a base distribution it keeps", async () => {
    const r = await sel(["greet"], undefined, { installed: new Map([["greet", { version: "1.0", requires: ["colorfmt>=1.0", "pywin-helper ; sys_platform == 'win32'"] }]]) });
    assert.deepEqual(r.wheels.map((w) => `${w.name}==${w.version}`), ["colorfmt==1.2"]);
    assert.deepEqual(r.skipped.map((s) => s.name), ["greet"]);
  });

  it("checks requirement hashes", async () => {
    const ok = await sel([], undefined, {
      requirements: [{ ...reqs("colorfmt==1.2")[0]!, hashes: ["f".repeat(64), built["COLORFMT"]!.sha256] }],
    });
    assert.equal(ok.wheels[0]!.sha256, built["COLORFMT"]!.sha256);
  });

  describe("failures with a clear error", () => {
    it("sdist only", async () => {
      await assert.rejects(sel(["onlysrc==1.0"]), fails("E_PYTHON_DEPS", /onlysrc: only source distributions are available \(onlysrc-1\.0\.tar\.gz\).*cannot build sdists/));
      await assert.rejects(sel(["onlysrc"], [simpleIndexSource(index.url, { cacheDir: cache })]), fails("E_PYTHON_DEPS", /only source distributions/));
    });
    it("hash mismatch", async () => {
      await assert.rejects(sel([], undefined, { requirements: [{ ...reqs("greet==1.0")[0]!, hashes: ["0".repeat(64)] }] }),
        fails("E_DIGEST_MISMATCH", /greet: hash mismatch for greet-1\.0-py3-none-any\.whl/));
    });
    it("missing dependency", async () => {
      await assert.rejects(sel(["needsghost==1.0"]), fails("E_PYTHON_DEPS", /missing Python dependencies: needsghost 1\.0 requires ghostpkg>=1, which is not in any wheel source/));
      await assert.rejects(sel(["nosuchpkg==1"]), fails("E_PYTHON_DEPS", /nosuchpkg==1 \(test:1\) is not in any wheel source/));
    });
    it("conflicting dependency", async () => {
      await assert.rejects(sel(["colorfmt==1.2", "wantsnew==1.0"]), fails("E_PYTHON_DEPS", /conflict: wantsnew 1\.0 requires colorfmt>=2, but colorfmt 1\.2 was selected/));
    });
    it("incompatible python tag", async () => {
      await assert.rejects(sel(["oldpy==1.0"]), fails("E_PYTHON_DEPS", /oldpy: no wheel fits CPython 3\.11 .*oldpy-1\.0-cp27-cp27mu-manylinux1_x86_64\.whl/));
    });
    it("only a wheel for another platform", async () => {
      await assert.rejects(sel(["fastcalc==2.0"], [simpleIndexSource(index.url, { cacheDir: cache })], { target: { ...PYTHON_BASE_TARGET, machine: "aarch64", glibc: [2, 12] } }),
        fails("E_PYTHON_DEPS", /no wheel fits.*needs glibc 2\.17|no wheel fits.*macOS/));
    });
    it("pinned version not available", async () => {
      await assert.rejects(sel(["greet==3.0"]), fails("E_PYTHON_DEPS", /no compatible wheel satisfies "greet==3\.0"; available for this target: 1\.0/));
    });
  });
});
