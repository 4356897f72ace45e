/**
 * One cache entry file, `entries/<key>.json`: which blob a key maps to, with the facts about it
 * that cannot be read back cheaply (diffId needs a full decompression), and the blob's stat when it
 * was last verified, so that a later read can skip re-hashing an untouched blob. A `recipe` entry
 * has no blob: the layer is uncompressed and regenerated from its inputs (layer/replay-layer.ts),
 * which the key pins by content, so the cache holds no second copy of a model file.
 */
import { readFile } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import { isDigest, type Digest } from "../digest.js";
import { writeFileAtomic } from "../atomic-file.js";

const ENTRY_VERSION = 1;

/** ino, size, mtime ns, ctime ns of the blob file, as strings. */
export type BlobStat = [string, string, string, string];

export interface CacheEntry {
  digest: Digest;
  diffId: Digest;
  size: number;
  mediaType: string;
  /** Stat of the blob when its digest was last checked; absent when never checked. */
  verified?: BlobStat;
  /** No blob stored: regenerate the (uncompressed) layer from its inputs and check it against `digest`. */
  recipe?: true;
}

export const KEY_RE = /^[a-f0-9]{64}$/;

export function blobStat(st: BigIntStats): BlobStat {
  return [String(st.ino), String(st.size), String(st.mtimeNs), String(st.ctimeNs)];
}

export function sameBlobStat(a: BlobStat | undefined, st: BigIntStats): boolean {
  if (a === undefined) return false;
  const b = blobStat(st);
  return a.every((v, i) => v === b[i]);
}

/** The entry, or undefined when the file is missing; throws on a malformed file. */
export async function readEntry(path: string): Promise<CacheEntry | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return parseEntry(text);
}

function parseEntry(text: string): CacheEntry {
  const o = JSON.parse(text) as Record<string, unknown> | null;
  if (typeof o !== "object" || o === null || o.v !== ENTRY_VERSION) throw new Error("unknown cache entry version");
  const { digest, diffId, size, mediaType, verified, recipe } = o;
  if (typeof digest !== "string" || !isDigest(digest) || !digest.startsWith("sha256:")) throw new Error("bad digest");
  if (typeof diffId !== "string" || !isDigest(diffId)) throw new Error("bad diffId");
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw new Error("bad size");
  if (typeof mediaType !== "string" || mediaType === "") throw new Error("bad mediaType");
  const entry: CacheEntry = { digest, diffId, size, mediaType };
  if (Array.isArray(verified) && verified.length === 4 && verified.every((v) => typeof v === "string")) entry.verified = verified as BlobStat;
  if (recipe === true) {
    if (digest !== diffId) throw new Error("a recipe entry must be uncompressed");
    entry.recipe = true;
  }
  return entry;
}

export async function writeEntry(path: string, entry: CacheEntry): Promise<void> {
  const { digest, diffId, size, mediaType, verified, recipe } = entry;
  await writeFileAtomic(path, JSON.stringify({ v: ENTRY_VERSION, digest, diffId, size, mediaType, ...(verified ? { verified } : {}), ...(recipe ? { recipe } : {}) }) + "\n");
}
