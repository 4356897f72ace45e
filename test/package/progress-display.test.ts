/**
 * The progress display of a real build, through a pseudo-terminal (`script` from util-linux gives
 * the child a tty) and through a pipe: rows named by role and output, the overall line, the
 * closing summary; timestamped lines and no escape codes in the pipe.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CLI_ENTRIES, runCli } from "../helpers/cli.js";
import { run } from "../helpers/run.js";
import { makeTempDir } from "../helpers/tmp.js";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { EXAMPLE_APP } from "./fixtures.js";

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe("progress display of a build", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let args: (out: string) => string[];
  before(async () => {
    tmp = await makeTempDir("mb-progress-");
    const model = join(tmp.dir, "weights.bin");
    await writeFile(model, Buffer.alloc(8 * 1024 * 1024, 7));
    const base = `oci:${await pythonBaseLayout()}:${PYTHON_BASE_TAG}`;
    args = (out) => ["package", EXAMPLE_APP, "-t", "localhost/ws:1", "-b", base, "--no-sdk", "-m", model, "--tarball", join(tmp.dir, out), "--no-cache"];
  });
  after(() => tmp.cleanup());

  it("on a terminal: live frames with role rows, the overall line and the summary", async () => {
    const cmd = [process.execPath, "--import", "tsx", CLI_ENTRIES["map-build"], ...args("tty.tar")].map(shq).join(" ");
    const r = await run("script", ["-qfec", cmd, "/dev/null"], { env: { ...process.env, COLUMNS: "120" }, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = r.stdout.replace(/\r/g, "");
    assert.match(out, /\x1b\[\d+A/, "frames are redrawn in place");
    assert.match(out, /\[\+\] [\d.]+s {2}\d+\/\d+ done/);
    assert.match(out, /tarball tty\.tar {2}model:weights +written +8\.0 MiB/);
    assert.match(out, /\x1b\[2Kapp +done/);
    assert.match(out, /^built 3 layer\(s\) \([^)]+\), 0 from cache \(0 B\); tarball tty\.tar: wrote [\d.]+ MiB; [\d.]+s$/m);
    assert.doesNotMatch(out, /sha256:[0-9a-f]{12}\s/, "rows are named by role, not digest");
    assert.doesNotMatch(out, /\d\.\d{4,}/, "no raw floats");
  });

  it("in a pipe: timestamped lines, no escape codes, and the same summary", async () => {
    const r = await runCli(args("pipe.tar"));
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /\x1b\[/);
    const progress = r.stderr.split("\n").filter((l) => l.startsWith("["));
    assert.ok(progress.length >= 5, r.stderr);
    for (const l of progress) assert.match(l, /^\[ *[\d.]+s\] /);
    assert.ok(progress.some((l) => /tarball pipe\.tar {2}manifest +done/.test(l)), r.stderr);
    assert.match(r.stderr, /^built 3 layer\(s\).*; tarball pipe\.tar: wrote/m);
  });
});
