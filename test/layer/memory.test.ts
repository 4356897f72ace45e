/**
 * The one big test: peak RSS of a 256 MiB gzip layer build stays under 150 MB, measured in a child
 * process (test/layer/rss-child.ts) bundled to plain JS, so the number is map-build's and not the tsx
 * loader's (which alone added ~40 MB and made this flaky at 150). Random data, so gzip cannot shrink
 * the work.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { makeTempDir } from "../helpers/tmp.js";
import { runOk } from "../helpers/run.js";
import { bundleForNode } from "../helpers/bundle.js";

// 256 MiB is well above the 150 MB bound, so a buffering writer still fails; larger only costs CI time under load
const SIZE = 256 * 1024 * 1024;
const LIMIT_BYTES = 150 * 1000 * 1000;

let dir: string;
let cleanup: () => Promise<void>;

before(async () => {
  ({ dir, cleanup } = await makeTempDir("mb-rss-"));
});
after(async () => {
  await cleanup();
});

describe("writeLayer memory", () => {
  it("keeps peak RSS under 150 MB for a 256 MiB gzip layer", { timeout: 600_000 }, async (t) => {
    const src = join(dir, "src");
    const tmp = join(dir, "tmp");
    await mkdir(src);
    await mkdir(tmp);
    await runOk("bash", ["-c", `head -c ${SIZE} /dev/urandom > "$1"`, "_", join(src, "weights.bin")]);
    const child = await bundleForNode(resolve(import.meta.dirname, "rss-child.ts"), dir, "rss-child");
    const out = JSON.parse(await runOk(process.execPath, [child, src, tmp], { timeoutMs: 590_000 })) as {
      maxRssKiB: number;
      seconds: number;
      size: number;
    };
    const peak = out.maxRssKiB * 1024;
    t.diagnostic(`peak RSS ${(peak / 1e6).toFixed(1)} MB, ${out.seconds.toFixed(1)} s for ${SIZE / 2 ** 20} MiB`);
    assert.ok(peak < LIMIT_BYTES, `peak RSS ${(peak / 1e6).toFixed(1)} MB ≥ 150 MB`);
    assert.ok(out.size > SIZE, "random data does not compress");
    assert.deepEqual(await readdir(tmp), [], "child disposed its layer");
    assert.equal((await stat(join(src, "weights.bin"))).size, SIZE);
  });
});
