/**
 * Content digests of input files without re-reading unchanged ones: a persistent map
 * path → (dev, ino, size, mtime ns, ctime ns) → sha256 of the contents, like git's index.
 *
 * Why ctime: a user (or `touch -d`, `cp -p`, rsync, a tar extract) can set a file's mtime to any
 * value, so "same size and same mtime" does not prove "same contents". ctime cannot be set from user
 * space: every write, chmod, rename or utimes call sets it to the current time. An edit that keeps
 * the size and restores the mtime therefore still changes ctime, misses the index and is re-hashed.
 *
 * Why the racy window: timestamps come from a coarse clock (a kernel tick, ~4 ms; 2 s on FAT; the
 * server's on NFS). A file written in the same tick as our stat could be written again, same size,
 * without any timestamp changing. As git does ("racily clean" entries), a file whose mtime or ctime
 * is within `racyWindowMs` of the time we looked is hashed but never recorded, and callers re-hash
 * it after use (see FileSnapshot.racy).
 *
 * The index is an optimization only: a lost, stale or corrupt index file just means re-hashing.
 */
import { hashFiles } from "../hash-file.js";
import { readFile, stat } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import { resolve } from "node:path";
import { MapBuildError, isMapBuildError } from "../errors.js";
import { writeFileAtomic } from "../atomic-file.js";

/** What we saw of a file when we hashed it (or found it in the index). */
export interface FileSnapshot {
  path: string;
  dev: string;
  ino: string;
  size: number;
  mtimeNs: string;
  ctimeNs: string;
  /** sha256 of the contents, hex. */
  sha256: string;
  /** Changed too recently to trust the timestamps: re-hash to prove it is unchanged. */
  racy: boolean;
}

/** On disk: [dev, ino, size, mtimeNs, ctimeNs, sha256 hex, last seen (ms)]. */
type IndexRecord = [string, string, number, string, string, string, number];

const INDEX_VERSION = 1;
const SEEN_REFRESH_MS = 60 * 60 * 1000;

export interface StatIndexCounters {
  /** Files whose contents were read and hashed. */
  hashedFiles: number;
  hashedBytes: number;
  /** Files answered from the index without reading them. */
  indexHits: number;
}

export class StatIndex {
  readonly #file: string;
  readonly #racyWindowMs: number;
  readonly #maxRecords: number;
  readonly #counters: StatIndexCounters;
  readonly #now: () => number;
  #records: Map<string, IndexRecord> | undefined;
  #loading: Promise<Map<string, IndexRecord>> | undefined;
  #dirty = false;
  #saving: Promise<void> = Promise.resolve();

  /** `now` (ms since the epoch) is injectable so tests decide what is racy without sleeping. */
  constructor(file: string, opts: { racyWindowMs: number; maxRecords: number; counters: StatIndexCounters; now?: () => number }) {
    this.#file = file;
    this.#now = opts.now ?? Date.now;
    this.#racyWindowMs = opts.racyWindowMs;
    this.#maxRecords = opts.maxRecords;
    this.#counters = opts.counters;
  }

  /** The sha256 of a file's contents, from the index when its stat is unchanged. */
  async digestOf(path: string, signal?: AbortSignal): Promise<FileSnapshot> {
    const abs = resolve(path);
    const records = await this.#load();
    const before = await statFile(abs);
    const rec = records.get(abs);
    if (rec && sameStat(rec, before)) {
      this.#counters.indexHits++;
      // Last-seen only orders eviction; refreshing it hourly spares a rewrite of the index per build.
      if (this.#now() - rec[6] > SEEN_REFRESH_MS) {
        rec[6] = this.#now();
        this.#dirty = true;
      }
      return snapshot(abs, before, rec[5], false);
    }
    const sha256 = await hashFile(abs, signal);
    this.#counters.hashedFiles++;
    this.#counters.hashedBytes += Number(before.size);
    const after = await statFile(abs);
    const racy = this.isRacy(before);
    if (!racy && sameStats(before, after)) {
      records.set(abs, [String(before.dev), String(before.ino), Number(before.size), String(before.mtimeNs), String(before.ctimeNs), sha256, this.#now()]);
      this.#dirty = true;
    } else {
      records.delete(abs);
    }
    // Changed while we read it: the digest may describe a mix of versions. Marking it racy makes
    // the caller re-check it after the layer is written, and the stat comparison will then fail.
    return snapshot(abs, before, sha256, racy || !sameStats(before, after));
  }

  /** True when the file's timestamps are too close to now to prove that it has not changed since. */
  isRacy(st: BigIntStats): boolean {
    const newest = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
    return this.#now() - Number(newest / 1_000_000n) < this.#racyWindowMs;
  }

  /** Write the index back if it changed, merged with what other processes saved meanwhile. */
  save(): Promise<void> {
    this.#saving = this.#saving.then(() => this.#save()).catch(() => {});
    return this.#saving;
  }

  async #save(): Promise<void> {
    if (!this.#dirty || this.#records === undefined) return;
    this.#dirty = false;
    const merged = await readIndex(this.#file);
    for (const [path, rec] of this.#records) {
      const other = merged.get(path);
      if (other === undefined || other[6] <= rec[6]) merged.set(path, rec);
    }
    let entries = [...merged];
    if (entries.length > this.#maxRecords) {
      entries.sort((a, b) => b[1][6] - a[1][6]);
      entries = entries.slice(0, this.#maxRecords);
    }
    await writeFileAtomic(this.#file, JSON.stringify({ v: INDEX_VERSION, files: Object.fromEntries(entries) }));
  }

  #load(): Promise<Map<string, IndexRecord>> {
    this.#loading ??= readIndex(this.#file).then((m) => (this.#records = m));
    return this.#loading;
  }
}

/** Stat a regular file for hashing; anything else is a layer input error, as writeLayer reports it. */
export async function statFile(path: string): Promise<BigIntStats> {
  let st: BigIntStats;
  try {
    st = await stat(path, { bigint: true });
  } catch (err) {
    throw unreadable(path, err);
  }
  if (!st.isFile()) {
    throw new MapBuildError("E_LAYER_INPUT", `${path} is not a regular file`, { hint: "only regular files can be layer file sources" });
  }
  return st;
}

/** True when a file still looks exactly as in `snap` (same inode, size and both timestamps). */
export function matchesSnapshot(snap: FileSnapshot, st: BigIntStats): boolean {
  return snap.dev === String(st.dev) && snap.ino === String(st.ino) && snap.size === Number(st.size) && snap.mtimeNs === String(st.mtimeNs) && snap.ctimeNs === String(st.ctimeNs);
}

export async function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  try {
    return await hashFiles([path], signal);
  } catch (err) {
    if (signal?.aborted) throw interrupted(signal.reason);
    throw unreadable(path, err);
  }
}

function snapshot(path: string, st: BigIntStats, sha256: string, racy: boolean): FileSnapshot {
  return { path, dev: String(st.dev), ino: String(st.ino), size: Number(st.size), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs), sha256, racy };
}

function sameStat(rec: IndexRecord, st: BigIntStats): boolean {
  return rec[0] === String(st.dev) && rec[1] === String(st.ino) && rec[2] === Number(st.size) && rec[3] === String(st.mtimeNs) && rec[4] === String(st.ctimeNs);
}

function sameStats(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** A missing or unreadable index is an empty one; records of the wrong shape are dropped. */
async function readIndex(file: string): Promise<Map<string, IndexRecord>> {
  const out = new Map<string, IndexRecord>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch {
    return out;
  }
  if (typeof parsed !== "object" || parsed === null) return out;
  const { v, files } = parsed as { v?: unknown; files?: unknown };
  if (v !== INDEX_VERSION || typeof files !== "object" || files === null) return out;
  for (const [path, rec] of Object.entries(files)) {
    if (isRecord(rec)) out.set(path, rec);
  }
  return out;
}

function isRecord(r: unknown): r is IndexRecord {
  return (
    Array.isArray(r) &&
    r.length === 7 &&
    typeof r[0] === "string" &&
    typeof r[1] === "string" &&
    typeof r[2] === "number" &&
    typeof r[3] === "string" &&
    typeof r[4] === "string" &&
    typeof r[5] === "string" &&
    /^[a-f0-9]{64}$/.test(r[5]) &&
    typeof r[6] === "number"
  );
}

export function interrupted(cause: unknown): MapBuildError {
  return new MapBuildError("E_INTERRUPTED", "layer build interrupted", { cause });
}

function unreadable(path: string, err: unknown): MapBuildError {
  if (isMapBuildError(err)) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return new MapBuildError("E_LAYER_INPUT", `cannot read ${path}: ${(err as Error)?.message ?? String(err)}`, {
    hint: code === "EACCES" || code === "EPERM" ? `make ${path} readable by this user (chmod a+r) or exclude it` : "check that the input exists and can be read, then run the build again",
    cause: err,
  });
}
