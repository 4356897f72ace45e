/**
 * A multi-platform MAP: the single-platform build run once per platform, the images gathered into
 * an OCI image index (a Docker manifest list for a Docker-v2 base) and the index handed to every
 * sink. Platform-independent layers (app, models, manifests) have the same content on every
 * platform, so the layer cache hands the second platform the first one's blobs and a push finds
 * them by HEAD: they are written and uploaded once.
 *
 * The builds nest (each platform's image is collected by a sink that starts the next platform), so
 * every platform's layers stay readable until the index is delivered, and nothing is delivered
 * unless every platform built.
 */
import { MapBuildError, isMapBuildError } from "../errors.js";
import { buildImageIndex, type MultiPlatformImage } from "../image/index.js";
import { formatPlatform, type Image, type PlatformSpec } from "../image/index.js";
import type { Sink, SinkSummary } from "../sinks/index.js";
import { runBuild } from "./assemble.js";
import { basePlatforms } from "./base-platforms.js";
import type { PackageMapOptions, PackageMapResult } from "./options.js";
import { choosePlatforms, parsePlatformList } from "./platform-list.js";

export interface PlatformResult extends Pick<PackageMapResult, "digest" | "mediaType" | "size" | "layers"> {
  /** os/arch[/variant] as the index names it. */
  platform: string;
}

export interface MultiPlatformResult extends PackageMapResult {
  /** One entry per platform, in index order; `digest`, `mediaType` and `size` above are the index's. */
  platforms: PlatformResult[];
}

export type SinglePlatformBuild = (opts: PackageMapOptions) => Promise<PackageMapResult>;

export async function packageMultiPlatform(opts: PackageMapOptions & { platform: string }, build: SinglePlatformBuild): Promise<MultiPlatformResult> {
  const request = parsePlatformList(opts.platform);
  const unable = opts.sinks.filter((s) => !s.writeIndex).map((s) => s.kind);
  if (unable.length) {
    throw new MapBuildError("E_USAGE", `output ${unable.join(", ")} cannot hold a multi-platform image`, { hint: "choose one platform for it, or another output" });
  }
  return runBuild(opts, async (ctx) => {
    const platforms = choosePlatforms(request, await basePlatforms(opts.base, ctx.client, opts.signal), opts.base);
    ctx.logger.info(`building ${platforms.length} platforms: ${platforms.map(formatPlatform).join(", ")}`);
    const images: Image[] = [];
    const results: PackageMapResult[] = [];
    let index: MultiPlatformImage | undefined;
    const outputs: SinkSummary[] = [];
    const passed = new WeakSet<object>(); // errors already located, or not a platform's

    const buildFrom = async (i: number): Promise<void> => {
      const platform = platforms[i]!;
      const collect: Sink = {
        kind: "platform",
        readsLayerAt: (source) => opts.sinks.some((s) => s.readsLayerAt?.(source, ctx.sinkContext) ?? true),
        async write(image) {
          images[i] = image;
          if (i + 1 < platforms.length) {
            await buildFrom(i + 1);
          } else {
            try {
              index = await buildImageIndex(images);
              for (const sink of opts.sinks) outputs.push(await sink.writeIndex!(index, ctx.sinkContext));
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
        results[i] = await build({ ...opts, platform: formatPlatform(platform), sinks: [collect] });
      } catch (e) {
        throw located(e, platform, passed);
      }
    };
    await buildFrom(0);
    return summarize(index!, results, outputs);
  });
}

/** Name the platform in a build error once (a nested build's error passes through the outer ones). */
function located(e: unknown, platform: PlatformSpec, passed: WeakSet<object>): unknown {
  if (!isMapBuildError(e) || passed.has(e) || e.code === "E_INTERRUPTED") return e;
  const err = new MapBuildError(e.code, `${formatPlatform(platform)}: ${e.message}`, { hint: e.hint, cause: e });
  passed.add(err);
  return err;
}

function summarize(index: MultiPlatformImage, results: PackageMapResult[], outputs: SinkSummary[]): MultiPlatformResult {
  const first = results[0]!;
  return {
    digest: index.digest,
    tag: first.tag,
    mediaType: index.mediaType,
    size: index.rawIndex.length,
    layers: [],
    outputs,
    appJson: first.appJson,
    pkgJson: first.pkgJson,
    warnings: [...new Set(results.flatMap((r) => r.warnings))],
    ...cacheRepoTotals(results),
    platforms: results.map((r, i) => ({ platform: formatPlatform(index.images[i]!.platform), digest: r.digest, mediaType: r.mediaType, size: r.size, layers: r.layers })),
  };
}

/** The platforms' cache-repository counts added up (each platform's build looked up its own layers). */
function cacheRepoTotals(results: readonly PackageMapResult[]): Pick<PackageMapResult, "cacheRepo"> {
  const all = results.map((r) => r.cacheRepo).filter((c) => c !== undefined);
  if (all.length === 0) return {};
  const sum = (k: "hits" | "misses" | "rejected" | "written") => all.reduce((n, c) => n + c[k], 0);
  return { cacheRepo: { repository: all[0]!.repository, readonly: all[0]!.readonly, hits: sum("hits"), misses: sum("misses"), rejected: sum("rejected"), written: sum("written") } };
}
