/**
 * A multi-platform MAP 1.0 (`platform: "x86_64,sbsa"`): holoscan-cli built one image per platform
 * with buildx and QEMU; map-build builds each natively from the matching image of the base (or the
 * platform's own default base) and gathers them into one image index named `<name>:<tag or app
 * version>`. Each platform's image keeps holoscan-cli's tag (`<name>-<platform>-<config>-<arch>`)
 * where a name holds one image: docker's RepoTags in a tarball, the engine.
 */
import { join } from "node:path";
import { MapBuildError } from "../errors.js";
import { formatPlatform, parsePlatform } from "../image/index.js";
import { holoscanIndexTag, readAppConfig, type HoloscanPlatform } from "../map1/index.js";
import { dockerTarballSink } from "../sinks/index.js";
import { runBuild } from "./assemble.js";
import { basePlatforms } from "./base-platforms.js";
import { buildPlatforms, checkIndexSinks, platformSupplyChain, type MultiPlatformResult } from "./multi-platform.js";
import type { PackageMap1Options } from "./options.js";
import { map1AppVersion, packageMap1 } from "./package-map1.js";
import { choosePlatforms } from "./platform-list.js";

/** One index holds one image per OS/architecture: two Holoscan platforms on one architecture cannot share it. */
function checkDistinct(platforms: readonly HoloscanPlatform[]): void {
  for (let i = 0; i < platforms.length; i++) {
    const twin = platforms.slice(0, i).find((p) => p.oci === platforms[i]!.oci);
    if (twin) {
      throw new MapBuildError("E_USAGE", `platforms ${twin.name} and ${platforms[i]!.name} are both ${twin.oci}: one image index holds one image per architecture`, {
        hint: "build them in separate runs (one per GPU configuration)",
      });
    }
  }
}

export async function packageMap1MultiPlatform(opts: PackageMap1Options, hps: readonly HoloscanPlatform[]): Promise<MultiPlatformResult> {
  checkDistinct(hps);
  const config = await readAppConfig(opts.configPath);
  const tag = opts.exactTag ? opts.tag : holoscanIndexTag(opts.tag, map1AppVersion(opts.version, config));
  // holoscan-cli's output folder: <dir>/<tag>.tar, here one tarball holding the index
  const sinks = opts.tarballDir ? [dockerTarballSink(join(opts.tarballDir, `${tag.replace(/[:/]/g, "-")}.tar`)), ...opts.sinks] : opts.sinks;
  checkIndexSinks(sinks);
  const platforms = hps.map((hp) => parsePlatform(hp.oci));
  return runBuild({ ...opts, tag, sinks }, async (ctx) => {
    // before anything is built: the base has an image for every platform
    if (opts.base) choosePlatforms(platforms, await basePlatforms(opts.base, ctx.client, opts.signal), opts.base);
    const built = (i: number, platformSinks: typeof sinks) =>
      packageMap1({
        ...opts,
        platform: hps[i]!.name,
        sinks: platformSinks,
        tarballDir: undefined,
        supplyChain: platformSupplyChain(opts.supplyChain, platforms[i]!),
      });
    ctx.logger.debug(`holoscan platforms ${hps.map((p, i) => `${p.name}=${formatPlatform(platforms[i]!)}`).join(", ")}`);
    // with the exact tag every platform would carry the same name: they get `<tag>-<arch>` instead
    return buildPlatforms(ctx, { sinks }, platforms, built, !opts.exactTag);
  });
}
