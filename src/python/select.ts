/**
 * Choosing one wheel per project for the target, without a resolver: exact pins win; a range is
 * accepted only when exactly one compatible version satisfies it (a lock or a complete wheelhouse
 * is the expected input). The dependency closure is then checked from each wheel's METADATA.
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
  /** Extras whose dependencies were included. */
  extras: string[];
  /** Origins of the requirements that pulled it in. */
  requestedBy: string[];
}

export interface SelectOptions {
  requirements: readonly Requirement[];
  constraints?: readonly Requirement[];
  /** Asked in order; listings are merged (first source wins for a duplicate filename). */
  sources: readonly WheelSource[];
  target: TargetEnv;
  /** Distributions already in the base (normalised name → version): satisfied requirements are skipped. */
  installed?: ReadonlyMap<string, string>;
  /** Allow pre-releases to satisfy ranges (`--pre`). */
  pre?: boolean;
}

export interface SelectResult {
  wheels: SelectedWheel[];
  /** Requirements satisfied by the base. */
  skipped: { name: string; version: string; requirement: string }[];
  warnings: string[];
}

const PIN_HINT = "pin every package to one version (pip-compile requirements.in writes such a file), or put exactly the wanted wheels in a directory with `pip download -d wheelhouse --only-binary=:all: -r requirements.txt` and pass --wheelhouse wheelhouse";

function depsError(message: string, hint: string): MapBuildError {
  return new MapBuildError("E_PYTHON_DEPS", message, { hint });
}

function targetLabel(t: TargetEnv): string {
  return `CPython ${t.pythonVersion} on linux ${t.machine} (glibc ${t.glibc.join(".")})`;
}

function sat(version: string, spec: string, pre: boolean): boolean {
  if (!spec) return true;
  try {
    return satisfies(version, spec, { prereleases: pre || /(a|b|rc|dev)\d*/.test(spec) });
  } catch {
    return false;
  }
}

interface Chosen {
  wheel: SelectedWheel;
  metadata: CoreMetadata;
  extrasDone: Set<string>;
}

export async function selectWheels(opts: SelectOptions): Promise<SelectResult> {
  const env = markerEnvFor(opts.target);
  const rank = tagRanker(opts.target);
  const pre = opts.pre ?? false;
  const installed = opts.installed ?? new Map<string, string>();
  const listings = new Map<string, Promise<{ wheels: WheelCandidate[]; sdists: string[] }>>();
  const chosen = new Map<string, Chosen>();
  const result: SelectResult = { wheels: [], skipped: [], warnings: [] };
  const missing: string[] = [];
  const pyFull = env.python_full_version;

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

  const constraintSpec = (name: string) => (opts.constraints ?? [])
    .filter((c) => c.name === name && markerMatches(c.marker, env)).map((c) => c.specifier).filter(Boolean);

  /** Pick a version and wheel for `name` given all specifiers; throws a precise E_PYTHON_DEPS otherwise. */
  const choose = async (name: string, display: string, specs: string[], reqText: string, yankOk: boolean): Promise<WheelCandidate | undefined> => {
    const { wheels, sdists } = await list(name);
    const spec = specs.filter(Boolean).join(",");
    const where = opts.sources.map((s) => s.description).join(", ") || "no wheel sources";
    if (!wheels.length) {
      if (sdists.length) {
        throw depsError(`${display}: only source distributions are available (${sdists.slice(0, 3).join(", ")}); map-build installs wheels only and cannot build sdists`,
          `build a wheel for ${targetLabel(opts.target)} (pip wheel "${reqText}" -w wheelhouse, on a matching machine or in the base image) and pass --wheelhouse wheelhouse`);
      }
      return undefined;
    }
    const compatible = wheels.filter((w) => rank(w.wheel) !== undefined && (!w.requiresPython || sat(pyFull, w.requiresPython.replace(/\s+/g, ""), true)));
    if (!compatible.length) {
      const why = wheels.slice(0, 4).map((w) => `${w.wheel.filename} (${w.requiresPython && rank(w.wheel) !== undefined ? `requires Python ${w.requiresPython}` : explainIncompatible(w.wheel, opts.target)})`);
      throw depsError(`${display}: no wheel fits ${targetLabel(opts.target)}: ${why.join("; ")}${sdists.length ? `; sdists (${sdists[0]}) cannot be built` : ""}`,
        `provide a wheel built for this target, or set the target with --python-version / --platform if the base differs`);
    }
    const matching = compatible.filter((w) => sat(w.wheel.version, spec, pre) && (!w.yanked || yankOk));
    const versions = [...new Set(matching.map((w) => w.wheel.version))].sort(compare);
    const all = [...new Set(compatible.map((w) => w.wheel.version))].sort(compare);
    if (!versions.length) {
      throw depsError(`${display}: no compatible wheel satisfies "${reqText}"${constraintSpec(name).length ? ` with constraints ${constraintSpec(name).join(",")}` : ""}; available for this target: ${all.join(", ")}`,
        `change the requirement to one of the available versions, or add the wanted wheel to ${where}`);
    }
    const pin = specs.map(pinnedVersion).find((v) => v !== undefined);
    let version: string;
    if (pin) {
      version = versions.find((v) => compare(v, pin) === 0) ?? versions[0]!;
    } else if (versions.length === 1) {
      version = versions[0]!;
    } else {
      throw depsError(`${display}: "${reqText}" matches ${versions.length} versions (${versions.join(", ")}) in ${where}; map-build does not pick among versions`,
        `${PIN_HINT}; e.g. ${display}==${versions[versions.length - 1]}`);
    }
    const best = matching.filter((w) => w.wheel.version === version)
      .sort((a, b) => rank(a.wheel)! - rank(b.wheel)! || compareBuild(b.wheel, a.wheel) || (a.wheel.filename < b.wheel.filename ? -1 : 1));
    return best[0];
  };

  const fetchVerified = async (c: WheelCandidate, hashes: string[], display: string): Promise<{ file: string; sha256: string }> => {
    const file = await c.fetch();
    const sha256 = await sha256File(file);
    if (c.sha256 && c.sha256 !== sha256) {
      throw new MapBuildError("E_DIGEST_MISMATCH", `${c.wheel.filename} has sha256 ${sha256}, ${c.origin} says ${c.sha256}`, { hint: "the file changed after it was listed; re-download it" });
    }
    if (hashes.length && !hashes.includes(sha256)) {
      throw new MapBuildError("E_DIGEST_MISMATCH", `${display}: hash mismatch for ${c.wheel.filename}: it has sha256 ${sha256}, the requirement allows ${hashes.join(", ")}`,
        { hint: "the wheel is not the one that was locked; re-run pip-compile --generate-hashes or fetch the locked file" });
    }
    return { file, sha256 };
  };

  type Pending = { req: Requirement; by?: string };
  const queue: Pending[] = [];

  const addDeps = (c: Chosen, extras: string[]) => {
    const todo = extras.filter((e) => !c.extrasDone.has(e));
    const first = c.extrasDone.size === 0 && !c.extrasDone.has("");
    if (!todo.length && !first) return;
    for (const e of todo) c.extrasDone.add(e);
    c.extrasDone.add("");
    const by = `${c.wheel.name} ${c.wheel.version}`;
    for (const text of c.metadata.requiresDist) {
      const dep = parseRequirement(text, `${by} (Requires-Dist)`);
      const base = markerMatches(dep.marker, env, []);
      const withExtras = markerMatches(dep.marker, env, todo);
      // On the first visit take base deps plus the extras; later visits only what the new extras add.
      if ((first && (base || withExtras)) || (!first && withExtras && !base)) queue.push({ req: dep, by });
    }
  };

  // Top-level requirements: all lines for one project are combined before choosing.
  const top = opts.requirements.filter((r) => markerMatches(r.marker, env));
  const byName = new Map<string, Requirement[]>();
  for (const r of top) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  for (const [name, reqs] of byName) {
    const specs = [...reqs.map((r) => r.specifier), ...constraintSpec(name)];
    const text = reqs.map(formatRequirement).join(" and ");
    const extras = [...new Set(reqs.flatMap((r) => r.extras))].sort();
    const have = installed.get(name);
    if (have !== undefined && specs.every((s) => sat(have, s, true))) {
      result.skipped.push({ name, version: have, requirement: text });
      continue;
    }
    const display = reqs[0]!.displayName;
    const cand = await choose(name, display, specs, text, reqs.some((r) => pinnedVersion(r.specifier) !== undefined));
    if (!cand) {
      missing.push(`${text} (${reqs.map((r) => r.origin).join(", ")}) is not in any wheel source`);
      continue;
    }
    if (have !== undefined) result.warnings.push(`${name} ${have} in the base does not satisfy ${text}; installing ${cand.wheel.version} into the user site, which shadows it`);
    const hashes = [...new Set(reqs.flatMap((r) => r.hashes))];
    const { file, sha256 } = await fetchVerified(cand, hashes, display);
    const metadata = await readWheelMetadata(file);
    const c: Chosen = {
      wheel: { name, version: cand.wheel.version, filename: cand.wheel.filename, file, sha256, extras, requestedBy: reqs.map((r) => r.origin) },
      metadata, extrasDone: new Set(),
    };
    chosen.set(name, c);
    addDeps(c, extras);
  }

  // Dependency closure, breadth first in a stable order.
  while (queue.length) {
    const { req, by } = queue.shift()!;
    const text = formatRequirement(req);
    const got = chosen.get(req.name);
    if (got) {
      if (!sat(got.wheel.version, req.specifier, true)) {
        throw depsError(`conflict: ${by} requires ${text}, but ${req.name} ${got.wheel.version} was selected (for ${got.wheel.requestedBy.join(", ")})`,
          `pin a version of ${req.name} that satisfies every requirement, or use a matching ${by?.split(" ")[0]} version`);
      }
      got.wheel.requestedBy.push(`${by}`);
      addDeps(got, req.extras);
      continue;
    }
    const have = installed.get(req.name);
    if (have !== undefined && sat(have, req.specifier, true)) {
      if (!result.skipped.some((s) => s.name === req.name)) result.skipped.push({ name: req.name, version: have, requirement: text });
      continue;
    }
    const specs = [req.specifier, ...constraintSpec(req.name)];
    const cand = await choose(req.name, req.displayName, specs, text, false).catch((e: unknown) => {
      if (e instanceof MapBuildError) e.message = `${e.message} (needed by ${by})`;
      throw e;
    });
    if (!cand) {
      missing.push(`${by} requires ${text}, which is not in any wheel source${have !== undefined ? ` (the base has ${have})` : ""}`);
      continue;
    }
    const { file, sha256 } = await fetchVerified(cand, req.hashes, req.displayName);
    const metadata = await readWheelMetadata(file);
    const c: Chosen = {
      wheel: { name: req.name, version: cand.wheel.version, filename: cand.wheel.filename, file, sha256, extras: req.extras, requestedBy: [`${by}`] },
      metadata, extrasDone: new Set(),
    };
    chosen.set(req.name, c);
    addDeps(c, req.extras);
  }

  if (missing.length) {
    throw depsError(`missing Python dependencies: ${missing.join("; ")}`,
      `add the missing wheels to the wheel sources (${opts.sources.map((s) => s.description).join(", ")}), e.g. pip download -d wheelhouse --only-binary=:all: <name>==<version>`);
  }
  for (const c of chosen.values()) {
    if (c.metadata.requiresPython && !sat(pyFull, c.metadata.requiresPython.replace(/\s+/g, ""), true)) {
      throw depsError(`${c.wheel.filename} requires Python ${c.metadata.requiresPython}; the target is ${pyFull}`, "choose a version of the package that supports the base's Python");
    }
  }
  result.wheels = [...chosen.values()].map((c) => c.wheel).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  result.skipped.sort((a, b) => (a.name < b.name ? -1 : 1));
  return result;
}
