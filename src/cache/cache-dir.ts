/**
 * Where the cache lives and how it is laid out:
 *
 *   <dir>/blobs/sha256/<hex>   blobs named by digest (one file per distinct blob): built layers,
 *                              downloaded base blobs and wheels (blob-store.ts)
 *   <dir>/entries/<key>.json   input key → blob digest, diffId, size, mediaType; mtime = last use
 *   <dir>/base-blobs/, wheel-blobs/  a marker per downloaded blob (blob-kinds.ts)
 *   <dir>/stat-index.json      input file stat → content sha256 (stat-index.ts)
 *   <dir>/tmp/                 layers and downloads being written, moved into blobs/ when complete
 *
 * tmp/ sits inside the cache so that the rename into blobs/ never crosses filesystems.
 */
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/**
 * 20 GiB: a MAP carries one to a few GB of models plus app and dependency layers, so a few
 * versions of a few apps fit; users with bigger models raise it (or prune by age).
 */
export const DEFAULT_CACHE_MAX_BYTES = 20 * 1024 ** 3;

/**
 * `$MAP_BUILD_CACHE_DIR`, else `$XDG_CACHE_HOME/map-build`, else `~/.cache/map-build`. The XDG base
 * directory spec says a relative `XDG_CACHE_HOME` is invalid and must be ignored.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env.MAP_BUILD_CACHE_DIR;
  if (own) return resolve(own);
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, "map-build");
  return join(homedir(), ".cache", "map-build");
}

export interface CacheLayout {
  dir: string;
  blobs: string;
  entries: string;
  tmp: string;
  statIndex: string;
}

export function cacheLayout(dir: string): CacheLayout {
  const root = resolve(dir);
  return {
    dir: root,
    blobs: join(root, "blobs", "sha256"),
    entries: join(root, "entries"),
    tmp: join(root, "tmp"),
    statIndex: join(root, "stat-index.json"),
  };
}
