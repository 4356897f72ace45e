/**
 * Gather the SBOM's facts from what the build already holds: the base's digest, the wheel plan,
 * the model plans and the planned layers' entries. File hashes come from `fileSha256`, which a
 * build backs with the layer cache's stat index (the cache key already hashed every file, so
 * nothing is read again); generated files are hashed from memory.
 */
import { createHash } from "node:crypto";
import type { LayerEntry } from "../layer/index.js";
import type { ModelPlan } from "../map/index.js";
import type { ImageReference } from "../reference/index.js";
import type { BuildFacts, ImageFile, ModelFacts, PythonDistribution } from "../sbom/index.js";
import { toolIdentity } from "../sbom/index.js";

export interface FactsInput {
  tag: ImageReference;
  version: string;
  sdkVersion: string;
  base: { reference: string; digest: string };
  platform: BuildFacts["platform"];
  python: PythonDistribution[];
  models: { plan: ModelPlan; entries: readonly LayerEntry[] }[];
  appEntries: readonly LayerEntry[];
  mapEntries: readonly LayerEntry[];
  appTreeDigest?: string;
  sourceDateEpoch: number;
  /** Hex sha256 of a host file. */
  fileSha256: (hostPath: string) => Promise<string>;
}

async function imageFiles(entries: readonly LayerEntry[], fileSha256: FactsInput["fileSha256"], known?: { path: string; sha256: string }): Promise<ImageFile[]> {
  const out: ImageFile[] = [];
  for (const e of entries) {
    if (e.type !== "file") continue;
    let sha256: string | undefined;
    if (known && e.source.kind === "file" && e.source.path === known.path) sha256 = known.sha256;
    else if (e.source.kind === "file") sha256 = await fileSha256(e.source.path);
    else if (e.source.kind === "bytes") sha256 = createHash("sha256").update(e.source.data).digest("hex");
    if (sha256 !== undefined) out.push({ path: e.path, sha256, size: e.size });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function modelFacts(m: FactsInput["models"][number], fileSha256: FactsInput["fileSha256"]): Promise<ModelFacts> {
  // a single-file model's content hash is the file's own: no need to ask for it again
  const known = m.plan.kind === "file" ? { path: m.plan.sourcePath, sha256: m.plan.sha256 } : undefined;
  const files = await imageFiles(m.entries, fileSha256, known);
  return { name: m.plan.name, path: m.plan.manifestPath, sha256: m.plan.sha256, size: files.reduce((n, f) => n + f.size, 0), files };
}

export async function collectBuildFacts(i: FactsInput): Promise<BuildFacts> {
  const reference = i.tag.toString();
  return {
    map: { name: `${i.tag.registry}/${i.tag.repository}`, reference, version: i.version, sdkVersion: i.sdkVersion },
    base: i.base,
    python: [...i.python].sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0)),
    models: await Promise.all(i.models.map((m) => modelFacts(m, i.fileSha256))),
    appFiles: await imageFiles(i.appEntries, i.fileSha256),
    mapFiles: await imageFiles(i.mapEntries, i.fileSha256),
    ...(i.appTreeDigest ? { appTreeDigest: i.appTreeDigest } : {}),
    tool: toolIdentity(),
    sourceDateEpoch: i.sourceDateEpoch,
    platform: i.platform,
  };
}
