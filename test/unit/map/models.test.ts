import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeTempDir } from "../../helpers/tmp.js";
import { modelSha256, planModels, pythonStem } from "../../../src/map/models.js";
import { isTorchScriptFile } from "../../../src/map/torchscript.js";
import { isMapBuildError } from "../../../src/errors.js";

/** fileutil.checksum, verbatim logic, run by the host's python3 as the reference. */
function pyChecksum(path: string): string {
  const code = `
import hashlib, sys
from pathlib import Path
h = hashlib.sha256(); p = Path(sys.argv[1])
for q in ([p] if p.is_file() else sorted(p.glob("**/*"))):
    if q.is_file(): h.update(q.read_bytes())
print(h.hexdigest())`;
  return execFileSync("python3", ["-c", code, path], { encoding: "utf8" }).trim();
}

/** A zip shaped like torch.jit.save output, written by python's zipfile. */
function writeTorchScriptZip(path: string): void {
  const code = `
import zipfile, sys
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for n in ["m/data.pkl", "m/constants.pkl", "m/code/__torch__.py", "m/data/0", "m/version"]:
        z.writestr(n, b"x" * 10)`;
  execFileSync("python3", ["-c", code, path]);
}

describe("planModels", () => {
  let dir = "";
  let cleanup: () => Promise<void> = async () => {};
  before(async () => {
    ({ dir, cleanup } = await makeTempDir("mb-models-"));
  });
  after(() => cleanup());

  it("plans a single file model like the documented sample", async () => {
    const f = join(dir, "model.ts");
    await writeFile(f, "weights");
    const [m, ...rest] = await planModels(f);
    assert.equal(rest.length, 0);
    assert.ok(m);
    assert.equal(m.name, "model");
    assert.equal(m.kind, "file");
    assert.equal(m.imageDir, "/opt/monai/models/model");
    assert.equal(m.manifestPath, "/opt/monai/models/model/model.ts");
    assert.equal(m.sha256, pyChecksum(f));
    assert.equal(m.manifestName, `model-${m.sha256}`);
  });

  it("hashes folders in Python's sorted glob order, dotfiles included", async () => {
    const root = join(dir, "folder.model");
    await mkdir(join(root, "a", "b"), { recursive: true });
    await mkdir(join(root, ".hidden"), { recursive: true });
    await writeFile(join(root, "a-c"), "1");
    await writeFile(join(root, "a", "b", "z"), "2");
    await writeFile(join(root, "a", "y"), "3");
    await writeFile(join(root, ".hidden", "h"), "4");
    await writeFile(join(root, "B"), "5");
    await writeFile(join(root, "é"), "6");
    assert.equal(await modelSha256(root), pyChecksum(root));
    const [m] = await planModels(root, "/models");
    assert.ok(m);
    assert.equal(m.name, "folder");
    assert.equal(m.kind, "folder");
    assert.equal(m.manifestPath, "/models/folder"); // B4 fixed: the directory that exists
  });

  it("recognises a Triton repository", async () => {
    const repo = join(dir, "triton");
    for (const n of ["seg", "cls"]) {
      await mkdir(join(repo, n, "1"), { recursive: true });
      await writeFile(join(repo, n, "config.pbtxt"), `name: "${n}"`);
      await writeFile(join(repo, n, "1", "model.pt"), n);
    }
    const plans = await planModels(repo);
    assert.deepEqual(plans.map((p) => [p.name, p.kind, p.manifestPath]), [
      ["cls", "folder", "/opt/monai/models/cls"],
      ["seg", "folder", "/opt/monai/models/seg"],
    ]);
    assert.equal(plans[1]?.sha256, pyChecksum(join(repo, "seg")));
  });

  it("plans a named repository and warns about non-TorchScript entries (B5)", async () => {
    const repo = join(dir, "named");
    await mkdir(join(repo, "liver"), { recursive: true });
    await mkdir(join(repo, "spleen"), { recursive: true });
    writeTorchScriptZip(join(repo, "liver", "model.ts"));
    await writeFile(join(repo, "spleen", "weights.bin"), "not a zip");
    assert.ok(await isTorchScriptFile(join(repo, "liver", "model.ts")));
    const plans = await planModels(repo);
    assert.deepEqual(plans.map((p) => [p.name, p.manifestPath, p.warnings.length]), [
      ["liver", "/opt/monai/models/liver/model.ts", 0],
      ["spleen", "/opt/monai/models/spleen/weights.bin", 1],
    ]);
    assert.match(plans[1]?.warnings[0] ?? "", /B5/);
    assert.equal(plans[0]?.sha256, pyChecksum(join(repo, "liver", "model.ts")));
  });

  it("truncates long names to 63 characters in the manifest name", async () => {
    const long = "x".repeat(70);
    await writeFile(join(dir, `${long}.pt`), "w");
    const [m] = await planModels(join(dir, `${long}.pt`));
    assert.match(m?.manifestName ?? "", /^x{63}-[0-9a-f]{64}$/);
  });

  it("refuses missing paths, empty folders and special files", async () => {
    await mkdir(join(dir, "empty", "sub"), { recursive: true });
    execFileSync("mkfifo", [join(dir, "fifo")]);
    for (const p of [join(dir, "nope"), join(dir, "empty"), join(dir, "fifo")]) {
      await assert.rejects(planModels(p), (e) => isMapBuildError(e) && e.code === "E_MODEL_INVALID" && !!e.hint, p);
    }
  });

  it("computes Python's stem", () => {
    assert.equal(pythonStem("model.ts"), "model");
    assert.equal(pythonStem("a.tar.gz"), "a.tar");
    assert.equal(pythonStem(".hidden"), ".hidden");
    assert.equal(pythonStem("x."), "x.");
  });
});
