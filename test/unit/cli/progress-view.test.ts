/**
 * The progress display with an injected clock: a terminal frame (rows by role, percent, ETA, a rate
 * frozen when a row finishes, the overall line), a pipe (timestamped lines at least every 10 s
 * for a long transfer), the closing summary, and Ctrl-C leaving the last frame alone.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createProgressView, PIPE_INTERVAL_MS } from "../../../src/cli/progress-view.js";
import { formatBytes, formatDuration } from "../../../src/cli/units.js";

const MiB = 1024 * 1024;

class Screen extends Writable {
  text = "";
  writes = 0;
  constructor(readonly isTTY: boolean, readonly columns = 120) {
    super();
  }
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    this.writes++;
    cb();
  }
  /** The last frame drawn: what a terminal shows after the cursor moves. */
  lastFrame(): string[] {
    const frames = this.text.split(/\x1b\[\d+A/);
    return frames.at(-1)!.split("\n").map((l) => l.replace(/\x1b\[2K/g, "")).filter(Boolean);
  }
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("progress view", () => {
  it("human units and durations", () => {
    assert.equal(formatBytes(116.04779280246119), "116 B");
    assert.equal(formatBytes(300 * MiB), "300 MiB");
    assert.equal(formatBytes(1.5 * 1024), "1.5 KiB");
    assert.equal(formatDuration(4.25), "4.3s");
    assert.equal(formatDuration(125), "2m05s");
  });

  it("terminal: rows by role, percent and ETA while running, a frozen rate when done, the overall line", () => {
    const c = clock();
    const tty = new Screen(true);
    const view = createProgressView(tty, true, { now: c.now, timer: false });
    view.sink({ id: "app", phase: "build", bytes: 0, total: 2 * MiB });
    view.sink({ id: "app", phase: "done", bytes: 2 * MiB, total: 2 * MiB });
    view.sink({ id: "python-deps", phase: "cached", bytes: 5 * MiB });
    view.sink({ id: "model:seg", phase: "upload", bytes: 0, total: 300 * MiB, output: "push localhost:5000/apps/x" });
    c.advance(10_000);
    view.sink({ id: "model:seg", phase: "upload", bytes: 100 * MiB, total: 300 * MiB, output: "push localhost:5000/apps/x" });
    view.tick();
    let frame = tty.lastFrame();
    assert.match(frame[0]!, /^\[\+\] 10\.0s {2}2\/3 done {2}100 MiB\/300 MiB in flight$/);
    const upload = frame.find((l) => l.startsWith("push localhost:5000/apps/x  model:seg"))!;
    assert.match(upload, /uploading 100 MiB\/300 MiB 33% 10 MiB\/s ETA 20\.0s$/);
    assert.match(frame.find((l) => l.startsWith("python-deps"))!, /cached +5\.0 MiB$/, "a cached row shows no rate");
    view.sink({ id: "model:seg", phase: "upload", bytes: 300 * MiB, total: 300 * MiB, output: "push localhost:5000/apps/x" });
    view.sink({ id: "model:seg", phase: "done", bytes: 300 * MiB, total: 300 * MiB, output: "push localhost:5000/apps/x" });
    c.advance(60_000); // a finished row keeps its rate however long the build goes on
    view.tick();
    frame = tty.lastFrame();
    assert.match(frame.find((l) => l.includes("model:seg"))!, /done +300 MiB 30 MiB\/s$/);
    assert.doesNotMatch(tty.text, /\d\.\d{3,}/, "no raw floats");
  });

  it("pipe: timestamped lines, one at least every 10 s for a long transfer, and one when it ends", () => {
    const c = clock();
    const pipe = new Screen(false);
    const view = createProgressView(pipe, true, { now: c.now, timer: false });
    const total = 300 * MiB;
    for (let s = 0; s <= 35; s++) {
      view.sink({ id: "model:seg", phase: "upload", bytes: Math.min(total, s * 10 * MiB), total, output: "push localhost:5000/apps/x" });
      view.tick();
      c.advance(1000);
    }
    view.sink({ id: "model:seg", phase: "done", bytes: total, total, output: "push localhost:5000/apps/x" });
    const lines = pipe.text.trim().split("\n");
    const times = lines.map((l) => Number(/^\[ *([\d.]+)s\]/.exec(l)?.[1]));
    assert.ok(times.every((t) => Number.isFinite(t)), pipe.text);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! <= PIPE_INTERVAL_MS / 1000, pipe.text);
    assert.ok(times.at(-1)! >= 30);
    assert.match(lines[0]!, /uploading 0 B\/300 MiB 0%/, "a big transfer is announced when it starts");
    assert.match(lines.at(-1)!, /done +300 MiB/);
    assert.doesNotMatch(pipe.text, /\x1b\[/, "no escape codes in a pipe");
  });

  it("pipe: a small row gets one line, when it finishes", () => {
    const pipe = new Screen(false);
    const view = createProgressView(pipe, true, { now: clock().now, timer: false });
    view.sink({ id: "app", phase: "build", bytes: 0, total: 3000 });
    view.sink({ id: "app", phase: "build", bytes: 3000, total: 3000 });
    view.sink({ id: "app", phase: "done", bytes: 3000, total: 3000 });
    assert.deepEqual(pipe.text.trim().split("\n").length, 1);
    assert.match(pipe.text, /^\[ +0\.0s\] app +done +2\.9 KiB\n$/);
  });

  it("the closing summary: built and cached layers, uploaded vs mounted vs existing bytes, files written, time", () => {
    const c = clock();
    const pipe = new Screen(false);
    const view = createProgressView(pipe, true, { now: c.now, timer: false });
    const push = "push r.example/apps/x";
    view.sink({ id: "app", phase: "build", bytes: 0, total: MiB });
    view.sink({ id: "app", phase: "done", bytes: MiB, total: MiB });
    view.sink({ id: "python-deps", phase: "cached", bytes: 4 * MiB });
    view.sink({ id: "base 1/2", phase: "mounted", bytes: 20 * MiB, total: 20 * MiB, output: push });
    view.sink({ id: "base 1/2", phase: "done", bytes: 20 * MiB, total: 20 * MiB, output: push });
    view.sink({ id: "base 2/2", phase: "exists", bytes: 8 * MiB, total: 8 * MiB, output: push });
    view.sink({ id: "app", phase: "upload", bytes: MiB, total: MiB, output: push });
    view.sink({ id: "app", phase: "done", bytes: MiB, total: MiB, output: push });
    view.sink({ id: "app", phase: "write", bytes: MiB, total: MiB, output: "tarball x.tar" });
    c.advance(4200);
    view.finish({ summary: true });
    assert.match(
      pipe.text.trim().split("\n").at(-1)!,
      /^built 1 layer\(s\) \(1\.0 MiB\), 1 from cache \(4\.0 MiB\); push r\.example\/apps\/x: uploaded 1\.0 MiB, mounted 20 MiB, existing 8\.0 MiB; tarball x\.tar: wrote 1\.0 MiB; 4\.2s$/,
    );
  });

  it("Ctrl-C: the view stops drawing and leaves its last frame for the interrupt message", () => {
    const c = clock();
    const tty = new Screen(true);
    const ac = new AbortController();
    const view = createProgressView(tty, true, { now: c.now, timer: false, signal: ac.signal });
    view.sink({ id: "app", phase: "build", bytes: 0, total: MiB });
    view.tick();
    const before = tty.writes;
    ac.abort();
    view.sink({ id: "app", phase: "build", bytes: MiB / 2, total: MiB });
    view.tick();
    view.finish({ summary: true });
    assert.equal(tty.writes, before, "nothing is drawn over the interrupt message");
  });
});
