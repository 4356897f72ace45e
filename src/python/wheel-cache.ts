/**
 * Downloaded wheels, stored by content (`<dir>/sha256/<hex>`). Entries are written to a temp file in
 * the same directory and renamed, and their digest is checked on every hit (through the stat index
 * when the builder gives one: any write to the file changes its ctime), so a torn or tampered entry
 * is re-downloaded instead of trusted (style.md §10).
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { sha256HexForPath } from "../digest.js";
import { hashFile } from "../hash-file.js";

/** Hex sha256 of a file (the one file hasher, under the name the wheel code uses). */
export { hashFile as sha256File } from "../hash-file.js";

export class WheelCache {
  /** `digestFile`: the sha256 of an entry; default reads and hashes it (a stat-indexed digest spares re-reading unchanged entries). */
  constructor(readonly dir: string, private readonly digestFile: (path: string) => Promise<string> = hashFile) {}

  /** sha256 (hex) of any local wheel, through the same (stat-indexed) digest as the entries. */
  digest(path: string): Promise<string> {
    return this.digestFile(path);
  }

  pathFor(sha256: string): string {
    return join(this.dir, "sha256", sha256HexForPath(sha256, "a wheel source", "E_PYTHON_DEPS"));
  }

  /** The cached path if present and intact. */
  async get(sha256: string): Promise<string | undefined> {
    const p = this.pathFor(sha256);
    try {
      await stat(p);
    } catch {
      return undefined;
    }
    if ((await this.digestFile(p).catch(() => undefined)) === sha256) return p;
    await rm(p, { force: true });
    return undefined;
  }

  /**
   * Fill a temp file with `write` (which returns the sha256 of what it wrote) and keep it under that
   * digest — unless `expected` is given and differs: then nothing is kept and `path` is undefined.
   */
  async fill(expected: string | undefined, write: (tmp: string) => Promise<string>): Promise<{ path?: string; sha256: string }> {
    const dir = join(this.dir, "sha256");
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
    let sha256: string;
    try {
      sha256 = await write(tmp);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    if (expected !== undefined && sha256 !== expected) {
      await rm(tmp, { force: true });
      return { sha256 };
    }
    const path = this.pathFor(sha256);
    await rename(tmp, path);
    return { path, sha256 };
  }

  async discard(path: string): Promise<void> {
    await rm(path, { force: true });
  }
}
