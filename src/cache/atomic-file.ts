/**
 * Publishing files into a directory other processes read at the same time: every file appears
 * complete or not at all, by writing next to it (same directory, so same filesystem) and renaming.
 * rename(2) is atomic on POSIX filesystems: a reader sees the old file or the new one, never half.
 */
import { randomBytes } from "node:crypto";
import { copyFile, rename, rm, writeFile } from "node:fs/promises";
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
