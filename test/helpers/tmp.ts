import { after, before } from "node:test";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh temp dir; call the returned cleanup in `after`. Short paths: dockerd needs ≤ 66 chars. */
export async function makeTempDir(prefix = "mb-"): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * One temp dir per test file (made before its tests, removed after them) and `fresh(name)`, a new
 * empty folder in it for each use; `root()` is the dir itself.
 */
export function scratchDirs(prefix: string): { fresh(name: string): Promise<string>; root(): string } {
  let made: { dir: string; cleanup: () => Promise<void> } | undefined;
  let n = 0;
  before(async () => {
    made = await makeTempDir(prefix);
  });
  after(async () => {
    await made?.cleanup();
  });
  const root = () => made!.dir;
  return {
    root,
    async fresh(name) {
      const p = join(root(), `${name}-${n++}`);
      await mkdir(p, { recursive: true });
      return p;
    },
  };
}
