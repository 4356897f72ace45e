/**
 * What the blob store (blob-store.ts) keeps besides built layers, by kind: one marker
 * `<dir>/<folder>/<hex>.json` per blob (a cache-entry.ts entry; mtime = last use). Markers are kept
 * apart from `entries/` because those are keyed by layer inputs and listed as layers by `cache ls`,
 * and they are the prune's references: a blob nothing names is deleted after an hour.
 */
import { join } from "node:path";
import type { CacheLayout } from "./cache-dir.js";

/** `base`: a downloaded base image blob; `wheel`: a downloaded Python wheel. */
export type BlobKind = "base" | "wheel";

const FOLDERS: Record<BlobKind, string> = { base: "base-blobs", wheel: "wheel-blobs" };

export const BLOB_KINDS = Object.keys(FOLDERS) as readonly BlobKind[];

export function markerDir(layout: CacheLayout, kind: BlobKind): string {
  return join(layout.dir, FOLDERS[kind]);
}
