/**
 * sha256 over several files' contents concatenated (a model folder's pkg.json digest), remembered
 * across builds. Each file's own hash comes from the stat index; the concatenated hash cannot be
 * derived from those, so it is memoised under a key made of the per-file hashes: contents decide,
 * never timestamps. A single file needs no memo: its concatenation is itself.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { hashFiles } from "../hash-file.js";
import { writeFileAtomic } from "../atomic-file.js";
import type { StatIndex } from "./stat-index.js";

/** Memo entries kept; older ones are dropped first (a model folder is one entry). */
const MAX_MEMO = 1000;

export class ContentDigests {
  readonly #file: string;
  readonly #index: StatIndex;

  constructor(file: string, index: StatIndex) {
    this.#file = file;
    this.#index = index;
  }

  async of(files: readonly string[], signal?: AbortSignal): Promise<string> {
    const snaps = [];
    for (const f of files) snaps.push(await this.#index.digestOf(f, signal));
    await this.#index.save();
    if (snaps.length === 1 && !snaps[0]!.racy) return snaps[0]!.sha256;
    const key = createHash("sha256");
    for (const s of snaps) key.update(`${s.path}\0${s.sha256}\n`);
    const k = key.digest("hex");
    const memo = await this.#read();
    const known = memo[k];
    if (known) return known;
    const digest = await hashFiles(files, signal);
    // a file changing while we read it leaves the memo alone (racy), like the stat index does
    if (!snaps.some((s) => s.racy)) await this.#write(k, digest);
    return digest;
  }

  async #read(): Promise<Record<string, string>> {
    try {
      const v: unknown = JSON.parse(await readFile(this.#file, "utf8"));
      return typeof v === "object" && v !== null ? (v as Record<string, string>) : {};
    } catch {
      return {};
    }
  }

  async #write(key: string, digest: string): Promise<void> {
    const memo = await this.#read();
    delete memo[key];
    memo[key] = digest;
    const entries = Object.entries(memo).slice(-MAX_MEMO);
    await writeFileAtomic(this.#file, JSON.stringify(Object.fromEntries(entries))).catch(() => {});
  }
}
