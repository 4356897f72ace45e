/**
 * Merge layer listings the way an overlay filesystem does: later layers win, `.wh.<name>` deletes
 * a path (and everything below it), `.wh..wh..opq` hides what lower layers had in that directory.
 */
import type { Image } from "./image.js";
import { MapBuildError } from "../errors.js";
import { listLayerFiles, type TarFileInfo } from "./layer-files.js";

/** One path of an image's merged file system, as the conformance checks and the Python scan see it. */
export interface ImageFileInfo {
  type: "file" | "dir" | "symlink" | "hardlink";
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
}

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

function removeTree(files: Map<string, ImageFileInfo>, path: string, keepSelf: boolean): void {
  const prefix = `${path}/`;
  for (const p of [...files.keys()]) if (p.startsWith(prefix) || (!keepSelf && p === path)) files.delete(p);
}

export function applyLayer(files: Map<string, ImageFileInfo>, layer: readonly TarFileInfo[]): void {
  for (const f of layer) {
    const slash = f.path.lastIndexOf("/");
    const dir = f.path.slice(0, slash) || "/";
    const name = f.path.slice(slash + 1);
    if (name === OPAQUE) {
      removeTree(files, dir === "/" ? "" : dir, true);
      continue;
    }
    if (name.startsWith(WHITEOUT)) {
      removeTree(files, `${dir === "/" ? "" : dir}/${name.slice(WHITEOUT.length)}`, false);
      continue;
    }
    if (f.type === "other") continue;
    files.set(f.path, { type: f.type, mode: f.mode, uid: f.uid, gid: f.gid, mtime: f.mtime, size: f.size });
  }
}

export interface MergedFiles {
  /** Paths `relevant` accepted that exist in the merged image. */
  files: Map<string, ImageFileInfo>;
  /** Contents of the files `capture` accepted that exist in the merged image (capped as in listLayerFiles). */
  contents: Map<string, Buffer>;
}

/**
 * One streaming pass over an image's layers, merged as the container would see them: metadata of
 * the `relevant` paths and the bytes of the `capture` files (which should also be relevant).
 * Whiteouts always count, so a file deleted by a later layer is gone.
 */
export async function readMergedFiles(image: Image, relevant: (path: string) => boolean, capture: (path: string) => boolean): Promise<MergedFiles> {
  const files = new Map<string, ImageFileInfo>();
  const contents = new Map<string, Buffer>();
  const keep = (f: TarFileInfo) => relevant(f.path) || f.path.slice(f.path.lastIndexOf("/") + 1).startsWith(WHITEOUT);
  for (const layer of await image.layers()) {
    const listing = await listLayerFiles(layer, capture, { keep });
    const claimed = await layer.diffId();
    if (listing.diffId !== claimed) {
      throw new MapBuildError("E_DIGEST_MISMATCH", `layer ${await layer.digest()} uncompresses to ${listing.diffId}, but the image config says ${claimed}`, {
        hint: "the image is damaged or was altered; re-pull or re-copy it, or choose another image",
      });
    }
    applyLayer(files, listing.files);
    for (const [path, buf] of listing.contents) contents.set(path, buf);
    for (const p of contents.keys()) if (!files.has(p)) contents.delete(p);
  }
  return { files, contents };
}
