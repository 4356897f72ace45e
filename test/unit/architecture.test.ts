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
  python: ["root", "image", "layer", "registry"],
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
