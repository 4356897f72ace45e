import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkMap1, type Map1CheckInput } from "../../../src/map1/conformance.js";
import { map1ConfigChanges } from "../../../src/map1/layout.js";
import { applyConfigChanges } from "../../../src/image/config-changes.js";
import type { ImageFileInfo } from "../../../src/map/index.js";
import { fixture } from "../../helpers/fixtures.js";

const FIXTURE = fixture("map1", "monai-module");

function good(): Map1CheckInput {
  const changes = map1ConfigChanges({ username: "holoscan", pythonVersion: "3.11", timeout: 0, holoscanVersion: "3.1.0", sdk: "monai-deploy", monaiDeploySdkVersion: "3.0.0", base: "b", tag: "t", title: "x", version: "1.0" });
  const config = applyConfigChanges({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, config: { Env: ["PATH=/usr/bin"] } }, changes);
  const dir = (uid = 0): ImageFileInfo => ({ type: "dir", mode: 0o755, uid, gid: 0, mtime: 0, size: 0 });
  const file = (mode = 0o644): ImageFileInfo => ({ type: "file", mode, uid: 0, gid: 0, mtime: 0, size: 1 });
  const files = new Map<string, ImageFileInfo>([
    ["/opt/holoscan/app", dir()], ["/var/holoscan", dir(1000)], ["/var/holoscan/input", dir(1000)], ["/var/holoscan/output", dir(1000)],
    ["/var/holoscan/app.yaml", file()], ["/var/holoscan/tools", file(0o755)], ["/home/holoscan", dir(1000)],
    ["/opt/holoscan/models/cls", dir()], ["/opt/holoscan/models/models", dir()], ["/opt/holoscan/models/seg", dir()],
  ]);
  return {
    appJson: readFileSync(join(FIXTURE, "app.json")),
    pkgJson: readFileSync(join(FIXTURE, "pkg.json")),
    passwd: Buffer.from("root:x:0:0::/root:/bin/sh\nholoscan:x:1000:1000::/home/holoscan:/bin/bash\n"),
    tools: Buffer.from("#!/bin/sh\n"),
    config,
    files,
  };
}

const failed = (i: Map1CheckInput) => checkMap1(i).filter((c) => !c.ok).map((c) => c.id);

describe("MAP 1.0 checklist", () => {
  it("passes holoscan-cli's own manifests with map-build's config", () => {
    assert.deepEqual(failed(good()), []);
  });

  it("names what is wrong", () => {
    const pretty = good();
    pretty.appJson = Buffer.from(JSON.stringify(JSON.parse(pretty.appJson!.toString()), null, 4));
    assert.deepEqual(failed(pretty), ["serialisation"]);

    const twoAtUid = good();
    twoAtUid.passwd = Buffer.from(`${twoAtUid.passwd!.toString()}ubuntu:x:1000:1000::/home/ubuntu:/bin/bash\n`);
    assert.deepEqual(failed(twoAtUid), ["user"]);

    const rootOutput = good();
    (rootOutput.files as Map<string, ImageFileInfo>).set("/var/holoscan/output", { type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 });
    assert.deepEqual(failed(rootOutput), ["dirs"]);

    const noModel = good();
    (noModel.files as Map<string, ImageFileInfo>).delete("/opt/holoscan/models/seg");
    assert.deepEqual(failed(noModel), ["pkg-paths"]);
  });
});
