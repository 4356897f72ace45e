/**
 * Turns a caller's entry list into the exact member list of a reproducible tar: validated paths,
 * missing parent directories added, sorted by path bytes, duplicates refused.
 */
import { MapBuildError } from "../errors.js";
import type { DirEntry, LayerEntry } from "./entry.js";

/**
 * Parents never emitted when missing: an entry for them would replace the base image's own
 * metadata on extraction (`/root` is 0700, `/tmp` and `/var/tmp` are 1777 in Debian bases).
 * `/` is never emitted at all.
 */
export const DEFAULT_OMIT_PARENT_DIRS: readonly string[] = ["/", "/root", "/tmp", "/var/tmp", "/home"];

export function normalizeEntries(entries: readonly LayerEntry[], omitParentDirs: readonly string[]): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>();
  for (const e of entries) {
    checkPath(e.path, e.path);
    if (e.type === "hardlink") checkPath(e.target, e.path);
    checkIds(e);
    if (e.path === "/") continue; // the base's root directory metadata is never overridden
    const prev = byPath.get(e.path);
    if (prev === undefined) {
      byPath.set(e.path, e);
    } else if (!sameDir(prev, e)) {
      throw new MapBuildError("E_LAYER_INPUT", `two different entries for ${JSON.stringify(e.path)} in one layer`, {
        hint: "two mappings or generated files target the same image path; change one target",
      });
    }
    // Identical directory entries (two mappings into one folder) collapse into one member.
  }

  const omit = new Set(omitParentDirs);
  for (const path of [...byPath.keys()]) {
    for (let parent = parentOf(path); parent !== "/"; parent = parentOf(parent)) {
      const existing = byPath.get(parent);
      if (existing !== undefined) {
        if (existing.type !== "dir") {
          throw new MapBuildError("E_LAYER_INPUT", `${JSON.stringify(parent)} is a ${existing.type} but ${JSON.stringify(path)} needs it to be a directory`, {
            hint: "a file and a directory target the same image path; change one target",
          });
        }
        continue;
      }
      if (omit.has(parent)) continue;
      byPath.set(parent, { type: "dir", path: parent, mode: 0o755, uid: 0, gid: 0 } satisfies DirEntry);
    }
  }

  // by UTF-8 bytes (as tar readers and Go's sort.Strings would), each key encoded once, not per comparison
  const keyed = [...byPath.values()].map((e) => ({ key: Buffer.from(e.path), e }));
  const sorted = keyed.sort((a, b) => Buffer.compare(a.key, b.key)).map((k) => k.e);

  // A hardlink must follow the regular file it names, or extraction fails ("link target missing").
  const seenFiles = new Set<string>();
  for (const e of sorted) {
    if (e.type === "file") seenFiles.add(e.path);
    if (e.type === "hardlink" && !seenFiles.has(e.target)) {
      throw new MapBuildError("E_LAYER_INPUT", `hardlink ${JSON.stringify(e.path)} names ${JSON.stringify(e.target)}, which is not an earlier regular file of the layer`, {
        hint: "a hardlink must point to a regular file that sorts before it in the same layer",
      });
    }
  }
  return sorted;
}

/** An empty, `.` or `..` segment, or a trailing slash. */
const BAD_SEGMENT = /\/(\.{1,2})?(\/|$)/;
/** A lone surrogate: it cannot be encoded in UTF-8, so the tar name would silently change. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Absolute POSIX path, no empty, `.` or `..` segments, no trailing slash, well-formed UTF-16, no NUL.
 * Regular expressions, not split(): this runs for every entry (15,000 for torch).
 */
function checkPath(p: string, owner: string): void {
  const ok = p === "/" || (p.startsWith("/") && !BAD_SEGMENT.test(p) && !p.includes("\u0000") && !LONE_SURROGATE.test(p));
  if (!ok) {
    throw new MapBuildError("E_LAYER_INPUT", `invalid image path ${JSON.stringify(p)} (entry ${JSON.stringify(owner)})`, {
      hint: "image paths are absolute POSIX paths such as /opt/monai/app/app.py, without . or .. segments",
    });
  }
}

function checkIds(e: LayerEntry): void {
  for (const v of [e.uid ?? 0, e.gid ?? 0]) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new MapBuildError("E_LAYER_INPUT", `invalid uid/gid ${v} for ${JSON.stringify(e.path)}`, {
        hint: "uid and gid are non-negative integers",
      });
    }
  }
  if (e.type === "file" && (!Number.isSafeInteger(e.size) || e.size < 0)) {
    throw new MapBuildError("E_LAYER_INPUT", `invalid size ${e.size} for ${JSON.stringify(e.path)}`);
  }
}

function sameDir(a: LayerEntry, b: LayerEntry): boolean {
  return a.type === "dir" && b.type === "dir" && a.mode === b.mode && (a.uid ?? 0) === (b.uid ?? 0) && (a.gid ?? 0) === (b.gid ?? 0);
}

function parentOf(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}
