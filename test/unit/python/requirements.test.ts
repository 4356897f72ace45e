import assert from "node:assert/strict";
import { writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isMapBuildError } from "../../../src/errors.js";
import { parsePipPackages, parseRequirementsText, readRequirementsFile } from "../../../src/python/requirements.js";
import { parseRequirement } from "../../../src/python/requirement.js";
import { parsePylock, pylockRequirements } from "../../../src/python/pylock.js";
import { makeTempDir } from "../../helpers/tmp.js";

const H1 = "a".repeat(64), H2 = "B".repeat(64);

function rejectsDeps(p: Promise<unknown> | (() => unknown), re: RegExp) {
  const run = typeof p === "function" ? Promise.resolve().then(p) : p;
  return assert.rejects(run, (e: unknown) => isMapBuildError(e) && e.code === "E_PYTHON_DEPS" && re.test(e.message) && !!e.hint);
}

describe("requirements files", () => {
  let dir = "", cleanup = async () => {};
  before(async () => ({ dir, cleanup } = await makeTempDir("mb-req-")));
  after(() => cleanup());

  it("parses pins, specifiers, extras, markers, hashes, continuations, comments", async () => {
    const text = [
      "# a comment", "", "Greet_Tools==1.2.3  # trailing comment",
      "colorfmt >= 1.0, < 2",
      "requests[Security,socks]==2.0 ; python_version >= \"3.8\"",
      "numpy==1.26.4 \\", `    --hash=sha256:${H1} \\`, `    --hash sha256:${H2}`,
      "zope.interface~=5.0",
    ].join("\n");
    const set = await parseRequirementsText(text, { origin: "req.txt", baseDir: dir });
    const [a, b, c, d, e] = set.requirements;
    assert.equal(set.requirements.length, 5);
    assert.deepEqual([a!.name, a!.specifier, a!.origin], ["greet-tools", "==1.2.3", "req.txt:3"]);
    assert.equal(b!.specifier, ">=1.0,<2");
    assert.deepEqual(c!.extras, ["security", "socks"]);
    assert.equal(c!.marker, "python_version >= \"3.8\"");
    assert.deepEqual(d!.hashes, [H1, H2.toLowerCase()]);
    assert.equal(d!.origin, "req.txt:6");
    assert.equal(e!.name, "zope-interface");
  });

  it("follows -r includes relative to the including file and collects index options", async () => {
    await mkdir(join(dir, "sub"), { recursive: true });
    await writeFile(join(dir, "sub", "base.txt"), "colorfmt==1.2\n--find-links ./wheels\n");
    await writeFile(join(dir, "req.txt"), "-r sub/base.txt\n--extra-index-url http://127.0.0.1:1/simple\ngreet==1.0\n");
    const set = await readRequirementsFile(join(dir, "req.txt"));
    assert.deepEqual(set.requirements.map((r) => r.name), ["colorfmt", "greet"]);
    assert.deepEqual(set.findLinks, [join(dir, "sub", "wheels")]);
    assert.deepEqual(set.extraIndexUrls, ["http://127.0.0.1:1/simple"]);
    assert.match(set.requirements[0]!.origin, /sub\/base\.txt:1$/);
  });

  it("detects include cycles", async () => {
    await writeFile(join(dir, "a.txt"), "-r b.txt\n");
    await writeFile(join(dir, "b.txt"), "-r a.txt\n");
    await rejectsDeps(readRequirementsFile(join(dir, "a.txt")), /include cycle/);
  });

  it("refuses editable, URL, VCS and local path requirements", async () => {
    for (const line of ["-e .", "-e git+https://example.invalid/x.git#egg=x", "https://example.invalid/x-1.0-py3-none-any.whl",
      "git+https://example.invalid/x.git", "pkg @ https://example.invalid/pkg.whl", "./local/pkg", "--weird-option"]) {
      await rejectsDeps(parseRequirementsText(line, { origin: "r.txt", baseDir: dir }), /not supported|unsupported option/);
    }
  });

  it("rejects malformed hashes and specifiers", async () => {
    await rejectsDeps(parseRequirementsText("x==1 --hash=sha256:abc", { origin: "r", baseDir: dir }), /64 hex/);
    await rejectsDeps(parseRequirementsText("x==1 --hash=md5:abc", { origin: "r", baseDir: dir }), /md5/);
    await rejectsDeps(() => parseRequirement("x >>= 1"), /invalid version specifier/);
    await rejectsDeps(() => parseRequirement("x ; python_version >> '3'"), /marker/);
  });

  it("reads @env(pip_packages) strings lower-cased and de-duplicated", () => {
    const reqs = parsePipPackages(["  scikit-image >= 0.17.2", "Pillow >= 8.0.0", "pillow >= 8.0.0", "numpy>=1.21"]);
    assert.deepEqual(reqs.map((r) => [r.name, r.specifier]), [["scikit-image", ">=0.17.2"], ["pillow", ">=8.0.0"], ["numpy", ">=1.21"]]);
    assert.throws(() => parsePipPackages(["-e ."]), /not a plain requirement/);
  });

  it("parses PEP 751 pylock.toml", () => {
    const toml = `lock-version = "1.0"
created-by = "test"
[[packages]]
name = "Greet"
version = "1.0"
[[packages.wheels]]
url = "http://127.0.0.1:1/files/greet-1.0-py3-none-any.whl"
size = 10
hashes = {sha256 = "${H1}"}
[[packages]]
name = "pywin-helper"
version = "3"
marker = "sys_platform == 'win32'"
[[packages.wheels]]
path = "wheels/pywin_helper-3-py3-none-any.whl"
hashes = {sha256 = "${H1}"}
[[packages]]
name = "onlysrc"
version = "1.0"
[packages.sdist]
url = "http://127.0.0.1:1/onlysrc-1.0.tar.gz"
hashes = {sha256 = "${H1}"}
`;
    const pkgs = parsePylock(toml, "pylock.toml", "/lock");
    assert.equal(pkgs.length, 3);
    assert.equal(pkgs[0]!.name, "greet");
    assert.equal(pkgs[0]!.wheels[0]!.filename, "greet-1.0-py3-none-any.whl");
    assert.equal(pkgs[1]!.wheels[0]!.path, "/lock/wheels/pywin_helper-3-py3-none-any.whl");
    assert.equal(pkgs[2]!.sourceOnly, true);
    const reqs = pylockRequirements(pkgs);
    assert.deepEqual(reqs.map((r) => r.specifier), ["==1.0", "==3", "==1.0"]);
    assert.equal(reqs[1]!.marker, "sys_platform == 'win32'");
    assert.throws(() => parsePylock('lock-version = "2.0"\n', "p", "/"), /lock-version/);
  });
});
