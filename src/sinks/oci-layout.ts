/**
 * An OCI image layout directory as output (blobs written temp + rename, or linked from map-build's
 * own files: stored-file.ts; index.json replaced atomically, blobs already present and intact skipped).
 */
import { mkdir, readFile, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { digestHex, type Digest } from "../digest.js";
import { MapBuildError } from "../errors.js";
import { writeFileAtomic } from "../atomic-file.js";
import { hashFile } from "../hash-file.js";
import { noProgress, type ProgressSink } from "../progress.js";
import { canonicalJson } from "../image/index.js";
import { readLayoutIndex } from "../image/index.js";
import { blobRelPath, directoryStore } from "../image/index.js";
import type { Descriptor, Image, StoredFile } from "../image/index.js";
import { platformTagged, type MultiPlatformImage } from "../image/index.js";
import { asOutputError } from "./output-file.js";
import { layoutIndex, OCI_LAYOUT_FILE, withReferrers } from "./layout-json.js";
import type { ReferrerArtifact } from "../image/index.js";
import { MediaType } from "../image/index.js";
import { expectOutputDir } from "./preflight.js";
import { isKeptFile, placeStoredFile } from "./stored-file.js";
import { nameTags, storedReferrers, type Sink, type SinkNaming } from "./sink.js";

export interface OciLayoutOptions {
  /** Artifacts that refer to the image (SBOM, provenance): stored as blobs and listed in index.json. */
  referrers?: readonly ReferrerArtifact[];
  /** Written as org.opencontainers.image.ref.name (skopeo's `oci:DIR:tag`); an older entry with it is replaced. */
  tag?: string;
  /** More ref.names for the same image (a repeated tag). */
  alsoTags?: readonly string[];
  progress?: ProgressSink;
  signal?: AbortSignal;
}

/** Create the layout, or check that an existing directory is one (never write into a foreign dir). */
async function prepareLayout(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (st && !st.isDirectory()) throw new MapBuildError("E_OUTPUT", `${dir} exists and is not a directory`, { hint: "choose another output directory" });
  if (st) {
    const entries = await readdir(dir);
    if (entries.length > 0) {
      const marker = await readFile(join(dir, "oci-layout"), "utf8").catch(() => undefined);
      if (marker === undefined) {
        throw new MapBuildError("E_OUTPUT", `${dir} is not empty and is not an OCI image layout`, {
          hint: "give an empty or new directory, or an existing OCI layout",
        });
      }
      if (!/"imageLayoutVersion"\s*:\s*"1\.\d+\.\d+"/.test(marker)) {
        throw new MapBuildError("E_OUTPUT", `${dir}/oci-layout has an unsupported version`, { hint: "only OCI image layout 1.x is supported" });
      }
    }
  }
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  const marker = join(dir, "oci-layout");
  if (!(await stat(marker).catch(() => undefined))) await writeFileAtomic(marker, OCI_LAYOUT_FILE);
}

/**
 * Write `image` into the layout at `dir`. On failure (disk full, interrupt) a layout this call
 * created is removed whole; an existing layout keeps its old index and gains at most some
 * unreferenced, complete blobs.
 */
export async function writeOciLayout(image: Image, dir: string, opts: OciLayoutOptions = {}): Promise<void> {
  const existed = (await stat(dir).catch(() => undefined)) !== undefined;
  try {
    await writeOciLayoutInto(image, dir, opts);
  } catch (e) {
    if (!existed) await rm(dir, { recursive: true, force: true }).catch(() => {});
    throw asOutputError(dir, e);
  }
}

async function writeOciLayoutInto(image: Image, dir: string, opts: OciLayoutOptions): Promise<void> {
  await prepareLayout(dir);
  await putImageBlobs(image, dir, opts);
  await putReferrers(dir, opts);
  const digest = await image.digest();
  await writeLayoutTop(dir, [{ top: { mediaType: await image.mediaType(), digest, size: (await image.rawManifest()).length }, tags: layoutTags(opts) }], opts);
}

/** Write the index and every platform's image; the index is named by `tag` in index.json. */
export async function writeOciLayoutIndex(index: MultiPlatformImage, dir: string, opts: OciLayoutOptions = {}): Promise<void> {
  const existed = (await stat(dir).catch(() => undefined)) !== undefined;
  try {
    await prepareLayout(dir);
    for (const { image } of index.images) await putImageBlobs(image, dir, opts);
    await putReferrers(dir, opts);
    await putBlob(dir, index.digest, index.rawIndex.length, async () => index.rawIndex, opts);
    // `<tag>-<arch>` names each platform's image for tools that cannot pick from an index (umoci)
    const tags = layoutTags(opts);
    const platforms = index.images.map((e) => ({ top: e.descriptor, tags: tags.map((t) => platformTagged(t, e.platform)) })).filter((p) => p.tags.length);
    await writeLayoutTop(dir, [...platforms, { top: { mediaType: index.mediaType, digest: index.digest, size: index.rawIndex.length }, tags }], opts);
  } catch (e) {
    if (!existed) await rm(dir, { recursive: true, force: true }).catch(() => {});
    throw asOutputError(dir, e);
  }
}

async function putBlob(dir: string, d: Digest, size: number, data: () => Promise<Buffer | Readable>, opts: OciLayoutOptions, stored?: StoredFile): Promise<void> {
  const progress = opts.progress ?? noProgress;
  opts.signal?.throwIfAborted();
  const target = join(dir, blobRelPath(d));
  if ((await isKeptFile(stored, target, size)) || (await hashFile(target).catch(() => undefined)) === digestHex(d)) {
    progress({ id: d, phase: "exists", total: size });
    return;
  }
  progress({ id: d, phase: "write", bytes: 0, total: size });
  if (!(stored && (await placeStoredFile(stored, target, d, size)))) await writeFileAtomic(target, await data());
  progress({ id: d, phase: "write", bytes: size, total: size });
}

async function putReferrers(dir: string, opts: OciLayoutOptions): Promise<void> {
  for (const r of opts.referrers ?? []) {
    for (const b of r.blobs) await putBlob(dir, b.digest, b.size, async () => b.data, opts);
    await putBlob(dir, r.descriptor.digest, r.manifest.length, async () => r.manifest, opts);
  }
}

async function putImageBlobs(image: Image, dir: string, opts: OciLayoutOptions): Promise<void> {
  const manifest = await image.manifest();
  for (const layer of await image.layers()) {
    await putBlob(dir, await layer.digest(), await layer.size(), () => layer.open(), opts, await layer.storedFile?.());
  }
  const rawConfig = await image.rawConfig();
  await putBlob(dir, manifest.config.digest, rawConfig.length, async () => rawConfig, opts);
  const rawManifest = await image.rawManifest();
  await putBlob(dir, await image.digest(), rawManifest.length, async () => rawManifest, opts);
}

/** index.json last: what it names becomes visible only once all of its blobs are in place. The last entry is the build's result. */
async function writeLayoutTop(dir: string, entries: { top: Descriptor; tags: string[] }[], opts: OciLayoutOptions): Promise<void> {
  let manifests = (await stat(join(dir, "index.json")).catch(() => undefined)) ? (await readLayoutIndex(directoryStore(dir))).manifests : [];
  for (const { top, tags } of entries) manifests = layoutIndex(manifests, top, tags, false).manifests;
  const index = withReferrers({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }, opts.referrers);
  await writeFileAtomic(join(dir, "index.json"), canonicalJson(index));
  const result = entries[entries.length - 1]!.top.digest;
  (opts.progress ?? noProgress)({ id: result, phase: "done", detail: `blobs/sha256/${digestHex(result)}` });
}

/** `tag` then `alsoTags`, each once. */
export function layoutTags(opts: Pick<OciLayoutOptions, "tag" | "alsoTags">): string[] {
  return [...new Set([...(opts.tag ? [opts.tag] : []), ...(opts.alsoTags ?? [])])];
}

/**
 * The layout as a build output; the image is tagged with its name's tag (skopeo's `oci:DIR:tag`),
 * and with the tag of each further name.
 */
export function ociLayoutSink(dir: string, naming: SinkNaming = {}): Sink {
  return {
    kind: "oci-layout",
    target: dir,
    preflight: () => expectOutputDir(naming.option ?? "oci-layout", dir),
    async write(image, ctx) {
      await writeOciLayout(image, dir, { ...nameTags(ctx, naming), referrers: ctx.referrers, progress: ctx.progress, signal: ctx.signal });
      return { kind: "oci-layout", target: dir, ...storedReferrers(ctx.referrers) };
    },
    async writeIndex(index, ctx) {
      const tag = ctx.name.tag ?? "latest";
      await writeOciLayoutIndex(index, dir, { ...nameTags(ctx, naming), referrers: ctx.referrers, progress: ctx.progress, signal: ctx.signal });
      return { kind: "oci-layout", target: dir, digest: index.digest, platformNames: index.images.map((e) => platformTagged(tag, e.platform)), ...storedReferrers(ctx.referrers) };
    },
  };
}
