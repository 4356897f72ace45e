/**
 * packageMap({ format: "1.0" }): a MAP 1.0 as holoscan-cli 4.2.0's `holoscan/monai-deploy package
 * -c app.yaml` built it (map-format.md §2), without a daemon: app.yaml and the app are read
 * statically, the run-as user is added by editing the base's account files, Python packages are
 * installed host-side into that user's site, and nothing runs in the base image.
 */
import { access, constants, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { MapBuildError, optionName } from "../errors.js";
import { imageFamily, parsePlatform } from "../image/index.js";
import { isIgnored, safeAppFileName } from "../map/index.js";
import { readAppConfig, versionString, type AppConfig } from "../map1/index.js";
import { map1ConfigChanges, userHome, type SdkKind } from "../map1/index.js";
import { appCommand, renderMap1Manifests, type AppKind } from "../map1/index.js";
import { planMap1Models } from "../map1/index.js";
import { holoscanPlatforms, HOLOSCAN_BASE_IMAGES } from "../map1/index.js";
import { holoscanReleaseVersion, holoscanTag, normalizePep440, pep440BaseVersion } from "../map1/index.js";
import { renderToolsScript } from "../map1/index.js";
import { dockerTarballSink } from "../sinks/index.js";
import { assembleImage, runBuild, type BuildContext } from "./assemble.js";
import { openBaseImage } from "../source/index.js";
import { ACCOUNT_SCAN, docsLayer, folderLayer, libLayer, map1AppLayer, map1SkeletonLayer, ownUserSite, userLayer } from "./map1-entries.js";
import { BaseScanner } from "./base-scan.js";
import { editDeferred, modelLayer, type NewLayer } from "../map/index.js";
import type { PackageMap1Options, PackageMapResult } from "./options.js";
import { checkBasePlatform } from "./preflight.js";
import { pythonLayers, type SdkChoice } from "./python-layers.js";
import { collectMap1Facts } from "./map1-facts.js";
import type { Layer } from "../image/index.js";
import type { BuildParameters } from "../sbom/index.js";

/** What upstream would detect, refusing what needs a compiler. */
async function appKind(path: string): Promise<{ kind: AppKind; folder: string; file?: string }> {
  const st = await stat(path).catch((cause: unknown) => {
    throw new MapBuildError("E_APP_INVALID", `cannot read the application ${path}`, { cause, hint: "pass a folder with __main__.py, a .py file or an executable" });
  });
  const exists = (p: string) => stat(p).then(() => true, () => false);
  if (st.isDirectory()) {
    if (await exists(join(path, "__main__.py"))) return { kind: "python-module", folder: path };
    if (await exists(join(path, "CMakeLists.txt"))) {
      throw new MapBuildError("E_USAGE", "not supported: building C++ applications (CMakeLists.txt)", {
        hint: "prebuild and pass the binary folder: build the app with the Holoscan build image, then package the executable",
      });
    }
  } else if (st.isFile()) {
    if (path.endsWith(".py")) return { kind: "python-file", folder: dirname(path), file: safeAppFileName(basename(path)) };
    if (await access(path, constants.X_OK).then(() => true, () => false)) return { kind: "binary", folder: dirname(path), file: safeAppFileName(basename(path)) };
  }
  throw new MapBuildError("E_APP_INVALID", `unable to determine the application type of ${path}`, {
    hint: "pass a Python folder with __main__.py, a .py file or an executable (C++ apps: prebuild and pass the binary)",
  });
}

function sdkChoice(sdk: SdkKind, version: string | undefined): SdkChoice {
  const dist = sdk === "holoscan" ? "holoscan" : "monai-deploy-app-sdk";
  return { dist, requirement: version ? `${dist}==${version}` : dist, label: sdk === "holoscan" ? "Holoscan SDK" : "MONAI Deploy App SDK" };
}

/** The version of the first of `names` installed now or found in the base. */
function versionOf(names: readonly string[], installed: readonly { name: string; version: string }[], inBase: ReadonlyMap<string, string>): string | undefined {
  for (const n of names) {
    const hit = installed.find((d) => d.name.toLowerCase().replace(/[-_.]+/g, "-") === n)?.version ?? inBase.get(n);
    if (hit) return hit;
  }
  return undefined;
}

const HOLOSCAN_DISTS = ["holoscan", "holoscan-cu12", "holoscan-cu13"];

/** holoscan-cli 4.x's dGPU base (releases/4.2.0/artifacts.json): fine for binaries, has no Python. */
export const MAP1_BINARY_BASE = HOLOSCAN_BASE_IMAGES.dgpu;

/** The version a MAP 1.0 is tagged with: `--version`, else app.yaml's. */
export function map1AppVersion(version: string | undefined, config: AppConfig): string {
  return version !== undefined ? normalizePep440(version, optionName("version")) : versionString(config.version);
}

/** The provenance's external parameters of a MAP 1.0 build, in the legacy builder's terms. */
function map1Parameters(opts: PackageMap1Options, base: string): BuildParameters {
  const { appPath, tag, platform, timeout, version, sdkVersion, sdkWheel, wheelhouse, findLinks, indexUrl, extraIndexUrls, pythonVersion, compression, compressionLevel } = opts;
  return { appPath, tag, base, model: opts.models, platform, timeout, version, sdkVersion, sdkWheel, wheelhouse, findLinks, indexUrl, extraIndexUrls, pythonVersion, compression, compressionLevel };
}

/** What packageMap1 settles before the build starts: names, versions, the base, the outputs. */
interface Map1Plan {
  hp: ReturnType<typeof holoscanPlatforms>[number];
  platform: ReturnType<typeof parsePlatform>;
  sdk: SdkKind;
  sdkVersion: string | undefined;
  user: { name: string; uid: number; gid: number; epoch: number };
  app: Awaited<ReturnType<typeof appKind>>;
  config: AppConfig;
  appVersion: string;
  tag: string;
  timeout: number;
  baseRef: string;
  sinks: PackageMap1Options["sinks"];
}

/** One platform (package-map1-multi.ts builds several). */
export async function packageMap1(opts: PackageMap1Options): Promise<PackageMapResult> {
  const platforms = holoscanPlatforms(opts.platform, opts.platformConfig);
  if (platforms.length > 1) throw new MapBuildError("E_USAGE", `${platforms.length} platforms given to a single-platform build`, { hint: "call packageMap, which builds several" });
  const hp = platforms[0]!;
  const app = await appKind(opts.appPath);
  const config = await readAppConfig(opts.configPath);
  const appVersion = map1AppVersion(opts.version, config);
  const tag = opts.exactTag ? opts.tag : holoscanTag(opts.tag, hp, appVersion);
  const timeout = opts.timeout ?? 0;
  if (!Number.isSafeInteger(timeout) || timeout < 0) throw new MapBuildError("E_USAGE", `invalid timeout ${timeout}`, { hint: "pass a whole number of seconds" });
  // holoscan-cli's output folder: <dir>/<tag>.tar
  const sinks = opts.tarballDir ? [dockerTarballSink(join(opts.tarballDir, `${tag.replace(/[:/]/g, "-")}.tar`)), ...opts.sinks] : opts.sinks;
  const plan: Map1Plan = {
    hp,
    platform: parsePlatform(hp.oci),
    sdk: opts.sdk ?? "monai-deploy",
    sdkVersion: opts.sdkVersion !== undefined ? pep440BaseVersion(opts.sdkVersion) : undefined,
    user: { name: opts.username ?? "holoscan", uid: opts.uid ?? 1000, gid: opts.gid ?? 1000, epoch: opts.sourceDateEpoch ?? 0 },
    app,
    config,
    appVersion,
    tag,
    timeout,
    baseRef: map1BaseRef(opts, app.kind, hp),
    sinks,
  };
  return runBuild({ ...opts, tag, sinks }, (ctx) => buildMap1(ctx, opts, plan));
}

function map1BaseRef(opts: PackageMap1Options, kind: AppKind, hp: Map1Plan["hp"]): string {
  const baseRef = opts.base || (kind === "binary" ? HOLOSCAN_BASE_IMAGES[hp.config] : "");
  if (!baseRef) {
    throw new MapBuildError("E_USAGE", "a Python MAP 1.0 needs a base image that has python3", {
      hint: `name one, e.g. an NGC pytorch image or python:3.12-slim (holoscan-cli's default ${MAP1_BINARY_BASE} has no Python: it installed one with apt, and map-build runs nothing)`,
    });
  }
  return baseRef;
}

async function buildMap1(ctx: BuildContext, opts: PackageMap1Options, plan: Map1Plan): Promise<PackageMapResult> {
  const { hp, platform, sdk, user, app, config, appVersion, timeout, baseRef, sinks } = plan;
  const models = opts.models ? await planMap1Models(opts.models) : [];
  const base = await openBaseImage(baseRef, platform, ctx.client, opts.signal, { cacheDir: opts.noCache ? undefined : opts.cacheDir, cacheMaxBytes: opts.cacheMaxBytes });
  const family = await imageFamily(base.image);
  const baseConfig = await base.image.config();
  checkBasePlatform(baseConfig, platform, base.label);

  // the user first: pip installs into its home
  // one pass over the base for the user's account files and, for a Python app, the Python step
  const pythonScan = app.kind === "binary" ? [] : [(await import("./python-base-scan.js")).PYTHON_BASE_SCAN];
  const baseScanner = new BaseScanner(base.image, opts.noCache ? undefined : (opts.cacheDir ?? join(ctx.work, "cache")), [ACCOUNT_SCAN, ...pythonScan]);
  const account = await userLayer(baseScanner, user);
  const home = userHome(user.name);
  const ids = { uid: user.uid, gid: user.gid };
  const python = await map1Python(ctx, opts, plan, { base, baseConfig, home, ids, baseScanner });
  const versions = map1Versions(opts, plan, python);

  const manifests = renderMap1Manifests({
    config,
    appKind: app.kind,
    appFile: app.file,
    sdk,
    sdkVersion: versions.manifestSdkVersion,
    timeout,
    models: models.map((m) => m.name),
    platformConfig: hp.config,
  });
  const libs = opts.addLibs?.length ? await libLayer(opts.addLibs) : undefined;
  const command = JSON.parse(appCommand(app.kind, app.file)) as string[];
  const modelLayers = await Promise.all(models.map((m) => modelLayer(m, { ignore: isIgnored })));
  const appPlanned = await map1AppLayer(app.folder);
  const skeleton = map1SkeletonLayer({ appJson: manifests.appJson, pkgJson: manifests.pkgJson, appYaml: config.raw, tools: renderToolsScript(command), uid: user.uid });
  const planned: NewLayer[] = [
    account.layer,
    ...(python?.layers ?? []).map((l) => editDeferred(l, { ownUserSite: [home, account.edit.homeMode, ids] }, (es) => ownUserSite(es, home, account.edit.homeMode, ids))),
    ...modelLayers,
    ...(opts.docs ? [await docsLayer(opts.docs)] : []),
    ...(libs ? [libs.layer] : []),
    ...(opts.inputData ? [await folderLayer("input-data", opts.inputData, "/var/holoscan/input")] : []),
    appPlanned,
    skeleton,
  ];
  const facts = async (layers: readonly Layer[]) =>
    collectMap1Facts(ctx, {
      version: appVersion,
      sdkVersion: versions.manifestSdkVersion,
      base: { reference: base.label, digest: await base.image.digest() },
      platform: { os: baseConfig.os ?? platform.os, architecture: baseConfig.architecture ?? platform.architecture, ...(baseConfig.variant ? { variant: baseConfig.variant } : {}) },
      python: python?.distributions ?? [],
      models: models.map((model, i) => ({ model, entries: modelLayers[i]!.entries })),
      appEntries: appPlanned.entries,
      mapEntries: skeleton.entries,
      appTreeDigest: await layers[planned.indexOf(appPlanned)]!.diffId(),
      sourceDateEpoch: user.epoch,
      signal: opts.signal,
    });
  const changes = imageConfigChanges(opts, plan, { baseLabel: base.label, pythonVersion: python?.pythonVersion, versions, libPaths: libs?.libPaths });
  let libraryWarnings: string[] = [];
  const assembled = await assembleImage(ctx, { ...opts, sinks }, {
    base: base.image,
    family,
    planned,
    // the MAP's own labels win over the caller's
    changes: { ...changes, labels: { ...opts.labels, ...changes.labels } },
    configStep: "map-build: ENV HOLOSCAN_* PATH LD_LIBRARY_PATH; LABEL base tag org.opencontainers.image.* org.nvidia.holoscan; WORKDIR /var/holoscan; USER; ENTRYPOINT tools",
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
    attest: { facts, params: map1Parameters(opts, baseRef) },
    ...(python ? { alongside: async (signal: AbortSignal) => { libraryWarnings = await python.checkLibraries(signal); } } : {}),
  });
  return {
    ...assembled,
    appJson: manifests.appJson.toString("utf8"),
    pkgJson: manifests.pkgJson.toString("utf8"),
    warnings: [...(python?.warnings ?? []), ...libraryWarnings, ...ctx.warnings],
  };
}

type OpenedBase = Awaited<ReturnType<typeof openBaseImage>>;

/** The Python layers, installed into the run-as user's site; none for a binary app. */
async function map1Python(
  ctx: BuildContext,
  opts: PackageMap1Options,
  plan: Map1Plan,
  at: { base: OpenedBase; baseConfig: Awaited<ReturnType<OpenedBase["image"]["config"]>>; home: string; ids: { uid: number; gid: number }; baseScanner: BaseScanner },
) {
  const { app, config } = plan;
  if (app.kind === "binary") return undefined;
  const requirementsFile = join(app.folder, "requirements.txt");
  const hasRequirements = await stat(requirementsFile).then((s) => s.isFile(), () => false);
  return pythonLayers({ pipPackages: config.pipPackages, requirementsFiles: hasRequirements ? [requirementsFile] : [] }, opts, {
    base: at.base.image,
    baseConfig: at.baseConfig,
    baseLabel: at.base.label,
    baseScanner: at.baseScanner,
    platform: plan.platform,
    work: ctx.work,
    cacheDir: opts.cacheDir ?? join(ctx.work, "cache"),
    ...(ctx.cache ? { digestFile: (p: string) => ctx.cache!.contentDigest([p], opts.signal) } : {}),
    logger: ctx.logger,
    sdk: sdkChoice(plan.sdk, plan.sdkVersion),
    installFor: (py) => ({
      sitePackages: `${at.home}/.local/lib/python${py}/site-packages`,
      scriptsDir: `${at.home}/.local/bin`,
      dataDir: `${at.home}/.local`,
      ...at.ids,
    }),
  });
}

/** The SDK versions the manifests and labels record, from the options, the installed wheels or the base. */
function map1Versions(opts: PackageMap1Options, plan: Map1Plan, python: Awaited<ReturnType<typeof map1Python>>) {
  const { sdk, sdkVersion } = plan;
  const installed = python?.installed ?? [];
  const inBase = python?.inBase ?? new Map<string, string>();
  const monaiVersion = sdkVersion ?? versionOf(["monai-deploy-app-sdk"], installed, inBase);
  const holoscanFound = versionOf(HOLOSCAN_DISTS, installed, inBase);
  const holoscanVersion =
    (sdk === "holoscan" ? sdkVersion : undefined) ?? (opts.holoscanVersion ? pep440BaseVersion(opts.holoscanVersion) : undefined) ?? (holoscanFound ? holoscanReleaseVersion(holoscanFound) : undefined);
  if (!holoscanVersion) {
    throw new MapBuildError("E_USAGE", "cannot tell the Holoscan SDK version: no holoscan wheel was installed and the base has none", {
      hint: `pass the Holoscan SDK version${sdk === "holoscan" ? "" : " the app runs on"} (${optionName(sdk === "holoscan" ? "sdkVersion" : "holoscanVersion")})`,
    });
  }
  const manifestSdkVersion = sdk === "holoscan" ? holoscanVersion : monaiVersion && pep440BaseVersion(monaiVersion);
  if (!manifestSdkVersion) {
    throw new MapBuildError("E_USAGE", "cannot tell the MONAI Deploy App SDK version: it was not installed", { hint: `pass the App SDK version (${optionName("sdkVersion")})` });
  }
  return { monaiVersion, holoscanVersion, manifestSdkVersion };
}

/** What the MAP 1.0 changes in the base's config (env, labels, user, entrypoint). */
function imageConfigChanges(
  opts: PackageMap1Options,
  plan: Map1Plan,
  got: { baseLabel: string; pythonVersion: string | undefined; versions: ReturnType<typeof map1Versions>; libPaths: string[] | undefined },
) {
  return map1ConfigChanges({
    username: plan.user.name,
    pythonVersion: got.pythonVersion ?? opts.pythonVersion ?? "3.12",
    timeout: plan.timeout,
    holoscanVersion: got.versions.holoscanVersion,
    sdk: plan.sdk,
    monaiDeploySdkVersion: got.versions.monaiVersion && pep440BaseVersion(got.versions.monaiVersion),
    base: got.baseLabel,
    tag: plan.tag,
    title: plan.config.title,
    version: plan.appVersion,
    libPaths: got.libPaths,
  });
}
