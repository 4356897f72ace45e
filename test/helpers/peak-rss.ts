/**
 * Peak RSS of this process, for the memory tests' children. Not `process.resourceUsage().maxRSS`:
 * Linux carries ru_maxrss over fork and exec, so a child spawned by a test process holding 600 MB
 * reported 600 MB whatever it did itself. VmHWM is the high-water mark of this process's own memory.
 */
import { readFileSync } from "node:fs";

/** Peak resident set size in KiB (VmHWM of /proc/self/status). */
export function peakRssKiB(): number {
  const m = /^VmHWM:\s*(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
  if (!m) throw new Error("no VmHWM in /proc/self/status");
  return Number(m[1]);
}
