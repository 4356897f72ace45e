/**
 * Child process for memory.test.ts: builds one gzip layer from argv[2] into argv[3] and prints its
 * metadata and peak RSS as JSON. A separate process so the parent's own heap does not count.
 */
import { planFromDisk, writeLayer } from "../../src/layer/index.js";
import { peakRssKiB } from "../helpers/peak-rss.js";

const [source, tmpDir] = process.argv.slice(2) as [string, string];
const started = performance.now();
const layer = await writeLayer(await planFromDisk([{ source, target: "/opt/monai/models" }]), { compression: "gzip", family: "oci", tmpDir });
const seconds = (performance.now() - started) / 1000;
process.stdout.write(JSON.stringify({ maxRssKiB: peakRssKiB(), seconds, ...layer.info }));
await layer.dispose();
