/**
 * What each new layer of a MAP holds, as layer entries. Layers are split by how often they change,
 * so a rebuild after an app edit reuses the model and dependency layers (and the registry skips them):
 * one layer per model, then the app, then the MAP skeleton (manifests, executor, directories).
 */
import { basename, join } from "node:path";
import type { DeferredEntries, DiskMapping, LayerEntry } from "../layer/index.js";
import { planFromDisk, type PlanOptions } from "../layer/index.js";
import type { AppInfo } from "./app-analysis.js";
import { isIgnored } from "./ignore.js";
import { mapDirectories, MAP_APP_DIR, MAP_EXECUTOR_PATH, MAP_MANIFEST_DIR, type MapConfigChanges } from "./layout.js";
import type { ModelPlan } from "./models.js";

export interface PlannedLayer {
  /** Progress label and cache role, e.g. `app`, `model:seg`. */
  id: string;
  entries: LayerEntry[];
  /** `created_by` in the image history, so `docker history` reads like the Dockerfile did. */
  createdBy: string;
  /** Store uncompressed (model weights barely shrink under gzip: facts.md). */
  compressible: boolean;
}

/** A layer whose entries are planned only when the layer cache does not hold it (the Python deps). */
export interface DeferredLayer extends Omit<PlannedLayer, "entries"> {
  deferred: DeferredEntries;
}

export type NewLayer = PlannedLayer | DeferredLayer;

/**
 * A deferred layer with its planned entries changed by `edit`; `how` describes the edit (its
 * parameters), so the cache key changes with it.
 */
export function editDeferred(layer: DeferredLayer, how: unknown, edit: (entries: LayerEntry[]) => LayerEntry[]): DeferredLayer {
  const d = layer.deferred;
  return {
    ...layer,
    deferred: {
      description: JSON.stringify([d.description, how]),
      plan: async () => edit(await d.plan()),
      ...(d.unchanged ? { unchanged: () => d.unchanged!() } : {}),
    },
  };
}

const bytes = (s: string | Uint8Array) => (typeof s === "string" ? Buffer.from(s, "utf8") : s);

function generatedFile(path: string, content: string | Uint8Array, mode = 0o644): LayerEntry {
  const data = bytes(content);
  return { type: "file", path, mode, uid: 0, gid: 0, size: data.length, source: { kind: "bytes", data } };
}

/** Extensions of model formats that are already dense (float weights, zip containers): stored uncompressed. */
const DENSE_MODEL_EXT = /\.(pt|pth|ts|onnx|safetensors|bin|ckpt|h5|pb|engine|plan|zip|gz|tgz|xz|zst)$/i;

export async function modelLayer(model: Pick<ModelPlan, "name" | "kind" | "sourcePath" | "imageDir">, opts: PlanOptions = {}): Promise<PlannedLayer> {
  const mapping: DiskMapping =
    model.kind === "file" ? { source: model.sourcePath, target: `${model.imageDir}/${basename(model.sourcePath)}` } : { source: model.sourcePath, target: model.imageDir };
  const entries = await planFromDisk([mapping], opts);
  const dense = entries.some((e) => e.type === "file" && DENSE_MODEL_EXT.test(e.path));
  return {
    id: `model:${model.name}`,
    entries,
    // names from the image side only: where the model sits on disk must not change the digest
    createdBy: `map-build: COPY model ${model.name} ${model.imageDir}`,
    compressible: !dense,
  };
}

/**
 * The app: a file app is that one file (siblings are not copied, as upstream); a folder app is its
 * contents, filtered by the packager's ignore list. `requirements.txt` is the pip list the image
 * was built from (0.5.1 layout); an app's own requirements.txt wins, as it did upstream.
 */
export async function appLayer(app: AppInfo, appPath: string, requirementsTxt: string): Promise<PlannedLayer> {
  const mapping: DiskMapping = app.kind === "file" ? { source: appPath, target: `${MAP_APP_DIR}/${basename(appPath)}` } : { source: appPath, target: MAP_APP_DIR };
  const entries = await planFromDisk([mapping], app.kind === "folder" ? { ignore: (rel, isDir) => isIgnored(rel, isDir) } : {});
  const reqPath = `${MAP_APP_DIR}/requirements.txt`;
  if (!entries.some((e) => e.path === reqPath)) entries.push(generatedFile(reqPath, requirementsTxt));
  const what = app.kind === "file" ? basename(appPath) : "app folder"; // a file's name is in the image; a folder's is not
  return { id: "app", entries, createdBy: `map-build: COPY ${what} ${MAP_APP_DIR}`, compressible: true };
}

export function skeletonLayer(changes: MapConfigChanges, executor: string, appJson: Uint8Array, pkgJson: Uint8Array): PlannedLayer {
  const entries: LayerEntry[] = [
    ...mapDirectories(changes),
    generatedFile(MAP_EXECUTOR_PATH, executor, 0o755),
    generatedFile(join(MAP_MANIFEST_DIR, "app.json"), appJson),
    generatedFile(join(MAP_MANIFEST_DIR, "pkg.json"), pkgJson),
  ];
  return { id: "map", entries, createdBy: "map-build: MAP manifests /etc/monai, executor /opt/monai/executor, work dirs", compressible: true };
}

/** The SBOM inside the image, on request: one generated file (its own layer, added last). */
export function sbomLayer(path: string, sbom: Uint8Array): PlannedLayer {
  return { id: "sbom", entries: [generatedFile(path, sbom)], createdBy: `map-build: SBOM ${path}`, compressible: true };
}
