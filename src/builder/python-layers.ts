/**
 * The Python dependency layer: the app's requirements and the App SDK, installed host-side from
 * wheels into the base's user site (/root/.local, as `pip install --user` did). Nothing runs in
 * the base image.
 */
import { mkdir, symlink } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { MapBuildError, optionName } from "../errors.js";
import { writeFileAtomic } from "../atomic-file.js";
import type { Image, ImageConfig, PlatformSpec } from "../image/index.js";
import { hashFile } from "../hash-file.js";
import type { LayerEntry } from "../layer/index.js";
import { pep440ToSemver, type AppInfo, type DeferredLayer, type RequirementsList } from "../map/index.js";
import type { Logger } from "../progress.js";
import type { InstallTarget, ResolvePythonDepsResult } from "../python/index.js";
import type { PythonDistribution } from "../sbom/index.js";
import type { BaseScanner } from "./base-scan.js";
import type { PackageMapOptions } from "./options.js";
import { importsSdk } from "./sdk-import.js";

export const SDK_DIST = "monai-deploy-app-sdk";

export interface PythonLayers {
  /** The deps layer, planned only when the layer cache misses (keyed by the wheels' digests). */
  layers: DeferredLayer[];
  /** Semver of the installed SDK, for the manifests and the sdk_version label. */
  sdkVersion?: string;
  /**
   * The SDK wheel's own Requires-Dist (extras left out): SDK 0.5.1 appended its install_requires
   * to the generated requirements.txt (map-format.md §1.6, checklist 20).
   */
  sdkRequires: string[];
  installed: { name: string; version: string }[];
  /** The installed distributions with wheel, license and origin: the SBOM's Python part. */
  distributions: PythonDistribution[];
  /** Normalised name → version of what the base already has (empty when the base was not read). */
  inBase: ReadonlyMap<string, string>;
  /** X.Y of the target Python, when anything was resolved. */
  pythonVersion?: string;
  warnings: string[];
  /**
   * The native-library check of the chosen wheels: its warnings (they follow `warnings`), or the
   * strict error. Meant to run while the layers are written (assembleImage's `alongside`): it is
   * mostly thread-pool inflate work (torch's big library, up to its dynamic segment), the writes
   * mostly main-thread work.
   */
  checkLibraries(signal?: AbortSignal): Promise<string[]>;
}

/** A format's own SDK (MAP 1.0: the App SDK or Holoscan, always installed) and the requirement that installs it. */
export interface SdkChoice {
  /** Normalised distribution name. */
  dist: string;
  requirement: string;
  /** For the message when there is nowhere to get it from. */
  label: string;
}

/** Libraries extension modules need that neither the wheels nor the base have: warnings, or an error when strict. */
async function checkNativeLibs(wheels: readonly { file: string; filename: string; sha256: string }[], baseLibs: ReadonlySet<string> | undefined, opts: PythonLayerOptions, ctx: PythonLayerContext, signal: AbortSignal | undefined): Promise<string[]> {
  if (!baseLibs) {
    ctx.logger.debug("the base was not read: native libraries of the wheels are not checked");
    return [];
  }
  const { describeMissingLibrary, missingLibraries } = await import("../python/index.js");
  const missing = await missingLibraries(wheels, baseLibs, opts.noCache ? undefined : ctx.cacheDir, signal);
  const lines = missing.map(describeMissingLibrary);
  if (lines.length && opts.strictLibs) {
    const libraries = [...new Set(missing.map((m) => m.library))];
    throw new MapBuildError("E_PYTHON_DEPS", lines.join("; "), {
      hint: `install ${libraries.join(", ")} in the base image (e.g. its Debian package), or use wheels that vendor ${libraries.length > 1 ? "them" : "it"}`,
    });
  }
  return lines;
}

function lockEntry(target: { dataDir?: string; uid?: number; gid?: number }, text: string): LayerEntry {
  const data = Buffer.from(text, "utf8");
  return { type: "file", path: `${target.dataDir ?? "/root/.local"}/pylock.toml`, mode: 0o644, uid: target.uid ?? 0, gid: target.gid ?? 0, size: data.length, source: { kind: "bytes", data } };
}

export interface PythonLayerContext {
  /** The legacy app, to see whether it imports the SDK (unused with `sdk`). */
  app?: AppInfo;
  base: Image;
  baseConfig: ImageConfig;
  baseLabel: string;
  platform: PlatformSpec;
  /** Scratch dir of this build. */
  work: string;
  /** The user's cache folder: downloaded wheels and facts read from wheels; not touched with `noCache`. */
  cacheDir: string;
  /** The build's one pass over the base (it must include PYTHON_BASE_SCAN); default a scan of its own. */
  baseScanner?: BaseScanner;
  /** sha256 (hex) of a local file; default reads it. The layer cache's stat index makes unchanged wheels free. */
  digestFile?: (path: string) => Promise<string>;
  logger: Logger;
  /** The SDK to install; default the legacy App SDK when the app imports it. */
  sdk?: SdkChoice;
  /** Where to install for a Python X.Y; default the user site of root (`pip install --user` as root). */
  installFor?: (pythonVersion: string) => Partial<InstallTarget>;
}

export type PythonLayerOptions = Pick<
  PackageMapOptions,
  | "noSdk" | "sdkWheel" | "sdkVersion" | "wheelhouse" | "findLinks" | "indexUrl" | "extraIndexUrls" | "trustedHosts" | "noIndex" | "constraintFiles"
  | "defaultIndexUrl" | "locked" | "pre" | "lockFile" | "strictLibs" | "pythonVersion" | "noCache" | "cacheMaxBytes" | "signal"
>;

/** The SDK requirement: the given wheel's version, else --sdk-version, else the legacy format's line (0.5.x). */
function sdkRequirement(opts: PythonLayerOptions): string {
  const fromWheel = opts.sdkWheel ? /^[^-]+-([^-]+)-/.exec(basename(opts.sdkWheel))?.[1] : undefined;
  const pin = fromWheel ?? opts.sdkVersion;
  return pin ? `${SDK_DIST}==${pin}` : `${SDK_DIST}>=0.5,<0.6`;
}

export async function pythonLayers(pip: Pick<RequirementsList, "pipPackages" | "requirementsFiles" | "confineTo">, opts: PythonLayerOptions, ctx: PythonLayerContext): Promise<PythonLayers> {
  const sources = [...(opts.wheelhouse ?? []), ...(opts.findLinks ?? [])];
  const hasIndex = !opts.noIndex && Boolean(opts.indexUrl || opts.extraIndexUrls?.length || opts.defaultIndexUrl);
  const wantSdk = !opts.noSdk && (opts.sdkWheel !== undefined || ctx.sdk !== undefined || (ctx.app !== undefined && (await importsSdk(ctx.app))));
  const sdkDist = ctx.sdk?.dist ?? SDK_DIST;
  if (!opts.noSdk && !wantSdk) ctx.logger.info("the app does not import monai.deploy: no App SDK is installed");
  if (wantSdk && !opts.sdkWheel && sources.length === 0 && !hasIndex && !opts.locked) {
    throw new MapBuildError("E_USAGE", `no ${ctx.sdk?.label ?? "MONAI Deploy App SDK"} to install`, {
      hint: `pass ${optionName("sdkWheel")} FILE (a ${sdkDist} wheel), a ${optionName("wheelhouse")} or ${optionName("indexUrl")} that has it, or ${optionName("noSdk")} if the app does not import it at run time`,
    });
  }
  const nothingToInstall = !wantSdk && !opts.locked && pip.pipPackages.length === 0 && pip.requirementsFiles.length === 0;
  if (nothingToInstall) return { layers: [], sdkRequires: [], installed: [], distributions: [], inBase: new Map(), warnings: [], checkLibraries: async () => [] };

  // loaded only when there is something to install: most builds never need the resolver
  const [{ formatPylock, normalizeName, resolvePythonDeps }, { pythonTarget }] = await Promise.all([
    import("../python/index.js"),
    import("./python-target.js"),
  ]);
  const pipPackages = [...pip.pipPackages];
  if (opts.sdkWheel) {
    // a single wheel file becomes a one-wheel wheelhouse
    const dir = join(ctx.work, "sdk-wheel");
    await mkdir(dir, { recursive: true });
    await symlink(resolve(opts.sdkWheel), join(dir, basename(opts.sdkWheel)));
    sources.unshift(dir);
  }
  if (wantSdk) pipPackages.push(ctx.sdk?.requirement ?? sdkRequirement(opts));

  const { target, installed: inBase, baseLibs } = await pythonTarget(ctx.base, ctx.baseLabel, ctx.platform, opts.pythonVersion, ctx.logger, { ...(ctx.baseScanner ? { scanner: ctx.baseScanner } : {}), ...(opts.noCache ? {} : { cacheDir: ctx.cacheDir }) });
  ctx.logger.debug(`python target: ${target.pythonVersion} (${target.pythonPath ?? "python3"}), ${inBase.size} distributions found in the base`);
  const deps = await resolvePythonDeps({
    target,
    requirementsFiles: pip.requirementsFiles,
    ...(pip.confineTo ? { requirementsRoot: pip.confineTo } : {}),
    pipPackages,
    wheelhouses: sources,
    indexUrl: opts.indexUrl,
    extraIndexUrls: opts.extraIndexUrls,
    trustedHosts: opts.trustedHosts,
    noIndex: opts.noIndex,
    defaultIndexUrl: opts.defaultIndexUrl,
    locked: opts.locked,
    pre: opts.pre,
    // without the cache, downloads still go through the blob store (verified, one copy per build), in
    // the scratch dir: removed with it, so the user's cache folder is not written
    cacheDir: opts.noCache ? join(ctx.work, "downloads") : ctx.cacheDir,
    ...(opts.cacheMaxBytes === undefined ? {} : { cacheMaxBytes: opts.cacheMaxBytes }),
    ...(opts.noCache ? {} : { factsCacheDir: ctx.cacheDir }),
    ...(ctx.digestFile ? { digestFile: ctx.digestFile } : {}),
    ...(opts.constraintFiles?.length ? { constraintFiles: opts.constraintFiles } : {}),
    installed: inBase,
    ...(ctx.installFor ? { install: ctx.installFor(target.pythonVersion) } : {}),
    signal: opts.signal,
  });
  // one check per build: the deps layer waits for the same one (depsLayer)
  let check: Promise<string[]> | undefined;
  const checkLibraries = (signal?: AbortSignal) => (check ??= checkNativeLibs(deps.wheels, baseLibs, opts, ctx, signal));
  for (const k of deps.skipped) ctx.logger.info(`${k.name} ${k.version} in the base satisfies ${k.requirement}: not installed`);
  const sdk = deps.installed.find((d) => normalizeName(d.name) === sdkDist);
  const sdkWheel = deps.wheels.find((w) => normalizeName(w.name) === sdkDist);
  const sdkRequires = sdkWheel ? sdkWheel.metadata.requiresDist.filter((r) => !/\bextra\s*==/.test(r)) : [];
  const sdkVersion = sdk ? pep440ToSemver(sdk.version) : undefined;
  const lock = deps.wheels.map((w) => ({ name: w.name, version: w.version, filename: w.filename, sha256: w.sha256, ...(w.location ? { location: w.location } : {}) }));
  if (opts.lockFile) await writeFileAtomic(resolve(opts.lockFile), formatPylock(lock));
  const distributions = distributionsOf(deps, sdkDist, normalizeName);
  const known = { installed: deps.installed, distributions, inBase: new Map([...inBase].map(([name, d]) => [name, d.version])), pythonVersion: target.pythonVersion, warnings: deps.warnings, checkLibraries };
  if (deps.wheels.length === 0) return { layers: [], sdkVersion, sdkRequires, ...known };
  // the resolved set, in the image too (host paths left out: the digest must not depend on them)
  const imageLock = formatPylock(lock.map(({ location, ...l }) => (location && /^https?:/.test(location) ? { ...l, location } : l)));
  return { layers: [depsLayer(deps, imageLock, ctx.digestFile ?? hashFile, checkLibraries)], sdkVersion, sdkRequires, ...known };
}

/** What the build installs, each with its wheel and who asked for it (the build facts behind the SBOM). */
function distributionsOf(deps: ResolvePythonDepsResult, sdkDist: string, normalizeName: (name: string) => string): PythonDistribution[] {
  return deps.installed.map((d): PythonDistribution => {
    const wheel = deps.wheels.find((w) => normalizeName(w.name) === normalizeName(d.name));
    return {
      name: d.name,
      version: d.version,
      ...(wheel ? { wheel: { filename: wheel.filename, sha256: wheel.sha256 } } : {}),
      ...(d.license ? { license: d.license } : {}),
      requestedBy: wheel?.requestedBy ?? [],
      ...(normalizeName(d.name) === sdkDist ? { sdk: true } : {}),
    };
  });
}

/**
 * The deps layer, keyed by what decides it (the plan key: wheel digests, install target; and the
 * lock written into it): an app-only rebuild takes it from the cache without opening a wheel.
 */
function depsLayer(deps: ResolvePythonDepsResult, imageLock: string, digestFile: (path: string) => Promise<string>, checkLibraries: () => Promise<unknown>): DeferredLayer {
  const lock = lockEntry(deps.installTarget, imageLock);
  return {
    id: "python-deps",
    deferred: {
      description: JSON.stringify({ plan: deps.planKey, lock: imageLock }),
      // After the library check (which runs beside the other layers' writes): planning or writing
      // this layer while the check inflates torch raised the real torch build's peak RSS by 13-15
      // MB (two streams of inflated buffers between collections). Its failure fails this layer too,
      // with the same error.
      plan: async () => {
        await checkLibraries();
        return [...(await deps.plan()), lock];
      },
      // a wheel replaced while the layer was written: its RECORD may describe other bytes than the key
      unchanged: async () => (await Promise.all(deps.wheels.map(async (w) => (await digestFile(w.file).catch(() => "")) === w.sha256))).every(Boolean),
    },
    createdBy: `map-build: pip install --user ${deps.installed.map((d) => `${d.name}==${d.version}`).join(" ")}`,
    compressible: true,
  };
}
