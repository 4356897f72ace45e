/**
 * `inspect`: what a MAP holds and whether it conforms (map-format.md §4). Reads the manifest, the
 * config and map-build's own layers (found through the image history); base layers are read only
 * when asked, since a real base is 10–20 GB.
 */
import type { Image, ImageConfig, Layer } from "../image/index.js";
import type { ImageFileInfo } from "../map/index.js";
import type { ProgressSink } from "../progress.js";
import { renderOptionNames } from "../errors.js";
import { listLayerFiles, type TarFileInfo } from "../image/index.js";
import { applyLayer } from "../image/index.js";
import { CHECKLISTS, NOT_A_MAP, noSdkReason, summarize, type CheckSummary, type InspectCheck } from "./checklists.js";

export interface InspectOptions {
  /** The base image (from the `base` label or given), for PATH and base-layer checks (15, 23). */
  base?: Image;
  /** Also read every base layer: full file view and diff_id checks for all layers. */
  readBaseLayers?: boolean;
  /** The MAP was built without the SDK (for images older than the build-facts label). */
  noSdk?: boolean;
  /** Download progress of the layers read, as `layer N`. */
  progress?: ProgressSink;
  /** How the caller names the build options that fix hints mention (the CLI: its flags); default the library names. */
  optionNames?: Readonly<Record<string, string>>;
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
  /** The MAP manifests found, by path: parsed JSON, or the text when it does not parse. */
  manifests: Record<string, unknown>;
  layers: InspectedLayer[];
  /** Which checklist ran; absent when the image is not a MAP. */
  checklist?: string;
  checks: InspectCheck[];
  summary: CheckSummary;
  /** One line: "conforms", "does not conform (N failed)" or "not a MAP (…)". */
  verdict: string;
  ok: boolean;
}

const WANTED = new Set(CHECKLISTS.flatMap((c) => c.wanted));
const MANIFEST_RE = /^\/etc\/(monai|holoscan)\/[^/]+\.(json|ya?ml)$/;

function manifestValue(buf: Buffer): unknown {
  const text = buf.toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

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
  const areas = ["/opt/monai/app", "/opt/monai/models", "/opt/monai/executor", "/etc/monai", "/root/.local", "/var/monai", "/opt/holoscan/app", "/opt/holoscan/models", "/opt/holoscan/docs", "/opt/holoscan/lib", "/etc/holoscan", "/var/holoscan"];
  const out = new Set<string>();
  for (const f of files) {
    const area = areas.find((a) => f.path === a || f.path.startsWith(`${a}/`));
    if (area) out.add(area);
    else if (f.type !== "dir") out.add(`/${f.path.split("/")[1]}`);
  }
  return [...out].sort();
}

/** What inspect reads from the layers: map-build's own ones (all when none is recognised, or when asked). */
interface LayersRead {
  out: InspectedLayer[];
  files: Map<string, ImageFileInfo>;
  addedPaths: Set<string>;
  addedOrder: string[][];
  contents: Map<string, Buffer>;
  diffIds: string[];
}

async function readLayers(config: ImageConfig, layers: readonly Layer[], opts: InspectOptions): Promise<LayersRead> {
  const added = addedLayerIndexes(config, layers.length);
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
      const listing = await listLayerFiles(layer, (p) => WANTED.has(p) || MANIFEST_RE.test(p), { id: `layer ${i}`, progress: opts.progress });
      diffIds[i] = listing.diffId;
      entry.files = listing.files.length;
      entry.holds = holds(listing.files);
      applyLayer(files, listing.files);
      for (const [p, c] of listing.contents) contents.set(p, c);
      const writesMap = listing.files.some((f) => /^\/(etc|opt)\/(monai|holoscan)\//.test(f.path));
      if (added.size === 0 && writesMap) entry.added = true;
      if (entry.added) {
        for (const f of listing.files) addedPaths.add(f.path);
        addedOrder.push(listing.files.map((f) => f.path));
      }
    }
    out.push(entry);
  }
  return { out, files, addedPaths, addedOrder, contents, diffIds };
}

export async function inspectMap(image: Image, opts: InspectOptions = {}): Promise<InspectReport> {
  const config = await image.config();
  const layers = await image.layers();
  const { out, files, addedPaths, addedOrder, contents, diffIds } = await readLayers(config, layers, opts);

  const baseConfig = opts.base ? await opts.base.config() : undefined;
  const checklist = CHECKLISTS.find((c) => c.applies(files));
  const checks: InspectCheck[] = checklist
    ? checklist.run(
        {
          appJson: contents.get("/etc/monai/app.json"),
          pkgJson: contents.get("/etc/monai/pkg.json"),
          requirementsTxt: contents.get("/opt/monai/app/requirements.txt"),
          contents,
          config,
          files,
          addedLayerPaths: addedPaths,
          addedLayerEntryOrder: addedOrder,
          baseConfig,
          layerDiffIds: diffIds.length === layers.length && !diffIds.includes(undefined as never) ? diffIds : undefined,
        },
        noSdkReason(config.config?.Labels, opts.noSdk),
      )
    : [];
  // the check of 23 with only added layers read: their diff_ids must match the config
  for (const l of out) {
    if (checklist && diffIds[l.index] && diffIds[l.index] !== l.diffId) {
      checks.push({ id: 23, title: "layer diff_id matches rootfs.diff_ids", status: "fail", detail: `layer ${l.index} hashes to ${diffIds[l.index]}, config says ${l.diffId}`, hint: "the image is corrupt: copy or rebuild it" });
    }
  }
  const manifests: Record<string, unknown> = {};
  for (const [path, buf] of [...contents].sort(([a], [b]) => a.localeCompare(b))) if (MANIFEST_RE.test(path) && files.has(path)) manifests[path] = manifestValue(buf);
  for (const c of checks) if (c.hint) c.hint = renderOptionNames(c.hint, opts.optionNames);
  const summary = summarize(checks);
  const ok = Boolean(checklist) && summary.failed === 0;
  const report: InspectReport = {
    digest: await image.digest(),
    mediaType: await image.mediaType(),
    config,
    manifests,
    layers: out,
    checks,
    summary,
    verdict: !checklist ? (Object.keys(manifests).length ? "a MAP of a format this map-build has no checklist for" : NOT_A_MAP) : ok ? "conforms" : `does not conform (${summary.failed} failed)`,
    ok,
  };
  if (checklist) report.checklist = checklist.name;
  return report;
}
