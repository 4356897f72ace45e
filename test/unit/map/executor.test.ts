import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeTempDir } from "../../helpers/tmp.js";
import { run } from "../../helpers/run.js";
import { renderExecutor } from "../../../src/map/executor.js";

describe("monai-exec script", () => {
  let dir = "";
  let cleanup: () => Promise<void> = async () => {};
  let n = 0;

  /** A fake image root with manifests, an app and a model. */
  async function makeRoot(): Promise<string> {
    const root = join(dir, `root${n++}`);
    await mkdir(join(root, "etc/monai"), { recursive: true });
    await writeFile(join(root, "etc/monai/app.json"), '{"a": 1}');
    await writeFile(join(root, "etc/monai/pkg.json"), '{"p": 1}');
    await mkdir(join(root, "opt/monai/app/sub"), { recursive: true });
    await writeFile(join(root, "opt/monai/app/app.py"), "print(1)");
    await writeFile(join(root, "opt/monai/app/sub/.hidden"), "h");
    await mkdir(join(root, "opt/monai/models/model"), { recursive: true });
    await writeFile(join(root, "opt/monai/models/model/model.ts"), "m");
    return root;
  }

  async function exec(script: string, root: string, args: string[] = [], env: Record<string, string> = {}) {
    const file = join(dir, `exec${n++}`);
    await writeFile(file, script);
    await chmod(file, 0o755);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MONAI_")));
    return run("/bin/sh", [file, ...args], { env: { ...clean, MONAI_EXEC_ROOT: root, ...env }, timeoutMs: 20_000 });
  }

  before(async () => {
    ({ dir, cleanup } = await makeTempDir("mb-exec-"));
  });
  after(() => cleanup());

  it("exports the manifests to a mounted config dir and exits 0", async () => {
    const root = await makeRoot();
    await mkdir(join(root, "var/run/monai/export/config"), { recursive: true });
    const r = await exec(renderExecutor({ command: "false" }), root);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /export '\/var\/run\/monai\/export\/config' detected/);
    assert.equal(await readFile(join(root, "var/run/monai/export/config/app.json"), "utf8"), '{"a": 1}');
    assert.equal(await readFile(join(root, "var/run/monai/export/config/pkg.json"), "utf8"), '{"p": 1}');
  });

  it("exports app and models to their mounts", async () => {
    const root = await makeRoot();
    await mkdir(join(root, "var/run/monai/export/app"), { recursive: true });
    await mkdir(join(root, "var/run/monai/export/models"), { recursive: true });
    const r = await exec(renderExecutor({ command: "false" }), root);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(join(root, "var/run/monai/export/app/sub/.hidden"), "utf8"), "h");
    assert.equal(await readFile(join(root, "var/run/monai/export/models/model/model.ts"), "utf8"), "m");
    assert.deepEqual(await readdir(join(root, "var/run/monai/export")), ["app", "models"]);
  });

  it("exports all three into a bare export dir", async () => {
    const root = await makeRoot();
    await mkdir(join(root, "var/run/monai/export"), { recursive: true });
    const r = await exec(renderExecutor({ command: "false" }), root);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await readdir(join(root, "var/run/monai/export"))).sort(), ["app", "config", "models"]);
    assert.equal(await readFile(join(root, "var/run/monai/export/app/app.py"), "utf8"), "print(1)");
    assert.equal(await readFile(join(root, "var/run/monai/export/config/app.json"), "utf8"), '{"a": 1}');
  });

  it("runs the command with MONAI_* defaults and container args, returning its status", async () => {
    const root = await makeRoot();
    const cmd = `echo "in=$MONAI_INPUTPATH wd=$MONAI_WORKDIR job=$MONAI_JOBID host=$MONAI_HOSTNAME models=$MONAI_MODELPATH"; printf '<%s>' "$@"; exit 3`;
    const r = await exec(renderExecutor({ command: cmd, workingDir: "/w$x\"y", inputPath: "/w/in" }), root, ["a b", "c"]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /in=\/w\/in wd=\/w\$x"y job=0{32} host=none models=\/opt\/monai\/models/);
    assert.match(r.stdout, /<a b><c>$/);
    const r2 = await exec(renderExecutor({ command: 'echo "$MONAI_INPUTPATH"' }), root, [], { MONAI_INPUTPATH: "/mounted" });
    assert.equal(r2.stdout.trim(), "/mounted");
  });

  it("enforces the timeout and rejects a bad one", async () => {
    const root = await makeRoot();
    const r = await exec(renderExecutor({ command: "sleep 10", timeout: 1 }), root);
    assert.equal(r.code, 124, "124: the timeout killed the command (sleep alone exits 0)");
    const r2 = await exec(renderExecutor({ command: "true" }), root, [], { MONAI_TIMEOUT: "1.5" });
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /whole number/);
    const r3 = await exec(renderExecutor({ command: `echo "it's ok"` }), root);
    assert.equal(r3.stdout, "it's ok\n");
  });

  it("is accepted by dash's and bash's syntax check", async () => {
    const script = renderExecutor({ command: "python3 -u /opt/monai/app/app.py" });
    for (const sh of ["/bin/dash", "/bin/bash"]) {
      const r = await run(sh, ["-n"], { input: script });
      assert.equal(r.code, 0, `${sh}: ${r.stderr}`);
    }
  });
});
