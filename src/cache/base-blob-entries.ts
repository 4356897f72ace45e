/**
 * Where the blob cache records which blobs in `blobs/sha256/` are downloaded base blobs: one
 * `base-blobs/<hex>.json` per blob (a cache-entry.ts entry; mtime = last use). Kept apart from
 * `entries/` because those are keyed by layer inputs and listed by `cache ls`, and so that the
 * prune sees a reference for every base blob (a blob nothing names is deleted after an hour).
 */
import { join } from "node:path";
import type { CacheLayout } from "./cache-dir.js";

export function baseBlobEntriesDir(layout: CacheLayout): string {
  return join(layout.dir, "base-blobs");
}
