/**
 * Summarise a node --cpu-prof profile: self time per function (and per source file), highest
 * first, so a missed bench goal can be pinned on a stage.
 *   node --import tsx scripts/bench/cpu-profile-summary.ts FILE.cpuprofile [TOP=25]
 * (node writes one profile per thread; pass the main thread's, the one with the most samples.)
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg] = process.argv.slice(2);
if (!file || (topArg !== undefined && !/^\d+$/.test(topArg))) {
  process.stderr.write("usage: cpu-profile-summary.ts FILE.cpuprofile [TOP]\n");
  process.exit(2);
}
const top = Number(topArg ?? 25);
process.stdout.on("error", () => process.exit(0)); // piped into head
const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));

const total = p.endTime - p.startTime;
const byFn = new Map<string, number>();
const byFile = new Map<string, number>();
for (const [id, us] of selfUs) {
  const cf = byId.get(id)!.callFrame;
  const where = cf.url.replace(/^file:\/\//, "").replace(/^.*\/node_modules\//, "~/");
  const fn = `${cf.functionName || "(anonymous)"} ${where ? `${where}:${cf.lineNumber + 1}` : ""}`.trim();
  byFn.set(fn, (byFn.get(fn) ?? 0) + us);
  const f = where || `(${cf.functionName})`;
  byFile.set(f, (byFile.get(f) ?? 0) + us);
}
const show = (title: string, m: Map<string, number>) => {
  process.stdout.write(`${title}\n`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${(us / 1000).toFixed(0).padStart(8)} ms ${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}\n`);
  }
};
process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms wall (main thread)\n`);
show("self time by function:", byFn);
show("\nself time by file:", byFile);
