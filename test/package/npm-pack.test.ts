/**
 * What `npm i -g map-build` installs: `npm pack --dry-run --json` (which builds dist/ through the
 * prepare script) lists the CLI entries, the compiled library with its types, the README, the
 * checklist it points to and the LICENSE, and nothing else: no tests, no sources, no source maps
 * pointing at sources that are not shipped; the CLI entries are bundles that run. package.json says where to report bugs.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/cli.js";
import { run } from "../helpers/run.js";

interface PackFile {
  path: string;
  size: number;
  mode: number;
}

describe("npm package", () => {
  it("npm pack ships the CLI, dist with types, README, LICENSE and the checklist; no maps, sources or tests", async () => {
    const r = await run("npm", ["pack", "--dry-run", "--json"], { cwd: REPO_ROOT, timeoutMs: 300_000, env: { ...process.env, npm_config_loglevel: "error" } });
    assert.equal(r.code, 0, r.stderr);
    const [pack] = JSON.parse(r.stdout) as [{ name: string; files: PackFile[]; entryCount: number }];
    const paths = pack.files.map((f) => f.path);
    for (const must of ["package.json", "README.md", "LICENSE", "docs/checklist.md", "bin/map-build.js", "bin/monai-deploy.js", "dist/index.js", "dist/index.d.ts", "dist/cli/map-build.js"]) {
      assert.ok(paths.includes(must), `${must} is shipped`);
    }
    const stray = paths.filter((p) => !/^(bin|dist)\//.test(p) && !["package.json", "README.md", "LICENSE", "docs/checklist.md"].includes(p));
    assert.deepEqual(stray, [], "only bin/, dist/ and the listed files");
    assert.deepEqual(paths.filter((p) => p.endsWith(".map")), [], "no source maps");
    assert.deepEqual(paths.filter((p) => p.endsWith(".ts") && !p.endsWith(".d.ts")), [], "no TypeScript sources");
    for (const bin of pack.files.filter((f) => f.path.startsWith("bin/"))) assert.ok(bin.mode & 0o111, `${bin.path} is executable`);
    for (const f of pack.files.filter((f) => f.path.endsWith(".js"))) {
      assert.doesNotMatch(await readFile(join(REPO_ROOT, f.path), "utf8"), /sourceMappingURL/, `${f.path} points at no map`);
    }
    // the CLI entries are bundles (scripts/bundle-cli.mjs: start-up is most of a cached rebuild)
    // that import only packages, and they run from bin/
    // the CLI is one bundle (main.js) that imports only packages; each entry runs heap-settings.js
    // first and loads main.js after it (see src/cli/heap-settings.ts)
    assert.doesNotMatch(await readFile(join(REPO_ROOT, "dist/cli/main.js"), "utf8"), /from\s+["']\.\.?\/|import\(["']\.\.?\//, "main.js is one bundle");
    for (const entry of ["dist/cli/map-build.js", "dist/cli/monai-deploy.js"]) {
      const imports = [...(await readFile(join(REPO_ROOT, entry), "utf8")).matchAll(/import\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);
      assert.deepEqual(imports, ["./heap-settings.js", "./main.js"], `${entry}: the settings, then the CLI`);
    }
    const version = await run(process.execPath, [join(REPO_ROOT, "bin/map-build.js"), "--version"], { timeoutMs: 60_000 });
    assert.equal(version.stdout.trim(), (JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version);
  });

  it("the shipped CLI starts with V8's young generation unchanged and without loading undici", async () => {
    // a preload reports, at exit, the young generation's size and whether undici was ever loaded
    const probe = `data:text/javascript,${encodeURIComponent(`
      import { getHeapSpaceStatistics } from "node:v8";
      import { createRequire } from "node:module";
      const cache = createRequire("/").cache; // the one CommonJS module cache of the process
      process.on("exit", () => {
        const young = getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
        process.stderr.write("PROBE " + JSON.stringify({ young, undici: Object.keys(cache).some((k) => k.includes("/node_modules/undici/")) }) + "\\n");
      });`)}`;
    const r = await run(process.execPath, ["--import", probe, join(REPO_ROOT, "bin/map-build.js"), "--help"], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(/PROBE (.*)/.exec(r.stderr)?.[1] ?? "null") as { young: number; undici: boolean };
    // V8 starts with 1 MiB semi-spaces; loading the CLI after heap-settings keeps them there (16 MB before)
    assert.ok(seen.young <= 2 * 1024 * 1024, `young generation ${seen.young} bytes`);
    assert.equal(seen.undici, false, "undici is loaded only when a connection is made");
  });

  it("package.json: Apache-2.0 with its text, and where to report bugs", async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as Record<string, unknown>;
    assert.equal(pkg.license, "Apache-2.0");
    assert.match(await readFile(join(REPO_ROOT, "LICENSE"), "utf8"), /Apache License\s+Version 2\.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/);
    assert.match(String((pkg.repository as { url?: string })?.url), /^git\+https:\/\//);
    assert.match(String((pkg.bugs as { url?: string })?.url), /^https:\/\/.*\/issues$/);
    assert.match(String(pkg.homepage), /^https:\/\//);
  });
});
