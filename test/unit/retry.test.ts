/** The one retry primitive (src/retry.ts), on an injected clock: no test here waits. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MapBuildError } from "../../src/errors.js";
import { RetryableStatusError, withRetry, type Clock } from "../../src/retry.js";

/** Records each wait instead of sleeping; aborts are honoured like the real sleep. */
function fakeClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    now: () => 0,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw new MapBuildError("E_INTERRUPTED", "interrupted");
      waits.push(ms);
    },
  };
}

const policy = { attempts: 4, minDelayMs: 100, maxDelayMs: 1000 };
const network = () => new MapBuildError("E_NETWORK", "reset");

describe("withRetry", () => {
  it("tries until success, backing off between tries, and reports each retry", async () => {
    const clock = fakeClock();
    const seen: number[] = [];
    const got = await withRetry(async (attempt) => {
      if (attempt < 3) throw network();
      return attempt;
    }, { policy, clock, random: () => 1, onRetry: (e) => seen.push(e.attempt) });
    assert.equal(got, 3);
    assert.deepEqual(clock.waits, [100, 200]);
    assert.deepEqual(seen, [1, 2]);
  });

  it("gives up after the policy's attempts with the last failure", async () => {
    const clock = fakeClock();
    let calls = 0;
    await assert.rejects(withRetry(async () => { calls++; throw network(); }, { policy, clock }), /reset/);
    assert.equal(calls, 4);
    assert.equal(clock.waits.length, 3);
  });

  it("does not retry what is not retryable, nor what the caller's predicate refuses", async () => {
    const clock = fakeClock();
    let calls = 0;
    await assert.rejects(withRetry(async () => { calls++; throw new MapBuildError("E_DENIED", "no"); }, { policy, clock }));
    await assert.rejects(withRetry(async () => { calls++; throw network(); }, { policy, clock, retryable: () => false }));
    assert.equal(calls, 2);
    assert.deepEqual(clock.waits, []);
  });

  it("waits what Retry-After asked (capped), not the backoff", async () => {
    const clock = fakeClock();
    let calls = 0;
    await withRetry(async () => {
      if (++calls === 1) throw new RetryableStatusError(429, 700);
      if (calls === 2) throw new RetryableStatusError(503, 5000);
      return "ok";
    }, { policy, clock });
    assert.deepEqual(clock.waits, [700, 1000]);
  });

  it("stops at once when the signal is aborted", async () => {
    const clock = fakeClock();
    const ac = new AbortController();
    let calls = 0;
    await assert.rejects(withRetry(async () => { calls++; ac.abort(); throw network(); }, { policy, clock, signal: ac.signal }), /reset/);
    assert.equal(calls, 1);
    assert.deepEqual(clock.waits, []);
  });
});
