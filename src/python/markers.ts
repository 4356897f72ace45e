/**
 * PEP 508 environment markers: parse once, evaluate against the *target* interpreter (never the
 * host's), since the layer runs inside the base image.
 */
import { compare, satisfies, valid } from "@renovatebot/pep440";
import { MapBuildError } from "../errors.js";
import { normalizeName } from "./names.js";

/** What markers are evaluated against. Unknown fields evaluate as empty strings. */
export interface MarkerEnv {
  python_version: string;
  python_full_version: string;
  os_name: string;
  sys_platform: string;
  platform_system: string;
  platform_machine: string;
  platform_python_implementation: string;
  implementation_name: string;
  implementation_version: string;
  platform_release: string;
  platform_version: string;
}

export type MarkerNode =
  | { op: "and" | "or"; left: MarkerNode; right: MarkerNode }
  | { op: "cmp"; left: MarkerValue; cmp: string; right: MarkerValue };
type MarkerValue = { var: string } | { str: string };

const VARIABLES = new Set([
  "python_version", "python_full_version", "os_name", "sys_platform", "platform_system",
  "platform_machine", "platform_python_implementation", "implementation_name",
  "implementation_version", "platform_release", "platform_version", "extra",
  // legacy spellings still found in old METADATA (PEP 345)
  "os.name", "sys.platform", "platform.version", "platform.machine", "platform.python_implementation", "python_implementation",
]);
const LEGACY: Record<string, string> = {
  "os.name": "os_name", "sys.platform": "sys_platform", "platform.version": "platform_version",
  "platform.machine": "platform_machine", "platform.python_implementation": "platform_python_implementation",
  python_implementation: "platform_python_implementation",
};

function fail(marker: string, why: string): never {
  throw new MapBuildError("E_PYTHON_DEPS", `invalid environment marker "${marker}": ${why}`, {
    hint: "markers follow PEP 508, e.g. python_version >= \"3.8\" and sys_platform == \"linux\"",
  });
}

function tokenize(s: string): string[] {
  const re = /\s*(\(|\)|'[^']*'|"[^"]*"|===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b|and\b|or\b|[A-Za-z_][A-Za-z0-9_.]*)/y;
  const out: string[] = [];
  let pos = 0;
  while (pos < s.length) {
    if (/^\s*$/.test(s.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) fail(s, `unexpected text at "${s.slice(pos).trim()}"`);
    out.push(m[1]!.replace(/^not\s+in$/, "not in"));
    pos = re.lastIndex;
  }
  return out;
}

/** Parse a marker expression (the part after `;`). */
export function parseMarker(s: string): MarkerNode {
  const toks = tokenize(s);
  let i = 0;
  const peek = () => toks[i];
  const value = (): MarkerValue => {
    const t = toks[i++];
    if (t === undefined) fail(s, "unexpected end");
    if (/^['"]/.test(t)) return { str: t.slice(1, -1) };
    if (!VARIABLES.has(t)) fail(s, `unknown variable "${t}"`);
    return { var: LEGACY[t] ?? t };
  };
  const atom = (): MarkerNode => {
    if (peek() === "(") {
      i++;
      const n = orExpr();
      if (toks[i++] !== ")") fail(s, "missing )");
      return n;
    }
    const left = value();
    const cmp = toks[i++];
    if (!cmp || !/^(===|==|!=|<=|>=|~=|<|>|in|not in)$/.test(cmp)) fail(s, `expected an operator, got "${cmp ?? "end"}"`);
    const right = value();
    return { op: "cmp", left, cmp, right };
  };
  const andExpr = (): MarkerNode => {
    let n = atom();
    while (peek() === "and") { i++; n = { op: "and", left: n, right: atom() }; }
    return n;
  };
  const orExpr = (): MarkerNode => {
    let n = andExpr();
    while (peek() === "or") { i++; n = { op: "or", left: n, right: andExpr() }; }
    return n;
  };
  const node = orExpr();
  if (i !== toks.length) fail(s, `unexpected "${toks[i]}"`);
  return node;
}

const VERSION_VARS = new Set(["python_version", "python_full_version", "implementation_version"]);

function compareValues(l: string, cmp: string, r: string, versionish: boolean): boolean {
  if (cmp === "in") return r.includes(l);
  if (cmp === "not in") return !r.includes(l);
  if (cmp === "===") return l === r;
  // PEP 508: use version comparison when both sides are versions, else string semantics.
  if (versionish && valid(l) !== null && (valid(r) !== null || /\*$/.test(r))) {
    if (cmp === "~=" && !r.includes(".")) return false;
    try {
      return satisfies(l, `${cmp}${r}`, { prereleases: true });
    } catch {
      return cmp === "==" ? compare(l, r) === 0 : false;
    }
  }
  if (cmp === "==") return l === r;
  if (cmp === "!=") return l !== r;
  return false; // ordering comparisons on non-versions are undefined; pip's packaging raises, we say no
}

/**
 * Evaluate a marker. `extras` are the extras requested for the distribution whose metadata holds
 * the marker (`extra == "x"` is true when x was requested); with none, `extra` markers are false.
 */
export function evaluateMarker(node: MarkerNode, env: MarkerEnv, extras: readonly string[] = []): boolean {
  if (node.op !== "cmp") {
    const l = evaluateMarker(node.left, env, extras);
    return node.op === "and" ? l && evaluateMarker(node.right, env, extras) : l || evaluateMarker(node.right, env, extras);
  }
  const { left, right, cmp } = node;
  const varName = "var" in left ? left.var : "var" in right ? right.var : "";
  if (varName === "extra") {
    const lit = normalizeName("str" in left ? left.str : "str" in right ? right.str : "");
    const hit = extras.some((e) => normalizeName(e) === lit);
    return cmp === "==" ? hit : cmp === "!=" ? !hit : false;
  }
  const val = (v: MarkerValue) => ("str" in v ? v.str : ((env as unknown as Record<string, string>)[v.var] ?? ""));
  return compareValues(val(left), cmp, val(right), VERSION_VARS.has(varName));
}

/** Parse and evaluate in one step. */
export function markerMatches(marker: string | undefined, env: MarkerEnv, extras: readonly string[] = []): boolean {
  if (!marker || !marker.trim()) return true;
  return evaluateMarker(parseMarker(marker), env, extras);
}
