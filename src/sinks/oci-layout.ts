/**
 * An OCI image layout directory as output (blobs written temp + rename, index.json replaced
 * atomically, blobs already present and intact skipped).
 */
import { mkdir, readFile, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { digestHex, type Digest } from "../digest.js";
import { MapBuildError } from "../errors.js";
import { writeFileAtomic } from "../atomic-file.js";
import { hashFile } from "../hash-file.js";
import { noProgress, type ProgressSink } from "../progress.js";
import { canonicalJson } from "../image/canonical-json.js";
import { readLayoutIndex } from "../image/oci-layout-image.js";
import { blobRelPath, directoryStore } from "../image/layout-store.js";
import type { Image } from "../image/image.js";
import { asOutputError } from "./output-file.js";
import { layoutIndex, OCI_LAYOUT_FILE } from "./layout-json.js";
import { expectOutputDir } from "./preflight.js";
import type { Sink, SinkNaming } from "./sink.js";

export interface OciLayoutOptions {
  /** Written as org.opencontainers.image.ref.name (skopeo's `oci:DIR:tag`); an older entry with it is replaced. */
  tag?: string;
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
  const progress = opts.progress ?? noProgress;
  await prepareLayout(dir);
  const putBlob = async (d: Digest, size: number, data: () => Promise<Buffer | Readable>) => {
    opts.signal?.throwIfAborted();
    const target = join(dir, blobRelPath(d));
    if ((await hashFile(target).catch(() => undefined)) === digestHex(d)) {
      progress({ id: d, phase: "exists", total: size });
      return;
    }
    progress({ id: d, phase: "write", bytes: 0, total: size });
    await writeFileAtomic(target, await data());
    progress({ id: d, phase: "write", bytes: size, total: size });
  };
  const manifest = await image.manifest();
  for (const layer of await image.layers()) {
    await putBlob(await layer.digest(), await layer.size(), () => layer.open());
  }
  const rawConfig = await image.rawConfig();
  await putBlob(manifest.config.digest, rawConfig.length, async () => rawConfig);
  const rawManifest = await image.rawManifest();
  const digest = await image.digest();
  await putBlob(digest, rawManifest.length, async () => rawManifest);

  // Index last: the image becomes visible only once all of its blobs are in place.
  const existing = (await stat(join(dir, "index.json")).catch(() => undefined)) ? (await readLayoutIndex(directoryStore(dir))).manifests : [];
  const index = layoutIndex(existing, { mediaType: await image.mediaType(), digest, size: rawManifest.length }, opts.tag ? [opts.tag] : [], false);
  await writeFileAtomic(join(dir, "index.json"), canonicalJson(index));
  progress({ id: digest, phase: "done", detail: `blobs/sha256/${digestHex(digest)}` });
}

/** The layout as a build output; the image is tagged with its name's tag (skopeo's `oci:DIR:tag`). */
export function ociLayoutSink(dir: string, naming: SinkNaming = {}): Sink {
  return {
    kind: "oci-layout",
    target: dir,
    preflight: () => expectOutputDir(naming.option ?? "oci-layout", dir),
    async write(image, ctx) {
      await writeOciLayout(image, dir, { tag: ctx.name.tag ?? "latest", progress: ctx.progress, signal: ctx.signal });
      return { kind: "oci-layout", target: dir };
    },
  };
}
