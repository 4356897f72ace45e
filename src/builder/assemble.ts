/**
 * The part of a build every MAP format shares: a scratch folder, a lazy registry client and sink
 * preflight around the format's own planning (`runBuild`), then writing the planned layers (in
 * parallel, cached), appending them to the base with the format's config changes and delivering
 * the image to every sink (`assembleImage`).
 */
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { MapBuildError, isMapBuildError } from "../errors.js";
import { appendLayers, layerForFamily, type ConfigChanges, type History, type Image, type LayerAddition } from "../image/index.js";
import { FileLayer } from "../layer/index.js";
import { openLayerCache, writeDeferredLayerCached, writeLayerCached, type RemoteLayerLookup } from "../cache/index.js";
import { CacheRepo, type PublishItem } from "../cache-repo/index.js";
import { parseReference } from "../reference/index.js";
import type { ImageReference } from "../reference/index.js";
import { RegistryClient } from "../registry/index.js";
import { silentLogger, type Logger } from "../progress.js";
import type { SinkContext } from "../sinks/index.js";
import { runBounded } from "../run-bounded.js";
import { makeScratchDir } from "../scratch-dir.js";
import { sbomLayer, type NewLayer } from "../map/index.js";
import { attest, preflightAttestations, renderSbom } from "./attestations.js";
import type { BuildFacts, BuildParameters } from "../sbom/index.js";
import type { Layer } from "../image/index.js";
import type { LayerSummary, OutputSummary, PackageMapOptions, PackageMapResult } from "./options.js";
import { outputLabel, roleTable, sinkProgress } from "./progress-roles.js";

/** The options both formats share (PackageMapOptions minus the legacy-only fields). */
export type CommonBuildOptions = Pick<
  PackageMapOptions,
  | "tag" | "compression" | "compressionLevel" | "noCache" | "cacheDir" | "cacheMaxBytes" | "cacheRepo" | "cacheRepoReadonly" | "cacheNow" | "sourceDateEpoch" | "tmpDir" | "sinks"
  | "keychain" | "insecureRegistries" | "registryTuning" | "progress" | "logger" | "signal" | "supplyChain"
>;

export interface BuildContext {
  tag: ImageReference;
  work: string;
  logger: Logger;
  client: () => RegistryClient;
  sinkContext: SinkContext;
  cache: Awaited<ReturnType<typeof openLayerCache>> | undefined;
  /** The layer cache shared through a registry, when asked for (and a local cache is on). */
  cacheRepo: CacheRepo | undefined;
  /** Warnings for the build's result (the cache repository's). */
  warnings: string[];
  /** Layers written so far: their temp files go when the build ends. */
  built: FileLayer[];
  /** Wall-clock start, only when the caller gave a clock (the provenance's startedOn). */
  startedOn?: Date;
}

export async function runBuild<R>(opts: CommonBuildOptions, body: (ctx: BuildContext) => Promise<R>): Promise<R> {
  if (opts.sinks.length === 0) throw new MapBuildError("E_USAGE", "no output chosen", { hint: "choose at least one output for the image" });
  const logger = opts.logger ?? silentLogger;
  const tag = parseReference(opts.tag);
  let client: RegistryClient | undefined;
  const getClient = () => (client ??= new RegistryClient({ ...opts.registryTuning, keychain: opts.keychain, insecureRegistries: opts.insecureRegistries, logger }));
  const sinkContext: SinkContext = { name: tag, registry: getClient, progress: opts.progress, signal: opts.signal };
  const warnings: string[] = [];
  // constructed before any work, so that a malformed name fails at once; it sends nothing yet
  const useCacheRepo = opts.cacheRepo && !opts.noCache && opts.cacheDir;
  const cacheRepo = useCacheRepo ? new CacheRepo(opts.cacheRepo!, { client: getClient, readonly: opts.cacheRepoReadonly, warn: (m) => warnings.push(m), progress: opts.progress, signal: opts.signal }) : undefined;
  for (const sink of opts.sinks) await sink.preflight?.(sinkContext);
  await preflightAttestations(opts.supplyChain);
  const startedOn = opts.supplyChain?.clock?.();
  const work = await makeScratchDir(opts.tmpDir ?? tmpdir());
  const built: FileLayer[] = [];
  try {
    const cache = opts.noCache || !opts.cacheDir ? undefined : await openLayerCache({ dir: opts.cacheDir, ...(opts.cacheMaxBytes === undefined ? {} : { maxBytes: opts.cacheMaxBytes }), ...(opts.cacheNow ? { now: opts.cacheNow } : {}) });
    return await body({ tag, work, logger, client: getClient, sinkContext, cache, cacheRepo, warnings, built, ...(startedOn ? { startedOn } : {}) });
  } catch (e) {
    if (opts.signal?.aborted && !isMapBuildError(e)) throw new MapBuildError("E_INTERRUPTED", "interrupted", { cause: e });
    throw e;
  } finally {
    await Promise.all(built.map((l) => l.dispose().catch(() => {})));
    await rm(work, { recursive: true, force: true });
    await client?.close().catch(() => {});
  }
}

export interface AssembleInput {
  base: Image;
  family: Parameters<typeof layerForFamily>[1];
  /** New layers, least often changed first. */
  planned: readonly NewLayer[];
  changes: ConfigChanges;
  /** `created_by` of the config-only step (ENV, LABEL, USER, …) in the image history. */
  configStep: string;
  /** Manifest annotations (the OCI base name and digest, the caller's own). */
  annotations?: Record<string, string>;
  /** For the SBOM and provenance (none without it): the facts once the layers are written, and the parameters as given. */
  attest?: { facts: (layers: readonly Layer[]) => Promise<BuildFacts>; params: BuildParameters };
  /**
   * Work that may still fail the build, run while the layers are written (a check that is mostly
   * thread-pool work beside writes that are mostly main-thread work). Its failure stops the
   * writes and a write's failure stops it (through `signal`); both are awaited, and its own
   * failure wins over a write's, as if it had run first.
   */
  alongside?: (signal: AbortSignal) => Promise<void>;
}

export type AssembledImage = Omit<PackageMapResult, "appJson" | "pkgJson" | "warnings">;

export async function assembleImage(ctx: BuildContext, opts: CommonBuildOptions, input: AssembleInput): Promise<AssembledImage> {
  const { family } = input;
  const planned = [...input.planned];
  const mtime = opts.sourceDateEpoch ?? 0;
  const fromCache = new Set<number>();
  const remote = cacheRepoLookup(ctx, opts);
  const toPublish: PublishItem[] = [];
  const writeOne = async (p: NewLayer, i: number, signal: AbortSignal | undefined) => {
    const compression = opts.compression === "none" || !p.compressible ? "none" : "gzip";
    const writeOpts = { compression, level: opts.compressionLevel, family, tmpDir: ctx.work, mtime, id: p.id, progress: opts.progress, signal } as const;
    const deps = remote ? { remote } : {};
    const { layer, cached, key, remote: fromRepo } = "deferred" in p ? await writeDeferredLayerCached(ctx.cache, p.deferred, writeOpts, deps) : await writeLayerCached(ctx.cache, p.entries, writeOpts, deps);
    if (key !== undefined && !fromRepo) toPublish.push({ key, layer, id: p.id });
    if (cached) {
      fromCache.add(i);
      opts.progress?.({ id: p.id, phase: "cached", bytes: await layer.size() });
    }
    if (layer instanceof FileLayer) ctx.built.push(layer); // dispose() deletes temp files only; cached blobs stay
    return layer;
  };
  let layers: Layer[] = [];
  const writeAll = async (signal: AbortSignal) => {
    layers = await runBounded(planned, writeOne, { signal });
  };
  await runBounded([input.alongside ?? (async () => {}), writeAll], (task, _i, signal) => task(signal), { limit: 2, signal: opts.signal });
  const sc = opts.supplyChain ?? {};
  const facts = input.attest ? await input.attest.facts(layers) : undefined;
  if (facts && sc.sbomInImage) {
    const p = sbomLayer(sc.sbomInImage, renderSbom(facts, sc.sbomFormat));
    layers.push(await writeOne(p, planned.length, opts.signal));
    planned.push(p);
  }

  const created = new Date(mtime * 1000).toISOString().replace(/\.000Z$/, "Z");
  const additions: LayerAddition[] = planned.map((p, i) => ({ layer: layerForFamily(layers[i]!, family), history: { created, created_by: p.createdBy } }));
  const configHistory: History[] = [{ created, created_by: input.configStep, empty_layer: true }];
  const image = appendLayers(input.base, additions, { created, configHistory, changes: input.changes, annotations: input.annotations });

  const outputs: OutputSummary[] = [];
  const manifest = await image.manifest();
  const baseCount = manifest.layers.length - planned.length;
  const roles = roleTable({
    layers: manifest.layers.map((l, i) => ({ digest: l.digest, role: i < baseCount ? undefined : planned[i - baseCount]!.id })),
    manifestDigest: await image.digest(),
    configDigest: manifest.config.digest,
  });
  const attested = facts && input.attest ? await attest(image, facts, input.attest.params, sc, ctx.startedOn, mtime) : undefined;
  for (const sink of opts.sinks) {
    const progress = sinkProgress(opts.progress, roles, outputLabel(sink, ctx.tag));
    outputs.push(await sink.write(image, { ...ctx.sinkContext, progress, ...(attested?.referrers.length ? { referrers: attested.referrers } : {}) }));
  }
  // after the outputs: the blobs a push just sent are mounted into the cache repository, not uploaded again
  await ctx.cacheRepo?.publish(toPublish, pushedTo(ctx, outputs));
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
    tag: ctx.tag.toString(),
    mediaType: await image.mediaType(),
    size: rawManifest.length + manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0),
    layers: summaries,
    outputs,
    ...(attested ? { attestations: attested.summary } : {}),
    ...(ctx.cacheRepo ? { cacheRepo: { repository: ctx.cacheRepo.name, readonly: ctx.cacheRepo.readonly, ...ctx.cacheRepo.stats } } : {}),
  };
}

/**
 * How writeLayerCached consults the cache repository. When some output must read the layers'
 * bytes (a file, the engine, a push to another registry), a hit is downloaded into the local
 * cache; when every output is a push to the cache's registry, the layer stays there to be mounted.
 */
function cacheRepoLookup(ctx: BuildContext, opts: CommonBuildOptions): RemoteLayerLookup<Layer> | undefined {
  const repo = ctx.cacheRepo;
  if (repo === undefined || ctx.cache === undefined) return undefined;
  const download = opts.sinks.some((s) => s.readsLayerAt?.(repo.source, ctx.sinkContext) ?? true) ? ctx.cache : undefined;
  // (layerFor leaves replayable layers to the local cache when they would have to be downloaded)
  return (key, want) => repo.layerFor(key, want, download);
}

/** Where the image was pushed (the first push output), or the image's name: a blob there can be mounted. */
function pushedTo(ctx: BuildContext, outputs: readonly OutputSummary[]): { registry: string; repository: string } {
  const pushed = outputs.find((o) => o.kind === "push");
  const ref = pushed ? parseReference(pushed.target) : ctx.tag;
  return { registry: ref.registry, repository: ref.repository };
}
