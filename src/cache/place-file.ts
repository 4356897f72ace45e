/**
 * Moving finished files into the cache, and dropping bad ones, while other processes read it.
 * Plain writes go through the one atomic writer (../atomic-file.ts).
 */
import { copyFile, link, rename, rm, stat } from "node:fs/promises";
import { constants, type BigIntStats } from "node:fs";
import { tempSibling } from "../atomic-file.js";

/**
 * Put the file at `src` at `dest`, replacing what is there. `move`: a plain rename when both are on
 * one filesystem (the source is complete, so the rename publishes it atomically, and a multi-GB
 * layer is not copied); otherwise, or without `move`, copy (a reflink where the filesystem has
 * them) through a sibling temp file and rename.
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
    await copyFile(src, tmp, constants.COPYFILE_FICLONE);
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
