/**
 * `inspect`: what a MAP holds and whether it conforms (map-format.md §4). Reads the manifest, the
 * config and map-build's own layers (found through the image history); base layers are read only
 * when asked, since a real base is 10–20 GB.
 */
import type { Image, ImageConfig } from "../image/index.js";
import { checkConformance, type ConformanceResult, type ImageFileInfo } from "../map/index.js";
import { listLayerFiles, type TarFileInfo } from "./layer-files.js";
import { applyLayer } from "./merged-files.js";

export interface InspectOptions {
  /** The base image (from the `base` label or given), for PATH and base-layer checks (15, 23). */
  base?: Image;
  /** Also read every base layer: full file view and diff_id checks for all layers. */
  readBaseLayers?: boolean;
  /** The MAP was built with --no-sdk: items 21 and 26 do not apply. */
  noSdk?: boolean;
}

export interface InspectedLayer {
  index: number;
  digest: string;
  diffId: string;
  size: number;
  mediaType: string;
  createdBy?: string;
  /** Read and summarised (map-build's layers, or every layer with readBaseLayers). */
  files?: number;
  /** The top-level folders it writes, e.g. ["/opt/monai/app"]. */
  holds?: string[];
  added: boolean;
}

export interface InspectReport {
  digest: string;
  mediaType: string;
  config: ImageConfig;
  appJson?: string;
  pkgJson?: string;
  layers: InspectedLayer[];
  checks: ConformanceResult[];
  ok: boolean;
}

const WANTED = new Set(["/etc/monai/app.json", "/etc/monai/pkg.json", "/opt/monai/app/requirements.txt"]);

/** Indexes of the layers map-build added: history entries it wrote, mapped onto non-empty layers. */
function addedLayerIndexes(config: ImageConfig, layerCount: number): Set<number> {
  const added = new Set<number>();
  let i = 0;
  for (const h of config.history ?? []) {
    if (h.empty_layer) continue;
    if (h.created_by?.startsWith("map-build")) added.add(i);
    i++;
  }
  // no usable history: treat the last layers that wrote MAP paths as added (detected below)
  return i === layerCount ? added : new Set();
}

/** Summarise where a layer writes: the deepest folder of each MAP area it touches, else top-level folders. */
function holds(files: readonly TarFileInfo[]): string[] {
  const areas = ["/opt/monai/app", "/opt/monai/models", "/opt/monai/executor", "/etc/monai", "/root/.local", "/var/monai"];
  const out = new Set<string>();
  for (const f of files) {
    const area = areas.find((a) => f.path === a || f.path.startsWith(`${a}/`));
    if (area) out.add(area);
    else if (f.type !== "dir") out.add(`/${f.path.split("/")[1]}`);
  }
  return [...out].sort();
}

export async function inspectMap(image: Image, opts: InspectOptions = {}): Promise<InspectReport> {
  const config = await image.config();
  const layers = await image.layers();
  let added = addedLayerIndexes(config, layers.length);
  const files = new Map<string, ImageFileInfo>();
  const addedPaths = new Set<string>();
  const addedOrder: string[][] = [];
  const contents = new Map<string, Buffer>();
  const diffIds: string[] = [];
  const out: InspectedLayer[] = [];
  const nonEmptyHistory = (config.history ?? []).filter((h) => !h.empty_layer);

  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    const entry: InspectedLayer = {
      index: i,
      digest: await layer.digest(),
      diffId: config.rootfs.diff_ids[i] ?? "",
      size: await layer.size(),
      mediaType: await layer.mediaType(),
      added: added.has(i),
    };
    const createdBy = nonEmptyHistory.length === layers.length ? nonEmptyHistory[i]?.created_by : undefined;
    if (createdBy) entry.createdBy = createdBy;
    const read = added.size === 0 || added.has(i) || opts.readBaseLayers;
    if (read) {
      const listing = await listLayerFiles(layer, WANTED);
      diffIds[i] = listing.diffId;
      entry.files = listing.files.length;
      entry.holds = holds(listing.files);
      applyLayer(files, listing.files);
      for (const [p, c] of listing.contents) contents.set(p, c);
      const writesMap = listing.files.some((f) => f.path.startsWith("/etc/monai/") || f.path.startsWith("/opt/monai/"));
      if (added.size === 0 && writesMap) entry.added = true;
      if (entry.added) {
        for (const f of listing.files) addedPaths.add(f.path);
        addedOrder.push(listing.files.map((f) => f.path));
      }
    }
    out.push(entry);
  }
  if (added.size === 0) added = new Set(out.filter((l) => l.added).map((l) => l.index));

  const baseConfig = opts.base ? await opts.base.config() : undefined;
  const checks = checkConformance({
    appJson: contents.get("/etc/monai/app.json"),
    pkgJson: contents.get("/etc/monai/pkg.json"),
    requirementsTxt: contents.get("/opt/monai/app/requirements.txt"),
    config,
    files,
    addedLayerPaths: addedPaths,
    addedLayerEntryOrder: addedOrder,
    baseConfig,
    layerDiffIds: diffIds.length === layers.length && !diffIds.includes(undefined as never) ? diffIds : undefined,
  }).map((c) => (opts.noSdk && (c.id === 21 || c.id === 26) ? { ...c, ok: true, skipped: true, detail: "built with --no-sdk" } : c));
  // the check of 23 with only added layers read: their diff_ids must match the config
  for (const l of out) {
    if (diffIds[l.index] && diffIds[l.index] !== l.diffId) {
      checks.push({ id: 23, title: "layer diff_id matches rootfs.diff_ids", ok: false, detail: `layer ${l.index} hashes to ${diffIds[l.index]}, config says ${l.diffId}` });
    }
  }
  return {
    digest: await image.digest(),
    mediaType: await image.mediaType(),
    config,
    appJson: contents.get("/etc/monai/app.json")?.toString("utf8"),
    pkgJson: contents.get("/etc/monai/pkg.json")?.toString("utf8"),
    layers: out,
    checks,
    ok: checks.every((c) => c.ok),
  };
}
