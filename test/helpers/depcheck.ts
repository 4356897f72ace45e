/**
 * A dependency check in the spirit of go-containerregistry's depcheck: which src folders may import
 * which, no cycles between folders or files, and a folder is entered only through its index.ts. Pure over
 * an import graph, so its own test can feed it a forbidden edge.
 */
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, normalize, relative, sep } from "node:path";

/** file (relative to src, POSIX) → the src-relative files it imports; a `type:` prefix marks a type-only import. */
export type ImportGraph = Map<string, string[]>;

const TYPE_ONLY = "type:";

/** The module a file belongs to: its top folder, "root" for src/*.ts, "api" for src/index.ts. */
export function moduleOf(file: string): string {
  if (file === "index.ts") return "api";
  const slash = file.indexOf("/");
  return slash < 0 ? "root" : file.slice(0, slash);
}

/** The index.ts that fronts `file` when imported from outside its folder: the top folder's, or a sub-folder's own. */
function isEntry(target: string): boolean {
  return target.endsWith("/index.ts") || !target.includes("/");
}

export function checkDependencies(graph: ImportGraph, allowed: Record<string, readonly string[]>): string[] {
  const problems: string[] = [];
  const edges = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const from = moduleOf(file);
    if (!(from in allowed)) problems.push(`${file}: module "${from}" is not in the allowed-edges table`);
    for (const spec of targets) {
      const target = spec.startsWith(TYPE_ONLY) ? spec.slice(TYPE_ONLY.length) : spec;
      const to = moduleOf(target);
      if (to === from) continue;
      if (!(allowed[from] ?? []).includes(to)) problems.push(`${file} imports ${target}: ${from} may not depend on ${to}`);
      if (!isEntry(target)) problems.push(`${file} imports ${target}: enter ${to}/ through its index.ts`);
      if (spec.startsWith(TYPE_ONLY)) continue; // erased at run time: no load-order cycle
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  const cycle = findCycle(edges);
  if (cycle) problems.push(`cycle between folders: ${cycle.join(" -> ")}`);
  // files too: an import cycle inside a folder (cli/run-package <-> cli/default-output once) makes
  // load order matter and usually means one concern is split across two files
  const fileCycle = findCycle(new Map([...graph].map(([f, ts]) => [f, new Set(ts.filter((t) => !t.startsWith(TYPE_ONLY)))])));
  if (fileCycle) problems.push(`cycle between files: ${fileCycle.join(" -> ")}`);
  return problems;
}

function findCycle(edges: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (m: string): string[] | undefined => {
    if (state.get(m) === "done") return undefined;
    if (state.get(m) === "open") return [...path.slice(path.indexOf(m)), m];
    state.set(m, "open");
    path.push(m);
    for (const n of edges.get(m) ?? []) {
      const c = visit(n);
      if (c) return c;
    }
    path.pop();
    state.set(m, "done");
    return undefined;
  };
  for (const m of edges.keys()) {
    const c = visit(m);
    if (c) return c;
  }
  return undefined;
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
/** `import type {…} from` / `export type {…} from`: erased when compiled. */
const TYPE_STATEMENT = /^\s*(?:import|export)\s+type\s/;

/** The relative imports of every .ts file under `srcDir`, `.js` specifiers mapped to their `.ts` files. */
export async function readImportGraph(srcDir: string): Promise<ImportGraph> {
  const graph: ImportGraph = new Map();
  for (const entry of await readdir(srcDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const abs = join(entry.parentPath, entry.name);
    const file = relative(srcDir, abs).split(sep).join("/");
    const text = await readFile(abs, "utf8");
    const targets = [...text.matchAll(IMPORT)].map((m) => {
      const t = normalize(join(dirname(file), m[1]!)).split(sep).join("/").replace(/\.js$/, ".ts");
      if (m[0].includes("(")) return t; // import(): a value import
      const start = Math.max(text.lastIndexOf("\nimport", m.index), text.lastIndexOf("\nexport", m.index), 0);
      return TYPE_STATEMENT.test(text.slice(start, m.index)) ? `${TYPE_ONLY}${t}` : t;
    });
    graph.set(file, targets);
  }
  return graph;
}
