/**
 * The folder boundaries of src/ (docs/architecture.md), enforced: a folder imports only the folders
 * listed for it, folders and files form no cycle of run-time imports (type-only imports are erased
 * when compiled, so they obey the table but cannot make a load-order cycle), and another folder is
 * entered only through its index.ts.
 * To allow a new edge, add it here and say why in the commit; moving code is usually the better fix.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { checkDependencies, readImportGraph, type ImportGraph } from "../helpers/depcheck.js";
import { functionSpans, readSources, stringLiterals } from "../helpers/source-scan.js";
import { OPTION_FLAGS } from "../../src/cli/option-flags.js";

/** Lower folders first; each may use only folders listed before it. "root" = src/*.ts primitives. */
export const ALLOWED: Record<string, readonly string[]> = {
  root: [],
  reference: ["root"],
  image: ["root", "reference"],
  layer: ["root", "image"],
  registry: ["root", "image", "reference"],
  cache: ["root", "image", "layer"],
  source: ["root", "image", "reference", "registry", "cache"],
  // the layer cache shared through a registry: the local cache (cache/) plus the registry client
  "cache-repo": ["root", "image", "layer", "reference", "registry", "cache"],
  map: ["root", "image", "layer"],
  map1: ["root", "image", "layer", "map"],
  // downloaded wheels live in the cache's one verified blob store (cache/blob-store.ts)
  python: ["root", "image", "layer", "registry", "cache"],
  inspect: ["root", "image", "reference", "registry", "map", "map1"],
  sinks: ["root", "image", "reference", "registry"],
  sbom: ["root", "image", "python", "registry", "reference", "builder"],
  builder: ["root", "image", "layer", "registry", "reference", "cache", "cache-repo", "source", "map", "map1", "python", "sinks", "sbom"],
  cli: ["root", "image", "registry", "reference", "cache", "source", "map", "map1", "python", "inspect", "sinks", "sbom", "builder"],
  api: ["root", "image", "layer", "registry", "reference", "cache", "cache-repo", "source", "map", "map1", "python", "inspect", "sinks", "sbom", "builder"],
};

describe("architecture: src/ folder dependencies", () => {
  it("src/ has only allowed edges, no cycles, and enters folders through index.ts", async () => {
    const problems = checkDependencies(await readImportGraph(resolve(import.meta.dirname, "../../src")), ALLOWED);
    assert.deepEqual(problems, []);
  });

  it("the check itself reports a forbidden edge, a bypassed index.ts and a cycle", () => {
    const graph: ImportGraph = new Map([
      ["image/image.ts", ["errors.ts"]],
      ["layer/write.ts", ["image/index.ts"]],
      ["image/append.ts", ["layer/index.ts"]], // image may not depend on layer (and it makes a cycle)
      ["cli/main.ts", ["builder/package-map.ts"]], // past builder/index.ts
    ]);
    const problems = checkDependencies(graph, ALLOWED);
    assert.ok(problems.some((p) => p.includes("image may not depend on layer")), problems.join("\n"));
    assert.ok(problems.some((p) => p.includes("enter builder/ through its index.ts")), problems.join("\n"));
    assert.ok(problems.some((p) => p.startsWith("cycle between folders")), problems.join("\n"));
    assert.deepEqual(checkDependencies(new Map([["layer/write.ts", ["image/index.ts", "errors.ts"]]]), ALLOWED), []);
    const fileCycle = checkDependencies(new Map([["cli/a.ts", ["cli/b.ts"]], ["cli/b.ts", ["cli/a.ts"]]]), ALLOWED);
    assert.deepEqual(fileCycle, ["cycle between files: cli/a.ts -> cli/b.ts -> cli/a.ts"]);
  });
});

const SRC = resolve(import.meta.dirname, "../../src");

/** Another tool's flag, quoted as that tool's command line (not a map-build option). */
const OTHER_TOOLS = [/pip install --user /, /git log -1 --format=%ct/, /pip download -d \S+ --only-binary=:all:/, /pip-compile --generate-hashes/, /uv export --format /];
/** The requirements-file parser reads pip's own option syntax (-r, --hash, --index-url…): pip's words, not map-build's flags. */
const PIP_SYNTAX = (file: string) => file === "python/requirements.ts";
const FLAG = /(^|[^\w-])--[a-z]/;

function flagProblems(files: [string, string][]): string[] {
  const problems: string[] = [];
  for (const [file, text] of files) {
    if (file.startsWith("cli/") || PIP_SYNTAX(file)) continue;
    for (const s of stringLiterals(file, text)) {
      if (FLAG.test(s.text) && !OTHER_TOOLS.some((t) => t.test(s.text))) problems.push(`${s.where}: ${JSON.stringify(s.text)} names a flag (use optionName())`);
    }
  }
  return problems;
}

describe("architecture: core messages name options, not flags", () => {
  it("no string outside src/cli/ spells a --flag", async () => {
    assert.deepEqual(flagProblems(await readSources(SRC)), []);
  });

  it("every optionName() used in src/ has a flag in the CLI's table", async () => {
    const missing = new Set<string>();
    for (const [, text] of await readSources(SRC)) {
      for (const m of text.matchAll(/optionName\("([A-Za-z0-9]+)"\)/g)) if (!(m[1]! in OPTION_FLAGS)) missing.add(m[1]!);
    }
    assert.deepEqual([...missing], []);
  });

  it("the check itself finds a flag in a hint and accepts another tool's command line", () => {
    const problems = flagProblems([["map/x.ts", 'const h = { hint: `pass --memory ${n}` };\nconst c = "pip install --user x";']]);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0]!, /^map\/x\.ts:1: "pass --memory "/);
  });
});

const MAX_FUNCTION_LINES = 80;

function longFunctions(files: [string, string][]): string[] {
  const long: string[] = [];
  for (const [file, text] of files) {
    for (const f of functionSpans(file, text)) {
      if (f.lines > MAX_FUNCTION_LINES) long.push(`${f.where}: ${f.lines} lines`);
    }
  }
  return long;
}

describe("architecture: functions fit on a screen", () => {
  it(`no function in src/ is longer than ${MAX_FUNCTION_LINES} lines`, async () => {
    assert.deepEqual(longFunctions(await readSources(SRC)), []);
  });

  it("the check itself counts a function from its signature to its closing brace", () => {
    const body = Array.from({ length: MAX_FUNCTION_LINES - 1 }, (_, i) => `  const x${i} = ${i};`).join("\n");
    assert.deepEqual(longFunctions([["map/ok.ts", `export function fits() {\n${body.split("\n").slice(1).join("\n")}\n}`]]), []);
    assert.deepEqual(longFunctions([["map/long.ts", `export const tooLong = () => {\n${body}\n};`]]), [`map/long.ts:1 tooLong: ${MAX_FUNCTION_LINES + 1} lines`]);
  });
});
