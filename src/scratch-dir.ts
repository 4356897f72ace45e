/**
 * A build's scratch folder, and the sweep of those a crashed build left behind.
 *
 * A normal end (success, failure, Ctrl-C) removes the folder in a `finally`; a crash (SIGKILL, OOM
 * killer, a native abort) cannot. The owner's pid is part of the name, so the next build can tell a
 * leftover from a folder another build is still using: it removes only folders whose pid no longer
 * runs and that have not changed for an hour. The age guard covers a /tmp shared across pid
 * namespaces (containers), where a live build's pid is invisible to us.
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";

const PREFIX = "map-build-";
const STALE_AFTER_MS = 60 * 60 * 1000;
const NAME = /^map-build-(\d+)-[A-Za-z0-9]{6}$/;

export interface ScratchOptions {
  /** Injected for tests; default Date.now. */
  now?: () => number;
}

/** Create `<parent>/map-build-<pid>-XXXXXX`, first removing stale ones (best effort: a sweep never fails a build). */
export async function makeScratchDir(parent: string, opts: ScratchOptions = {}): Promise<string> {
  await sweepStaleScratchDirs(parent, opts).catch(() => {});
  return mkdtemp(join(parent, `${PREFIX}${process.pid}-`));
}

/** Remove scratch folders of processes that no longer run, untouched for an hour; returns their names. */
export async function sweepStaleScratchDirs(parent: string, opts: ScratchOptions = {}): Promise<string[]> {
  const now = (opts.now ?? Date.now)();
  const removed: string[] = [];
  for (const name of await readdir(parent)) {
    const pid = Number(NAME.exec(name)?.[1]);
    if (!pid || pid === process.pid || isRunning(pid)) continue;
    const path = join(parent, name);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isDirectory() || now - st.mtimeMs < STALE_AFTER_MS) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, under another user
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
