/**
 * A layer's local file (Layer.storedFile) put at a path of an output, without streaming it through
 * buffers, and without a second full write or a re-hash where that is safe:
 * - a file map-build keeps (a cache blob, a layer it just built) that still holds its verified
 *   bytes is hard-linked when the output is on its filesystem: no write, no hash. The output and
 *   the cache then share the inode; kept-blob.ts says why neither can corrupt the other unseen.
 * - otherwise the kernel copies it: a reflink where the filesystem has them (btrfs, XFS: a
 *   copy-on-write copy, as independent as any), else copy_file_range. The copy is hashed unless
 *   the source is such a kept file and had its verified stat before and after the copy (the copy
 *   then holds the bytes the source was verified to hold).
 * A user's file (an input layout's blob) is never linked: a later edit of either would change both.
 */
import { constants, type BigIntStats } from "node:fs";
import { copyFile, link, rename, rm, stat } from "node:fs/promises";
import { digestHex, type Digest } from "../digest.js";
import { tempSibling } from "../atomic-file.js";
import { hashFile } from "../hash-file.js";
import type { StoredFile } from "../image/index.js";

/** How the file was put in place: linked, copied on trust, or copied and the copy hashed. */
export type Placed = "linked" | "copied" | "copied-hashed";

export interface PlaceDeps {
  /** The hard-link call; tests inject EXDEV with it (a second filesystem is not at hand). */
  link?: (existing: string, newPath: string) => Promise<void>;
}

/**
 * Put `stored` (the `size` bytes of `d`) at `target`, replacing what is there. Undefined when that
 * did not work out; the caller then streams the blob, which reports a missing or changed file the
 * usual way.
 */
export async function placeStoredFile(stored: StoredFile, target: string, d: Digest, size: number, deps: PlaceDeps = {}): Promise<Placed | undefined> {
  if (!d.startsWith("sha256:")) return undefined;
  const before = await heldStat(stored, size);
  if (before && (await linkKept(stored, before, target, deps.link ?? link))) return "linked";
  return copyOut(stored.path, target, d, before);
}

/** True when `target` is the kept file itself (linked by an earlier build) and still holds its bytes. */
export async function isKeptFile(stored: StoredFile | undefined, target: string, size: number): Promise<boolean> {
  const st = stored && (await heldStat(stored, size));
  const there = st && (await stat(target, { bigint: true }).catch(() => undefined));
  return there !== undefined && there.dev === st!.dev && there.ino === st!.ino;
}

/** The stat of a kept file that still holds its verified `size` bytes; else undefined. */
async function heldStat(stored: StoredFile, size: number): Promise<BigIntStats | undefined> {
  if (!stored.kept) return undefined;
  const st = await stat(stored.path, { bigint: true }).catch(() => undefined);
  return st?.isFile() && st.size === BigInt(size) && stored.kept.holds(st) ? st : undefined;
}

async function linkKept(stored: StoredFile, before: BigIntStats, target: string, linkFile: NonNullable<PlaceDeps["link"]>): Promise<boolean> {
  const tmp = tempSibling(target);
  try {
    await linkFile(stored.path, tmp);
  } catch {
    return false; // EXDEV (another filesystem), EPERM (protected_hardlinks, no links there), EMLINK, …
  }
  try {
    await rename(tmp, target);
    // Our link changed only ctime and the link count; a write meanwhile would have changed mtime.
    const after = await stat(stored.path, { bigint: true });
    if (!sameFile(before, after) || after.mtimeNs !== before.mtimeNs) throw new Error("the file changed while it was linked");
    await stored.kept!.linked(before, after);
    return true;
  } catch {
    await rm(tmp, { force: true }).catch(() => {});
    const there = await stat(target, { bigint: true }).catch(() => undefined);
    if (there && sameFile(before, there)) await rm(target, { force: true }).catch(() => {});
    return false;
  }
}

async function copyOut(src: string, target: string, d: Digest, verified: BigIntStats | undefined): Promise<Placed | undefined> {
  const tmp = tempSibling(target);
  try {
    await copyFile(src, tmp, constants.COPYFILE_FICLONE);
    const after = verified && (await stat(src, { bigint: true }));
    const trusted = verified !== undefined && after !== undefined && sameFile(verified, after) && after.mtimeNs === verified.mtimeNs && after.ctimeNs === verified.ctimeNs;
    if (!trusted && (await hashFile(tmp)) !== digestHex(d)) throw new Error("digest differs");
    await rename(tmp, target);
    return trusted ? "copied" : "copied-hashed";
  } catch {
    await rm(tmp, { force: true }).catch(() => {});
    return undefined;
  }
}

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size;
}
