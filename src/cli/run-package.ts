/** Turns parsed `package` flags into a packageMap() call and prints the result. */
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { MapBuildError } from "../errors.js";
import { DEFAULT_BASE_IMAGE, sourceDateEpoch } from "../defaults.js";
import { defaultCacheDir } from "../cache/index.js";
import type { PackageMap1Options, PackageMapOptions, PackageMapResult, SupplyChainOptions } from "../builder/index.js";
import type { Logger } from "../progress.js";
import type { MultiPlatformResult } from "../builder/index.js";
import type { CliIO, Verbosity } from "./io.js";
import { DEFAULT_SBOM_IN_IMAGE, type BuildFlags, type PackageFlags } from "./package-command.js";
import { createProgressView, type ProgressView } from "./progress-view.js";
import { createLogger } from "./logger.js";
import { outputSinks } from "./default-output.js";
import { buildKeychain } from "./credentials.js";
import { registryTuningFromEnv } from "./registry-tuning.js";
import { checkResultFiles, resultJson, stdoutLines, writeResultFiles } from "./package-result.js";
import { parseKeyValues } from "./validate-flags.js";
import { parseByteSize } from "./units.js";
import { dockerHubShortName } from "./docker-hub-name.js";
import { PUBLIC_INDEX_URL, readPipConfig } from "../python/index.js";

export interface PackageDeps {
  packageMap(options: PackageMapOptions | PackageMap1Options): Promise<PackageMapResult>;
}

/** Paths as typed are relative to io.cwd; these make them openable by the core. */
export interface PathResolvers {
  here: <T extends string | undefined>(p: T) => T;
  hereDir: (p: string) => string;
}

export function pathResolvers(io: Pick<CliIO, "cwd">): PathResolvers {
  // Relative paths are the user's, relative to io.cwd. The core resolves against process.cwd(), so
  // an in-process main() with another cwd must join them here; for a real process they are the
  // same and paths stay as typed (so messages quote them as the user wrote them).
  const here = <T extends string | undefined>(p: T): T => (p === undefined || isAbsolute(p) || io.cwd === process.cwd() ? p : (join(io.cwd, p) as T));
  const hereDir = (p: string) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(p) ? p : here(p));
  return { here, hereDir };
}

export interface SharedContext {
  io: CliIO;
  logger: Logger;
  view: ProgressView;
  paths: PathResolvers;
}

/**
 * What both package formats take from map-build's own flags: sinks, wheel sources and pip's own
 * configuration, layers, cache, registry access. `allowDefaultOutput` false: no output flag means
 * no sink here (the caller adds its own).
 */
/** The layer cache's size bound: the flag, else MAP_BUILD_CACHE_MAX_SIZE, else the library's default. */
function cacheMaxBytes(flag: number | undefined, env: NodeJS.ProcessEnv): { cacheMaxBytes?: number } {
  if (flag !== undefined) return { cacheMaxBytes: flag };
  const v = env.MAP_BUILD_CACHE_MAX_SIZE;
  return v ? { cacheMaxBytes: parseByteSize(v, "MAP_BUILD_CACHE_MAX_SIZE") } : {};
}

export async function sharedBuildOptions(flags: BuildFlags, ctx: SharedContext, registryLogin: { username?: string; passwordStdin?: boolean; authfile?: string } = {}, allowDefaultOutput = true) {
  const { io, logger, view } = ctx;
  const { here, hereDir } = ctx.paths;
  const hubName = flags.push ? dockerHubShortName(flags.tag) : undefined;
  if (hubName) logger.warn(`--tag ${flags.tag} names no registry: --push goes to Docker Hub as ${hubName}`);
  const cacheRepo = flags.cacheRepo ?? (io.env.MAP_BUILD_CACHE_REPO || undefined);
  if (flags.cacheRepoReadonly && !cacheRepo) {
    throw new MapBuildError("E_USAGE", "--cache-repo-readonly needs a cache repository", { hint: "name it with --cache-repo REGISTRY/REPO or MAP_BUILD_CACHE_REPO" });
  }
  if (cacheRepo && !flags.cache) logger.info(`--no-cache: the cache repository ${cacheRepo} is not used either`);
  const { sinks, defaulted } = await outputSinks(flags, io, here, allowDefaultOutput);
  if (defaulted) logger.info(defaulted);
  const pip = await readPipConfig(io.env, io.env.HOME || homedir());
  if (pip.files.length) logger.debug(`pip configuration read from ${pip.files.join(", ")}`);
  return {
    wheelhouse: flags.wheelhouse?.map(hereDir),
    // flags first, then pip's own configuration (PIP_* variables, pip.conf), as pip would
    findLinks: [...(flags.findLinks?.map(hereDir) ?? []), ...pip.findLinks],
    indexUrl: flags.indexUrl ?? pip.indexUrl,
    extraIndexUrls: [...(flags.extraIndexUrl ?? []), ...pip.extraIndexUrls],
    trustedHosts: [...(flags.trustedHost ?? []), ...pip.trustedHosts],
    constraintFiles: pip.constraints.map((f) => here(f)),
    pre: flags.pre ?? pip.pre,
    noIndex: pip.noIndex,
    defaultIndexUrl: io.env.MAP_BUILD_DEFAULT_INDEX_URL ?? PUBLIC_INDEX_URL,
    lockFile: here(flags.lockFile),
    locked: here(flags.locked),
    strictLibs: flags.strictLibs,
    pythonVersion: flags.pythonVersion,
    compression: flags.compression,
    compressionLevel: flags.compressionLevel,
    noCache: !flags.cache,
    cacheDir: here(flags.cacheDir) ?? defaultCacheDir(io.env),
    ...cacheMaxBytes(flags.cacheMaxSize, io.env),
    cacheRepo,
    cacheRepoReadonly: flags.cacheRepoReadonly,
    sourceDateEpoch: sourceDateEpoch(io.env),
    sinks,
    keychain: await buildKeychain({ ...registryLogin, authfile: here(registryLogin.authfile), tag: flags.tag }, io),
    insecureRegistries: flags.insecureRegistry ?? [],
    registryTuning: registryTuningFromEnv(io.env),
    progress: view.sink,
    logger,
    signal: io.signal,
  };
}

export async function runPackage(appPath: string, flags: PackageFlags, io: CliIO, verbosity: Verbosity, deps: PackageDeps): Promise<number> {
  if (flags.passwordStdin && !flags.username) {
    throw new MapBuildError("E_USAGE", "--password-stdin needs --username", { hint: "pass --username USER --password-stdin and pipe the password in" });
  }
  const ctx = cliContext(io, verbosity);
  const { here } = ctx.paths;
  const options: PackageMapOptions = {
    appPath: here(appPath),
    tag: flags.tag,
    model: here(flags.model),
    base: flags.base ?? io.env.MONAI_BASEIMAGE ?? DEFAULT_BASE_IMAGE,
    platform: flags.platform,
    labels: parseKeyValues("--label", flags.label, LEGACY_LABELS),
    annotations: parseKeyValues("--annotation", flags.annotation),
    workingDir: flags.workingDir,
    inputDir: flags.inputDir,
    outputDir: flags.outputDir,
    modelsDir: flags.modelsDir,
    timeout: flags.timeout,
    version: flags.version,
    requirements: here(flags.requirements),
    cpu: flags.cpu,
    gpu: flags.gpu,
    memory: flags.memory,
    sdkVersion: flags.sdkVersion,
    noSdk: !flags.sdk,
    sdkWheel: here(flags.sdkWheel),
    ...(await sharedBuildOptions(flags, ctx, flags)),
    supplyChain: supplyChainOptions(flags, here, DEFAULT_SBOM_IN_IMAGE),
  };
  return buildAndReport(options, flags, ctx, deps);
}

/** The labels a legacy MAP sets itself (`--label` may not replace them). */
const LEGACY_LABELS = ["base", "tag", "version", "sdk_version"];

/** `--sbom`, `--provenance`, `--sbom-format`, `--sbom-in-image [path]` (else `defaultInImage`), `--no-attach`. */
export function supplyChainOptions(flags: BuildFlags, here: PathResolvers["here"], defaultInImage: string): SupplyChainOptions {
  return {
    sbomFormat: flags.sbomFormat,
    sbomFile: here(flags.sbom),
    provenanceFile: here(flags.provenance),
    sbomInImage: flags.sbomInImage === true ? (flags.sbomFormat === "spdx" ? defaultInImage.replace(/\.cdx\.json$/, ".spdx.json") : defaultInImage) : flags.sbomInImage || undefined,
    attach: flags.attach,
    // No wall clock: map-build's builds are reproducible whether or not SOURCE_DATE_EPOCH is set
    // (it defaults to 0), and the provenance travels with the image in pushes, layouts and
    // tarballs, so start/finish times would make two identical builds write different bytes.
    // Library callers who want them pass `clock`.
  };
}

export function cliContext(io: CliIO, verbosity: Verbosity): SharedContext {
  return {
    io,
    logger: createLogger(io.stderr, verbosity),
    view: createProgressView(io.stderr, verbosity === "debug" || verbosity === "info", { signal: io.signal }),
    paths: pathResolvers(io),
  };
}

/** Run the build, then print: `ref@digest` or the digest on stdout (or the JSON result), outputs on stderr. */
export async function buildAndReport(options: PackageMapOptions | PackageMap1Options, flags: Pick<BuildFlags, "json" | "digestFile" | "metadataFile">, ctx: SharedContext, deps: PackageDeps): Promise<number> {
  const { io, logger, view } = ctx;
  const resultFiles = { digestFile: ctx.paths.here(flags.digestFile), metadataFile: ctx.paths.here(flags.metadataFile) };
  await checkResultFiles(resultFiles);
  let result: PackageMapResult;
  try {
    result = await deps.packageMap(options);
    view.finish({ summary: true });
  } finally {
    view.finish();
  }
  for (const w of result.warnings) logger.warn(w);
  await writeResultFiles(result, resultFiles);
  if (flags.json) {
    io.stdout.write(resultJson(result));
  } else {
    for (const o of result.outputs) {
      logger.info(`${o.kind}: ${o.target}${o.digest ? ` (${o.digest})` : ""}`);
      if (o.platformNames) logger.info(`${o.kind}: each platform also named ${o.platformNames.join(", ")}`);
    }
    if ("platforms" in result) for (const p of (result as MultiPlatformResult).platforms) logger.info(`${p.platform}: ${p.digest}`);
    // `ref@digest` per pushed name, else the digest alone, so scripts can capture it (like crane)
    for (const line of stdoutLines(result)) io.stdout.write(`${line}\n`);
  }
  return 0;
}
