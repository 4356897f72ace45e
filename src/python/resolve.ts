/**
 * The one call the CLI makes: requirements (files, `@env(pip_packages)`, pylock.toml) + wheel
 * sources + target → layer entries for the user site, plus what pkg.json lists.
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { Dispatcher } from "undici";
import { MapBuildError } from "../errors.js";
import type { LayerEntry } from "../layer/index.js";
import { planWheelInstall, type InstallLimits, type InstallPlan, type InstallTarget } from "./install.js";
import { pylockRequirements, readPylock } from "./pylock.js";
import type { Requirement } from "./requirement.js";
import { emptyRequirementsSet, parsePipPackages, readRequirementsFile } from "./requirements.js";
import { selectWheels, type InstalledDist, type SelectedWheel, type SelectResult } from "./select.js";
import { directorySource, lockSource, simpleIndexSource, type WheelSource } from "./sources.js";
import type { TargetEnv } from "./target.js";

export interface ResolvePythonDepsOptions {
  target: TargetEnv;
  /** requirements.txt paths (`-r` includes are followed). */
  requirementsFiles?: string[];
  /** The app folder when `requirementsFiles` are the app's own: their includes must stay inside it. */
  requirementsRoot?: string;
  /** The static `@env(pip_packages=[…])` strings. */
  pipPackages?: string[];
  /** PEP 751 lock files. */
  pylockFiles?: string[];
  /** Local wheel directories (`--wheelhouse`, `--find-links DIR`). */
  wheelhouses?: string[];
  /** `--index-url`; no index is contacted unless one is given here or in a requirements file. */
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
  /** Downloaded wheels are cached here by sha256. */
  cacheDir: string;
  /** Where to install; defaults to the user site as `pip install --user` (map-format.md §3). */
  install?: Partial<InstallTarget>;
  /** Distributions in the base (normalised name → dist); satisfied requirements are skipped. */
  installed?: ReadonlyMap<string, InstalledDist>;
  pre?: boolean;
  limits?: InstallLimits;
  signal?: AbortSignal;
}

export interface ResolvePythonDepsResult {
  entries: LayerEntry[];
  /** Installed distributions, sorted; pkg.json `pip-packages` is `${name}==${version}`. */
  installed: InstallPlan["installed"];
  wheels: SelectedWheel[];
  skipped: SelectResult["skipped"];
  replaced: SelectResult["replaced"];
  warnings: string[];
  /** Content key for the dependency layer: wheel digests + install target (stable across app changes). */
  cacheKey: string;
  installTarget: InstallTarget;
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

export async function resolvePythonDeps(opts: ResolvePythonDepsOptions): Promise<ResolvePythonDepsResult> {
  const set = emptyRequirementsSet();
  for (const f of opts.requirementsFiles ?? []) await readRequirementsFile(f, [], set, opts.requirementsRoot);
  const requirements: Requirement[] = [...set.requirements, ...parsePipPackages(opts.pipPackages ?? [])];
  const sources: WheelSource[] = [];
  const http = { cacheDir: opts.cacheDir, ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
  for (const f of opts.pylockFiles ?? []) {
    const pkgs = await readPylock(f);
    requirements.push(...pylockRequirements(pkgs, f));
    sources.push(lockSource(pkgs, http));
  }
  if (opts.locked) {
    // only the lock's wheels: anything the requirements need beyond it fails as missing
    const pkgs = await readPylock(opts.locked);
    requirements.push(...pylockRequirements(pkgs, opts.locked));
    sources.push(lockSource(pkgs, http));
  } else {
    for (const d of [...(opts.wheelhouses ?? []), ...set.findLinks]) {
      if (/^file:\/\//i.test(d)) sources.push(directorySource(fileURLToPath(d)));
      else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(d)) {
        throw new MapBuildError("E_PYTHON_DEPS", `find-links URL ${d} is not supported`, { hint: "download the wheels into a directory and use it as a wheel folder, or name the URL as a simple index" });
      } else sources.push(directorySource(d));
    }
    const primary = opts.indexUrl ?? set.indexUrls.at(-1) ?? (opts.defaultIndexUrl || undefined);
    const indexUrls = opts.noIndex ? [] : [...(primary ? [primary] : []), ...(opts.extraIndexUrls ?? []), ...set.extraIndexUrls];
    const trusted = new Set(opts.trustedHosts ?? []);
    for (const u of [...new Set(indexUrls)]) {
      const host = /^[a-z]+:\/\/(?:[^@/]*@)?([^/]+)/i.exec(u)?.[1] ?? "";
      sources.push(simpleIndexSource(u, { ...http, ...(opts.indexAuth ?? {}), trusted: trusted.has(host) || trusted.has(host.replace(/:\d+$/, "")) }));
    }
  }

  const installTarget = userSiteTarget(opts.target, opts.install);
  if (!requirements.length) {
    return { entries: [], installed: [], wheels: [], skipped: [], replaced: [], warnings: [], cacheKey: "", installTarget };
  }
  if (!sources.length) {
    throw new MapBuildError("E_PYTHON_DEPS", `${requirements.length} Python requirement(s) but no wheel source`, {
      hint: "pass --wheelhouse DIR (e.g. from pip download -d DIR --only-binary=:all:) or --index-url URL",
    });
  }
  // Every wheel is fetched during selection: the sources' connections end with it.
  const sel = await selectWheels({
    requirements, constraints: set.constraints, sources, target: opts.target,
    pre: opts.pre ?? set.pre, ...(opts.installed ? { installed: opts.installed } : {}),
  }).finally(() => Promise.all(sources.map((s) => s.close?.())));
  const plan = await planWheelInstall(sel.wheels.map((w) => ({ file: w.file, filename: w.filename })), installTarget, opts.limits);
  const key = createHash("sha256").update(JSON.stringify({ v: 1, target: installTarget, wheels: sel.wheels.map((w) => w.sha256) })).digest("hex");
  return { entries: plan.entries, installed: plan.installed, wheels: sel.wheels, skipped: sel.skipped, replaced: sel.replaced, warnings: sel.warnings, cacheKey: `sha256:${key}`, installTarget };
}
