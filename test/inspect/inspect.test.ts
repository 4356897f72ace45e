/**
 * `map-build inspect`: a MAP built with the (stand-in) SDK passes checklist items 1–23 for every
 * image source (OCI layout, tarball, registry), items 24 (docker load/create/cp) and 26 (import
 * monai.deploy) hold in a real dockerd, and a hand-broken MAP fails with a report naming the items.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli, REPO_ROOT } from "../helpers/cli.js";
import { startDockerd, type TestDockerd } from "../helpers/dockerd.js";
import { pushPythonBase } from "../helpers/python-base.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { startRecordingProxy } from "../helpers/recording-proxy.js";
import { makeTempDir } from "../helpers/tmp.js";
import { writeWheel } from "../python/wheel-factory.js";
import { appendLayers, readOciLayoutImage } from "../../src/image/index.js";
import { writeLayer } from "../../src/layer/index.js";
import { writeOciLayout } from "../../src/sinks/index.js";

interface Check {
  id: number;
  status: "pass" | "fail" | "skip";
  detail?: string;
  hint?: string;
}

describe("map-build inspect", () => {
  let registry: TestRegistry;
  let dockerd: TestDockerd;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let tarball: string;
  let layout: string;
  let pushed: string;

  before(async () => {
    tmp = await makeTempDir("mb-inspect-");
    [registry, dockerd] = await Promise.all([startRegistry(), startDockerd()]);
    const base = await pushPythonBase(registry.host);
    const sdk = await writeWheel(join(tmp.dir), {
      name: "monai-deploy-app-sdk",
      version: "0.5.1",
      files: { "monai/deploy/__init__.py": "", "monai/deploy/core/__init__.py": "class Application:\n    pass\n" },
    });
    tarball = join(tmp.dir, "map.tar");
    layout = join(tmp.dir, "layout");
    pushed = `${registry.host}/apps/word-score:1.0`;
    const r = await runCli(
      ["package", join(REPO_ROOT, "examples/word_score_app"), "-t", pushed, "-m", join(REPO_ROOT, "examples/models/word_weights.tsv"),
        "-b", base, "--sdk-wheel", sdk.path, "--tarball", tarball, "--oci-layout", layout, "--push"],
      { env: { MAP_BUILD_CACHE_DIR: join(tmp.dir, "cache") } },
    );
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await Promise.allSettled([registry?.stop(), dockerd?.stop()]);
    await tmp?.cleanup();
  });

  const inspect = async (image: string, extra: string[] = []) => {
    const r = await runCli(["inspect", image, "--json", ...extra]);
    return { ...r, report: r.stdout ? (JSON.parse(r.stdout) as { ok: boolean; digest: string; checks: Check[] }) : undefined };
  };

  it("passes items 1–23 on the OCI layout, the tarball and the registry copy, with one digest", async () => {
    const digests = new Set<string>();
    for (const source of [`oci:${layout}:1.0`, `docker-archive:${tarball}`, pushed]) {
      const { code, report, stderr } = await inspect(source);
      assert.equal(code, 0, `${source}: ${stderr}\n${JSON.stringify(report?.checks.filter((c) => c.status === "fail"))}`);
      const verdicts = report!.checks.filter((c) => c.status !== "skip");
      assert.deepEqual(verdicts.map((c) => c.id).sort((a, b) => a - b), Array.from({ length: 23 }, (_, i) => i + 1), source);
      assert.ok(verdicts.every((c) => c.status === "pass"));
      digests.add(report!.digest);
    }
    assert.equal(digests.size, 1, "every source shows the same manifest digest");
  });

  it("reads the registry image's manifest once (its platforms, then the image)", async () => {
    const proxy = await startRecordingProxy(registry.host);
    try {
      const { code, stderr } = await inspect(`${proxy.host}/apps/word-score:1.0`);
      assert.equal(code, 0, stderr);
      const byTag = proxy.log.filter((r) => r.method === "GET" && r.path === "/v2/apps/word-score/manifests/1.0");
      assert.equal(byTag.length, 1, proxy.log.map((r) => `${r.method} ${r.path}`).join("\n"));
    } finally {
      await proxy.stop();
    }
  });

  it("prints a readable report", async () => {
    const r = await runCli(["inspect", `oci:${layout}:1.0`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /entrypoint {2}\["\/opt\/monai\/executor\/monai-exec"\]/);
    assert.match(r.stdout, /\/etc\/monai\/pkg\.json/);
    assert.match(r.stdout, /^23 passed, 0 failed, 4 skipped/m);
  });

  it("items 24 and 26 hold in docker: load tags it, create + cp read app.json, monai.deploy imports", async () => {
    const load = await dockerd.docker(["load", "-i", tarball]);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout, new RegExp(`Loaded image: ${pushed.replace(/[.]/g, "\\.")}`));
    const created = await dockerd.docker(["create", pushed]);
    assert.equal(created.code, 0, created.stderr);
    const id = created.stdout.trim();
    const out = join(tmp.dir, "cp");
    await mkdir(out);
    const cp = await dockerd.docker(["cp", `${id}:/etc/monai/app.json`, join(out, "app.json")]);
    assert.equal(cp.code, 0, cp.stderr);
    assert.equal(JSON.parse(await readFile(join(out, "app.json"), "utf8")).command, "python3 -u /opt/monai/app/app.py");
    await dockerd.docker(["rm", id]);
    const imp = await dockerd.docker(["run", "--rm", "--network", "none", "--entrypoint", "/bin/bash", pushed, "-c", "python3 -c 'import monai.deploy'"]);
    assert.equal(imp.code, 0, imp.stderr);
  });

  it("fails with exit 10 and names the broken items on a hand-broken MAP", async () => {
    // a later map-build layer overwrites app.json with wrong keys and adds bytecode to the app
    const image = await readOciLayoutImage(layout, "1.0");
    const bad = Buffer.from(JSON.stringify({ command: 'python3 -u "/x.py"', timeout: "600" }));
    const pyc = Buffer.from("bytecode");
    const layer = await writeLayer(
      [
        { type: "file", path: "/etc/monai/app.json", mode: 0o644, size: bad.length, source: { kind: "bytes", data: bad } },
        { type: "file", path: "/opt/monai/app/__pycache__/app.cpython-311.pyc", mode: 0o644, uid: 1000, size: pyc.length, source: { kind: "bytes", data: pyc } },
      ],
      { compression: "gzip", family: "oci", tmpDir: tmp.dir },
    );
    const broken = appendLayers(image, [{ layer, history: { created_by: "map-build: broken on purpose" } }]);
    const brokenLayout = join(tmp.dir, "broken");
    await writeOciLayout(broken, brokenLayout, { tag: "bad" });
    const { code, report } = await inspect(`oci:${brokenLayout}:bad`, ["--no-base"]);
    assert.equal(code, 10);
    const failed = new Set(report!.checks.filter((c) => c.status === "fail").map((c) => c.id));
    for (const id of [2, 5, 6, 21, 22]) assert.ok(failed.has(id), `item ${id} should fail; failed: ${[...failed].join(", ")}`);
    const text = await runCli(["inspect", `oci:${brokenLayout}:bad`, "--no-base"]);
    assert.equal(text.code, 10);
    assert.match(text.stdout, /FAIL {2}2 /);
    assert.match(text.stdout, /does not conform/);
  });
});
