/**
 * A multi-platform MAP: a single-platform build run once per platform, the images gathered into
 * an OCI image index (a Docker manifest list for a Docker-v2 base) and the index handed to every
 * sink, with each platform's SBOM and provenance attached to that platform's manifest.
 * Platform-independent layers (app, models, manifests) have the same content on every platform,
 * so the layer cache hands the second platform the first one's blobs and a push finds them by
 * HEAD: they are written and uploaded once.
 *
 * The builds nest (each platform's image is collected by a sink that starts the next platform), so
 * every platform's layers stay readable until the index is delivered, and nothing is delivered
 * unless every platform built.
 */
import { basename, dirname, join } from "node:path";
import { MapBuildError, isMapBuildError } from "../errors.js";
import { buildImageIndex, type MultiPlatformImage, type ReferrerArtifact } from "../image/index.js";
import { formatPlatform, type Image, type PlatformSpec } from "../image/index.js";
import type { Sink, SinkSummary } from "../sinks/index.js";
import type { SupplyChainOptions } from "./attestations.js";
import { runBuild, type BuildContext, type CommonBuildOptions } from "./assemble.js";
import { basePlatforms } from "./base-platforms.js";
import type { BuildAttestations, PackageMapOptions, PackageMapResult } from "./options.js";
import { choosePlatforms, parsePlatformList } from "./platform-list.js";

export interface PlatformResult extends Pick<PackageMapResult, "digest" | "mediaType" | "size" | "layers"> {
  /** os/arch[/variant] as the index names it. */
  platform: string;
  /** The image's own name where a name holds one image (MAP 1.0: holoscan-cli's per-platform tag). */
  tag?: string;
  /** This platform's SBOM and provenance (attached to its manifest). */
  attestations?: BuildAttestations;
}

export interface MultiPlatformResult extends PackageMapResult {
  /** One entry per platform, in index order; `digest`, `mediaType` and `size` above are the index's. */
  platforms: PlatformResult[];
}

export type SinglePlatformBuild = (opts: PackageMapOptions) => Promise<PackageMapResult>;

/** Outputs that cannot hold an index are refused before any work. */
export function checkIndexSinks(sinks: readonly Sink[]): void {
  const unable = sinks.filter((s) => !s.writeIndex).map((s) => s.kind);
  if (unable.length) {
    throw new MapBuildError("E_USAGE", `output ${unable.join(", ")} cannot hold a multi-platform image`, { hint: "choose one platform for it, or another output" });
  }
}

export async function packageMultiPlatform(opts: PackageMapOptions & { platform: string }, build: SinglePlatformBuild): Promise<MultiPlatformResult> {
  const request = parsePlatformList(opts.platform);
  checkIndexSinks(opts.sinks);
  return runBuild(opts, async (ctx) => {
    const platforms = choosePlatforms(request, await basePlatforms(opts.base, ctx.client, opts.signal), opts.base);
    return buildPlatforms(ctx, opts, platforms, (i, sinks) =>
      build({ ...opts, platform: formatPlatform(platforms[i]!), sinks, supplyChain: platformSupplyChain(opts.supplyChain, platforms[i]!) }),
    );
  });
}

/**
 * `sbom.cdx.json` → `sbom.linux-arm64.cdx.json`: one SBOM and provenance file per platform, the
 * platform before the format's extension.
 */
export function platformFile(file: string, platform: PlatformSpec): string {
  const tag = formatPlatform(platform).replace(/\//g, "-");
  const name = basename(file);
  const ext = /(\.(cdx|spdx|intoto|in-toto|prov|provenance|slsa|sbom))?\.json$/i.exec(name)?.[0] ?? "";
  const stem = ext ? name.slice(0, -ext.length) : name;
  return join(dirname(file), `${stem}.${tag}${ext}`);
}

/** The supply-chain options of one platform's build: its own SBOM and provenance files. */
export function platformSupplyChain(sc: SupplyChainOptions | undefined, platform: PlatformSpec): SupplyChainOptions | undefined {
  if (!sc) return undefined;
  return {
    ...sc,
    ...(sc.sbomFile ? { sbomFile: platformFile(sc.sbomFile, platform) } : {}),
    ...(sc.provenanceFile ? { provenanceFile: platformFile(sc.provenanceFile, platform) } : {}),
  };
}

/**
 * Build `platforms` in order with `build(i, sinks)` (which must write platform i's image to
 * `sinks`), then deliver the index to `opts.sinks`. `nameEach`: each platform's image keeps the
 * name its own build gave it (MAP 1.0's per-platform tags) where a name holds one image.
 */
export async function buildPlatforms(
  ctx: BuildContext,
  opts: Pick<CommonBuildOptions, "sinks">,
  platforms: readonly PlatformSpec[],
  build: (i: number, sinks: Sink[]) => Promise<PackageMapResult>,
  nameEach = false,
): Promise<MultiPlatformResult> {
  ctx.logger.info(`building ${platforms.length} platforms: ${platforms.map(formatPlatform).join(", ")}`);
  const images: Image[] = [];
  const names: string[] = [];
  const referrers: ReferrerArtifact[][] = [];
  const results: PackageMapResult[] = [];
  let index: MultiPlatformImage | undefined;
  const outputs: SinkSummary[] = [];
  const passed = new WeakSet<object>(); // errors already located, or not a platform's

  const buildFrom = async (i: number): Promise<void> => {
    const platform = platforms[i]!;
    const collect: Sink = {
      kind: "platform",
      readsLayerAt: (source) => opts.sinks.some((s) => s.readsLayerAt?.(source, ctx.sinkContext) ?? true),
      async write(image, sinkCtx) {
        images[i] = image;
        names[i] = sinkCtx.name.toString();
        referrers[i] = [...(sinkCtx.referrers ?? [])];
        if (i + 1 < platforms.length) {
          await buildFrom(i + 1);
        } else {
          try {
            index = await buildImageIndex(images, nameEach ? names : undefined);
            const attached = referrers.flat();
            for (const sink of opts.sinks) outputs.push(await sink.writeIndex!(index, { ...ctx.sinkContext, ...(attached.length ? { referrers: attached } : {}) }));
          } catch (e) {
            if (e instanceof Object) passed.add(e);
            throw e;
          }
        }
        return { kind: "platform", target: formatPlatform(platform) };
      },
    };
    ctx.logger.info(`platform ${formatPlatform(platform)} (${i + 1} of ${platforms.length})`);
    try {
      results[i] = await build(i, [collect]);
    } catch (e) {
      throw located(e, platform, passed);
    }
  };
  await buildFrom(0);
  return summarize(index!, results, outputs, ctx.tag.toString());
}

/** Name the platform in a build error once (a nested build's error passes through the outer ones). */
function located(e: unknown, platform: PlatformSpec, passed: WeakSet<object>): unknown {
  if (!isMapBuildError(e) || passed.has(e) || e.code === "E_INTERRUPTED") return e;
  const err = new MapBuildError(e.code, `${formatPlatform(platform)}: ${e.message}`, { hint: e.hint, cause: e });
  passed.add(err);
  return err;
}

function summarize(index: MultiPlatformImage, results: PackageMapResult[], outputs: SinkSummary[], tag: string): MultiPlatformResult {
  const first = results[0]!;
  return {
    digest: index.digest,
    tag,
    mediaType: index.mediaType,
    size: index.rawIndex.length,
    layers: [],
    outputs,
    appJson: first.appJson,
    pkgJson: first.pkgJson,
    warnings: [...new Set(results.flatMap((r) => r.warnings))],
    ...cacheRepoTotals(results),
    platforms: results.map((r, i) => ({
      platform: formatPlatform(index.images[i]!.platform),
      ...(index.images[i]!.name ? { tag: r.tag } : {}),
      digest: r.digest,
      mediaType: r.mediaType,
      size: r.size,
      layers: r.layers,
      ...(r.attestations ? { attestations: r.attestations } : {}),
    })),
  };
}

/** The platforms' cache-repository counts added up (each platform's build looked up its own layers). */
function cacheRepoTotals(results: readonly PackageMapResult[]): Pick<PackageMapResult, "cacheRepo"> {
  const all = results.map((r) => r.cacheRepo).filter((c) => c !== undefined);
  if (all.length === 0) return {};
  const sum = (k: "hits" | "misses" | "rejected" | "written") => all.reduce((n, c) => n + c[k], 0);
  return { cacheRepo: { repository: all[0]!.repository, readonly: all[0]!.readonly, hits: sum("hits"), misses: sum("misses"), rejected: sum("rejected"), written: sum("written") } };
}
