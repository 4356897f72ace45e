import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { applyConfigChanges, DEFAULT_PATH, expandVars } from "../../../src/image/config-changes.js";
import type { ImageConfig } from "../../../src/image/schemas.js";

const base = (): ImageConfig =>
  ({
    architecture: "amd64",
    os: "linux",
    "x-unknown": { keep: [1, 2] },
    config: { Env: ["PATH=/usr/bin:/bin", "LANG=C.UTF-8"], Cmd: ["python3"], Labels: { a: "1" }, StopSignal: "SIGINT" },
    rootfs: { type: "layers", diff_ids: [] },
    history: [{ created_by: "base" }],
  }) as ImageConfig;

describe("applyConfigChanges", () => {
  it("expands $VAR/${VAR} against the base and earlier entries, replacing keys in place", () => {
    const c = applyConfigChanges(base(), {
      env: [
        ["PATH", "/opt/app/bin:$PATH"],
        ["HOME_DIR", "/home/${LANG}"],
        ["A", "x"],
        ["B", "${A}-$A-$UNSET-\\$A"],
      ],
    });
    assert.deepEqual(c.config?.Env, ["PATH=/opt/app/bin:/usr/bin:/bin", "LANG=C.UTF-8", "HOME_DIR=/home/C.UTF-8", "A=x", "B=x-x--$A"]);
  });

  it("uses the default PATH when the base has none", () => {
    const cfg = base();
    cfg.config!.Env = null;
    const c = applyConfigChanges(cfg, { env: [["PATH", "/app:${PATH}"]] });
    assert.deepEqual(c.config?.Env, [`PATH=/app:${DEFAULT_PATH}`]);
  });

  it("an entrypoint clears the inherited Cmd; an explicit cmd wins", () => {
    assert.equal(applyConfigChanges(base(), { entrypoint: ["python3", "-m", "app"] }).config?.Cmd, null);
    const c = applyConfigChanges(base(), { entrypoint: ["python3"], cmd: ["-m", "app"] });
    assert.deepEqual([c.config?.Entrypoint, c.config?.Cmd], [["python3"], ["-m", "app"]]);
    assert.equal(applyConfigChanges(base(), { cmd: null }).config?.Cmd, null);
  });

  it("merges labels, sets user and workdir, keeps unknown fields and key order, never mutates the base", () => {
    const b = base();
    const before = JSON.stringify(b);
    const c = applyConfigChanges(b, { labels: { b: "2", a: "3" }, user: "1000:1000", workingDir: "/app" }, [{ created_by: "ENV" }]);
    assert.equal(JSON.stringify(b), before);
    assert.deepEqual(c.config?.Labels, { a: "3", b: "2" });
    assert.deepEqual(Object.keys(c), Object.keys(b));
    assert.deepEqual(Object.keys(c.config!), ["Env", "Cmd", "Labels", "StopSignal", "WorkingDir", "User"]);
    assert.deepEqual((c as Record<string, unknown>)["x-unknown"], { keep: [1, 2] });
    assert.deepEqual(c.history, [{ created_by: "base" }, { created_by: "ENV", empty_layer: true }]);
  });

  it("expandVars leaves text without variables alone", () => {
    assert.equal(expandVars("plain text", () => "X"), "plain text");
  });
});
