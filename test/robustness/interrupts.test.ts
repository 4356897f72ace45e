/**
 * SIGINT / SIGTERM during a build (CLI child process): exit status 130, no output file or layout,
 * no temp file next to the output, no map-build-* temp dir. The model is 300 MB of random bytes:
 * a `.tsv` is gzipped (slow: seconds of work to interrupt), a `.bin` is stored as is (so the build
 * quickly reaches the output-writing phase).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { open, readdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { randomFillSync } from "node:crypto";
import { join, resolve } from "node:path";
import type { ChildProcess } from "node:child_process";
import { pythonBaseLayout, PYTHON_BASE_TAG } from "../helpers/python-base.js";
import { ExitCode } from "../../src/cli/exit-codes.js";
import { leftovers, makeSandbox, runMb, type Sandbox } from "./runner.js";

const EXAMPLE_APP = resolve(import.meta.dirname, "../../examples/word_score_app");
const MODEL_BYTES = 300 * 1024 * 1024;

async function writeRandom(file: string, size: number): Promise<void> {
  const fh = await open(file, "wx");
  const buf = Buffer.alloc(8 * 1024 * 1024);
  for (let n = 0; n < size; n += buf.length) {
    randomFillSync(buf);
    await fh.write(buf, 0, Math.min(buf.length, size - n));
  }
  await fh.close();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Poll until `cond` holds, then send `sig` to the child. No deadline of its own: under load a build
 * took over a minute to reach its output phase and a 60 s one gave up without signalling; the
 * runner's hang guard bounds the wait.
 */
function signalWhen(cond: () => Promise<boolean>, sig: NodeJS.Signals, sent: { at?: number; phase?: string }) {
  return (child: ChildProcess) => {
    void (async () => {
      while (child.exitCode === null && child.signalCode === null) {
        if (await cond()) {
          sent.at = Date.now();
          child.kill(sig);
          return;
        }
        await sleep(50);
      }
    })();
  };
}

describe("interrupts (CLI child process)", () => {
  let sb: Sandbox;
  let pythonBase: string;
  let gzModel: string;
  let rawModel: string;

  before(async () => {
    pythonBase = await pythonBaseLayout();
    sb = await makeSandbox();
    gzModel = join(sb.root, "weights.tsv");
    rawModel = join(sb.root, "weights.bin");
    await writeRandom(gzModel, MODEL_BYTES);
    await writeRandom(rawModel, MODEL_BYTES);
  });
  after(async () => {
    await sb?.cleanup();
  });

  /** A map-build-*\/ dir with a layer temp file in it: layers are being written. */
  async function writingLayers(): Promise<boolean> {
    for (const d of await leftovers(sb)) {
      const inside = await readdir(join(sb.tmp, d)).catch(() => [] as string[]);
      if (inside.some((n) => n.includes("layer"))) return true;
    }
    return false;
  }

  async function interrupt(opts: { sig: NodeJS.Signals; model: string; output: "tarball" | "oci-layout"; when: "layers" | "output" }): Promise<void> {
    const outDir = join(sb.root, `out-${opts.sig}-${opts.output}-${opts.when}`);
    await import("node:fs/promises").then((f) => f.mkdir(outDir));
    const target = join(outDir, opts.output === "tarball" ? "o.tar" : "layout");
    const writingOutput = async () => (await readdir(outDir)).length > 0;
    const sent: { at?: number } = {};
    const r = await runMb(
      sb,
      ["package", EXAMPLE_APP, "-t", "a:1", "-m", opts.model, "-b", `oci:${pythonBase}:${PYTHON_BASE_TAG}`, "--no-sdk", "--no-cache", `--${opts.output}`, target],
      { onSpawn: signalWhen(opts.when === "layers" ? writingLayers : writingOutput, opts.sig, sent), timeoutMs: 300_000 },
    );
    const ctx = `\n--- stderr ---\n${r.stderr}`;
    assert.ok(sent.at, `the signal was sent (the build reached the ${opts.when} phase)${ctx}`);
    assert.equal(r.code, ExitCode.interrupted, `exit status${ctx}`);
    // exit 130 is the build stopping itself; a hang would end in the runner's SIGKILL (code null)
    assert.equal(r.stdout, "");
    assert.match(r.stderr, new RegExp(`${opts.sig}: stopping`));
    assert.match(r.stderr, /^error: .*\[E_INTERRUPTED\]$/m);
    assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
    assert.ok(!existsSync(target), `no ${opts.output} left${ctx}`);
    assert.deepEqual(await readdir(outDir), [], `no temp file next to the output${ctx}`);
    assert.deepEqual(await leftovers(sb), [], `no map-build-* temp dir${ctx}`);
  }

  it("SIGINT while gzipping a 300 MB model layer (--tarball) → 130, nothing left", () => interrupt({ sig: "SIGINT", model: gzModel, output: "tarball", when: "layers" }));
  it("SIGTERM while gzipping a 300 MB model layer (--oci-layout) → 130, nothing left", () => interrupt({ sig: "SIGTERM", model: gzModel, output: "oci-layout", when: "layers" }));
  it("SIGINT while writing the tarball → 130, its temp file removed", () => interrupt({ sig: "SIGINT", model: rawModel, output: "tarball", when: "output" }));
  it("SIGTERM while writing the OCI layout → 130, the layout dir removed", () => interrupt({ sig: "SIGTERM", model: rawModel, output: "oci-layout", when: "output" }));
});
