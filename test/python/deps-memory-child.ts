/**
 * Child of deps-memory.test.ts: the map-build CLI exactly as bin/map-build.js runs it (same entry,
 * same start-up settings), plus one exit hook that writes the process's peak RSS to $MB_RSS_OUT.
 * Bundled to plain JS by the test, so the tsx loader's memory is not counted.
 */
import { writeFileSync } from "node:fs";
import { peakRssKiB } from "../helpers/peak-rss.js";

const out = process.env.MB_RSS_OUT;
if (!out) throw new Error("MB_RSS_OUT is not set");
process.on("exit", () => writeFileSync(out, JSON.stringify({ peakRssKiB: peakRssKiB() })));
await import("../../src/cli/map-build.js");
