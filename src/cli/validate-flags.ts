/** Flag checks that need no I/O. Each failure is E_USAGE naming the flag and what to pass. */
import { isAbsolute } from "node:path";
import { Option } from "commander";
import { MapBuildError } from "../errors.js";

function usage(message: string, hint: string): MapBuildError {
  return new MapBuildError("E_USAGE", message, { hint });
}

export const LOG_LEVELS = ["DEBUG", "INFO", "WARN", "ERROR", "CRITICAL"] as const;

export function parseLogLevel(v: string): string {
  const up = v.toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(up)) {
    throw usage(`invalid --log-level "${v}"`, `use one of ${LOG_LEVELS.join(", ")}`);
  }
  return up;
}

export function parseTimeout(v: string): number {
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(Number(v))) {
    throw usage(`invalid --timeout "${v}": not a whole number of seconds`, "pass --timeout 0 (no limit) or a positive integer such as 600");
  }
  return Number(v);
}

/** Semver-like: digits and dots, optional pre-release/build part; also PEP 440 forms like 1.0rc1. */
const VERSION_RE = /^\d+(\.\d+){0,3}([-+._]?[0-9A-Za-z]+([-+._][0-9A-Za-z]+)*)?$/;

export function parseVersion(v: string): string {
  if (v.length > 128 || !VERSION_RE.test(v)) {
    throw usage(`invalid --version "${v}"`, "use a version such as 1.0.0, 1.2.3-rc.1 or 2.0");
  }
  return v;
}

/** No `..` segment (it would climb out of the folders the MAP defines) and no control characters or `"`. */
function plainImagePath(v: string): boolean {
  return !v.split("/").includes("..") && !/[\u0000-\u001f\u007f"]/.test(v);
}

export function parseAbsoluteDir(flag: string): (v: string) => string {
  return (v: string) => {
    if (!isAbsolute(v) || !plainImagePath(v)) {
      throw usage(`invalid ${flag} "${v}": must be an absolute path inside the image, without ".." or control characters`, `e.g. ${flag} /var/monai/`);
    }
    return v;
  };
}

/** Input/output dirs: relative to the working dir (the original joined them) or absolute. */
export function parseDataDir(flag: string): (v: string) => string {
  return (v: string) => {
    if (v.trim() === "" || !plainImagePath(v)) {
      throw usage(`invalid ${flag} "${v}"`, `pass a folder name relative to --working-dir, or an absolute path (no "..")`);
    }
    return v;
  };
}

export function parseNonNegativeNumber(flag: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n < 0) {
      throw usage(`invalid ${flag} "${v}": not a non-negative number`, `e.g. ${flag} 1`);
    }
    return n;
  };
}

export function parseCompressionLevel(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 9) throw usage(`invalid --compression-level "${v}"`, "use 0 (store) to 9 (smallest)");
  return n;
}

export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** An option that may be given several times: its values collected in order, and its help says so. */
export function repeatable(flags: string, help: string): Option {
  return new Option(flags, `${help} (repeatable)`).argParser(collect);
}

/** `--label k=v` / `--annotation k=v` values as a record; a key given twice keeps the last value. */
export function parseKeyValues(flag: string, values: readonly string[] | undefined, reserved: readonly string[] = []): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    const key = eq < 0 ? "" : v.slice(0, eq).trim();
    if (!key) throw usage(`invalid ${flag} "${v.slice(0, 80)}": expected key=value`, `pass e.g. ${flag} org.opencontainers.image.source=https://example.com/repo`);
    if (reserved.includes(key)) throw usage(`${flag} ${key}=… would replace the MAP's own ${key} label`, `choose another key; ${reserved.join(", ")} are set by the build`);
    out[key] = v.slice(eq + 1);
  }
  return out;
}
