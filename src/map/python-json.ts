/**
 * Byte-compatible replacement for Python's
 * `json.dumps(v, sort_keys=True, indent=4, separators=(",", ": "))`, which is how the legacy packager
 * wrote /etc/monai/app.json and pkg.json (map-format.md §1.4). Checklist item 12 compares bytes, so
 * every detail matters: ensure_ascii escaping (lower-case hex, surrogate pairs, DEL escaped), keys
 * sorted by code point, `[]`/`{}` for empty containers, no trailing newline, and Python's float repr.
 */

/**
 * A number Python would hold as a `float` even when it is integral (e.g. `cpu=2.0` in a decorator
 * prints as `2.0`). Plain JS numbers print as ints when integral, as floats otherwise.
 */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type PyJsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyFloat
  | readonly PyJsonValue[]
  /** A Python dict in insertion order (JS objects move integer-like keys first); keys as Python's json converts them. */
  | ReadonlyMap<PyJsonKey, PyJsonValue>
  | { readonly [key: string]: PyJsonValue | undefined };

/** Dict keys json.dumps accepts: str, int, float, bool and None. */
export type PyJsonKey = string | number | bigint | boolean | null | PyFloat;

export function pythonJsonDumps(value: PyJsonValue): string {
  return dump(value, 0);
}

/**
 * Python's plain `json.dumps(v)`: insertion order, separators `", "` and `": "`, no indent, ASCII.
 * This is how holoscan-cli wrote MAP 1.0's app.json and pkg.json (map-format.md §2).
 */
export function pythonJsonDumpsCompact(value: PyJsonValue): string {
  if (value === null || value === undefined || typeof value !== "object" || value instanceof PyFloat) return dump(value, 0);
  if (Array.isArray(value)) return `[${(value as readonly PyJsonValue[]).map(pythonJsonDumpsCompact).join(", ")}]`;
  const pairs: [string, PyJsonValue][] =
    value instanceof Map
      ? [...(value as ReadonlyMap<PyJsonKey, PyJsonValue>)].map(([k, v]) => [pythonJsonKey(k), v])
      : Object.entries(value as { readonly [key: string]: PyJsonValue | undefined }).filter((e): e is [string, PyJsonValue] => e[1] !== undefined);
  return `{${pairs.map(([k, v]) => `${pythonJsonString(k)}: ${pythonJsonDumpsCompact(v)}`).join(", ")}}`;
}

/** json.dumps turns non-str keys into strings: ints as digits, floats by repr, true/false/null. */
function pythonJsonKey(k: PyJsonKey): string {
  if (typeof k === "string") return k;
  if (k === null) return "null";
  if (typeof k === "boolean") return k ? "true" : "false";
  return dump(k, 0);
}

function dump(value: PyJsonValue | undefined, level: number): string {
  if (value === null || value === undefined) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isInteger(value) ? intRepr(value) : pythonFloatRepr(value);
  if (value instanceof PyFloat) return pythonFloatRepr(value.value);
  if (typeof value === "string") return pythonJsonString(value);
  const inner = " ".repeat((level + 1) * 4);
  const outer = " ".repeat(level * 4);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = (value as readonly PyJsonValue[]).map((v) => inner + dump(v, level + 1));
    return `[\n${items.join(",\n")}\n${outer}]`;
  }
  if (value instanceof Map) throw new TypeError("ordered dicts are serialised with pythonJsonDumpsCompact");
  const obj = value as { readonly [key: string]: PyJsonValue | undefined };
  // Python drops nothing, but a JS `undefined` has no Python counterpart: skip it like JSON.stringify.
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort(compareCodePoints);
  if (keys.length === 0) return "{}";
  const items = keys.map((k) => `${inner}${pythonJsonString(k)}: ${dump(obj[k], level + 1)}`);
  return `{\n${items.join(",\n")}\n${outer}}`;
}

function intRepr(n: number): string {
  if (Object.is(n, -0)) return "0";
  // Beyond 2^53 JS would print an exponent; Python ints print all digits.
  return Math.abs(n) < 1e21 ? String(n) : BigInt(n).toString();
}

/** Python sorts str keys by code point; JS `sort()` compares UTF-16 units (differs above U+FFFF). */
function compareCodePoints(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0) ?? 0;
    const cy = y.value.codePointAt(0) ?? 0;
    if (cx !== cy) return cx - cy;
  }
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

/** json.encoder.py_encode_basestring_ascii: everything outside ' '..'~' is escaped per UTF-16 unit. */
export function pythonJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    const code = s.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (code >= 0x20 && code <= 0x7e) out += ch;
    // Astral characters are already two UTF-16 units in JS, which is exactly Python's surrogate pair.
    // A lone surrogate is escaped as itself, as Python does.
    else out += "\\u" + code.toString(16).padStart(4, "0");
  }
  return out + '"';
}

/**
 * Python's `float.__repr__`: shortest round-tripping digits (same as JS), but fixed notation when
 * the decimal exponent is in [-4, 16), exponent with at least two digits otherwise, and always a
 * `.0` on integral values in fixed notation.
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mant, expStr] = Math.abs(x).toExponential().split("e") as [string, string];
  const digits = mant.replace(".", "");
  const exp = Number(expStr); // value = d.ddd × 10^exp
  const decpt = exp + 1; // position of the decimal point relative to the digit string
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${"0".repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${"0".repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp).toString().padStart(2, "0");
  return `${sign}${m}e${exp < 0 ? "-" : "+"}${e}`;
}
