#!/usr/bin/env node
/**
 * Replaces the compiled CLI in OUT/cli/ (tsc output) with one ESM bundle, main.js, bundled from
 * src/cli/ by esbuild, which the two entries import after heap-settings.js. Start-up is most of a cached rebuild's time, and Node's ESM loader spends
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
  // main: the whole CLI as one module; the entries only import it, after heap-settings (below)
  entryPoints: { "map-build": "src/cli/map-build.ts", "monai-deploy": "src/cli/monai-deploy.ts", main: "src/cli/main.ts", "heap-settings": "src/cli/heap-settings.ts" },
  // The entries keep their two imports as written, in that order. V8 settings must be applied
  // before the packages load: a module's package imports (undici, zod, …) are evaluated before any
  // of its own code, and loading them had grown V8's young generation to 16 MB (2 MB with the
  // settings first; peak RSS of a real torch deps build −5 to −15 MB).
  external: ["./heap-settings.js", "./main.js"],
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
