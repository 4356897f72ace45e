/** Human units for sizes, rates and durations (1024-based sizes, as docker and crane print them). */
import { MapBuildError } from "../errors.js";

/**
 * A size as users type it: bytes, or a number with K/M/G/T (1024-based whether written KiB, KB or
 * K, as `du -h` and docker print them). `what` names the flag or variable in the error.
 */
export function parseByteSize(v: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B?|B)?$/i.exec(v.trim());
  if (!m) throw new MapBuildError("E_USAGE", `invalid ${what} "${v}"`, { hint: `give ${what} in bytes or as a size such as 500MiB or 20GiB` });
  const unit = (m[2] ?? "B").toUpperCase().replace(/I?B$/, "");
  const pow = { "": 0, K: 1, M: 2, G: 3, T: 4 }[unit] ?? 0;
  const bytes = Math.floor(Number(m[1]) * 1024 ** pow);
  if (!Number.isSafeInteger(bytes)) throw new MapBuildError("E_USAGE", `invalid ${what} "${v}": too large`, { hint: `give ${what} below 8 PiB` });
  return bytes;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
