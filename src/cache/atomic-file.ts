/**
 * Publishing files into a directory other processes read at the same time: every file appears
 * complete or not at all, by writing next to it (same directory, so same filesystem) and renaming.
 * rename(2) is atomic on POSIX filesystems: a reader sees the old file or the new one, never half.
 */
import { randomBytes } from "node:crypto";
import { copyFile, link, rename, rm, stat, writeFile } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import { basename, dirname, join } from "node:path";

/** A unique sibling temp name; the leading dot keeps it out of listings of finished files. */
export function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

/** Write `data` to `path` through a sibling temp file and a rename (replaces an existing file). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempSibling(path);
  try {
    await writeFile(tmp, data, { flag: "wx", mode: 0o644 });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}

/**
 * Put the file at `src` at `dest`, replacing what is there. `move`: a plain rename when both are on
 * one filesystem (the source is complete, so the rename publishes it atomically, and a multi-GB
 * layer is not copied); otherwise, or without `move`, copy through a sibling temp file and rename.
 * A moved source is deleted; without `move` it is left untouched.
 */
export async function placeFile(src: string, dest: string, move: boolean): Promise<void> {
  if (move) {
    try {
      await rename(src, dest);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
    }
  }
  const tmp = tempSibling(dest);
  try {
    await copyFile(src, tmp);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
  if (move) await rm(src, { force: true });
}

/**
 * Delete a bad blob without deleting a good copy another process has just renamed over it: move
 * it aside first, and if the file moved is not the one examined, put it back.
 */
export async function discardBlob(path: string, examined: BigIntStats): Promise<void> {
  const aside = tempSibling(path);
  try {
    await rename(path, aside);
  } catch {
    return;
  }
  try {
    const st = await stat(aside, { bigint: true });
    // Compare the inode only: the rename itself just changed ctime.
    if (st.ino !== examined.ino || st.dev !== examined.dev) await link(aside, path).catch(() => {});
  } finally {
    await rm(aside, { force: true }).catch(() => {});
  }
}
