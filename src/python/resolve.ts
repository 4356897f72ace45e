/**
 * The one call the builder makes: requirements (files, `@env(pip_packages)`, pylock.toml) + wheel
 * sources + target → the chosen wheels, what pkg.json lists, and the install plan. Planning the
 * layer entries reads every wheel's RECORD, so it is deferred: `planKey` names everything that
 * decides the entries, and a layer cache that already holds them never calls `plan()`.
 */
import { fileURLToPath } from "node:url";
import type { Dispatcher } from "undici";
import { MapBuildError, optionName } from "../errors.js";
import type { LayerEntry } from "../layer/index.js";
import { installedDists, planWheelEntries, INSTALL_PLAN_VERSION, type InstallLimits, type InstallPlan, type InstallTarget } from "./install.js";
import { pylockRequirements, readPylock } from "./pylock.js";
import type { Requirement } from "./requirement.js";
import { emptyRequirementsSet, parsePipPackages, readRequirementsFile, type RequirementsSet } from "./requirements.js";
import { selectWheels, type InstalledDist, type SelectedWheel, type SelectResult } from "./select.js";
import { directorySource, findLinksPageSource, lockSource, simpleIndexSource, type WheelSource } from "./sources.js";
import type { TargetEnv } from "./target.js";

export interface ResolvePythonDepsOptions {
  target: TargetEnv;
  /** requirements.txt paths (`-r` includes are followed). */
  requirementsFiles?: string[];
  /** The app folder when `requirementsFiles` are the app's own: their includes must stay inside it. */
  requirementsRoot?: string;
  /** Constraint files (pip's `constraint` setting, PIP_CONSTRAINT): they narrow versions, never add a project. */
  constraintFiles?: string[];
  /** The static `@env(pip_packages=[…])` strings. */
  pipPackages?: string[];
  /** PEP 751 lock files. */
  pylockFiles?: string[];
  /** Local wheel directories (the wheelhouse and find-links options). */
  wheelhouses?: string[];
  /** The index; no index is contacted unless one is given here or in a requirements file. */
  indexUrl?: string;
  extraIndexUrls?: string[];
  /** Index hosts (host or host:port) reached without TLS verification. */
  trustedHosts?: string[];
  /** No index at all (pip's no-index): only wheel folders and locks. */
  noIndex?: boolean;
  /** Used when no index is given anywhere else. */
  defaultIndexUrl?: string;
  /** Install exactly this pylock.toml: its wheels are the only source. */
  locked?: string;
  /** Index credentials (override those in the URLs). */
  indexAuth?: { username: string; password: string };
  dispatcher?: Dispatcher;
  /** The cache directory (the layer cache's): downloaded wheels are kept in its blob store by sha256. */
  cacheDir: string;
  /** That cache's size limit (default DEFAULT_CACHE_MAX_BYTES). */
  cacheMaxBytes?: number;
  /** Facts read from wheels (core metadata) are kept here by wheel sha256; none kept without it. */
  factsCacheDir?: string;
  /** sha256 (hex) of a local wheel file; default: read and hash it (see SelectOptions.digestFile). */
  digestFile?: (path: string) => Promise<string>;
  /** Where to install; defaults to the user site as `pip install --user` (map-format.md §3). */
  install?: Partial<InstallTarget>;
  /** Distributions in the base (normalised name → dist); satisfied requirements are skipped. */
  installed?: ReadonlyMap<string, InstalledDist>;
  pre?: boolean;
  limits?: InstallLimits;
  signal?: AbortSignal;
}

export interface ResolvePythonDepsResult {
  /** Installed distributions, sorted; pkg.json `pip-packages` is `${name}==${version}`. */
  installed: InstallPlan["installed"];
  wheels: SelectedWheel[];
  skipped: SelectResult["skipped"];
  replaced: SelectResult["replaced"];
  warnings: string[];
  installTarget: InstallTarget;
  /**
   * What decides the layer entries `plan()` returns (wheel digests, install target, limits, the
   * planner's version), as canonical JSON; stable across app changes. Empty when nothing is installed.
   */
  planKey: string;
  /** The layer entries: reads each wheel's RECORD (member contents are streamed when the layer is written). */
  plan(): Promise<LayerEntry[]>;
}

export function userSiteTarget(t: TargetEnv, over: Partial<InstallTarget> = {}): InstallTarget {
  return {
    sitePackages: over.sitePackages ?? `/root/.local/lib/python${t.pythonVersion}/site-packages`,
    scriptsDir: over.scriptsDir ?? "/root/.local/bin",
    dataDir: over.dataDir ?? "/root/.local",
    pythonPath: over.pythonPath ?? t.pythonPath ?? "/usr/bin/env python3",
    ...(over.uid !== undefined ? { uid: over.uid } : {}),
    ...(over.gid !== undefined ? { gid: over.gid } : {}),
  };
}

/** Constraint files, read like `-c` lines: everything they name (and include) only constrains. */
async function readConstraintFiles(files: readonly string[], into: RequirementsSet): Promise<void> {
  for (const f of files) {
    const sub = await readRequirementsFile(f);
    into.constraints.push(...sub.requirements, ...sub.constraints);
  }
}

function wheelSources(opts: ResolvePythonDepsOptions, set: RequirementsSet, http: { cacheDir: string; cacheMaxBytes?: number; dispatcher?: Dispatcher; signal?: AbortSignal; digestFile?: (p: string) => Promise<string> }): WheelSource[] {
  const sources: WheelSource[] = [];
  const trusted = new Set(opts.trustedHosts ?? []);
  // pip's trusted-host: a host, or host:port
  const isTrusted = (u: string) => {
    const host = /^[a-z]+:\/\/(?:[^@/]*@)?([^/]+)/i.exec(u)?.[1] ?? "";
    return trusted.has(host) || trusted.has(host.replace(/:\d+$/, ""));
  };
  for (const d of [...(opts.wheelhouses ?? []), ...set.findLinks]) {
    if (/^file:\/\//i.test(d)) sources.push(directorySource(fileURLToPath(d)));
    else if (/^https?:\/\//i.test(d)) sources.push(findLinksPageSource(d, { ...http, trusted: isTrusted(d) }));
    else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(d)) {
      throw new MapBuildError("E_PYTHON_DEPS", `find-links URL ${d} is not supported`, { hint: "use an http(s):// page, a file:// directory or a local directory" });
    } else sources.push(directorySource(d));
  }
  const primary = opts.indexUrl ?? set.indexUrls.at(-1) ?? (opts.defaultIndexUrl || undefined);
  const indexUrls = opts.noIndex ? [] : [...(primary ? [primary] : []), ...(opts.extraIndexUrls ?? []), ...set.extraIndexUrls];
  for (const u of [...new Set(indexUrls)]) sources.push(simpleIndexSource(u, { ...http, ...(opts.indexAuth ?? {}), trusted: isTrusted(u) }));
  return sources;
}

export async function resolvePythonDeps(opts: ResolvePythonDepsOptions): Promise<ResolvePythonDepsResult> {
  const set = emptyRequirementsSet();
  for (const f of opts.requirementsFiles ?? []) await readRequirementsFile(f, [], set, opts.requirementsRoot);
  await readConstraintFiles(opts.constraintFiles ?? [], set);
  const requirements: Requirement[] = [...set.requirements, ...parsePipPackages(opts.pipPackages ?? [])];
  const sources: WheelSource[] = [];
  const http = { cacheDir: opts.cacheDir, ...(opts.cacheMaxBytes === undefined ? {} : { cacheMaxBytes: opts.cacheMaxBytes }), ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}), ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.digestFile ? { digestFile: opts.digestFile } : {}) };
  for (const f of [...(opts.pylockFiles ?? []), ...(opts.locked ? [opts.locked] : [])]) {
    // with `locked`, only the lock's wheels: anything the requirements need beyond it fails as missing
    const pkgs = await readPylock(f);
    requirements.push(...pylockRequirements(pkgs, f));
    sources.push(lockSource(pkgs, http));
  }
  if (!opts.locked) sources.push(...wheelSources(opts, set, http));

  const installTarget = userSiteTarget(opts.target, opts.install);
  if (!requirements.length) {
    return { installed: [], wheels: [], skipped: [], replaced: [], warnings: [], installTarget, planKey: "", plan: async () => [] };
  }
  if (!sources.length) {
    throw new MapBuildError("E_PYTHON_DEPS", `${requirements.length} Python requirement(s) but no wheel source`, {
      hint: `pass ${optionName("wheelhouse")} DIR (e.g. from pip download -d DIR --only-binary=:all:) or ${optionName("indexUrl")} URL`,
    });
  }
  // Every wheel is fetched during selection: the sources' connections end with it.
  const sel = await selectWheels({
    requirements, constraints: set.constraints, sources, target: opts.target,
    pre: opts.pre ?? set.pre, ...(opts.installed ? { installed: opts.installed } : {}),
    ...(opts.digestFile ? { digestFile: opts.digestFile } : {}), ...(opts.factsCacheDir ? { factsCacheDir: opts.factsCacheDir } : {}),
  }).finally(() => Promise.all(sources.map((s) => s.close?.())));
  const installed = installedDists(sel.wheels.map((w) => w.metadata));
  const planKey = JSON.stringify({ v: INSTALL_PLAN_VERSION, target: installTarget, limits: opts.limits ?? {}, wheels: sel.wheels.map((w) => [w.filename, w.sha256]) });
  const plan = () => planWheelEntries(sel.wheels.map((w) => ({ file: w.file, filename: w.filename })), installTarget, opts.limits);
  return { installed, wheels: sel.wheels, skipped: sel.skipped, replaced: sel.replaced, warnings: sel.warnings, installTarget, planKey, plan };
}

