/**
 * Wheel filenames (PEP 427) and tag compatibility (PEP 425, PEP 600, PEP 656), ranked like
 * packaging.tags.sys_tags() for CPython on Linux: earlier in the list = more specific = preferred.
 */
import { MapBuildError } from "../errors.js";
import { normalizeName } from "./names.js";
import type { TargetEnv } from "./target.js";

export interface WheelTag {
  python: string;
  abi: string;
  platform: string;
}

export interface WheelFilename {
  filename: string;
  /** Normalised project name. */
  name: string;
  version: string;
  /** Build tag as [number, rest], compared numerically first. */
  build?: [number, string];
  /** Expanded compressed tag sets (`py2.py3-none-any` → two tags). */
  tags: WheelTag[];
}

/** Parse `{name}-{ver}(-{build})?-{py}-{abi}-{plat}.whl`; undefined if it is not a wheel name. */
export function parseWheelFilename(filename: string): WheelFilename | undefined {
  if (!filename.endsWith(".whl")) return undefined;
  const parts = filename.slice(0, -4).split("-");
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  const [name, version] = parts as [string, string];
  const [py, abi, plat] = parts.slice(-3) as [string, string, string];
  let build: [number, string] | undefined;
  if (parts.length === 6) {
    const m = /^(\d+)(.*)$/.exec(parts[2]!);
    if (!m) return undefined; // build tags must start with a digit
    build = [Number(m[1]), m[2]!];
  }
  const tags: WheelTag[] = [];
  for (const p of py.split(".")) for (const a of abi.split(".")) for (const pl of plat.split(".")) tags.push({ python: p, abi: a, platform: pl });
  const w: WheelFilename = { filename, name: normalizeName(name), version, tags };
  if (build) w.build = build;
  return w;
}

/** Legacy manylinux names → PEP 600 equivalents. */
const LEGACY_MANYLINUX: Record<string, [number, number]> = { manylinux1: [2, 5], manylinux2010: [2, 12], manylinux2014: [2, 17] };

/** Platform tags for a target, most specific first (packaging.tags._linux_platforms). */
export function platformTags(t: TargetEnv): string[] {
  const arch = t.machine;
  const out: string[] = [];
  // glibc floor per arch: x86_64 wheels exist from manylinux1 (2.5); aarch64 from manylinux2014 (2.17).
  const floor = arch === "x86_64" ? 5 : 17;
  const [maj, min] = t.glibc;
  if (maj === 2) {
    for (let m = min; m >= floor; m--) {
      out.push(`manylinux_2_${m}_${arch}`);
      for (const [legacy, [lmaj, lmin]] of Object.entries(LEGACY_MANYLINUX)) {
        if (lmaj === 2 && lmin === m) out.push(`${legacy}_${arch}`);
      }
    }
  }
  out.push(`linux_${arch}`);
  return out;
}

/** All compatible tags for the target, in preference order. */
export function compatibleTags(t: TargetEnv): WheelTag[] {
  const [, minorStr] = t.pythonVersion.split(".");
  const minor = Number(minorStr);
  const cp = `cp3${minor}`;
  const plats = platformTags(t);
  const tags: WheelTag[] = [];
  const add = (python: string, abi: string, ps: string[]) => { for (const platform of ps) tags.push({ python, abi, platform }); };
  add(cp, cp, plats);
  add(cp, "abi3", plats);
  add(cp, "none", plats);
  // abi3 wheels built for any older CPython 3.x keep working (stable ABI, PEP 384).
  for (let m = minor - 1; m >= 2; m--) add(`cp3${m}`, "abi3", plats);
  for (const py of pyVersions(minor)) add(py, "none", plats);
  add(cp, "none", ["any"]);
  for (const py of pyVersions(minor)) add(py, "none", ["any"]);
  return tags;
}

/** py311, py3, py310 … py30 (packaging's _py_interpreter_range). */
function pyVersions(minor: number): string[] {
  const out = [`py3${minor}`, "py3"];
  for (let m = minor - 1; m >= 0; m--) out.push(`py3${m}`);
  return out;
}

function tagKey(t: WheelTag): string {
  return `${t.python}-${t.abi}-${t.platform}`;
}

/** Rank lookup for a target: lower is better; undefined = incompatible. */
export function tagRanker(t: TargetEnv): (w: WheelFilename) => number | undefined {
  const ranks = new Map<string, number>();
  compatibleTags(t).forEach((tag, i) => { if (!ranks.has(tagKey(tag))) ranks.set(tagKey(tag), i); });
  return (w) => {
    let best: number | undefined;
    for (const tag of w.tags) {
      const r = ranks.get(tagKey(tag));
      if (r !== undefined && (best === undefined || r < best)) best = r;
    }
    return best;
  };
}

/**
 * Why a wheel does not fit, for error messages ("built for macOS", "needs glibc 2.38", …).
 * Only called for wheels the ranker refused.
 */
export function explainIncompatible(w: WheelFilename, t: TargetEnv): string {
  const plats = w.tags.map((x) => x.platform);
  const pys = [...new Set(w.tags.map((x) => x.python))].join(".");
  if (plats.some((p) => p.startsWith("musllinux"))) return "built for musl libc (musllinux); the target uses glibc";
  if (plats.every((p) => /^(macosx|win)/.test(p))) return `built for ${plats[0]!.startsWith("win") ? "Windows" : "macOS"}`;
  if (!plats.some((p) => p === "any" || p.endsWith(`_${t.machine}`))) return `built for another CPU (${plats.join(", ")}); target is ${t.machine}`;
  const needs = plats.map((p) => /^manylinux_2_(\d+)_/.exec(p)?.[1] ?? (/^(manylinux\d+)_/.exec(p) ? LEGACY_MANYLINUX[/^(manylinux\d+)_/.exec(p)![1]!]?.[1] : undefined));
  const minNeed = Math.min(...needs.filter((n) => n !== undefined).map(Number));
  if (Number.isFinite(minNeed) && minNeed > t.glibc[1]) return `needs glibc 2.${minNeed}; the target has ${t.glibc.join(".")}`;
  return `tags ${pys}-${[...new Set(w.tags.map((x) => x.abi))].join(".")}-${[...new Set(plats)].join(".")} do not match CPython ${t.pythonVersion} (${t.machine})`;
}

/** Compare build tags: a higher build number wins among equally ranked wheels of one version. */
export function compareBuild(a: WheelFilename, b: WheelFilename): number {
  const ab = a.build ?? [-1, ""], bb = b.build ?? [-1, ""];
  return ab[0] - bb[0] || (ab[1] < bb[1] ? -1 : ab[1] > bb[1] ? 1 : 0);
}

/** Parse, or throw E_PYTHON_DEPS naming the file. */
export function requireWheelFilename(filename: string): WheelFilename {
  const w = parseWheelFilename(filename);
  if (!w) throw new MapBuildError("E_PYTHON_DEPS", `"${filename}" is not a valid wheel filename`, { hint: "wheel names look like name-1.0-py3-none-any.whl (PEP 427)" });
  return w;
}
