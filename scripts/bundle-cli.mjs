#!/usr/bin/env node
/**
 * Replaces the compiled CLI entries in OUT/cli/ (tsc output) with one ESM file each, bundled from
 * src/cli/ by esbuild. Start-up is most of a cached rebuild's time, and Node's ESM loader spends
 * ~1 ms per module on ~230 of them: `map-build --version` took 0.50 s compiled and 0.32 s bundled
 * here. Packages stay external (npm installs them, their licences and versions are as declared);
 * the library (OUT/index.js) stays tsc's output. The bundles sit where tsc put the entries, so
 * `../../package.json` from a bundle is still the package's own (cli/version.ts, sbom/tool.ts).
 *   node scripts/bundle-cli.mjs OUT
 */
import { build } from "esbuild";
import { join } from "node:path";

const out = process.argv[2];
if (!out) {
  console.error("usage: node scripts/bundle-cli.mjs OUT (the folder tsc compiled into)");
  process.exit(2);
}
await build({
  entryPoints: { "map-build": "src/cli/map-build.ts", "monai-deploy": "src/cli/monai-deploy.ts" },
  outdir: join(out, "cli"),
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  legalComments: "none",
  logLevel: "warning",
  allowOverwrite: true,
});
