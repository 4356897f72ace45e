/** `map-build cache ls|prune`: what the layer cache holds, and trimming it. */
import { Command } from "commander";
import { MapBuildError } from "../errors.js";
import { defaultCacheDir, openLayerCache } from "../cache/index.js";
import { formatBytes } from "./progress-view.js";
import { parseByteSize } from "./units.js";
import type { CliIO } from "./io.js";

function parseDays(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new MapBuildError("E_USAGE", `invalid --older-than "${v}"`, { hint: "pass a number of days, e.g. 30" });
  return n;
}

export function cacheCommand(io: CliIO, setExit: (code: number) => void): Command {
  const cache = new Command("cache").description("Inspect or trim map-build's layer cache ($MAP_BUILD_CACHE_DIR, else $XDG_CACHE_HOME/map-build)");
  // without a sub-command commander printed help and exited 1, which reads as an internal error
  cache.exitOverride().action(() => {
    throw new MapBuildError("E_USAGE", "cache needs a sub-command: ls or prune", { hint: "run `map-build cache ls` or `map-build cache prune --help`" });
  });
  const dirOf = (o: { cacheDir?: string }) => o.cacheDir ?? defaultCacheDir(io.env);

  cache
    .command("ls")
    .description("list cached layers, most recently used first")
    .option("--cache-dir <dir>", "cache folder")
    .option("--json", "print JSON")
    .action(async (o: { cacheDir?: string; json?: boolean }) => {
      const c = await openLayerCache({ dir: dirOf(o) });
      const entries = await c.ls();
      const blobs = await c.blobCounts();
      if (o.json) {
        io.stdout.write(`${JSON.stringify({ dir: c.dir, usage: await c.usage(), entries, blobs }, null, 2)}\n`);
      } else {
        for (const e of entries) io.stdout.write(`${e.digest.slice(0, 19)}  ${formatBytes(e.size).padStart(9)}  ${e.lastUsed.toISOString()}  ${e.mediaType}${e.recipe ? "  (no copy: regenerated from its inputs)" : ""}\n`);
        io.stdout.write(`${entries.length} layer(s), ${blobs.base} downloaded base blob(s), ${blobs.wheel} wheel(s), ${formatBytes(await c.usage())} in ${c.dir}\n`);
      }
      setExit(0);
    });

  cache
    .command("prune")
    .description("remove least recently used layers")
    .option("--cache-dir <dir>", "cache folder")
    .option("--max-size <size>", "shrink the cache to this size, e.g. 10GiB (default: remove everything)", (v: string) => parseByteSize(v, "--max-size"))
    .option("--older-than <days>", "remove layers not used for this many days", parseDays)
    .action(async (o: { cacheDir?: string; maxSize?: number; olderThan?: number }) => {
      const c = await openLayerCache({ dir: dirOf(o) });
      const limits = o.maxSize === undefined && o.olderThan === undefined ? { maxBytes: 0 } : { maxBytes: o.maxSize, olderThanDays: o.olderThan };
      const r = await c.prune(limits);
      io.stdout.write(`removed ${r.removed} layer(s), freed ${formatBytes(r.freedBytes)}\n`);
      setExit(0);
    });
  return cache;
}
