/**
 * packageMap(): build a MONAI Application Package the way `monai-deploy package` did, without a
 * daemon. Reads the base's manifest and config only, writes new layers (in parallel, each in one
 * streaming pass), appends them, then writes it to every sink the caller chose.
 */
import { join } from "node:path";
import { hostPlatform, imageFamily, parsePlatform } from "../image/index.js";
import {
  analyzeApp, appLayer, buildFactLabels, mapConfigChanges, modelLayer, planModels, renderExecutor, renderManifests, requirementsList,
  resolveAppMetadata, skeletonLayer, withSdkRequirements, type ModelPlan, type NewLayer,
} from "../map/index.js";
import { assembleImage, runBuild } from "./assemble.js";
import { baseIdentity, openBaseImage } from "../source/index.js";
import type { PackageMap1Options, PackageMapOptions, PackageMapResult } from "./options.js";
import { pythonLayers } from "./python-layers.js";
import { checkBasePlatform } from "./preflight.js";
import { collectBuildFacts } from "./build-facts.js";
import { hashFile } from "../hash-file.js";
import type { Layer } from "../image/index.js";
import { packageMultiPlatform } from "./multi-platform.js";
import { isMultiPlatform } from "./platform-list.js";
import { holoscanPlatforms } from "../map1/index.js";

export async function packageMap(opts: PackageMapOptions | PackageMap1Options): Promise<PackageMapResult> {
  if (opts.format === "1.0") {
    const platforms = holoscanPlatforms(opts.platform, opts.platformConfig);
    if (platforms.length > 1) return (await import("./package-map1-multi.js")).packageMap1MultiPlatform(opts, platforms);
    return (await import("./package-map1.js")).packageMap1(opts);
  }
  if (isMultiPlatform(opts.platform)) return packageMultiPlatform({ ...opts, platform: opts.platform! }, packageMap);
  return packageLegacy(opts);
}

/** One legacy MAP for one platform. */
function packageLegacy(opts: PackageMapOptions): Promise<PackageMapResult> {
  const platform = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
  return runBuild(opts, async (ctx) => {
    const { work, logger, client: getClient, cache } = ctx;
    // 1. what the app and models are (static: nothing runs)
    const app = await analyzeApp(opts.appPath);
    const digest = cache ? (files: readonly string[]) => cache.contentDigest(files, opts.signal) : undefined;
    const models: ModelPlan[] = opts.model ? await planModels(opts.model, opts.modelsDir, { digest }) : [];
    const warnings = [...app.warnings, ...models.flatMap((m) => m.warnings)];

    // 2. the base: manifest and config only
    const base = await openBaseImage(opts.base, platform, getClient, opts.signal, { cacheDir: opts.noCache ? undefined : opts.cacheDir, cacheMaxBytes: opts.cacheMaxBytes });
    const family = await imageFamily(base.image);
    const baseConfig = await base.image.config();
    if (opts.platform) checkBasePlatform(baseConfig, platform, base.label);
    logger.debug(`base ${base.label}: ${(await base.image.layers()).length} layers, ${family} media types`);

    // 3. python dependencies and the SDK (may tell us the SDK version)
    const pip = await requirementsList(app, opts);
    const python = await pythonLayers(pip, opts, {
      app,
      base: base.image,
      baseConfig,
      baseLabel: base.label,
      platform,
      work,
      cacheDir: opts.cacheDir ?? join(work, "cache"),
      ...(cache ? { digestFile: (p: string) => cache.contentDigest([p], opts.signal) } : {}),
      logger,
    });
    warnings.push(...python.warnings);

    // 4. manifests and config
    const identity = await baseIdentity(base);
    const meta = resolveAppMetadata(app, opts, python.sdkVersion);
    const { changes, manifests, executor } = renderMapFiles(opts, { app, models, meta, baseEnv: baseConfig.config?.Env, baseLabel: identity.label });

    // 5. layers, least often changed first
    const modelLayers = await Promise.all(models.map((m) => modelLayer(m)));
    const appPlanned = await appLayer(app, opts.appPath, withSdkRequirements(pip, python.sdkRequires, opts));
    const skeleton = skeletonLayer(changes, executor, manifests.appJson, manifests.pkgJson);
    const planned: NewLayer[] = [...python.layers, ...modelLayers, appPlanned, skeleton];
    // the SBOM's facts: every file was hashed for the cache key already (stat index), or is in memory
    const facts = async (layers: readonly Layer[]) =>
      collectBuildFacts({
        tag: ctx.tag,
        version: meta.version,
        sdkVersion: meta.sdkVersion,
        base: { reference: base.label, digest: await base.image.digest() },
        platform: platformOf(baseConfig),
        python: python.distributions,
        models: models.map((plan, i) => ({ plan, entries: modelLayers[i]!.entries })),
        appEntries: appPlanned.entries,
        mapEntries: skeleton.entries,
        appTreeDigest: await layers[planned.indexOf(appPlanned)]!.diffId(),
        sourceDateEpoch: opts.sourceDateEpoch ?? 0,
        fileSha256: (p) => (cache ? cache.contentDigest([p], opts.signal) : hashFile(p, opts.signal)),
      });
    let libraryWarnings: string[] = [];
    const assembled = await assembleImage(ctx, opts, {
      base: base.image,
      family,
      planned,
      changes: imageConfigChanges(opts, changes, python.sdkVersion === undefined),
      configStep: "map-build: ENV MONAI_* PATH; LABEL base tag version sdk_version; WORKDIR; USER root; ENTRYPOINT monai-exec",
      annotations: { ...identity.annotations, ...opts.annotations },
      attest: { facts, params: opts },
      alongside: async (signal) => {
        libraryWarnings = await python.checkLibraries(signal);
      },
    });
    return {
      ...assembled,
      appJson: manifests.appJson.toString("utf8"),
      pkgJson: manifests.pkgJson.toString("utf8"),
      warnings: [...warnings, ...libraryWarnings, ...ctx.warnings],
    };
  });
}

type AppInfo = Awaited<ReturnType<typeof analyzeApp>>;

/** The MAP's own files and config changes: app.json/pkg.json, the executor script, env, labels, paths. */
function renderMapFiles(
  opts: PackageMapOptions,
  inputs: { app: AppInfo; models: readonly ModelPlan[]; meta: ReturnType<typeof resolveAppMetadata>; baseEnv: string[] | null | undefined; baseLabel: string },
) {
  const { app, models, meta } = inputs;
  const changes = mapConfigChanges({
    workingDir: opts.workingDir,
    inputDir: opts.inputDir,
    outputDir: opts.outputDir,
    modelsDir: opts.modelsDir,
    timeout: opts.timeout,
    baseEnv: inputs.baseEnv,
    base: inputs.baseLabel,
    tag: opts.tag,
    version: meta.version,
    sdkVersion: meta.sdkVersion,
  });
  const manifests = renderManifests({
    command: app.command,
    version: meta.version,
    sdkVersion: meta.sdkVersion,
    workingDir: changes.paths.workingDir,
    inputDir: opts.inputDir,
    outputDir: opts.outputDir,
    timeout: opts.timeout,
    models: models.map((m) => ({ name: m.manifestName, path: m.manifestPath })),
    resources: meta.resources,
  });
  const executor = renderExecutor({
    command: app.command,
    workingDir: changes.paths.workingDir,
    inputPath: changes.paths.inputPath,
    outputPath: changes.paths.outputPath,
    modelsDir: changes.paths.modelsDir,
    timeout: opts.timeout,
  });
  return { changes, manifests, executor };
}

function platformOf(config: { os: string; architecture: string; variant?: string | undefined }) {
  return { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
}

/** What the MAP changes in the base's config. */
function imageConfigChanges(opts: PackageMapOptions, changes: ReturnType<typeof mapConfigChanges>, noSdkInstalled: boolean) {
  return {
    env: changes.env,
    // recorded whenever map-build installed no SDK (--no-sdk, or an app that does not import it)
    labels: { ...opts.labels, ...changes.labels, ...buildFactLabels({ noSdk: Boolean(opts.noSdk) || noSdkInstalled }) },
    workingDir: changes.workingDir,
    user: changes.user,
    entrypoint: changes.entrypoint,
    cmd: null,
  };
}
