/**
 * Stream an image into a tar as an OCI layout (`oci-layout`, `index.json`, `blobs/sha256/…`),
 * optionally plus docker's `manifest.json` pointing into the same blobs: the hybrid form of
 * facts.md that docker 20.10, podman, containerd and skopeo all load.
 */
import type { Readable, Writable } from "node:stream";
import { pack as tarPack, type Pack } from "tar-stream";
import { digestHex, type Digest } from "../digest.js";
import { MapBuildError, toMapBuildError } from "../errors.js";
import { noProgress, type ProgressSink } from "../progress.js";
import { canonicalJson } from "../image/index.js";
import type { Descriptor, Image } from "../image/index.js";
import { platformImageNames, type MultiPlatformImage } from "../image/index.js";
import { layoutIndex, OCI_LAYOUT_FILE, withReferrers } from "./layout-json.js";
import type { ReferrerArtifact } from "../image/index.js";

export interface ImageTarOptions {
  /** Full names (`registry/repo:tag`) written to RepoTags and index.json annotations. */
  names: string[];
  /** Add docker's manifest.json (docker 20.10 cannot load a pure OCI layout tar). */
  dockerManifest: boolean;
  /**
   * Artifacts that refer to the image (SBOM, provenance): always stored as blobs (found by their
   * `subject`); listed in index.json only without `dockerManifest`, because `ctr images import`
   * unpacks every index.json entry as an image and fails on an artifact (tested).
   */
  referrers?: readonly ReferrerArtifact[];
  progress?: ProgressSink;
  signal?: AbortSignal;
}

/** Fixed metadata: the tar bytes depend on the image alone. */
const MTIME = new Date(0);

function addBuffer(pack: Pack, name: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ name, size: data.length, mode: 0o644, mtime: MTIME, uid: 0, gid: 0, type: "file" }, data, (err) =>
      err ? reject(err) : resolve(),
    );
  });
}

function addDir(pack: Pack, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ name, mode: 0o755, mtime: MTIME, uid: 0, gid: 0, type: "directory" }, (err) => (err ? reject(err) : resolve()));
  });
}

function addStream(pack: Pack, name: string, size: number, src: Readable, onBytes: (n: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const entry = pack.entry({ name, size, mode: 0o644, mtime: MTIME, uid: 0, gid: 0, type: "file" }, (err) =>
      err ? reject(err) : resolve(),
    );
    entry.on("error", reject); // also keeps a destroyed entry's error from going uncaught
    src.on("error", (err) => {
      entry.destroy(err);
      reject(err);
    });
    src.on("data", (chunk: Buffer) => onBytes(chunk.length));
    src.pipe(entry as unknown as Writable);
  });
}

/** What a tar holds: one image, or a multi-platform image (its index named in index.json). */
export type TarContent = Image | MultiPlatformImage;

function isIndex(c: TarContent): c is MultiPlatformImage {
  return "rawIndex" in c;
}

/** Fill `pack` with the image(s). Blobs shared by several layers or platforms are written once. */
async function packImage(content: TarContent, pack: Pack, opts: ImageTarOptions): Promise<void> {
  const progress = opts.progress ?? noProgress;
  const images = isIndex(content) ? content.images.map((e) => ({ image: e.image, names: platformImageNames(opts.names, e) })) : [{ image: content, names: opts.names }];
  const top: Descriptor = isIndex(content)
    ? { mediaType: content.mediaType, digest: content.digest, size: content.rawIndex.length }
    : { mediaType: await content.mediaType(), digest: await content.digest(), size: (await content.rawManifest()).length };
  const blob = (d: Digest) => `blobs/sha256/${digestHex(d)}`;

  await addBuffer(pack, "oci-layout", OCI_LAYOUT_FILE);
  await addBuffer(pack, "index.json", canonicalJson(withReferrers(layoutIndex([], top, opts.names, true), opts.dockerManifest ? [] : opts.referrers)));
  if (opts.dockerManifest) {
    const entries = await Promise.all(images.map(async ({ image, names }) => {
      const manifest = await image.manifest();
      return { Config: blob(manifest.config.digest), RepoTags: names.length ? names : null, Layers: manifest.layers.map((l) => blob(l.digest)) };
    }));
    await addBuffer(pack, "manifest.json", canonicalJson(entries));
  }
  await addDir(pack, "blobs/");
  await addDir(pack, "blobs/sha256/");
  const written = new Set<string>();
  const putSmall = async (d: Digest, data: Buffer) => {
    if (written.has(d)) return;
    written.add(d);
    await addBuffer(pack, blob(d), data);
  };
  for (const { image } of images) {
    await putSmall((await image.manifest()).config.digest, await image.rawConfig());
    for (const layer of await image.layers()) {
      opts.signal?.throwIfAborted();
      const d = await layer.digest();
      if (written.has(d)) continue;
      written.add(d);
      const size = await layer.size();
      let bytes = 0;
      progress({ id: d, phase: "write", bytes: 0, total: size });
      await addStream(pack, blob(d), size, await layer.open(), (n) => {
        bytes += n;
        progress({ id: d, phase: "write", bytes, total: size });
      });
    }
    await putSmall(await image.digest(), await image.rawManifest());
  }
  if (isIndex(content)) await putSmall(content.digest, content.rawIndex);
  for (const r of opts.referrers ?? []) {
    for (const b of r.blobs) await putSmall(b.digest, b.data);
    await putSmall(r.descriptor.digest, r.manifest);
  }
  progress({ id: top.digest, phase: "done" });
}

/** Run `packImage` into `dest`; resolves once `dest` has flushed, rejects (destroying both) on any failure. */
export async function streamImageTar(image: TarContent, dest: Writable, opts: ImageTarOptions): Promise<void> {
  const pack = tarPack();
  const finished = new Promise<void>((resolve, reject) => {
    dest.on("finish", resolve);
    dest.on("close", () => resolve());
    dest.on("error", reject);
    pack.on("error", reject);
  });
  finished.catch(() => {}); // a failure is reported by the catch below; do not leave it unhandled
  const onAbort = () => pack.destroy(new MapBuildError("E_INTERRUPTED", "interrupted"));
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  pack.pipe(dest);
  try {
    await packImage(image, pack, opts);
    pack.finalize();
    await finished;
  } catch (e) {
    const err = opts.signal?.aborted ? new MapBuildError("E_INTERRUPTED", "interrupted", { cause: e }) : toMapBuildError(e);
    pack.destroy(err);
    dest.destroy(err);
    throw err;
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
  }
}
