/**
 * The environment scripts called directly (the helpers wrap them): install-test-tools.sh is
 * idempotent and checks binaries, make-python-base.sh rebuilds the same image from its cached
 * rootfs, start-registry.sh reuses a running registry and stops by pid.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pushPythonBase, pythonBaseLayout, PYTHON_BASE_TAG, testCacheDir } from "../helpers/python-base.js";
import { freePort } from "../helpers/ports.js";
import { SCRIPTS } from "../helpers/registry.js";
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

describe("environment scripts", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await makeTempDir("mb-scr-"));
  });
  after(async () => {
    await run("bash", [join(SCRIPTS, "start-registry.sh"), "--stop", join(dir, "reg")]);
    await cleanup();
  });

  it("install-test-tools.sh finds everything installed and every binary present", async () => {
    const r = await run("bash", [join(SCRIPTS, "install-test-tools.sh")], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /test tools: (already installed|installed)/);
    assert.doesNotMatch(r.stderr, /MISSING/);
  });

  it("make-python-base.sh rebuilds a byte-identical image from the cached rootfs", async () => {
    const cached = await pythonBaseLayout();
    const out = join(dir, "base");
    const line = await runOk("bash", [join(SCRIPTS, "make-python-base.sh"), out, join(testCacheDir(), "python-base-rootfs")], {
      timeoutMs: 600_000,
    });
    const index = (p: string) => readFile(join(p, "index.json"), "utf8").then((s) => JSON.parse(s) as { manifests: { digest: string }[] });
    const digest = (await index(out)).manifests[0]?.digest;
    assert.equal(line.trim(), `${out}:${PYTHON_BASE_TAG} ${digest}`);
    assert.equal(digest, (await index(cached)).manifests[0]?.digest, "same rootfs, same options: same manifest digest");
  });

  it("start-registry.sh starts, reuses a running registry, takes a push, and stops", async () => {
    const reg = join(dir, "reg");
    const port = String(await freePort());
    const pid = Number((await runOk("bash", [join(SCRIPTS, "start-registry.sh"), reg, port])).trim());
    assert.ok(alive(pid));
    const again = Number((await runOk("bash", [join(SCRIPTS, "start-registry.sh"), reg, port])).trim());
    assert.equal(again, pid, "same arguments: the running registry is reused");
    const other = await run("bash", [join(SCRIPTS, "start-registry.sh"), reg, port, "--user", "a:b"]);
    assert.notEqual(other.code, 0, "another config in the same dir is refused");
    assert.match(other.stderr, /another config/);

    const ref = await pushPythonBase(`127.0.0.1:${port}`);
    const info = JSON.parse(await runOk("skopeo", ["inspect", "--tls-verify=false", "--config", `docker://${ref}`])) as {
      config: { Cmd: string[] };
      rootfs: { diff_ids: string[] };
    };
    assert.deepEqual(info.config.Cmd, ["python3"]);
    assert.equal(info.rootfs.diff_ids.length, 1);

    await runOk("bash", [join(SCRIPTS, "start-registry.sh"), "--stop", reg]);
    assert.ok(!alive(pid), "registry process ended");
    await assert.rejects(fetch(`http://127.0.0.1:${port}/v2/`));
  });
});
