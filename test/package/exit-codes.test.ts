/**
 * Issue 6 acceptance: a failed build exits non-zero (the original exited 0: bug B10) with exactly
 * one `error: … [E_CODE]` line and one `hint:` line on stderr, nothing on stdout, and leaves no
 * output behind; Ctrl-C (SIGINT) mid-build exits 130 and removes temp files and partial outputs.
 * Real child processes of the CLI; the base comes from the python base's OCI layout.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CLI_ENTRIES, runCli, type CliResult } from "../helpers/cli.js";
import { pythonBaseLayout } from "../helpers/python-base.js";
import { makeTempDir } from "../helpers/tmp.js";
import { EXAMPLE_APP } from "./fixtures.js";

interface Case {
  name: string;
  args: (c: { base: string; dir: string }) => string[];
  exit: number;
  code: string;
  message: RegExp;
  hint?: RegExp;
}

const CASES: Case[] = [
  { name: "missing app path", args: (c) => ["package", join(c.dir, "no-such-app"), "-t", "x:1", "-b", c.base], exit: 3, code: "E_APP_INVALID", message: /no-such-app does not exist/ },
  { name: "folder without __main__.py", args: (c) => ["package", join(c.dir, "no-main"), "-t", "x:1", "-b", c.base], exit: 3, code: "E_APP_INVALID", message: /no __main__\.py/, hint: /add a __main__\.py/ },
  { name: "bad --timeout", args: (c) => ["package", EXAMPLE_APP, "-t", "x:1", "-b", c.base, "--timeout", "1.5"], exit: 2, code: "E_USAGE", message: /--timeout "1\.5"/, hint: /--timeout 0/ },
  { name: "negative --timeout", args: (c) => ["package", EXAMPLE_APP, "-t", "x:1", "-b", c.base, "--timeout", "-5"], exit: 2, code: "E_USAGE", message: /--timeout/ },
  { name: "no --tag", args: (c) => ["package", EXAMPLE_APP, "-b", c.base], exit: 2, code: "E_USAGE", message: /--tag/, hint: /package APP_PATH --tag NAME/ },
  { name: "unknown flag", args: (c) => ["package", EXAMPLE_APP, "-t", "x:1", "-b", c.base, "--bogus"], exit: 2, code: "E_USAGE", message: /unknown option '--bogus'/ },
  { name: "bad --version", args: (c) => ["package", EXAMPLE_APP, "-t", "x:1", "-b", c.base, "--version", "latest"], exit: 2, code: "E_USAGE", message: /--version "latest"/ },
  { name: "relative --working-dir", args: (c) => ["package", EXAMPLE_APP, "-t", "x:1", "-b", c.base, "-w", "rel/dir"], exit: 2, code: "E_USAGE", message: /--working-dir "rel\/dir"/ },
  { name: "bad --memory", args: (c) => ["package", EXAMPLE_APP, "-t", "x:1", "-b", c.base, "--memory", "7XB"], exit: 2, code: "E_USAGE", message: /--memory "7XB"/ },
  { name: "bad --log-level", args: (c) => ["package", EXAMPLE_APP, "-t", "x:1", "-b", c.base, "-l", "LOUD"], exit: 2, code: "E_USAGE", message: /--log-level "LOUD"/ },
  { name: "missing model", args: (c) => ["package", EXAMPLE_APP, "-t", "x:1", "-b", c.base, "-m", join(c.dir, "nope.pt")], exit: 3, code: "E_MODEL_INVALID", message: /nope\.pt does not exist/ },
  { name: "bad tag", args: (c) => ["package", EXAMPLE_APP, "-t", "Bad:Tag:x", "-b", c.base], exit: 2, code: "E_INVALID_REFERENCE", message: /Bad:Tag:x/ },
  { name: "-r not .txt", args: (c) => ["package", EXAMPLE_APP, "-t", "x:1", "-b", c.base, "-r", join(c.dir, "req.cfg")], exit: 2, code: "E_USAGE", message: /not a \.txt file/ },
  { name: "base layout missing", args: (c) => ["package", EXAMPLE_APP, "-t", "x:1", "-b", `oci:${join(c.dir, "no-layout")}:1`], exit: 3, code: "E_INPUT_FORMAT", message: /not an OCI image layout/ },
];

describe("map-build package: failures exit non-zero with one error line and a hint, leaving nothing behind", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let base: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    tmp = await makeTempDir("mb-pkg-exit-");
    base = `oci:${await pythonBaseLayout()}:bookworm-python`;
    env = { MAP_BUILD_CACHE_DIR: join(tmp.dir, "cache"), SOURCE_DATE_EPOCH: undefined, MONAI_BASEIMAGE: undefined, DOCKER_HOST: undefined };
    await mkdir(join(tmp.dir, "no-main"));
    await writeFile(join(tmp.dir, "no-main", "app.py"), "print('no main')\n");
  });
  after(async () => {
    await tmp?.cleanup();
  });

  function assertFailure(c: Case, r: CliResult): void {
    const what = `${c.name}: ${JSON.stringify(r)}`;
    assert.equal(r.code, c.exit, what);
    assert.equal(r.stdout, "", what);
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 2, what);
    assert.match(lines[0]!, new RegExp(`^error: .+ \\[${c.code}\\]$`), what);
    assert.match(lines[0]!, c.message, what);
    assert.match(lines[1]!, /^hint: \S/, what);
    if (c.hint) assert.match(lines[1]!, c.hint, what);
  }

  it("each bad input: its exit status, code and hint; no tarball, OCI layout or temp dir left", async () => {
    // a few at a time: each is a node start-up (~1 s here)
    const queue = CASES.map((c, i) => ({ c, i }));
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { c, i } = next;
        const work = join(tmp.dir, `case-${i}`);
        await mkdir(join(work, "tmp"), { recursive: true });
        const r = await runCli([...c.args({ base, dir: tmp.dir }), "--no-sdk", "--tarball", join(work, "out.tar"), "--oci-layout", join(work, "layout")], {
          env: { ...env, TMPDIR: join(work, "tmp") },
          cwd: work,
        });
        assertFailure(c, r);
        assert.deepEqual((await readdir(work)).sort(), ["tmp"], `${c.name}: outputs left behind`);
        assert.deepEqual((await readdir(join(work, "tmp"))).filter((n) => n.startsWith("map-build")), [], `${c.name}: temp dirs left behind`);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  });

  it("the monai-deploy entry fails the same way", async () => {
    const r = await runCli(["package", EXAMPLE_APP, "-t", "x:1", "-b", base, "--no-sdk", "--timeout", "soon", "--tarball", join(tmp.dir, "md.tar")], { env, cwd: tmp.dir, entry: "monai-deploy" });
    assertFailure({ name: "monai-deploy bad timeout", args: () => [], exit: 2, code: "E_USAGE", message: /--timeout "soon"/ }, r);
    const run = await runCli(["run", "img", "in", "out"], { env, cwd: tmp.dir, entry: "monai-deploy" });
    assertFailure({ name: "monai-deploy run", args: () => [], exit: 2, code: "E_USAGE", message: /only "package"/ }, run);
  });

  it("SIGINT mid-build: exit 130, E_INTERRUPTED, temp files and partial outputs removed", async () => {
    const work = join(tmp.dir, "sigint");
    await mkdir(join(work, "tmp"), { recursive: true });
    // random bytes under a non-model extension: gzip makes this layer slow enough to interrupt
    const model = join(work, "weights.dat");
    await writeFile(model, randomBytes(48 * 1024 * 1024));
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), CLI_ENTRIES["map-build"], "package", EXAMPLE_APP, "-t", "x:1", "-b", base, "--no-sdk", "-m", model,
      "--compression-level", "9", "--tarball", join(work, "out.tar"), "--oci-layout", join(work, "layout")], {
      cwd: work,
      env: { ...process.env, ...env, TMPDIR: join(work, "tmp") } as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    const started = new Promise<void>((resolve) => {
      child.stderr.on("data", (b: Buffer) => {
        stderr += b.toString();
        if (/model:weights\s+build/.test(stderr)) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await Promise.race([started, exited]);
    child.kill("SIGINT");
    const code = await exited;
    assert.equal(code, 130, stderr);
    assert.equal(stdout, "");
    assert.match(stderr, /^error: .+ \[E_INTERRUPTED\]$/m);
    assert.deepEqual((await readdir(work)).sort(), ["tmp", "weights.dat"], "no partial tarball or layout");
    assert.deepEqual((await readdir(join(work, "tmp"))).filter((n) => n.startsWith("map-build")), [], "temp dirs removed");
  });
});
