/**
 * Is a stored blob still the bytes its entry records? One check for every cache entry that names a
 * blob (built layers' entries, the blob store's markers): the file must be a regular file of the
 * recorded size, and have the stat it had when last verified, else it is hashed again (any write
 * changes ctime, which user space cannot set back). A blob that fails is deleted without harming a
 * good copy another build renamed over it (place-file.ts discardBlob).
 */
import { stat, utimes } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import { blobStat, sameBlobStat, writeEntry, type CacheEntry } from "./cache-entry.js";
import { discardBlob } from "./place-file.js";
import { hashFile } from "./stat-index.js";

export interface BlobCheckOptions {
  /** Hash even when the stat is the verified one. */
  full?: boolean;
  /** Called before a blob is hashed again. */
  onRehash?: () => void;
  /** Called when a bad blob was deleted. */
  onDiscard?: () => void;
}

/**
 * The blob's stat when `blobPath` holds `entry`'s bytes (the entry at `entryPath` then records it
 * as verified and as used now); undefined when it is missing or was bad (and is deleted).
 */
export async function checkBlob(blobPath: string, entry: CacheEntry, entryPath: string, opts: BlobCheckOptions = {}): Promise<BigIntStats | undefined> {
  const st = await stat(blobPath, { bigint: true }).catch(() => undefined);
  if (st === undefined) return undefined;
  if (!st.isFile() || Number(st.size) !== entry.size) return discard(blobPath, st, opts);
  if (opts.full || !sameBlobStat(entry.verified, st)) {
    opts.onRehash?.();
    if (`sha256:${await hashFile(blobPath)}` !== entry.digest) return discard(blobPath, st, opts);
    // The stat from before hashing: a write during the hash changes it, so the next check re-hashes.
    await writeEntry(entryPath, { ...entry, verified: blobStat(st) }).catch(() => {});
  } else {
    const now = new Date();
    await utimes(entryPath, now, now).catch(() => {}); // last use, for the LRU prune
  }
  return st;
}

async function discard(blobPath: string, st: BigIntStats, opts: BlobCheckOptions): Promise<undefined> {
  opts.onDiscard?.();
  await discardBlob(blobPath, st);
  return undefined;
}
