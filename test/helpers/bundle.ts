/**
 * Bundles a TypeScript entry into one plain ESM file so a child process runs the product code
 * without the tsx loader: the loader's own worker thread and transpile cache add ~40 MB of RSS,
 * which a memory bound would otherwise measure instead of map-build.
 */
import { build } from "esbuild";
import { join } from "node:path";

/** Writes `<outDir>/<name>.mjs` with every dependency inlined, so it runs from any folder. */
export async function bundleForNode(entry: string, outDir: string, name = "bundle"): Promise<string> {
  const outfile = join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    // CommonJS dependencies call require(); ESM output has none unless we make one.
    banner: { js: "import { createRequire as __mbRequire } from 'node:module'; const require = __mbRequire(import.meta.url);" },
  });
  return outfile;
}
