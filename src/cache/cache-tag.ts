/**
 * The cache folder is marked with a CACHEDIR.TAG (https://bford.info/cachedir/: backup tools skip
 * it, and it tells map-build the folder is its own). Pruning deletes files, so it runs only in a
 * marked folder: a cache folder pointed at the wrong place (a home folder, an OCI layout whose
 * blobs/sha256/ looks like ours) must never lose a file. A folder that holds only names map-build
 * writes (a new folder, or a cache from before the tag) is marked when opened.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../atomic-file.js";

export const CACHEDIR_TAG = "CACHEDIR.TAG";
const SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55";
const TAG_TEXT = `${SIGNATURE}\n# This file is a cache directory tag created by map-build.\n# For information about cache directory tags see https://bford.info/cachedir/\n`;

/** Top-level names map-build writes into its cache folder (cache-dir.ts, the wheel and base-scan caches). */
const OWN_NAMES = new Set([CACHEDIR_TAG, "blobs", "entries", "tmp", "stat-index.json", "base-blobs", "content-digests.json", "wheels", "python-base", "map1-accounts", "wheel-blobs"]);
/** writeFileAtomic's temp siblings (src/atomic-file.ts). */
const OWN_TEMP = /^\..+\.\d+\.[0-9a-f]+\.tmp$/;

export async function isMarkedCache(dir: string): Promise<boolean> {
  const text = await readFile(join(dir, CACHEDIR_TAG), "utf8").catch(() => "");
  return text.startsWith(SIGNATURE);
}

/**
 * True when `dir` is map-build's cache: marked, or holding only names map-build writes (then it
 * is marked now). A missing folder is not a cache yet. Names that are not ours are returned.
 */
export async function claimCacheDir(dir: string): Promise<{ own: boolean; foreign: string[] }> {
  if (await isMarkedCache(dir)) return { own: true, foreign: [] };
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { own: false, foreign: [] };
  }
  const foreign = names.filter((n) => !OWN_NAMES.has(n) && !OWN_TEMP.test(n));
  if (foreign.length) return { own: false, foreign };
  try {
    await writeFileAtomic(join(dir, CACHEDIR_TAG), TAG_TEXT);
  } catch {
    return { own: false, foreign: [] }; // read-only: nothing will be pruned there either
  }
  return { own: true, foreign: [] };
}
