/**
 * The resolver behind selectWheels (select.ts): depth-first backtracking over candidate versions,
 * remembering listings, metadata and fetched wheels for one resolution. A candidate's dependencies
 * come from the index's PEP 658 metadata file when it serves one, so only the wheels finally chosen
 * are downloaded (each then checked against the metadata the choice was made on).
 */
import { compare } from "@renovatebot/pep440";
import { MapBuildError, optionName } from "../errors.js";
import { markerMatches, type MarkerEnv } from "./markers.js";
import { formatRequirement, parseRequirement, pinnedVersion, type Requirement } from "./requirement.js";
import type { InstalledDist, SelectOptions, SelectResult } from "./select.js";
import type { WheelCandidate } from "./sources.js";
import { markerEnvFor, type TargetEnv } from "./target.js";
import { isPre, PRE, sat } from "./version-match.js";
import { sha256File } from "./wheel-cache.js";
import { checkMetadataAgrees, readMetadataFile } from "./metadata-file.js";
import { CoreMetadataSchema, cachedForWheel, forgetForWheel } from "./wheel-facts.js";
import { readWheelMetadata, type CoreMetadata } from "./wheel-metadata.js";
import { compareBuild, explainIncompatible, tagRanker, type WheelFilename } from "./wheel-tags.js";

function depsError(message: string, hint: string): MapBuildError {
  return new MapBuildError("E_PYTHON_DEPS", message, { hint });
}

function targetLabel(t: TargetEnv): string {
  return `CPython ${t.pythonVersion} on linux ${t.machine} (glibc ${t.glibc.join(".")})`;
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

interface Fetched {
  file: string;
  sha256: string;
  metadata: CoreMetadata;
}

/** What `candidates` knows about one project under its edges. */
interface Asked {
  name: string;
  edges: readonly Edge[];
  specs: string[];
  display: string;
  /** The edges' requirements joined for messages. */
  text: string;
  have: InstalledDist | undefined;
}

/** Facts kind of metadata read from index metadata files (apart from the wheels' own, which are checked against them). */
const METADATA_FILE_FACTS = "python-metadata-file";

const label = (e: Edge) => `${formatRequirement(e.req)}${e.by ? ` (needed by ${e.by})` : ` (${e.req.origin})`}`;
const wantedExtras = (edges: readonly Edge[]) => [...new Set(edges.flatMap((e) => e.req.extras))].sort();
const byName = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : a > b ? 1 : 0);

/** One resolution: listings and fetched wheels are remembered for its duration. */
export class Resolver {
  readonly #opts: SelectOptions;
  readonly #env: MarkerEnv;
  readonly #rank: (w: WheelFilename) => number | undefined;
  readonly #pre: boolean;
  readonly #installed: ReadonlyMap<string, InstalledDist>;
  readonly #where: string;
  readonly #order = new Map<string, number>();
  readonly #listings = new Map<string, Promise<{ wheels: WheelCandidate[]; sdists: string[] }>>();
  readonly #fetched = new Map<WheelCandidate, Promise<Fetched>>();
  readonly #metadata = new Map<WheelCandidate, Promise<CoreMetadata>>();
  /** Why the last attempts failed, reported when nothing works. */
  readonly #missing = new Map<string, string>();
  #hardError: MapBuildError | undefined;
  #conflict: string | undefined;
  #rounds = 0;

  constructor(opts: SelectOptions) {
    this.#opts = opts;
    this.#env = markerEnvFor(opts.target);
    this.#rank = tagRanker(opts.target);
    this.#pre = opts.pre ?? false;
    this.#installed = opts.installed ?? new Map<string, InstalledDist>();
    this.#where = opts.sources.map((s) => s.description).join(", ") || "no wheel sources";
  }

  get #pyFull(): string {
    return this.#env.python_full_version;
  }

  async run(): Promise<SelectResult> {
    const top = this.#opts.requirements.filter((r) => markerMatches(r.marker, this.#env));
    for (const r of top) if (!this.#order.has(r.name)) this.#order.set(r.name, this.#order.size);
    const edges = new Map<string, Edge[]>();
    for (const r of top) edges.set(r.name, [...(edges.get(r.name) ?? []), { req: r, depth: 0 }]);
    const done = await this.#solve({ edges, pins: new Map() });
    if (!done) throw this.#failure();
    return this.#result(done);
  }

  #failure(): MapBuildError {
    if (this.#hardError) return this.#hardError;
    if (this.#missing.size) {
      return depsError(`missing Python dependencies: ${[...this.#missing.values()].join("; ")}`,
        `add the missing wheels to the wheel sources (${this.#where}), e.g. pip download -d wheelhouse --only-binary=:all: <name>==<version>`);
    }
    return depsError(this.#conflict ?? "the Python requirements cannot all be satisfied",
      "loosen or change the conflicting requirements (pip would fail the same way), or pin versions that fit together");
  }

  async #result(done: State): Promise<SelectResult> {
    const result: SelectResult = { wheels: [], skipped: [], replaced: [], warnings: [] };
    for (const [name, pin] of [...done.pins].sort(byName)) {
      const es = done.edges.get(name) ?? [];
      const text = es.map((e) => formatRequirement(e.req)).join(" and ");
      if (pin.cand.base) {
        result.skipped.push({ name, version: pin.cand.version, requirement: text });
        continue;
      }
      const w = pin.cand.wheel!;
      const f = await this.#fetchChosen(w);
      result.wheels.push({
        name, version: pin.cand.version, filename: w.wheel.filename, file: f.file, sha256: f.sha256, metadata: f.metadata,
        ...(w.location !== undefined ? { location: w.location } : {}),
        extras: [...pin.extras].sort(), requestedBy: es.map((e) => e.by ?? e.req.origin),
      });
      const have = this.#installed.get(name);
      if (have) {
        const unmet = es.filter((e) => !sat(have.version, e.req.specifier, true)).map((e) => formatRequirement(e.req));
        const requirement = unmet.length ? unmet.join(" and ") : text;
        result.replaced.push({ name, baseVersion: have.version, requirement, version: pin.cand.version });
        result.warnings.push(`${name} ${have.version} in the base does not satisfy ${requirement}: installing ${pin.cand.version} into the user site, which shadows it`);
      }
    }
    return result;
  }

  #list(name: string): Promise<{ wheels: WheelCandidate[]; sdists: string[] }> {
    let p = this.#listings.get(name);
    if (!p) {
      p = (async () => {
        const wheels: WheelCandidate[] = [], sdists: string[] = [], seen = new Set<string>();
        for (const s of this.#opts.sources) {
          const l = await s.list(name);
          for (const w of l.wheels) if (!seen.has(w.wheel.filename)) { seen.add(w.wheel.filename); wheels.push(w); }
          sdists.push(...l.sdists);
        }
        return { wheels, sdists };
      })();
      this.#listings.set(name, p);
    }
    return p;
  }

  #constraintsOf(name: string): string[] {
    return (this.#opts.constraints ?? []).filter((c) => c.name === name && markerMatches(c.marker, this.#env)).map((c) => c.specifier).filter(Boolean);
  }

  /** Candidates for `name` under all its edges, best first; records why when there are none. */
  async #candidates(name: string, edges: readonly Edge[]): Promise<Candidate[]> {
    const specs = [...edges.map((e) => e.req.specifier), ...this.#constraintsOf(name)].filter(Boolean);
    const asked: Asked = { name, edges, specs, display: edges[0]!.req.displayName, text: edges.map((e) => formatRequirement(e.req)).join(" and "), have: this.#installed.get(name) };
    const out: Candidate[] = [];
    if (asked.have && specs.every((s) => sat(asked.have!.version, s, true))) out.push({ version: asked.have.version, base: asked.have });
    const { wheels, sdists } = await this.#list(name);
    if (!wheels.length) {
      if (!out.length) this.#noWheels(asked, sdists);
      return out;
    }
    const compatible = wheels.filter((w) => this.#rank(w.wheel) !== undefined && (!w.requiresPython || sat(this.#pyFull, w.requiresPython.replace(/\s+/g, ""), true)));
    if (!compatible.length) {
      this.#noneFits(asked, wheels, sdists);
      return out;
    }
    return [...out, ...this.#wheelCandidates(asked, compatible, out.length > 0)];
  }

  /** The newest matching version first, each with its best-ranked wheel. */
  #wheelCandidates(asked: Asked, compatible: WheelCandidate[], baseFits: boolean): Candidate[] {
    const spec = asked.specs.join(",");
    const pinned = asked.specs.some((s) => pinnedVersion(s) !== undefined);
    const matching = compatible.filter((w) => sat(w.wheel.version, spec, this.#pre) && (!w.yanked || pinned));
    let versions = [...new Set(matching.map((w) => w.wheel.version))].sort((a, b) => compare(b, a));
    // pre-releases only when asked, named in a specifier, or nothing else matches (as pip)
    if (!this.#pre && !PRE.test(spec) && versions.some((v) => !isPre(v))) versions = versions.filter((v) => !isPre(v));
    if (!versions.length && !baseFits) this.#noneMatches(asked, compatible);
    const out: Candidate[] = [];
    for (const v of versions) {
      if (asked.have && compare(v, asked.have.version) === 0 && baseFits) continue;
      const best = matching.filter((w) => w.wheel.version === v)
        .sort((a, b) => this.#rank(a.wheel)! - this.#rank(b.wheel)! || compareBuild(b.wheel, a.wheel) || (a.wheel.filename < b.wheel.filename ? -1 : 1))[0]!;
      out.push({ version: v, wheel: best });
    }
    return out;
  }

  #noWheels(a: Asked, sdists: string[]): void {
    if (sdists.length) {
      this.#hardError ??= depsError(`${a.display}: only source distributions are available (${sdists.slice(0, 3).join(", ")}); map-build installs wheels only and cannot build sdists`,
        `build a wheel for ${targetLabel(this.#opts.target)} (pip wheel "${a.text}" -w wheelhouse, on a matching machine or in the base image) and pass that folder as ${optionName("wheelhouse")}`);
      return;
    }
    const by = a.edges.filter((e) => e.by);
    this.#missing.set(a.name, by.length
      ? `${by[0]!.by} requires ${formatRequirement(by[0]!.req)}, which is not in any wheel source${a.have ? ` (the base has ${a.have.version})` : ""}`
      : `${a.text} (${a.edges.map((e) => e.req.origin).join(", ")}) is not in any wheel source`);
  }

  #noneFits(a: Asked, wheels: WheelCandidate[], sdists: string[]): void {
    const why = wheels.slice(0, 4).map((w) => `${w.wheel.filename} (${w.requiresPython && this.#rank(w.wheel) !== undefined ? `requires Python ${w.requiresPython}` : explainIncompatible(w.wheel, this.#opts.target)})`);
    this.#hardError ??= depsError(`${a.display}: no wheel fits ${targetLabel(this.#opts.target)}: ${why.join("; ")}${sdists.length ? `; sdists (${sdists[0]}) cannot be built` : ""}`,
      `provide a wheel built for this target, or set the target with ${optionName("pythonVersion")} / ${optionName("platform")} if the base differs`);
  }

  #noneMatches(a: Asked, compatible: WheelCandidate[]): void {
    const all = [...new Set(compatible.map((w) => w.wheel.version))].sort(compare);
    const constraints = this.#constraintsOf(a.name);
    const why = `${a.display}: no compatible wheel satisfies "${a.text}"${constraints.length ? ` with constraints ${constraints.join(",")}` : ""}; available for this target: ${all.join(", ")}`;
    if (a.edges.length === 1 && !a.edges[0]!.by) this.#hardError ??= depsError(why, `change the requirement${constraints.length ? " or the constraint" : ""} to one of the available versions, or add the wanted wheel to ${this.#where}`);
    else this.#conflict = `conflict: ${a.edges.map(label).join(" and ")}${constraints.length ? ` with constraints ${constraints.join(",")}` : ""}; available for this target: ${all.join(", ")}`;
  }

  /** The wheel, downloaded once per resolution. */
  #download(c: WheelCandidate): Promise<Fetched> {
    let p = this.#fetched.get(c);
    if (!p) {
      p = this.#fetch(c);
      this.#fetched.set(c, p);
    }
    return p;
  }

  /** A requirement's `--hash` values checked against the index's digest when it gave one, else against the downloaded wheel. */
  async #checkHashes(c: WheelCandidate, hashes: string[], display: string): Promise<void> {
    if (!hashes.length) return;
    // the download checks the file against c.sha256, so the index's digest stands for the file
    const sha256 = c.sha256 ?? (await this.#download(c)).sha256;
    if (!hashes.includes(sha256)) {
      throw new MapBuildError("E_DIGEST_MISMATCH", `${display}: hash mismatch for ${c.wheel.filename}: it has sha256 ${sha256}, the requirement allows ${hashes.join(", ")}`,
        { hint: "the wheel is not the one that was locked; re-run pip-compile --generate-hashes or fetch the locked file" });
    }
  }

  /** Core metadata of a candidate: from the index's metadata file (kept by the wheel's sha256) when there is one, else from the wheel. */
  #metadataOf(c: WheelCandidate): Promise<CoreMetadata> {
    let p = this.#metadata.get(c);
    if (!p) {
      const m = c.metadataFile;
      p = m
        ? cachedForWheel(c.sha256 ? this.#opts.factsCacheDir : undefined, METADATA_FILE_FACTS, { sha256: c.sha256 ?? "", filename: c.wheel.filename }, CoreMetadataSchema, () => readMetadataFile(c.wheel, m))
        : this.#download(c).then((f) => f.metadata);
      this.#metadata.set(c, p);
    }
    return p;
  }

  /** A chosen wheel, downloaded; if the choice was made on a metadata file, the wheel must agree with it. */
  async #fetchChosen(c: WheelCandidate): Promise<Fetched> {
    const f = await this.#download(c);
    if (c.metadataFile) {
      try {
        checkMetadataAgrees(c.metadataFile, c.wheel.filename, await this.#metadataOf(c), f.metadata);
      } catch (e) {
        await forgetForWheel(this.#opts.factsCacheDir, METADATA_FILE_FACTS, { sha256: f.sha256, filename: c.wheel.filename });
        throw e;
      }
    }
    return f;
  }

  async #fetch(c: WheelCandidate): Promise<Fetched> {
    const file = await c.fetch();
    const sha256 = c.fetchVerifies && c.sha256 ? c.sha256 : await (this.#opts.digestFile ?? sha256File)(file);
    if (c.sha256 && c.sha256 !== sha256) {
      throw new MapBuildError("E_DIGEST_MISMATCH", `${c.wheel.filename} has sha256 ${sha256}, ${c.origin} says ${c.sha256}`, { hint: "the file changed after it was listed; re-download it" });
    }
    const metadata = await cachedForWheel(this.#opts.factsCacheDir, "python-metadata", { sha256, filename: c.wheel.filename }, CoreMetadataSchema, () => readWheelMetadata(file));
    return { file, sha256, metadata };
  }

  /** The Requires-Dist of a candidate for the given extras, markers evaluated for the target. */
  async #dependencies(cand: Candidate, extras: readonly string[], by: string): Promise<Requirement[] | undefined> {
    let lines: readonly string[];
    if (cand.base) lines = cand.base.requires ?? [];
    else {
      const metadata = await this.#metadataOf(cand.wheel!);
      if (metadata.requiresPython && !sat(this.#pyFull, metadata.requiresPython.replace(/\s+/g, ""), true)) {
        this.#conflict = `${by} requires Python ${metadata.requiresPython}; the target is ${this.#pyFull}`;
        return undefined;
      }
      lines = metadata.requiresDist;
    }
    return lines.map((t) => parseRequirement(t, `${by} (Requires-Dist)`)).filter((d) => markerMatches(d.marker, this.#env, extras));
  }

  /** Add requirements to a state; undefined (and the conflict recorded) when one contradicts a pin. */
  #addEdges(s: State, deps: readonly Requirement[], by: string, depth: number): State | undefined {
    const edges = new Map(s.edges);
    for (const d of deps) {
      if (!this.#order.has(d.name)) this.#order.set(d.name, this.#order.size);
      const pin = s.pins.get(d.name);
      if (pin && !sat(pin.cand.version, d.specifier, true)) {
        const others = (s.edges.get(d.name) ?? []).map((e) => e.by ?? e.req.origin);
        this.#conflict = `conflict: ${by} requires ${formatRequirement(d)}, but ${d.name} ${pin.cand.version} was selected (for ${others.join(", ")})`;
        return undefined;
      }
      edges.set(d.name, [...(edges.get(d.name) ?? []), { req: d, by, depth }]);
    }
    return { edges, pins: s.pins };
  }

  /** The next project to decide, in pip's order of preference. */
  #next(s: State): string | undefined {
    let best: { name: string; key: (number | string)[] } | undefined;
    for (const [name, edges] of s.edges) {
      const pin = s.pins.get(name);
      if (pin && wantedExtras(edges).every((e) => pin.extras.has(e))) continue;
      const key = [
        pin ? 0 : 1,
        edges.some((e) => pinnedVersion(e.req.specifier) !== undefined) ? 0 : 1,
        Math.min(...edges.map((e) => e.depth)),
        this.#order.get(name) ?? Infinity,
        name,
      ];
      if (!best || lessThan(key, best.key)) best = { name, key };
    }
    return best?.name;
  }

  async #solve(s: State): Promise<State | undefined> {
    const name = this.#next(s);
    if (name === undefined) return s;
    const maxRounds = this.#opts.maxRounds ?? 20000;
    if (++this.#rounds > maxRounds) {
      throw depsError(`resolving the Python requirements took more than ${maxRounds} tries without an answer`, "pin some packages (pip-compile writes such a file) to narrow the search");
    }
    const edges = s.edges.get(name)!;
    const extras = wantedExtras(edges);
    const depth = Math.min(...edges.map((e) => e.depth)) + 1;
    const pin = s.pins.get(name);
    if (pin) return this.#extendPin(s, name, pin, extras, depth);
    for (const cand of await this.#candidates(name, edges)) {
      const by = `${name} ${cand.version}`;
      if (cand.wheel) await this.#checkHashes(cand.wheel, [...new Set(edges.flatMap((e) => e.req.hashes))], edges[0]!.req.displayName);
      const deps = await this.#dependencies(cand, extras, by);
      if (!deps) continue;
      const pinned: State = { edges: s.edges, pins: new Map(s.pins).set(name, { cand, extras: new Set(extras) }) };
      const added = this.#addEdges(pinned, deps, by, depth);
      if (!added) continue;
      const done = await this.#solve(added);
      if (done) return done;
    }
    return undefined;
  }

  /** A pinned project asked for with new extras: add what those extras need, no new choice. */
  async #extendPin(s: State, name: string, pin: Pin, extras: readonly string[], depth: number): Promise<State | undefined> {
    const newExtras = extras.filter((e) => !pin.extras.has(e));
    const by = `${name} ${pin.cand.version}`;
    const deps = await this.#dependencies(pin.cand, newExtras, by);
    const fresh = (deps ?? []).filter((d) => !markerMatches(d.marker, this.#env, []));
    const pins = new Map(s.pins).set(name, { cand: pin.cand, extras: new Set([...pin.extras, ...newExtras]) });
    const added = this.#addEdges({ edges: s.edges, pins }, fresh, by, depth);
    return added ? this.#solve(added) : undefined;
  }
}

function lessThan(a: (number | string)[], b: (number | string)[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    return a[i]! < b[i]!;
  }
  return false;
}
