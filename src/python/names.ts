/** Project names and versions as the packaging specs compare them. */
import { valid } from "@renovatebot/pep440";

/** PEP 503 normalisation: runs of `-`, `_`, `.` become one `-`, lower case. */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

/** Wheel filenames escape the name with `_` (PEP 427 / binary distribution format). */
export function wheelNameEscape(name: string): string {
  return name.replace(/[-_.]+/g, "_");
}

/** True when `v` is a valid PEP 440 version. */
export function isVersion(v: string): boolean {
  return valid(v) !== null;
}
