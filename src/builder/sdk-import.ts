/**
 * Whether an app imports the App SDK (`import monai.deploy…`, `from monai.deploy… import`,
 * `from monai import deploy`): only then does a MAP need the SDK installed. A static look at the
 * app's Python files, as the rest of the app analysis is.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { AppInfo } from "../map/index.js";

const IMPORT = /^[ \t]*(?:import[ \t]+monai\.deploy\b|from[ \t]+monai\.deploy\b|from[ \t]+monai[ \t]+import[ \t]+(?:\(?[\w, \t]*\b)?deploy\b)/m;
const SKIP = new Set(["__pycache__", "node_modules", "venv", ".venv", "site-packages"]);
/** Enough for any app folder; a folder with more Python files is not an app's source. */
const MAX_FILES = 5000;

async function pythonFiles(dir: string, out: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (out.length >= MAX_FILES || e.name.startsWith(".")) continue;
    if (e.isDirectory() && !SKIP.has(e.name)) await pythonFiles(join(dir, e.name), out);
    else if (e.isFile() && e.name.endsWith(".py")) out.push(join(dir, e.name));
  }
}

export async function importsSdk(app: Pick<AppInfo, "kind" | "root" | "mainModuleFile">): Promise<boolean> {
  const files: string[] = [];
  if (app.kind === "file") files.push(join(app.root, app.mainModuleFile));
  else await pythonFiles(app.root, files);
  for (const f of files) {
    if (IMPORT.test(await readFile(f, "utf8").catch(() => ""))) return true;
  }
  return false;
}
