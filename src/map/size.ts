/**
 * Memory sizes as the legacy packager parsed and rendered them (map-format.md §1.6, SDK
 * monai/deploy/utils/sizeutil.py): `@resource(memory=...)` accepts a non-negative int (bytes) or a
 * string like "7Gi", "0.3 GiB", "500MB"; pkg.json shows it in `Mi` with at most one decimal.
 */
import { MapBuildError, optionName } from "../errors.js";

/** Decimal units are powers of 1000, binary (`ki`, `kib`, …) powers of 1024; keys are lower-case. */
const UNITS: ReadonlyMap<string, bigint> = (() => {
  const m = new Map<string, bigint>([["b", 1n]]);
  "kmgtpezy".split("").forEach((p, i) => {
    const power = BigInt(i + 1);
    m.set(`${p}b`, 1000n ** power);
    m.set(`${p}i`, 1024n ** power);
    m.set(`${p}ib`, 1024n ** power);
  });
  return m;
})();

/** The SDK's regex verbatim: no leading zeros except a lone digit, optional fraction and unit. */
const SIZE_RE = /^\s*((([1-9]\d+)|\d)(\.\d+)?)\s*([a-z]{1,3})?\s*$/i;

/**
 * Bytes for a memory value, like sizeutil.get_bytes: `int(float(size) * unit)`. Doubles are used on
 * purpose for the multiplication, as Python does, so "0.3Gi" truncates the same way.
 */
export function parseMemoryBytes(size: string | number): number {
  if (typeof size === "number") {
    if (!Number.isInteger(size) || size < 0) {
      throw new MapBuildError("E_USAGE", `invalid memory size ${size}: an integer must be a non-negative byte count`, {
        hint: `pass ${optionName("memory")} with a value like "7Gi", "500MB" or a byte count`,
      });
    }
    return size;
  }
  const m = SIZE_RE.exec(size);
  const unit = m ? (m[5] ?? "b").toLowerCase() : undefined;
  const factor = unit === undefined ? undefined : UNITS.get(unit);
  if (!m || factor === undefined) {
    throw new MapBuildError("E_USAGE", `invalid memory size ${JSON.stringify(size)}`, {
      hint: "use a number with an optional unit: b, kb/mb/gb/… (powers of 1000) or ki/mi/gi/… (powers of 1024)",
    });
  }
  return Math.trunc(Number(m[1]) * Number(factor));
}

/**
 * sizeutil.convert_bytes(n, "Mi"): one decimal, `.0` dropped. Python tests `int(x*10) % 10 == 0`
 * and otherwise formats with `:.1f`, which rounds exact ties (x.25, x.75 Mi) to even where JS
 * toFixed rounds them up; everything else rounds the same.
 */
export function renderMemoryMi(bytes: number): string {
  const converted = (bytes / 2 ** 20) * 10;
  if (Math.trunc(converted) % 10 === 0) return `${Math.trunc(converted) / 10}Mi`;
  const x = converted / 10;
  const tenths = x * 10;
  const floor = Math.floor(tenths);
  if (tenths - floor === 0.5) return `${((floor % 2 === 0 ? floor : floor + 1) / 10).toFixed(1)}Mi`;
  return `${x.toFixed(1)}Mi`;
}

/** Parse and render in one step: `"7Gi"` → `"7168Mi"`, `"500MB"` → `"476.8Mi"`, `65536` → `"0Mi"`; unset → `"0Mi"`. */
export function memoryToMi(size: string | number | undefined): string {
  return renderMemoryMi(size === undefined ? 0 : parseMemoryBytes(size));
}
