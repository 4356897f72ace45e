/**
 * Counts the files this process opens, by path prefix: proof that a step read nothing (an app-only
 * rebuild opens no wheel), without a hook in product code. Wraps fs.open, fs.openSync and fs.promises.open and
 * re-syncs the ESM bindings of node:fs and node:fs/promises, so `import { open } from
 * "node:fs/promises"` and createReadStream are counted too. Only for in-process tests.
 */
import fs from "node:fs";
import { resolve } from "node:path";
import { syncBuiltinESMExports } from "node:module";

export interface OpenSpy {
  /** Absolute paths opened so far (in order, repeats kept). */
  readonly opened: string[];
  /** Opens of paths inside `dir`. */
  under(dir: string): string[];
  stop(): void;
}

export function spyOnOpens(): OpenSpy {
  const opened: string[] = [];
  const promisesOpen = fs.promises.open;
  const callbackOpen = fs.open;
  const syncOpen = fs.openSync;
  const note = (p: unknown) => { if (typeof p === "string" || p instanceof URL || Buffer.isBuffer(p)) opened.push(resolve(p instanceof URL ? p.pathname : String(p))); };
  fs.promises.open = ((p: fs.PathLike, ...rest: unknown[]) => { note(p); return (promisesOpen as (...a: unknown[]) => unknown)(p, ...rest); }) as typeof fs.promises.open;
  fs.open = ((p: fs.PathLike, ...rest: unknown[]) => { note(p); return (callbackOpen as (...a: unknown[]) => unknown)(p, ...rest); }) as typeof fs.open;
  fs.openSync = ((p: fs.PathLike, ...rest: unknown[]) => { note(p); return (syncOpen as (...a: unknown[]) => unknown)(p, ...rest); }) as typeof fs.openSync;
  syncBuiltinESMExports();
  return {
    opened,
    under: (dir) => opened.filter((p) => p.startsWith(`${resolve(dir)}/`)),
    stop() {
      fs.promises.open = promisesOpen;
      fs.open = callbackOpen;
      fs.openSync = syncOpen;
      syncBuiltinESMExports();
    },
  };
}
