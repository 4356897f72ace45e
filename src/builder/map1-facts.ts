/**
 * The SBOM's facts of a MAP 1.0: the same BuildFacts as a legacy MAP, from the MAP 1.0 plan. Its
 * models carry no content hash in pkg.json, so each model's files are hashed here (through the
 * layer cache's stat index when there is one: the layer key already read them).
 */
import type { PlatformSpec } from "../image/index.js";
import { modelFiles, modelSha256, type ModelPlan } from "../map/index.js";
import type { Map1Model } from "../map1/index.js";
import { hashFile } from "../hash-file.js";
import type { LayerEntry } from "../layer/index.js";
import type { BuildFacts, PythonDistribution } from "../sbom/index.js";
import type { BuildContext } from "./assemble.js";
import { collectBuildFacts } from "./build-facts.js";

export interface Map1FactsInput {
  version: string;
  sdkVersion: string;
  base: { reference: string; digest: string };
  platform: PlatformSpec;
  python: PythonDistribution[];
  models: { model: Map1Model; entries: readonly LayerEntry[] }[];
  appEntries: readonly LayerEntry[];
  mapEntries: readonly LayerEntry[];
  appTreeDigest: string;
  sourceDateEpoch: number;
  signal?: AbortSignal;
}

async function asModelPlan(m: Map1Model, ctx: BuildContext, signal?: AbortSignal): Promise<ModelPlan> {
  const sha256 = ctx.cache ? await ctx.cache.contentDigest(await modelFiles(m.sourcePath), signal) : await modelSha256(m.sourcePath);
  return { ...m, manifestName: m.name, manifestPath: m.imageDir, sha256, warnings: [] };
}

export async function collectMap1Facts(ctx: BuildContext, i: Map1FactsInput): Promise<BuildFacts> {
  const { cache } = ctx;
  return collectBuildFacts({
    tag: ctx.tag,
    version: i.version,
    sdkVersion: i.sdkVersion,
    base: i.base,
    platform: i.platform,
    python: i.python,
    models: await Promise.all(i.models.map(async (m) => ({ plan: await asModelPlan(m.model, ctx, i.signal), entries: m.entries }))),
    appEntries: i.appEntries,
    mapEntries: i.mapEntries,
    appTreeDigest: i.appTreeDigest,
    sourceDateEpoch: i.sourceDateEpoch,
    fileSha256: (p) => (cache ? cache.contentDigest([p], i.signal) : hashFile(p, i.signal)),
  });
}
