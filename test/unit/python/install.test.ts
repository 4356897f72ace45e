import assert from "node:assert/strict";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { zipSync } from "fflate";
import { isMapBuildError, type ErrorCode } from "../../../src/errors.js";
import type { LayerEntry } from "../../../src/layer/entry.js";
import { writeLayer } from "../../../src/layer/write-layer.js";
import { planWheelInstall, type InstallTarget } from "../../../src/python/install.js";
import { resolvePythonDeps } from "../../../src/python/resolve.js";
import { PYTHON_BASE_TARGET, targetFromOptions } from "../../../src/python/target.js";
import { makeTempDir } from "../../helpers/tmp.js";
import { run, runOk } from "../../helpers/run.js";
import { COLORFMT, GREET, STABLEABI, writeWheel } from "../../python/wheel-factory.js";

function fails(code: ErrorCode, re: RegExp) {
  return (e: unknown) => {
    assert.ok(isMapBuildError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.ok(e.hint);
    return true;
  };
}

async function contentOf(e: LayerEntry): Promise<Buffer> {
  if (e.type !== "file") throw new Error("not a file");
  if (e.source.kind === "bytes") return Buffer.from(e.source.data);
  if (e.source.kind === "file") return readFile(e.source.path);
  const chunks: Buffer[] = [];
  for await (const c of await e.source.open()) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Materialise planned entries under `root` (what the layer writer would put in the tar). */
async function writeEntries(root: string, entries: LayerEntry[]): Promise<void> {
  for (const e of entries) {
    const p = join(root, e.path);
    if (e.type === "dir") await mkdir(p, { recursive: true, mode: e.mode });
    else if (e.type === "file") {
      const data = await contentOf(e);
      assert.equal(data.length, e.size, `${e.path} size`);
      await writeFile(p, data);
      await chmod(p, e.mode);
    } else throw new Error(`unexpected ${e.type}`);
  }
}

describe("wheel install planning", () => {
  let dir = "", cleanup = async () => {};
  let house = "";
  let hostPython = "";
  const target = (): InstallTarget => ({
    sitePackages: "/root/.local/lib/python3.11/site-packages", scriptsDir: "/root/.local/bin", dataDir: "/root/.local", pythonPath: hostPython,
  });

  before(async () => {
    ({ dir, cleanup } = await makeTempDir("mb-inst-"));
    house = join(dir, "wheelhouse");
    await mkdir(house);
    for (const s of [GREET, COLORFMT, STABLEABI]) await writeWheel(house, s);
    hostPython = (await runOk("python3", ["-c", "import sys; print(sys.executable)"])).trim();
  });
  after(() => cleanup());

  it("installs into the user site and the host python imports and runs it", async () => {
    await writeFile(join(dir, "requirements.txt"), "# app deps\ngreet==1.0\nstableabi==1.0 ; python_version >= '3.8'\n");
    const res = await resolvePythonDeps({
      target: PYTHON_BASE_TARGET, requirementsFiles: [join(dir, "requirements.txt")], wheelhouses: [house],
      cacheDir: join(dir, "cache"), install: { pythonPath: hostPython },
    });
    assert.deepEqual(res.installed, [{ name: "colorfmt", version: "1.2" }, { name: "greet", version: "1.0" }, { name: "stableabi", version: "1.0" }]);
    const entries = await res.plan();
    const byPath = new Map(entries.map((e) => [e.path, e]));
    const site = "/root/.local/lib/python3.11/site-packages";
    assert.equal(byPath.get("/root/.local/bin/greet")?.mode, 0o755);
    assert.equal(byPath.get("/root/.local/bin/colorfmt-demo")?.mode, 0o755);
    assert.equal(byPath.get(`${site}/greet/cli.py`)?.mode, 0o644);
    assert.equal(byPath.get("/root/.local/lib")?.type, "dir");
    assert.equal((await contentOf(byPath.get(`${site}/greet-1.0.dist-info/INSTALLER`)!)).toString(), "map-build\n");
    const record = (await contentOf(byPath.get(`${site}/greet-1.0.dist-info/RECORD`)!)).toString();
    assert.match(record, /^\.\.\/\.\.\/\.\.\/bin\/greet,sha256=[\w-]+,\d+$/m);
    assert.match(record, /^greet-1\.0\.dist-info\/RECORD,,$/m);
    const demo = (await contentOf(byPath.get("/root/.local/bin/colorfmt-demo")!)).toString();
    assert.equal(demo.split("\n")[0], `#!${hostPython}`);
    assert.deepEqual(entries.map((e) => e.path), [...entries.map((e) => e.path)].sort());

    const root = join(dir, "root-fs");
    await writeEntries(root, entries);
    const env = { ...process.env, PYTHONPATH: join(root, site), PATH: `${join(root, "root/.local/bin")}:${process.env["PATH"]}`, PYTHONDONTWRITEBYTECODE: "1" };
    const imp = await run(hostPython, ["-c", "import greet, stableabi; print(greet.hello('x'), stableabi.ABI)"], { env });
    assert.equal(imp.code, 0, imp.stderr);
    assert.equal(imp.stdout.trim(), "[hello, x] abi3");
    const script = await run("greet", ["Bob"], { env });
    assert.equal(script.code, 0, script.stderr);
    assert.equal(script.stdout.trim(), "[hello, Bob]");
    const demoRun = await run("colorfmt-demo", [], { env });
    assert.equal(demoRun.stdout.trim(), "[demo]", demoRun.stderr);
    // pip agrees that the installed distributions are consistent (RECORD, METADATA readable).
    const meta = await run(hostPython, ["-c", "import importlib.metadata as m; d=m.distribution('greet'); print(d.version, len(d.files), d.read_text('INSTALLER').strip())"], { env });
    assert.equal(meta.stdout.trim(), "1.0 8 map-build", meta.stderr);
  });

  it("installs from a pylock.toml (path wheels, markers)", async () => {
    await mkdir(join(dir, "lockwheels"), { recursive: true });
    const g = await writeWheel(join(dir, "lockwheels"), GREET);
    const c = await writeWheel(join(dir, "lockwheels"), COLORFMT);
    await writeFile(join(dir, "pylock.toml"), [
      'lock-version = "1.0"', 'created-by = "test"',
      "[[packages]]", 'name = "greet"', 'version = "1.0"', "[[packages.wheels]]", `path = "lockwheels/${g.filename}"`, `hashes = {sha256 = "${g.sha256}"}`,
      "[[packages]]", 'name = "colorfmt"', 'version = "1.2"', "[[packages.wheels]]", `path = "lockwheels/${c.filename}"`, `hashes = {sha256 = "${c.sha256}"}`,
      "[[packages]]", 'name = "pywin-helper"', 'version = "1"', "marker = \"sys_platform == 'win32'\"", "[[packages.wheels]]", 'path = "lockwheels/missing.whl"', `hashes = {sha256 = "${c.sha256}"}`,
      "",
    ].join("\n"));
    const res = await resolvePythonDeps({ target: PYTHON_BASE_TARGET, pylockFiles: [join(dir, "pylock.toml")], cacheDir: join(dir, "cache") });
    assert.deepEqual(res.installed.map((i) => `${i.name}==${i.version}`), ["colorfmt==1.2", "greet==1.0"]);
  });

  it("constraint files limit versions and add no requirement (pip's constraint setting)", async () => {
    const c = join(dir, "constraints.txt");
    await writeFile(c, "stableabi==1.0\ncolorfmt>=1.0\n");
    const ok = await resolvePythonDeps({ target: PYTHON_BASE_TARGET, pipPackages: ["greet==1.0"], wheelhouses: [house], cacheDir: join(dir, "cache"), constraintFiles: [c] });
    assert.deepEqual(ok.installed.map((i) => i.name), ["colorfmt", "greet"], "stableabi is only constrained, not installed");
    await writeFile(c, "colorfmt<1.0\n");
    await assert.rejects(
      resolvePythonDeps({ target: PYTHON_BASE_TARGET, pipPackages: ["greet==1.0"], wheelhouses: [house], cacheDir: join(dir, "cache"), constraintFiles: [c] }),
      fails("E_PYTHON_DEPS", /colorfmt>=1\.0 \(needed by greet 1\.0\) with constraints <1\.0/),
    );
  });

  it("is deterministic", async () => {
    const opts = { target: targetFromOptions({}), pipPackages: ["greet==1.0"], wheelhouses: [house], cacheDir: join(dir, "cache") };
    const a = await resolvePythonDeps(opts), b = await resolvePythonDeps(opts);
    assert.equal(a.planKey, b.planKey);
    assert.match(a.planKey, /\["greet-1\.0-py3-none-any\.whl","[0-9a-f]{64}"\]/);
    const dump = async (es: LayerEntry[]) => Promise.all(es.map(async (e) => `${e.type} ${e.path} ${e.mode} ${e.type === "file" ? (await contentOf(e)).toString("base64") : ""}`));
    const [ea, eb] = [await a.plan(), await b.plan()];
    assert.deepEqual(await dump(ea), await dump(eb));
    const greet = ea.find((e) => e.path === "/root/.local/bin/greet");
    assert.equal(greet && (await contentOf(greet)).toString().split("\n")[0], "#!/usr/bin/python3");
  });

  describe("refuses unsafe wheels", () => {
    const plan = async (spec: Parameters<typeof writeWheel>[1], limits = {}) => {
      const w = await writeWheel(join(dir), spec);
      return planWheelInstall([{ file: w.path }], target(), limits);
    };
    it("a ../ path", async () => {
      await assert.rejects(plan({ name: "evil", version: "1.0", files: { "evil/__init__.py": "", "../evil.py": "x" } }), fails("E_PYTHON_DEPS", /unsafe member path "\.\.\/evil\.py" \(path traversal\)/));
    });
    it("an absolute path", async () => {
      await assert.rejects(plan({ name: "abs", version: "1.0", files: { "/etc/passwd": "x" } }), fails("E_PYTHON_DEPS", /unsafe member path "\/etc\/passwd"/));
    });
    it("a symlink member", async () => {
      await assert.rejects(plan({ name: "link", version: "1.0", files: { "link/__init__.py": "" }, symlinks: { "link/shadow": "/etc/shadow" } }), fails("E_PYTHON_DEPS", /"link\/shadow" is a symlink/));
    });
    it("a file missing from RECORD", async () => {
      await assert.rejects(plan({ name: "sneaky", version: "1.0", files: { "sneaky.py": "" }, unrecorded: { "sneaky_extra.py": "import os" } }), fails("E_PYTHON_DEPS", /"sneaky_extra\.py" is not listed in RECORD/));
    });
    it("a file that does not match RECORD: the layer write fails in its single pass", async () => {
      const planned = await plan({ name: "changed", version: "1.0", files: { "changed.py": "x = 1\n" }, badRecordFor: "changed.py" });
      const entry = planned.entries.find((e) => e.path.endsWith("/changed.py"))!;
      await assert.rejects(contentOf(entry), fails("E_DIGEST_MISMATCH", /"changed\.py" does not match its RECORD entry/));
      // the layer writer reads a small member whole, not through open(): the same check holds there
      for (const compression of ["gzip", "none"] as const) {
        await assert.rejects(writeLayer(planned.entries, { compression, family: "oci", tmpDir: dir }), fails("E_DIGEST_MISMATCH", /"changed\.py" does not match its RECORD entry/));
      }
    });
    it("a zip bomb (ratio and total size limits)", async () => {
      const zeros = "\0".repeat(4 * 1024 * 1024);
      await assert.rejects(plan({ name: "bomb", version: "1.0", files: { "bomb.bin": zeros } }), fails("E_PYTHON_DEPS", /expands \d+× \(limit 200×\).*zip bomb/));
      await assert.rejects(plan({ name: "big", version: "1.0", files: { "big.py": "x".repeat(1000) } }, { maxUncompressedBytes: 500 }), fails("E_PYTHON_DEPS", /limit 500.*zip bomb/));
    });
    it("a lying central directory size", async () => {
      // Declared sizes smaller than the data: inflating stops at the declared size.
      const good = await writeWheel(dir, { name: "liar", version: "1.0", files: { "liar.py": "y".repeat(5000) } });
      const bytes = Buffer.from(await readFile(good.path));
      const cdName = Buffer.from("liar.py");
      for (let i = bytes.length - 22; i >= 0; i--) {
        if (bytes.readUInt32LE(i) === 0x02014b50 && bytes.subarray(i + 46, i + 46 + cdName.length).equals(cdName)) { bytes.writeUInt32LE(10, i + 24); break; }
      }
      await writeFile(good.path, bytes);
      await assert.rejects(planWheelInstall([{ file: good.path }], target()), (e: unknown) => isMapBuildError(e) && /declared size|RECORD/.test(e.message));
    });
    it("not a zip", async () => {
      await writeFile(join(dir, "junk-1.0-py3-none-any.whl"), zipSync({}).subarray(0, 5));
      await assert.rejects(planWheelInstall([{ file: join(dir, "junk-1.0-py3-none-any.whl") }], target()), fails("E_PYTHON_DEPS", /not a readable wheel/));
    });
  });
});
