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
    for (const entry of ["dist/cli/map-build.js", "dist/cli/monai-deploy.js"]) {
      assert.doesNotMatch(await readFile(join(REPO_ROOT, entry), "utf8"), /from\s+["']\.\.?\//, `${entry} is one bundle`);
    }
    const version = await run(process.execPath, [join(REPO_ROOT, "bin/map-build.js"), "--version"], { timeoutMs: 60_000 });
    assert.equal(version.stdout.trim(), (JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version);
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
