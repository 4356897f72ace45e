/**
 * `appendLayers`: a new Image wrapping a base plus added layers and config changes, after ggcr's
 * mutate.Append. Config and manifest are built once, on first use; the base is never changed.
 */
import { sha256Digest, type Digest } from "../digest.js";
import { MapBuildError } from "../errors.js";
import { canonicalJson } from "./canonical-json.js";
import { applyConfigChanges, type ConfigChanges } from "./config-changes.js";
import { layerFamily, manifestFamily } from "./family.js";
import { configMediaType, manifestMediaType } from "./media-types.js";
import { ImageConfigSchema, ImageManifestSchema, parseJson, type History } from "./schemas.js";
import type { Descriptor, Image, ImageConfig, ImageManifest, Layer } from "./image.js";
import { imageOf, type ImageParts } from "./image-of.js";

export interface LayerAddition {
  layer: Layer;
  history: History;
}

export interface AppendOptions {
  changes?: ConfigChanges;
  /** History of config-only steps (ENV, ENTRYPOINT…); stored with `empty_layer: true`. */
  configHistory?: History[];
  /** ISO time for `created` and new history entries; from SOURCE_DATE_EPOCH, never "now". */
  created?: string;
  /** Manifest annotations, over the base manifest's own. */
  annotations?: Record<string, string>;
}

export const EPOCH_ISO = "1970-01-01T00:00:00Z";

export function appendLayers(base: Image, additions: LayerAddition[], opts: AppendOptions = {}): Image {
  return imageOf(() => build(base, additions, opts));
}

async function build(base: Image, additions: LayerAddition[], opts: AppendOptions): Promise<ImageParts> {
  const created = opts.created ?? EPOCH_ISO;
  const mediaType = await base.mediaType();
  const family = manifestFamily(mediaType);
  const baseManifest = await base.manifest();
  const baseLayers = await base.layers();

  const added: Descriptor[] = [];
  const diffIds: Digest[] = [];
  for (const [i, { layer }] of additions.entries()) {
    const mt = await layer.mediaType();
    if (layerFamily(mt) !== family) {
      throw new MapBuildError(
        "E_UNSUPPORTED_MEDIA_TYPE",
        `added layer ${i + 1} has media type "${mt}", which does not belong to the base image's ${family} manifest`,
        { hint: "relabel the layer with layerForFamily(layer, family) before appending; one image keeps one media-type family" },
      );
    }
    added.push({ mediaType: mt, digest: await layer.digest(), size: await layer.size() });
    diffIds.push(await layer.diffId());
  }

  // Work on the base's own JSON (not the zod output) so unknown fields keep their order.
  const baseConfig = JSON.parse((await base.rawConfig()).toString("utf8")) as ImageConfig;
  const withLayers = structuredClone(baseConfig);
  withLayers.created = created;
  withLayers.rootfs.diff_ids = [...withLayers.rootfs.diff_ids, ...diffIds];
  const layerHistory = additions.map(({ history }) => {
    const h: History = { ...history, created: history.created ?? created };
    delete h.empty_layer; // a layer step is never empty; docker pairs history with layers by this flag
    return h;
  });
  if (layerHistory.length) withLayers.history = [...(withLayers.history ?? []), ...layerHistory];
  const configHistory = (opts.configHistory ?? []).map((h) => ({ ...h, created: h.created ?? created }));
  const config = applyConfigChanges(withLayers, opts.changes, configHistory);
  const rawConfig = canonicalJson(config);

  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: manifestMediaType(family),
    config: { mediaType: configMediaType(family), digest: sha256Digest(rawConfig), size: rawConfig.length },
    layers: [...baseManifest.layers, ...added],
  };
  const annotations = { ...baseManifest.annotations, ...opts.annotations };
  if (Object.keys(annotations).length) manifest.annotations = annotations;
  const rawManifest = canonicalJson(manifest);
  return {
    rawConfig,
    config: parseJson(ImageConfigSchema, rawConfig, "new image config"),
    rawManifest,
    manifest: parseJson(ImageManifestSchema, rawManifest, "new image manifest"),
    mediaType: manifest.mediaType!,
    digest: sha256Digest(rawManifest),
    layers: [...baseLayers, ...additions.map((a) => a.layer)],
  };
}
