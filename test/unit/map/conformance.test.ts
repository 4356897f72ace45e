import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkConformance, type ConformanceInput, type ImageFileInfo } from "../../../src/map/conformance.js";
import { renderManifests } from "../../../src/map/manifests.js";
import { mapConfigChanges, mapDirectories } from "../../../src/map/layout.js";
import { applyConfigChanges } from "../../../src/image/config-changes.js";
import type { ImageConfig } from "../../../src/image/schemas.js";
import type { Digest } from "../../../src/digest.js";

const HEX = "0123456789abcdef".repeat(4);
const BASE_IDS: Digest[] = [`sha256:${"1".repeat(64)}`, `sha256:${"2".repeat(64)}`];
const ADDED_IDS: Digest[] = [`sha256:${"3".repeat(64)}`];

function goodInput(): ConformanceInput {
  const { appJson, pkgJson } = renderManifests({
    command: "python3 -u /opt/monai/app/app.py",
    version: "1.0.0",
    sdkVersion: "0.5.1",
    models: [{ name: `model-${HEX}`, path: "/opt/monai/models/model/model.ts" }],
    resources: { cpu: 1, gpu: 0, memory: "7Gi" },
  });
  const baseConfig: ImageConfig = {
    architecture: "amd64",
    os: "linux",
    config: { Env: ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"], Cmd: ["python3"] },
    rootfs: { type: "layers", diff_ids: BASE_IDS },
  };
  const changes = mapConfigChanges({ base: "localhost:5000/python:3.11", tag: "my_app:1.0", version: "1.0.0", sdkVersion: "0.5.1", baseEnv: baseConfig.config?.Env });
  const config: ImageConfig = { ...baseConfig, config: applyConfigChanges(baseConfig, changes).config, rootfs: { type: "layers", diff_ids: [...BASE_IDS, ...ADDED_IDS] } };
  const file = (mode = 0o644): ImageFileInfo => ({ type: "file", mode, uid: 0, gid: 0, mtime: 0, size: 1 });
  const files = new Map<string, ImageFileInfo>();
  for (const d of mapDirectories(changes)) files.set(d.path, { type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 });
  files.set("/opt/monai/models/model", { type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 });
  files.set("/etc/monai/app.json", file());
  files.set("/etc/monai/pkg.json", file());
  files.set("/opt/monai/app/app.py", file());
  files.set("/opt/monai/app/requirements.txt", file());
  files.set("/opt/monai/models/model/model.ts", file());
  files.set("/opt/monai/executor/monai-exec", file(0o755));
  files.set("/root/.local/lib/python3.11/site-packages/monai/deploy/__init__.py", file());
  files.set("/usr/bin/python3", { ...file(0o755), uid: 0, mtime: 1_600_000_000 });
  const added = new Set([...files.keys()].filter((f) => f !== "/usr/bin/python3"));
  return {
    appJson, pkgJson, config, files, addedLayerPaths: added, baseRef: "localhost:5000/python:3.11", tag: "my_app:1.0", baseConfig,
    layerDiffIds: [...BASE_IDS, ...ADDED_IDS], addedLayerEntryOrder: [[...added].sort()], fixedMtime: 0,
    modelSha256: new Map([["model", HEX]]), requirementsTxt: Buffer.from("scikit-image >= 0.17.2\nnumpy>=1.21.6"),
    expectedRequirements: ["scikit-image >= 0.17.2", "numpy>=1.21.6"], pythonVersion: "3.11",
  };
}

describe("checkConformance", () => {
  it("passes every static item on a good MAP and skips 24-27", () => {
    const results = checkConformance(goodInput());
    assert.deepEqual(results.map((r) => r.id), Array.from({ length: 27 }, (_, i) => i + 1));
    const failed = results.filter((r) => !r.ok);
    assert.deepEqual(failed, []);
    assert.deepEqual(results.filter((r) => r.skipped).map((r) => r.id), [24, 25, 26, 27]);
  });

  it("reports each breakage on a hand-broken MAP", () => {
    const input = goodInput();
    const app = JSON.parse(input.appJson?.toString() ?? "{}");
    app.timeout = "600"; // B2
    app.extra = 1;
    input.appJson = Buffer.from(JSON.stringify(app)); // also not json.dumps(indent=4)
    input.pkgJson = Buffer.from('{"api-version": "0.1.0"}\n');
    const cfg = input.config.config ?? {};
    cfg.Env = (cfg.Env ?? []).filter((e) => !e.startsWith("MONAI_MODELPATH")).map((e) => (e.startsWith("PATH=") ? "PATH=/root/.local/bin:$PATH" : e));
    cfg.Entrypoint = ["/bin/sh"];
    cfg.Cmd = ["python3"];
    cfg.WorkingDir = "/";
    input.config.rootfs.diff_ids = [...ADDED_IDS, ...BASE_IDS];
    input.files.delete("/opt/monai/app/app.py");
    input.files.set("/opt/monai/executor/monai-exec", { type: "file", mode: 0o644, uid: 1000, gid: 0, mtime: 5, size: 1 });
    input.files.set("/opt/monai/app/__pycache__/app.cpython-311.pyc", { type: "file", mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 1 });
    input.files.delete("/var/monai/output");
    const failed = checkConformance(input).filter((r) => !r.ok).map((r) => r.id);
    assert.deepEqual(failed, [2, 5, 6, 7, 8, 9, 11, 12, 14, 15, 16, 17, 18, 19, 21, 22, 23]);
    const byId = new Map(checkConformance(input).map((r) => [r.id, r]));
    assert.match(byId.get(5)?.detail ?? "", /"600"/);
    assert.match(byId.get(14)?.detail ?? "", /MONAI_MODELPATH/);
    assert.match(byId.get(15)?.detail ?? "", /unexpanded/);
  });

  it("checks the model hash and path", () => {
    const input = goodInput();
    input.modelSha256 = new Map([["model", "f".repeat(64)]]);
    input.files.delete("/opt/monai/models/model/model.ts");
    const byId = new Map(checkConformance(input).map((r) => [r.id, r]));
    assert.equal(byId.get(9)?.ok, false);
    assert.equal(byId.get(10)?.ok, false);
    assert.equal(byId.get(1)?.ok, true);
  });
});
