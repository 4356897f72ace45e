/**
 * What a person sees from `inspect` and `diff` on the python base (no engine, no registry):
 * every kind of local path opened by its bare path, a non-MAP told apart from a broken MAP,
 * pass|fail|skip with a fix hint per failure, build facts read from the image, manifests as JSON
 * objects, download progress on stderr, and `diff` of two MAPs that differ in one file and one
 * env value.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cp, appendFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli, runCliInProcess } from "../helpers/cli.js";
import { makeTempDir } from "../helpers/tmp.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { EXAMPLE_APP } from "../package/fixtures.js";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { appendLayers, readOciLayoutImage } from "../../src/image/index.js";
import { writeLayer } from "../../src/layer/index.js";
import { writeOciLayout } from "../../src/sinks/index.js";
import type { InspectReport } from "../../src/inspect/index.js";
import type { ImageDiff } from "../../src/inspect/index.js";

describe("inspect and diff, as a person sees them", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let base: string;
  let layoutA: string;
  let layoutB: string;
  let tarball: string;
  let archive: string;
  const env = () => ({ MAP_BUILD_CACHE_DIR: join(tmp.dir, "cache"), SOURCE_DATE_EPOCH: undefined, DOCKER_HOST: undefined });

  before(async () => {
    tmp = await makeTempDir("mb-inspect-ux-");
    base = await pythonBaseLayout();
    const b = `oci:${base}:${PYTHON_BASE_TAG}`;
    [layoutA, layoutB, tarball, archive] = ["a", "b", "a.tar", "a.oci.tar"].map((n) => join(tmp.dir, n)) as [string, string, string, string];
    const a = await runCliInProcess(["package", EXAMPLE_APP, "-t", "ws:1", "-b", b, "--no-sdk", "--oci-layout", layoutA, "--tarball", tarball, "--oci-archive", archive], { env: env() });
    assert.equal(a.code, 0, a.stderr);
    const app2 = join(tmp.dir, "app2");
    await cp(EXAMPLE_APP, app2, { recursive: true });
    await appendFile(join(app2, "app.py"), "# one changed line\n");
    const second = await runCliInProcess(["package", app2, "-t", "ws:1", "-b", b, "--no-sdk", "--timeout", "60", "--oci-layout", layoutB], { env: env() });
    assert.equal(second.code, 0, second.stderr);
  });
  after(() => tmp.cleanup());

  /** Relative paths need a real process whose cwd is the temp dir (the core resolves against process.cwd()). */
  const inspectJson = async (image: string, extra: string[] = []) => {
    const args = ["inspect", image, "--json", ...extra];
    const r = image.startsWith("/") || image.includes(":") ? await runCliInProcess(args) : await runCli(args, { cwd: tmp.dir });
    return { ...r, report: JSON.parse(r.stdout) as InspectReport };
  };

  it("opens a layout, a docker tarball and an oci-archive by bare path, with one digest", async () => {
    const digests = new Set<string>();
    for (const path of [layoutA, "./a", tarball, "a.oci.tar"]) {
      const { code, report, stderr } = await inspectJson(path, ["--no-base"]);
      assert.equal(code, ExitCode.ok, `${path}: ${stderr}`);
      assert.equal(report.verdict, "conforms");
      digests.add(report.digest);
    }
    assert.equal(digests.size, 1);
  });

  it("reads --no-sdk from the image: the SDK checks are skipped without the flag", async () => {
    const { report } = await inspectJson(layoutA, ["--no-base"]);
    const sdk = report.checks.filter((c) => c.id === 21 || c.id === 26);
    assert.deepEqual(sdk.map((c) => c.status), ["skip", "skip"]);
    assert.match(sdk[0]!.detail ?? "", /label map-build\.sdk=none/);
    assert.equal(report.config.config?.Labels?.["map-build.sdk"], "none");
    assert.deepEqual(report.summary, { passed: 22, failed: 0, skipped: 5 });
  });

  it("--json: manifests are objects, each check has pass|fail|skip and no `ok`", async () => {
    const { report } = await inspectJson(layoutA, ["--no-base"]);
    const app = report.manifests["/etc/monai/app.json"] as Record<string, unknown>;
    assert.equal(app.command, "python3 -u /opt/monai/app/app.py");
    assert.equal(typeof report.manifests["/etc/monai/pkg.json"], "object");
    for (const c of report.checks) {
      assert.ok(["pass", "fail", "skip"].includes(c.status), JSON.stringify(c));
      assert.equal("ok" in c, false);
    }
  });

  it("text: counts passed and skipped, names the checklist's document, shows download progress on stderr", async () => {
    const r = await runCliInProcess(["inspect", layoutA, "--no-base"]);
    assert.equal(r.code, ExitCode.ok, r.stderr);
    assert.match(r.stdout, /^22 passed, 0 failed, 5 skipped/m);
    assert.match(r.stdout, /docs\/checklist\.md/);
    assert.doesNotMatch(r.stdout, /undefined|map-format/);
    assert.match(r.stderr, /layer 2\b.*done/);
    const quiet = await runCliInProcess(["-q", "inspect", layoutA, "--no-base"]);
    assert.equal(quiet.stderr, "", "-q: no progress");
    assert.equal(quiet.stdout, r.stdout);
  });

  it("a non-MAP gets a verdict, not a checklist, and exit 10", async () => {
    const { code, report } = await inspectJson(base);
    assert.equal(code, ExitCode.nonConformant);
    assert.equal(report.verdict, "not a MAP (no /etc/monai or /etc/holoscan manifests)");
    assert.deepEqual(report.checks, []);
    const text = await runCliInProcess(["inspect", base]);
    assert.match(text.stdout, /verdict {5}not a MAP \(no \/etc\/monai or \/etc\/holoscan manifests\)/);
    assert.doesNotMatch(text.stdout, /FAIL|undefined/);
  });

  it("each failed check carries a fix hint", async () => {
    const image = await readOciLayoutImage(layoutA);
    const bad = Buffer.from(JSON.stringify({ command: "python3 -u /opt/monai/app/app.py", timeout: "600" }));
    const layer = await writeLayer([{ type: "file", path: "/etc/monai/app.json", mode: 0o644, size: bad.length, source: { kind: "bytes", data: bad } }], { compression: "gzip", family: "oci", tmpDir: tmp.dir });
    const broken = join(tmp.dir, "broken");
    await writeOciLayout(appendLayers(image, [{ layer, history: { created_by: "map-build: broken on purpose" } }]), broken, { tag: "bad" });
    const { code, report } = await inspectJson(`oci:${broken}:bad`, ["--no-base"]);
    assert.equal(code, ExitCode.nonConformant);
    const failed = report.checks.filter((c) => c.status === "fail");
    assert.ok(failed.length >= 3, JSON.stringify(failed));
    for (const c of failed) assert.ok(c.hint, `check ${c.id} has no hint`);
    const text = await runCliInProcess(["inspect", `oci:${broken}:bad`, "--no-base"]);
    assert.match(text.stdout, /FAIL {2}2 app\.json has exactly the legacy keys.*\n {10}fix: /);
    assert.match(text.stdout, /verdict {5}does not conform \(\d+ failed\)/);
  });

  it("diff names the one changed file and the changed timeout in app.json and Env", async () => {
    const r = await runCliInProcess(["diff", layoutA, layoutB, "--json"]);
    assert.equal(r.code, ExitCode.ok, r.stderr);
    const d = JSON.parse(r.stdout) as ImageDiff;
    assert.equal(d.identical, false);
    assert.deepEqual(d.env, [{ key: "MONAI_TIMEOUT", a: "0", b: "60" }]);
    assert.deepEqual(d.manifests, [{ key: "/etc/monai/app.json timeout", a: 0, b: 60 }]);
    assert.deepEqual(d.labels, []);
    const app = d.layers.find((l) => l.createdBy?.includes("/opt/monai/app") && l.createdBy.startsWith("map-build: COPY"));
    assert.deepEqual(app?.files.map((f) => [f.path, f.change]), [["/opt/monai/app/app.py", "modified"]]);
    assert.equal(d.layers[0]!.status, "same", "the base layer is not read");
    const text = await runCliInProcess(["diff", layoutA, layoutB]);
    assert.match(text.stdout, /env\n {2}MONAI_TIMEOUT: 0 → 60/);
    assert.match(text.stdout, /~ \/opt\/monai\/app\/app\.py/);
    const same = await runCliInProcess(["diff", layoutA, tarball]);
    assert.match(same.stdout, /^identical: sha256:/);
  });
});
