/**
 * One layer build through the library (src/layer writeLayer), in its own process so each
 * measurement starts clean and can be profiled with --cpu-prof. Times planning + writing only
 * (not node/tsx start-up) and prints one JSON line: {seconds, cpuSeconds, digest, diffId, size}.
 *   node --import tsx scripts/bench/layer-worker.ts SOURCE TARGET gzip|none TMPDIR
 */
import { planFromDisk, writeLayer } from "../../src/layer/index.js";

const [source, target, compression, tmpDir] = process.argv.slice(2);
if (!source || !target || (compression !== "gzip" && compression !== "none") || !tmpDir) {
  process.stderr.write("usage: layer-worker.ts SOURCE TARGET gzip|none TMPDIR\n");
  process.exit(2);
}
const start = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
const entries = await planFromDisk([{ source, target }]);
const layer = await writeLayer(entries, { compression, family: "oci", tmpDir });
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
// user + system over all threads (zlib and fs work run on the libuv pool)
const cpu = process.cpuUsage(cpuStart);
const info = { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, digest: await layer.digest(), diffId: await layer.diffId(), size: await layer.size() };
await layer.dispose();
process.stdout.write(`${JSON.stringify(info)}\n`);
