/**
 * Merge layer listings the way an overlay filesystem does: later layers win, `.wh.<name>` deletes
 * a path (and everything below it), `.wh..wh..opq` hides what lower layers had in that directory.
 */
import type { ImageFileInfo } from "../map/index.js";
import type { TarFileInfo } from "./layer-files.js";

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
