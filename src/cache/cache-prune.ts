/**
 * Keeping the cache bounded: least recently used entries go first (last use = mtime of the entry
 * file, bumped on every hit), a blob goes when no entry names it any more. Safe to run while other
 * builds use the cache: entries are listed before blobs (a put renames its blob before writing its
 * entry, so an entry seen has its blob listed), fresh orphans are left alone (a put in progress),
 * and recently used entries can be protected (a build holds the blob for its push). The blob
 * store's other blobs (downloaded base blobs and wheels, blob-store.ts) have markers of their own
 * per kind (blob-kinds.ts), pruned with the same LRU order under the same size limit. Recipe entries (no blob, cache-entry.ts) take no space: they
 * go by age, or when the cache is emptied.
 */
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { digestHex } from "../digest.js";
import { BLOB_KINDS, markerDir } from "./blob-kinds.js";
import type { CacheLayout } from "./cache-dir.js";
import { readEntry, type CacheEntry } from "./cache-entry.js";
import { CACHEDIR_TAG, claimCacheDir } from "./cache-tag.js";
import { MapBuildError } from "../errors.js";

export interface PruneOptions {
  /** Remove least recently used entries until the blobs take at most this many bytes. */
  maxBytes?: number;
  /** Remove entries not used for this many days. */
  olderThanDays?: number;
}

export interface PruneResult {
  /** Entries removed. */
  removed: number;
  /** Bytes of blobs and stale temp files deleted. */
  freedBytes: number;
}

export interface PrunePolicy {
  maxBytes: number;
  olderThanMs?: number;
  /** Never remove these blobs (hex): handed out by this process. */
  keep: ReadonlySet<string>;
  /** Never remove entries used less than this long ago. */
  graceMs: number;
  /** An explicit prune fails in a folder that is not map-build's cache; an automatic one does nothing there. */
  refuseForeign?: boolean;
}

/** The only names prune deletes: what map-build writes (cache-dir.ts, write-layer.ts, blob-store.ts, cache-repo/download.ts, atomic-file.ts). */
const BLOB_NAME = /^[0-9a-f]{64}$/;
const ENTRY_NAME = /^[0-9a-f]{64}\.json$/;
// base-…: downloads of versions before the blob store (left by a crash)
const TMP_LAYER_NAME = /^(layer-[0-9a-f]+\.tmp|put-\d+-[0-9a-f]+\.tmp|remote-[0-9a-f]+\.tmp|base-[0-9a-f]{64}\.\d+\.[0-9a-f]+)$/;
const ATOMIC_TEMP_NAME = /^\.[^/]+\.\d+\.[0-9a-f]+\.tmp$/;

/** A blob without entry younger than this may belong to a put in progress (blob first, entry next). */
const ORPHAN_GRACE_MS = 60 * 60 * 1000;
/** Temp files this old are left over from a crashed or killed build (a huge layer may take hours). */
const STALE_TMP_MS = 24 * 60 * 60 * 1000;

export interface ListedEntry {
  key: string;
  entry: CacheEntry | undefined;
  lastUsedMs: number;
  /** The entry file. */
  path: string;
}

/**
 * Every entry file of built layers (`entries/`, or another entries folder such as the base
 * blobs'); `entry` is undefined when the file is malformed. Vanished files are skipped.
 */
export async function listEntries(layout: CacheLayout, dir = layout.entries): Promise<ListedEntry[]> {
  const out: ListedEntry[] = [];
  for (const name of await readdirOrEmpty(dir)) {
    if (!ENTRY_NAME.test(name)) continue;
    const path = join(dir, name);
    try {
      const st = await stat(path);
      const entry = await readEntry(path).catch(() => undefined);
      out.push({ key: name.slice(0, -5), entry, lastUsedMs: st.mtimeMs, path });
    } catch {
      // removed meanwhile by another process
    }
  }
  return out;
}

/** hex → size and ctime of every finished blob. */
export async function listBlobs(layout: CacheLayout): Promise<Map<string, { size: number; ctimeMs: number }>> {
  const out = new Map<string, { size: number; ctimeMs: number }>();
  for (const name of await readdirOrEmpty(layout.blobs)) {
    if (!BLOB_NAME.test(name)) continue;
    try {
      const st = await stat(join(layout.blobs, name));
      if (st.isFile()) out.set(name, { size: st.size, ctimeMs: st.ctimeMs });
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

export async function pruneCache(layout: CacheLayout, policy: PrunePolicy, now = Date.now()): Promise<PruneResult> {
  const result: PruneResult = { removed: 0, freedBytes: 0 };
  const claim = await claimCacheDir(layout.dir);
  if (!claim.own) {
    if (!policy.refuseForeign || !claim.foreign.length) return result;
    throw new MapBuildError("E_USAGE", `${layout.dir} is not a map-build cache (no ${CACHEDIR_TAG}, and it holds ${JSON.stringify(claim.foreign.slice(0, 3).join(", "))}${claim.foreign.length > 3 ? " and more" : ""}): nothing was pruned`, {
      hint: "point the cache folder at map-build's own cache (default ~/.cache/map-build); prune never deletes files in other folders",
    });
  }
  // before blobs: see the file comment
  const entries = await listEntries(layout);
  for (const kind of BLOB_KINDS) entries.push(...(await listEntries(layout, markerDir(layout, kind))));
  const blobs = await listBlobs(layout);

  const refs = new Map<string, number>();
  const live: { path: string; hex: string; lastUsedMs: number }[] = [];
  const recipes: { path: string; hex: string; lastUsedMs: number }[] = [];
  for (const e of entries) {
    if (e.entry?.recipe) {
      recipes.push({ path: e.path, hex: digestHex(e.entry.digest), lastUsedMs: e.lastUsedMs });
      continue;
    }
    const hex = e.entry ? digestHex(e.entry.digest) : undefined;
    if (hex === undefined || !blobs.has(hex)) {
      await removeEntry(e.path, result); // malformed, or its blob is gone: it can only miss
      continue;
    }
    live.push({ path: e.path, hex, lastUsedMs: e.lastUsedMs });
    refs.set(hex, (refs.get(hex) ?? 0) + 1);
  }
  const isProtected = (e: { hex: string; lastUsedMs: number }): boolean => policy.keep.has(e.hex) || now - e.lastUsedMs < policy.graceMs;
  const drop = async (e: { path: string; hex: string }): Promise<void> => {
    await removeEntry(e.path, result);
    const left = (refs.get(e.hex) ?? 1) - 1;
    refs.set(e.hex, left);
    if (left === 0) await removeBlob(layout, e.hex, blobs, result);
  };

  live.sort((a, b) => a.lastUsedMs - b.lastUsedMs);
  const kept: typeof live = [];
  for (const e of live) {
    if (policy.olderThanMs !== undefined && now - e.lastUsedMs > policy.olderThanMs && !isProtected(e)) await drop(e);
    else kept.push(e);
  }
  for (const [hex, b] of [...blobs]) {
    if ((refs.get(hex) ?? 0) === 0 && now - b.ctimeMs > ORPHAN_GRACE_MS && !policy.keep.has(hex)) await removeBlob(layout, hex, blobs, result);
  }

  for (const e of recipes) {
    const old = policy.olderThanMs !== undefined && now - e.lastUsedMs > policy.olderThanMs;
    if ((old || policy.maxBytes === 0) && !isProtected(e)) await removeEntry(e.path, result);
  }

  let total = 0;
  for (const b of blobs.values()) total += b.size;
  for (const e of kept) {
    if (total <= policy.maxBytes) break;
    if (isProtected(e)) continue;
    const size = blobs.get(e.hex)?.size ?? 0;
    await drop(e);
    if (!blobs.has(e.hex)) total -= size;
  }

  await removeStaleTemps(layout, now, result);
  if (policy.refuseForeign) await pruneLegacyWheels(layout, now, result);
  return result;
}

/**
 * Wheels from before the blob store (`wheels/sha256/<hex>`) are never read again: any explicit
 * prune deletes them, and the temp files written there once stale.
 */
const LEGACY_WHEEL_TEMP = /^\.tmp-\d+-[0-9a-f]+$/;

async function pruneLegacyWheels(layout: CacheLayout, now: number, result: PruneResult): Promise<void> {
  const dir = join(layout.dir, "wheels", "sha256");
  for (const name of await readdirOrEmpty(dir)) {
    const wheel = BLOB_NAME.test(name);
    if (!wheel && !LEGACY_WHEEL_TEMP.test(name)) continue;
    const path = join(dir, name);
    try {
      const st = await stat(path);
      if (!st.isFile() || (!wheel && now - st.mtimeMs <= STALE_TMP_MS)) continue;
      await rm(path, { force: true });
      result.freedBytes += st.size;
    } catch {
      // removed meanwhile
    }
  }
}

async function removeEntry(path: string, result: PruneResult): Promise<void> {
  await rm(path, { force: true });
  result.removed++;
}

async function removeBlob(layout: CacheLayout, hex: string, blobs: Map<string, { size: number }>, result: PruneResult): Promise<void> {
  const b = blobs.get(hex);
  if (b === undefined) return;
  await rm(join(layout.blobs, hex), { force: true });
  blobs.delete(hex);
  result.freedBytes += b.size;
}

async function removeStaleTemps(layout: CacheLayout, now: number, result: PruneResult): Promise<void> {
  for (const [dir, isTemp] of [
    [layout.tmp, (n: string) => TMP_LAYER_NAME.test(n)],
    [layout.blobs, (n: string) => ATOMIC_TEMP_NAME.test(n)],
    [layout.entries, (n: string) => ATOMIC_TEMP_NAME.test(n)],
    ...BLOB_KINDS.map((k) => [markerDir(layout, k), (n: string) => ATOMIC_TEMP_NAME.test(n)] as const),
  ] as const) {
    for (const name of await readdirOrEmpty(dir)) {
      if (!isTemp(name)) continue;
      const path = join(dir, name);
      try {
        const st = await stat(path);
        if (st.isFile() && now - st.mtimeMs > STALE_TMP_MS) {
          await rm(path, { force: true });
          result.freedBytes += st.size;
        }
      } catch {
        // removed meanwhile
      }
    }
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}
