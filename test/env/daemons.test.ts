/** scripts/start-dockerd.sh and scripts/start-containerd.sh through their test helpers. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startContainerd, type TestContainerd } from "../helpers/containerd.js";
import { startDockerd } from "../helpers/dockerd.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { run, runOk } from "../helpers/run.js";
import { makeTempDir } from "../helpers/tmp.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("private dockerd", () => {
  it("starts on its own socket, answers the Debian client, and stops by pid", async () => {
    const d = await startDockerd();
    let stopped = false;
    try {
      assert.match(d.host, /^unix:\/\/\/.*\/docker\.sock$/);
      assert.ok(alive(d.pid));
      const v = await d.docker(["version", "--format", "{{.Server.APIVersion}}"]);
      assert.equal(v.code, 0, v.stderr);
      assert.equal(v.stdout.trim(), "1.41");
      const info = await d.docker(["info", "--format", "{{.DockerRootDir}}"]);
      assert.equal(info.stdout.trim(), join(d.dir, "root"), "data root is private");
      await d.stop();
      stopped = true;
      assert.ok(!alive(d.pid), "dockerd exited");
      assert.ok(!existsSync(d.dir), "temp dir removed");
    } finally {
      if (!stopped) await d.stop();
    }
  });
});

describe("private containerd", () => {
  let c: TestContainerd;
  const tmp = makeTempDir("mb-ctdt-");
  before(async () => {
    c = await startContainerd();
  });
  after(async () => {
    try {
      await c?.stop();
    } finally {
      await (await tmp).cleanup();
    }
  });

  it("starts on its own socket and answers ctr", async () => {
    assert.ok(c.address.startsWith(c.dir));
    assert.ok(alive(c.pid));
    const v = await c.ctr(["version"]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /Server:\s+Version:\s+1\.6/);
    assert.match(c.snapshotter, /^(overlayfs|native)$/);
  });

  it("stop ends a task left running, the daemon and its mounts", async () => {
    const { dir } = await tmp;
    const tar = join(dir, "base.tar");
    await runOk("skopeo", ["copy", "--quiet", `oci:${await pythonBaseLayout()}:${PYTHON_BASE_TAG}`, `docker-archive:${tar}:mb/base:1`]);
    const imp = await c.ctr(["images", "import", "--base-name", "docker.io/mb/base", tar]);
    assert.equal(imp.code, 0, imp.stderr);
    const img = (await c.ctr(["images", "ls", "-q"])).stdout.trim().split("\n")[0] ?? "";
    assert.match(img, /mb\/base/);
    const r = await c.ctr(["run", "-d", img, "sleeper", "python3", "-c", "import time; time.sleep(600)"]);
    assert.equal(r.code, 0, r.stderr);
    const tasks = await c.ctr(["tasks", "ls"]);
    assert.match(tasks.stdout, /sleeper\s+\d+\s+RUNNING/);
    const taskPid = Number(/sleeper\s+(\d+)/.exec(tasks.stdout)?.[1]);

    const { dir: cdir, pid } = c;
    await c.stop();
    assert.ok(!alive(pid), "containerd exited");
    assert.ok(!alive(taskPid), "the task was killed");
    const mounts = await run("findmnt", ["-rn", "-o", "TARGET"]);
    assert.ok(!mounts.stdout.includes(cdir), "no mounts left under the containerd dir");
    c = undefined as unknown as TestContainerd; // already stopped
  });
});
