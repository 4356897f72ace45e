/**
 * Choosing one wheel per project for the target, like pip's resolver: for each project the newest
 * version that satisfies every requirement on it (a satisfying copy in the base first, as pip's
 * only-if-needed strategy keeps it), across all sources; a choice whose dependencies conflict with
 * earlier ones is undone and the next version tried (depth-first backtracking, in pip's order of
 * preference: pinned first, then by depth, then as requested). Markers and Requires-Python are
 * evaluated for the target; pre-releases only when asked, written in a specifier, or the only match.
 */
import { compare, satisfies } from "@renovatebot/pep440";
import { MapBuildError } from "../errors.js";
import { markerMatches } from "./markers.js";
import { formatRequirement, parseRequirement, pinnedVersion, type Requirement } from "./requirement.js";
import type { WheelCandidate, WheelSource } from "./sources.js";
import { markerEnvFor, type TargetEnv } from "./target.js";
import { sha256File } from "./wheel-cache.js";
import { readWheelMetadata, type CoreMetadata } from "./wheel-metadata.js";
import { compareBuild, explainIncompatible, tagRanker } from "./wheel-tags.js";

export interface SelectedWheel {
  name: string;
  version: string;
  filename: string;
  /** Local path of the verified wheel. */
  file: string;
  sha256: string;
  /** Where it came from (absolute path or URL without credentials), for lock files. */
  location?: string;
  /** Extras whose dependencies were included. */
  extras: string[];
  /** Origins of the requirements that pulled it in. */
  requestedBy: string[];
}

/** A distribution the base already has. */
export interface InstalledDist {
  version: string;
  /** Its Requires-Dist (checked like a wheel's). */
  requires?: readonly string[];
}

export interface SelectOptions {
  requirements: readonly Requirement[];
  constraints?: readonly Requirement[];
  /** Asked in order; listings are merged (first source wins for a duplicate filename). */
  sources: readonly WheelSource[];
  target: TargetEnv;
  /** Distributions already in the base (normalised name → dist): satisfying ones are kept. */
  installed?: ReadonlyMap<string, InstalledDist>;
  /** Allow pre-releases to satisfy ranges (`--pre`). */
  pre?: boolean;
  /** Give up after this many candidate tries (pip's resolver has a similar bound). Default 20000. */
  maxRounds?: number;
}

export interface SelectResult {
  wheels: SelectedWheel[];
  /** Requirements satisfied by the base. */
  skipped: { name: string; version: string; requirement: string }[];
  /** Base distributions that do not satisfy a requirement and are shadowed by an installed wheel. */
  replaced: { name: string; baseVersion: string; requirement: string; version: string }[];
  warnings: string[];
}

function depsError(message: string, hint: string): MapBuildError {
  return new MapBuildError("E_PYTHON_DEPS", message, { hint });
}

function targetLabel(t: TargetEnv): string {
  return `CPython ${t.pythonVersion} on linux ${t.machine} (glibc ${t.glibc.join(".")})`;
}

const PRE = /(a|b|rc|dev)\d*/i;

function sat(version: string, spec: string, pre: boolean): boolean {
  if (!spec) return true;
  try {
    return satisfies(version, spec, { prereleases: pre || PRE.test(spec) });
  } catch {
    return false;
  }
}

function isPre(version: string): boolean {
  return PRE.test(version.replace(/\.post\d+$/i, ""));
}

/** One requirement on a project and who made it. */
interface Edge {
  req: Requirement;
  /** `name version` of the parent; undefined for a top-level requirement. */
  by?: string;
  depth: number;
}

interface Candidate {
  version: string;
  base?: InstalledDist;
  wheel?: WheelCandidate;
}

interface Pin {
  cand: Candidate;
  extras: ReadonlySet<string>;
}

interface State {
  edges: ReadonlyMap<string, readonly Edge[]>;
  pins: ReadonlyMap<string, Pin>;
}

const label = (e: Edge) => `${formatRequirement(e.req)}${e.by ? ` (needed by ${e.by})` : ` (${e.req.origin})`}`;

export async function selectWheels(opts: SelectOptions): Promise<SelectResult> {
  const env = markerEnvFor(opts.target);
  const rank = tagRanker(opts.target);
  const pre = opts.pre ?? false;
  const installed = opts.installed ?? new Map<string, InstalledDist>();
  const pyFull = env.python_full_version;
  const where = opts.sources.map((s) => s.description).join(", ") || "no wheel sources";
  const order = new Map<string, number>();
  const listings = new Map<string, Promise<{ wheels: WheelCandidate[]; sdists: string[] }>>();
  const fetched = new Map<WheelCandidate, Promise<{ file: string; sha256: string; metadata: CoreMetadata }>>();
  /** Why the last attempts failed, reported when nothing works. */
  const missing = new Map<string, string>();
  let hardError: MapBuildError | undefined;
  let conflict: string | undefined;
  let rounds = 0;

  const list = (name: string) => {
    let p = listings.get(name);
    if (!p) {
      p = (async () => {
        const wheels: WheelCandidate[] = [], sdists: string[] = [], seen = new Set<string>();
        for (const s of opts.sources) {
          const l = await s.list(name);
          for (const w of l.wheels) if (!seen.has(w.wheel.filename)) { seen.add(w.wheel.filename); wheels.push(w); }
          sdists.push(...l.sdists);
        }
        return { wheels, sdists };
      })();
      listings.set(name, p);
    }
    return p;
  };

  const constraintsOf = (name: string) => (opts.constraints ?? []).filter((c) => c.name === name && markerMatches(c.marker, env)).map((c) => c.specifier).filter(Boolean);

  /** Candidates for `name` under all its edges, best first; records why when there are none. */
  const candidates = async (name: string, edges: readonly Edge[]): Promise<Candidate[]> => {
    const specs = [...edges.map((e) => e.req.specifier), ...constraintsOf(name)].filter(Boolean);
    const spec = specs.join(",");
    const display = edges[0]!.req.displayName;
    const text = edges.map((e) => formatRequirement(e.req)).join(" and ");
    const out: Candidate[] = [];
    const have = installed.get(name);
    if (have && specs.every((s) => sat(have.version, s, true))) out.push({ version: have.version, base: have });
    const { wheels, sdists } = await list(name);
    if (!wheels.length) {
      if (out.length) return out;
      if (sdists.length) {
        hardError ??= depsError(`${display}: only source distributions are available (${sdists.slice(0, 3).join(", ")}); map-build installs wheels only and cannot build sdists`,
          `build a wheel for ${targetLabel(opts.target)} (pip wheel "${text}" -w wheelhouse, on a matching machine or in the base image) and pass --wheelhouse wheelhouse`);
      } else {
        const by = edges.filter((e) => e.by);
        missing.set(name, by.length
          ? `${by[0]!.by} requires ${formatRequirement(by[0]!.req)}, which is not in any wheel source${have ? ` (the base has ${have.version})` : ""}`
          : `${text} (${edges.map((e) => e.req.origin).join(", ")}) is not in any wheel source`);
      }
      return out;
    }
    const compatible = wheels.filter((w) => rank(w.wheel) !== undefined && (!w.requiresPython || sat(pyFull, w.requiresPython.replace(/\s+/g, ""), true)));
    if (!compatible.length) {
      const why = wheels.slice(0, 4).map((w) => `${w.wheel.filename} (${w.requiresPython && rank(w.wheel) !== undefined ? `requires Python ${w.requiresPython}` : explainIncompatible(w.wheel, opts.target)})`);
      hardError ??= depsError(`${display}: no wheel fits ${targetLabel(opts.target)}: ${why.join("; ")}${sdists.length ? `; sdists (${sdists[0]}) cannot be built` : ""}`,
        "provide a wheel built for this target, or set the target with --python-version / --platform if the base differs");
      return out;
    }
    const pinned = specs.some((s) => pinnedVersion(s) !== undefined);
    const matching = compatible.filter((w) => sat(w.wheel.version, spec, pre) && (!w.yanked || pinned));
    let versions = [...new Set(matching.map((w) => w.wheel.version))].sort((a, b) => compare(b, a));
    // pre-releases only when asked, named in a specifier, or nothing else matches (as pip)
    if (!pre && !PRE.test(spec) && versions.some((v) => !isPre(v))) versions = versions.filter((v) => !isPre(v));
    if (!versions.length && !out.length) {
      const all = [...new Set(compatible.map((w) => w.wheel.version))].sort(compare);
      const why = `${display}: no compatible wheel satisfies "${text}"${constraintsOf(name).length ? ` with constraints ${constraintsOf(name).join(",")}` : ""}; available for this target: ${all.join(", ")}`;
      if (edges.length === 1 && !edges[0]!.by) hardError ??= depsError(why, `change the requirement to one of the available versions, or add the wanted wheel to ${where}`);
      else conflict = `conflict: ${edges.map(label).join(" and ")}; available for this target: ${all.join(", ")}`;
    }
    for (const v of versions) {
      if (have && compare(v, have.version) === 0 && out.length) continue;
      const best = matching.filter((w) => w.wheel.version === v)
        .sort((a, b) => rank(a.wheel)! - rank(b.wheel)! || compareBuild(b.wheel, a.wheel) || (a.wheel.filename < b.wheel.filename ? -1 : 1))[0]!;
      out.push({ version: v, wheel: best });
    }
    return out;
  };

  const fetchVerified = (c: WheelCandidate, hashes: string[], display: string) => {
    let p = fetched.get(c);
    if (!p) {
      p = (async () => {
        const file = await c.fetch();
        const sha256 = await sha256File(file);
        if (c.sha256 && c.sha256 !== sha256) {
          throw new MapBuildError("E_DIGEST_MISMATCH", `${c.wheel.filename} has sha256 ${sha256}, ${c.origin} says ${c.sha256}`, { hint: "the file changed after it was listed; re-download it" });
        }
        return { file, sha256, metadata: await readWheelMetadata(file) };
      })();
      fetched.set(c, p);
    }
    return p.then((f) => {
      if (hashes.length && !hashes.includes(f.sha256)) {
        throw new MapBuildError("E_DIGEST_MISMATCH", `${display}: hash mismatch for ${c.wheel.filename}: it has sha256 ${f.sha256}, the requirement allows ${hashes.join(", ")}`,
          { hint: "the wheel is not the one that was locked; re-run pip-compile --generate-hashes or fetch the locked file" });
      }
      return f;
    });
  };

  /** The Requires-Dist of a candidate for the given extras, markers evaluated for the target. */
  const dependencies = async (cand: Candidate, extras: readonly string[], by: string): Promise<Requirement[] | undefined> => {
    let lines: readonly string[];
    if (cand.base) lines = cand.base.requires ?? [];
    else {
      const { metadata } = await fetchVerified(cand.wheel!, [], cand.wheel!.wheel.name);
      if (metadata.requiresPython && !sat(pyFull, metadata.requiresPython.replace(/\s+/g, ""), true)) {
        conflict = `${by} requires Python ${metadata.requiresPython}; the target is ${pyFull}`;
        return undefined;
      }
      lines = metadata.requiresDist;
    }
    return lines.map((t) => parseRequirement(t, `${by} (Requires-Dist)`)).filter((d) => markerMatches(d.marker, env, extras));
  };

  /** Add requirements to a state; undefined (and `conflict` set) when one contradicts a pin. */
  const addEdges = (s: State, deps: readonly Requirement[], by: string, depth: number): State | undefined => {
    const edges = new Map(s.edges);
    for (const d of deps) {
      if (!order.has(d.name)) order.set(d.name, order.size);
      const pin = s.pins.get(d.name);
      if (pin && !sat(pin.cand.version, d.specifier, true)) {
        const others = (s.edges.get(d.name) ?? []).map((e) => e.by ?? e.req.origin);
        conflict = `conflict: ${by} requires ${formatRequirement(d)}, but ${d.name} ${pin.cand.version} was selected (for ${others.join(", ")})`;
        return undefined;
      }
      edges.set(d.name, [...(edges.get(d.name) ?? []), { req: d, by, depth }]);
    }
    return { edges, pins: s.pins };
  };

  const wantedExtras = (edges: readonly Edge[]) => [...new Set(edges.flatMap((e) => e.req.extras))].sort();

  /** The next project to decide, in pip's order of preference. */
  const next = (s: State): string | undefined => {
    let best: { name: string; key: (number | string)[] } | undefined;
    for (const [name, edges] of s.edges) {
      const pin = s.pins.get(name);
      if (pin && wantedExtras(edges).every((e) => pin.extras.has(e))) continue;
      const key = [
        pin ? 0 : 1,
        edges.some((e) => pinnedVersion(e.req.specifier) !== undefined) ? 0 : 1,
        Math.min(...edges.map((e) => e.depth)),
        order.get(name) ?? Infinity,
        name,
      ];
      if (!best || lessThan(key, best.key)) best = { name, key };
    }
    return best?.name;
  };

  const solve = async (s: State): Promise<State | undefined> => {
    const name = next(s);
    if (name === undefined) return s;
    if (++rounds > (opts.maxRounds ?? 20000)) {
      throw depsError(`resolving the Python requirements took more than ${opts.maxRounds ?? 20000} tries without an answer`, "pin some packages (pip-compile writes such a file) to narrow the search");
    }
    const edges = s.edges.get(name)!;
    const extras = wantedExtras(edges);
    const depth = Math.min(...edges.map((e) => e.depth)) + 1;
    const pin = s.pins.get(name);
    if (pin) {
      // a pinned project asked for with new extras: add what those extras need, no new choice
      const newExtras = extras.filter((e) => !pin.extras.has(e));
      const by = `${name} ${pin.cand.version}`;
      const deps = await dependencies(pin.cand, newExtras, by);
      const fresh = (deps ?? []).filter((d) => !markerMatches(d.marker, env, []));
      const added = addEdges({ edges: s.edges, pins: new Map(s.pins).set(name, { cand: pin.cand, extras: new Set([...pin.extras, ...newExtras]) }) }, fresh, by, depth);
      return added ? solve(added) : undefined;
    }
    for (const cand of await candidates(name, edges)) {
      const by = `${name} ${cand.version}`;
      if (cand.wheel) {
        const hashes = [...new Set(edges.flatMap((e) => e.req.hashes))];
        await fetchVerified(cand.wheel, hashes, edges[0]!.req.displayName);
      }
      const deps = await dependencies(cand, extras, by);
      if (!deps) continue;
      const pinned: State = { edges: s.edges, pins: new Map(s.pins).set(name, { cand, extras: new Set(extras) }) };
      const added = addEdges(pinned, deps, by, depth);
      if (!added) continue;
      const done = await solve(added);
      if (done) return done;
    }
    return undefined;
  };

  const top = opts.requirements.filter((r) => markerMatches(r.marker, env));
  for (const r of top) if (!order.has(r.name)) order.set(r.name, order.size);
  const edges = new Map<string, Edge[]>();
  for (const r of top) edges.set(r.name, [...(edges.get(r.name) ?? []), { req: r, depth: 0 }]);
  const done = await solve({ edges, pins: new Map() });

  if (!done) {
    if (hardError) throw hardError;
    if (missing.size) {
      throw depsError(`missing Python dependencies: ${[...missing.values()].join("; ")}`,
        `add the missing wheels to the wheel sources (${where}), e.g. pip download -d wheelhouse --only-binary=:all: <name>==<version>`);
    }
    throw depsError(conflict ?? "the Python requirements cannot all be satisfied",
      "loosen or change the conflicting requirements (pip would fail the same way), or pin versions that fit together");
  }

  const result: SelectResult = { wheels: [], skipped: [], replaced: [], warnings: [] };
  for (const [name, pin] of [...done.pins].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const es = done.edges.get(name) ?? [];
    const text = es.map((e) => formatRequirement(e.req)).join(" and ");
    if (pin.cand.base) {
      result.skipped.push({ name, version: pin.cand.version, requirement: text });
      continue;
    }
    const w = pin.cand.wheel!;
    const f = await fetchVerified(w, [], w.wheel.name);
    result.wheels.push({
      name, version: pin.cand.version, filename: w.wheel.filename, file: f.file, sha256: f.sha256,
      ...(w.location !== undefined ? { location: w.location } : {}),
      extras: [...pin.extras].sort(), requestedBy: es.map((e) => e.by ?? e.req.origin),
    });
    const have = installed.get(name);
    if (have) {
      const unmet = es.filter((e) => !sat(have.version, e.req.specifier, true)).map((e) => formatRequirement(e.req));
      const requirement = unmet.length ? unmet.join(" and ") : text;
      result.replaced.push({ name, baseVersion: have.version, requirement, version: pin.cand.version });
      result.warnings.push(`${name} ${have.version} in the base does not satisfy ${requirement}: installing ${pin.cand.version} into the user site, which shadows it`);
    }
  }
  return result;
}

function lessThan(a: (number | string)[], b: (number | string)[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    return a[i]! < b[i]!;
  }
  return false;
}
