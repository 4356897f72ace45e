/**
 * Fallback when /usr/bin/time is missing: run a command and print its peak RSS the way GNU time -v
 * does ("Maximum resident set size (kbytes): N") on stderr. Node has no RUSAGE_CHILDREN, so this
 * polls the child's VmHWM (its own high-water mark, monotonic) in /proc every 20 ms; the last
 * reading before exit can only under-read growth in the final 20 ms.
 *   node scripts/bench/rss-launcher.ts CMD ARGS...
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  process.stderr.write("usage: rss-launcher.ts CMD ARGS...\n");
  process.exit(2);
}
const child = spawn(cmd, args, { stdio: "inherit" });
let peakKb = 0;
const poll = setInterval(() => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
    if (m) peakKb = Math.max(peakKb, Number(m[1]));
  } catch {
    // exited between ticks
  }
}, 20);
child.on("exit", (code, signal) => {
  clearInterval(poll);
  process.stderr.write(`\tMaximum resident set size (kbytes): ${peakKb}\n`);
  process.exit(code ?? (signal ? 128 : 1));
});
