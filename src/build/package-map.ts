/**
 * packageMap(): build a MONAI Application Package the way `monai-deploy package` did, without a
 * daemon. Reads the base's manifest and config only, writes new layers (in parallel, each in one
 * streaming pass), appends them, then writes it to every sink the caller chose.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MapBuildError, isMapBuildError } from "../errors.js";
import { appendLayers, hostPlatform, imageFamily, layerForFamily, parsePlatform, type History, type LayerAddition } from "../image/index.js";
import type { FileLayer } from "../layer/index.js";
import { openLayerCache, writeLayerCached } from "../cache/index.js";
import { analyzeApp, mapConfigChanges, planModels, renderExecutor, renderManifests, type ModelPlan } from "../map/index.js";
import { parseReference } from "../reference/index.js";
import { RegistryClient } from "../registry/index.js";
import { silentLogger } from "../progress.js";
import type { SinkContext } from "../sinks/index.js";
import { resolveAppMetadata } from "./app-metadata.js";
import { openBaseImage } from "./base-image.js";
import { appLayer, modelLayer, skeletonLayer, type PlannedLayer } from "./map-entries.js";
import type { LayerSummary, OutputSummary, PackageMapOptions, PackageMapResult } from "./options.js";
import { pythonLayers } from "./python-layers.js";
import { requirementsList, withSdkRequirements } from "./requirements-list.js";
import { runBounded } from "./run-bounded.js";
import { checkBasePlatform } from "./preflight.js";

export async function packageMap(opts: PackageMapOptions): Promise<PackageMapResult> {
  if (opts.sinks.length === 0) throw new MapBuildError("E_USAGE", "no output chosen", { hint: "choose at least one output for the image" });
  const logger = opts.logger ?? silentLogger;
  const tag = parseReference(opts.tag);
  const platform = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
  let client: RegistryClient | undefined;
  const getClient = () => (client ??= new RegistryClient({ ...opts.registryTuning, keychain: opts.keychain, insecureRegistries: opts.insecureRegistries, logger }));
  const sinkContext: SinkContext = { name: tag, registry: getClient, progress: opts.progress, signal: opts.signal };
  for (const sink of opts.sinks) await sink.preflight?.(sinkContext);
  const work = await mkdtemp(join(opts.tmpDir ?? tmpdir(), "map-build-"));
  const built: FileLayer[] = [];
  try {
    // 1. what the app and models are (static: nothing runs)
    const cache = opts.noCache || !opts.cacheDir ? undefined : await openLayerCache({ dir: opts.cacheDir });
    const app = await analyzeApp(opts.appPath);
    const digest = cache ? (files: readonly string[]) => cache.contentDigest(files, opts.signal) : undefined;
    const models: ModelPlan[] = opts.model ? await planModels(opts.model, opts.modelsDir, { digest }) : [];
    const warnings = [...app.warnings, ...models.flatMap((m) => m.warnings)];

    // 2. the base: manifest and config only
    const base = await openBaseImage(opts.base, platform, getClient, opts.signal, { cacheDir: opts.noCache ? undefined : opts.cacheDir });
    const family = await imageFamily(base.image);
    const baseConfig = await base.image.config();
    if (opts.platform) checkBasePlatform(baseConfig, platform, base.label);
    logger.debug(`base ${base.label}: ${(await base.image.layers()).length} layers, ${family} media types`);

    // 3. python dependencies and the SDK (may tell us the SDK version)
    const pip = await requirementsList(app, opts);
    const python = await pythonLayers(pip, opts, {
      base: base.image,
      baseConfig,
      baseLabel: base.label,
      platform,
      work,
      cacheDir: opts.cacheDir ?? join(work, "cache"),
      logger,
    });
    warnings.push(...python.warnings);

    // 4. manifests and config
    const meta = resolveAppMetadata(app, opts, python.sdkVersion);
    const changes = mapConfigChanges({
      workingDir: opts.workingDir,
      inputDir: opts.inputDir,
      outputDir: opts.outputDir,
      modelsDir: opts.modelsDir,
      timeout: opts.timeout,
      baseEnv: baseConfig.config?.Env,
      base: base.label,
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

    // 5. layers, least often changed first
    const planned: PlannedLayer[] = [
      ...python.layers,
      ...(await Promise.all(models.map(modelLayer))),
      await appLayer(app, opts.appPath, withSdkRequirements(pip, python.sdkRequires, opts)),
      skeletonLayer(changes, executor, manifests.appJson, manifests.pkgJson),
    ];
    const mtime = opts.sourceDateEpoch ?? 0;
    const fromCache = new Set<number>();
    const layers = await runBounded(planned, undefined, async (p, i) => {
      const compression = opts.compression === "none" || !p.compressible ? "none" : "gzip";
      const { layer, cached } = await writeLayerCached(cache, p.entries, {
        compression,
        level: opts.compressionLevel,
        family,
        tmpDir: work,
        mtime,
        id: p.id,
        progress: opts.progress,
        signal: opts.signal,
      });
      if (cached) {
        fromCache.add(i);
        opts.progress?.({ id: p.id, phase: "cached", bytes: await layer.size() });
      }
      built.push(layer); // dispose() deletes temp files only; cached blobs stay
      return layer;
    });

    // 6. the image
    const created = new Date(mtime * 1000).toISOString().replace(/\.000Z$/, "Z");
    const additions: LayerAddition[] = planned.map((p, i) => ({ layer: layerForFamily(layers[i]!, family), history: { created, created_by: p.createdBy } }));
    const configHistory: History[] = [{ created, created_by: "map-build: ENV MONAI_* PATH; LABEL base tag version sdk_version; WORKDIR; USER root; ENTRYPOINT monai-exec", empty_layer: true }];
    const image = appendLayers(base.image, additions, {
      created,
      configHistory,
      changes: {
        env: changes.env,
        labels: changes.labels,
        workingDir: changes.workingDir,
        user: changes.user,
        entrypoint: changes.entrypoint,
        cmd: null,
      },
    });

    // 7. outputs
    const outputs: OutputSummary[] = [];
    for (const sink of opts.sinks) outputs.push(await sink.write(image, sinkContext));
    const manifest = await image.manifest();
    const baseCount = manifest.layers.length - planned.length;
    const summaries: LayerSummary[] = await Promise.all(
      (await image.layers()).map(async (l, i) => ({
        role: i < baseCount ? "base" : planned[i - baseCount]!.id,
        digest: await l.digest(),
        diffId: await l.diffId(),
        size: await l.size(),
        mediaType: await l.mediaType(),
        origin: i < baseCount ? ("base" as const) : fromCache.has(i - baseCount) ? ("cached" as const) : ("built" as const),
      })),
    );
    const rawManifest = await image.rawManifest();
    return {
      digest: await image.digest(),
      tag: tag.toString(),
      mediaType: await image.mediaType(),
      size: rawManifest.length + manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0),
      layers: summaries,
      outputs,
      appJson: manifests.appJson.toString("utf8"),
      pkgJson: manifests.pkgJson.toString("utf8"),
      warnings,
    };
  } catch (e) {
    if (opts.signal?.aborted && !isMapBuildError(e)) throw new MapBuildError("E_INTERRUPTED", "interrupted", { cause: e });
    throw e;
  } finally {
    await Promise.all(built.map((l) => l.dispose().catch(() => {})));
    await rm(work, { recursive: true, force: true });
    await client?.close().catch(() => {});
  }
}
