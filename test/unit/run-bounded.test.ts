import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { runBounded } from "../../src/run-bounded.js";
import { isMapBuildError } from "../../src/errors.js";

describe("runBounded", () => {
  it("keeps input order and never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const out = await runBounded([5, 1, 4, 2, 3], async (n) => {
      peak = Math.max(peak, ++running);
      for (let i = 0; i < n; i++) await Promise.resolve();
      running--;
      return n * 10;
    }, { limit: 2 });
    assert.deepEqual(out, [50, 10, 40, 20, 30]);
    assert.equal(peak, 2);
  });

  it("on a failure aborts the running siblings, starts nothing new, and throws that failure", async () => {
    const started: number[] = [];
    let siblingStopped = false;
    const boom = new Error("boom");
    await assert.rejects(
      runBounded([0, 1, 2, 3], async (i, _index, signal) => {
        started.push(i);
        if (i === 1) throw boom;
        // item 0 would run forever: only the abort ends it
        await once(signal, "abort");
        siblingStopped = true;
        throw signal.reason;
      }, { limit: 2 }),
      (e) => e === boom,
    );
    assert.ok(siblingStopped);
    assert.deepEqual(started, [0, 1]);
  });

  it("reports the lowest-index failure of those that failed on their own, whatever finished first", async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const err = await runBounded(["a", "b"], async (name) => {
      if (name === "a") {
        await slow; // fails after b, and ignores the abort
        throw new Error("a failed");
      }
      release();
      throw new Error("b failed");
    }, { limit: 2 }).catch((e: Error) => e);
    assert.equal((err as Error).message, "a failed");
  });

  it("a caller's abort stops everything with E_INTERRUPTED", async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(runBounded([1, 2], async () => 1, { signal: ac.signal }), (e) => isMapBuildError(e) && e.code === "E_INTERRUPTED");
  });
});
