import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mapConfigChanges, mapDirectories, pythonPathJoin } from "../../../src/map/layout.js";
import { applyConfigChanges } from "../../../src/image/config-changes.js";

const labels = { base: "python:3.11", tag: "my_app:1.0", version: "1.0.0", sdkVersion: "0.5.1" };

describe("mapConfigChanges", () => {
  it("produces the 0.5.1 defaults with $PATH expanded", () => {
    const c = mapConfigChanges({ ...labels, baseEnv: ["PATH=/usr/local/bin:/usr/bin", "LANG=C.UTF-8"] });
    assert.deepEqual(c.env, [
      ["DEBIAN_FRONTEND", "noninteractive"],
      ["TERM", "xterm-256color"],
      ["MONAI_INPUTPATH", "/var/monai/input"],
      ["MONAI_OUTPUTPATH", "/var/monai/output"],
      ["MONAI_WORKDIR", "/var/monai/"],
      ["MONAI_APPLICATION", "/opt/monai/app"],
      ["MONAI_TIMEOUT", "0"],
      ["MONAI_MODELPATH", "/opt/monai/models"],
      ["PATH", "/root/.local/bin:/usr/local/bin:/usr/bin"],
    ]);
    assert.deepEqual(c.labels, { base: "python:3.11", tag: "my_app:1.0", version: "1.0.0", sdk_version: "0.5.1" });
    assert.equal(c.workingDir, "/var/monai/");
    assert.deepEqual(c.entrypoint, ["/opt/monai/executor/monai-exec"]);
    assert.equal(c.cmd, null);
    assert.deepEqual(mapDirectories(c).map((d) => d.path), [
      "/etc/monai", "/opt/monai/app", "/opt/monai/executor", "/opt/monai/models", "/var/monai", "/var/monai/input", "/var/monai/output",
    ]);
    assert.ok(mapDirectories(c).every((d) => d.mode === 0o755 && d.uid === 0 && d.gid === 0));
  });

  it("honours the dir and timeout flags (B1 fixed)", () => {
    const c = mapConfigChanges({ ...labels, workingDir: "/w", inputDir: "in", outputDir: "/abs/out", modelsDir: "/m", timeout: 600 });
    const env = Object.fromEntries(c.env);
    assert.equal(env.MONAI_WORKDIR, "/w");
    assert.equal(env.MONAI_INPUTPATH, "/w/in");
    assert.equal(env.MONAI_OUTPUTPATH, "/abs/out");
    assert.equal(env.MONAI_MODELPATH, "/m");
    assert.equal(env.MONAI_TIMEOUT, "600");
    assert.equal(env.PATH, "/root/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    assert.ok(mapDirectories(c).some((d) => d.path === "/abs/out"));
  });

  it("rejects relative working/models dirs and bad timeouts", () => {
    assert.throws(() => mapConfigChanges({ ...labels, workingDir: "rel" }), /not absolute/);
    assert.throws(() => mapConfigChanges({ ...labels, modelsDir: "m" }), /not absolute/);
    assert.throws(() => mapConfigChanges({ ...labels, timeout: -3 }), /timeout/);
    assert.throws(() => mapConfigChanges({ ...labels, inputDir: "" }), /inputDir/);
  });

  it("applies onto a base config, replacing keys in place", () => {
    const c = mapConfigChanges({ ...labels, baseEnv: ["PATH=/bin", "TERM=dumb"] });
    // through the function the build uses (appendLayers → applyConfigChanges)
    const base = { architecture: "amd64", os: "linux", rootfs: { type: "layers" as const, diff_ids: [] }, config: { Env: ["PATH=/bin", "TERM=dumb"], Cmd: ["python3"], Labels: { a: "b", tag: "old" } } };
    const cfg = applyConfigChanges(base, c).config!;
    assert.equal(cfg.Env?.[0], "PATH=/root/.local/bin:/bin");
    assert.equal(cfg.Env?.[1], "TERM=xterm-256color");
    assert.equal(cfg.Env?.length, 9);
    assert.deepEqual(cfg.Labels, { a: "b", tag: "my_app:1.0", base: "python:3.11", version: "1.0.0", sdk_version: "0.5.1" });
    assert.equal(cfg.Cmd, null);
    assert.equal(cfg.User, "root");
  });

  it("joins like posixpath.join", () => {
    assert.equal(pythonPathJoin("/var/monai/", "input"), "/var/monai/input");
    assert.equal(pythonPathJoin("/w", "input"), "/w/input");
    assert.equal(pythonPathJoin("/w", "/x"), "/x");
  });
});
