/**
 * The cache vouching for one of its blobs (image.ts KeptFile): the blob holds its bytes while it
 * has the stat its entry (a built layer's entry, a base blob's marker) records as verified. When
 * map-build hard-links the blob into an output (an OCI layout), the link changes the blob's ctime;
 * that entry is then updated to the new stat, so the next build does not hash the blob again
 * (other entries naming the same bytes hash it once).
 *
 * The cache and the output share the inode from then on, and neither can corrupt the other
 * unseen: an edit of the output's file in place changes the blob's stat, so the cache's next
 * check re-hashes it and drops it when it differs (blob-check.ts); the cache never writes a blob
 * in place and removes one only by unlinking its own name. Deleting the output also changes the
 * blob's ctime (the link count drops): the next build hashes the blob once, and keeps it.
 */
import type { BigIntStats } from "node:fs";
import type { KeptFile } from "../image/index.js";
import { blobStat, readEntry, sameBlobStat, writeEntry, type BlobStat } from "./cache-entry.js";

/** `verified`: the blob's stat when its digest was last checked; `entryPath`: the entry recording it. */
export function keptBlob(entryPath: string, verified: BlobStat): KeptFile {
  let current = verified;
  return {
    holds: (st: BigIntStats) => sameBlobStat(current, st),
    async linked(before: BigIntStats, after: BigIntStats) {
      if (!sameBlobStat(current, before)) return;
      current = blobStat(after);
      // Only an entry that still records `before`: another build may have moved it on meanwhile.
      const entry = await readEntry(entryPath).catch(() => undefined);
      if (entry && sameBlobStat(entry.verified, before)) await writeEntry(entryPath, { ...entry, verified: current }).catch(() => {});
    },
  };
}
