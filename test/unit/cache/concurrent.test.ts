import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { openLayerCache } from "../../../src/cache/index.js";
import { planFromDisk } from "../../../src/layer/index.js";
import { makeTempDir } from "../../helpers/tmp.js";
import { run, runOk } from "../../helpers/run.js";

const script = fileURLToPath(new URL("./fixtures/build-layer.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

let dir: string;
let cleanup: () => Promise<void>;

before(async () => {
  ({ dir, cleanup } = await makeTempDir("mb-cc-"));
});
after(async () => {
  await cleanup();
});

function sha256(b: Uint8Array): string {
  return `sha256:${createHash("sha256").update(b).digest("hex")}`;
}

describe("layer cache shared by concurrent builds", () => {
  it("lets simultaneous processes build the same layer: all succeed, one digest, one valid blob", async () => {
    const src = join(dir, "src");
    await mkdir(join(src, "pkg"), { recursive: true });
    // Big enough (gzip of random data at a few tens of MB/s) that the builds overlap.
    await writeFile(join(src, "model.bin"), randomBytes(12 * 1024 * 1024));
    await writeFile(join(src, "app.py"), "print('hello')\n".repeat(1000));
    await writeFile(join(src, "pkg", "__init__.py"), "");
    const cacheDir = join(dir, "cache");
    const barrier = join(dir, "barrier");
    await mkdir(barrier);

    const runs = await Promise.all(
      [0, 1, 2].map(() => run(process.execPath, ["--import", "tsx", script, cacheDir, src, barrier, "3"], { cwd: repoRoot, timeoutMs: 240_000 })),
    );
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const outs = runs.map((r) => JSON.parse(r.stdout) as { digest: string; diffId: string; size: number; path: string; cached: boolean; stats: { puts: number } });
    const digests = new Set(outs.map((o) => o.digest));
    assert.equal(digests.size, 1, `digests differ: ${[...digests].join(" ")}`);
    // The barrier made every process miss and build: three puts of one layer raced.
    assert.deepEqual(outs.map((o) => [o.cached, o.stats.puts]), [[false, 1], [false, 1], [false, 1]]);

    const blobs = await readdir(join(cacheDir, "blobs", "sha256"));
    assert.deepEqual(blobs, [outs[0]!.digest.slice("sha256:".length)], `blobs/sha256 holds ${blobs.join(", ")}`);
    const entries = await readdir(join(cacheDir, "entries"));
    assert.equal(entries.length, 1, `entries holds ${entries.join(", ")}`);
    assert.deepEqual(await readdir(join(cacheDir, "tmp")), []);

    const blob = await readFile(join(cacheDir, "blobs", "sha256", blobs[0]!));
    assert.equal(sha256(blob), outs[0]!.digest);
    assert.equal(blob.length, outs[0]!.size);
    const tar = gunzipSync(blob);
    assert.equal(sha256(tar), outs[0]!.diffId);
    const listing = await runOk("tar", ["-tf", "-"], { input: tar });
    assert.deepEqual(listing.trim().split("\n").sort(), ["app/", "app/app.py", "app/model.bin", "app/pkg/", "app/pkg/__init__.py"]);

    // A later build in this process is served from that blob.
    const cache = await openLayerCache({ dir: cacheDir });
    const key = await cache.keyFor(await planFromDisk([{ source: src, target: "/app" }]), { compression: "gzip", family: "oci" });
    assert.equal(`${entries[0]}`, `${key}.json`);
    const hit = await cache.get(key);
    assert.equal(hit?.info.digest, outs[0]!.digest);
  });
});
