/**
 * `--models` of a MAP 1.0 (holoscan-cli 4.2.0 packager/models.py): a file is one model named by its
 * stem; a folder is scanned in sorted order, where loose files make the folder itself a model
 * (named by the folder's stem, the whole folder copied) and every sub-folder is a model of its own.
 * Each model lands in /opt/holoscan/models/<name>/.
 */
import { readdir, realpath, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { MapBuildError } from "../errors.js";
import { pythonStem } from "../map/index.js";
import { MAP1_MODELS_DIR } from "./layout.js";

export interface Map1Model {
  name: string;
  /** Host file or folder. */
  sourcePath: string;
  kind: "file" | "folder";
  /** Image folder of the model. */
  imageDir: string;
}

function missing(path: string, cause?: unknown): MapBuildError {
  return new MapBuildError("E_MODEL_INVALID", `cannot read the models path ${path}`, { cause, hint: "pass a model file or a folder of models" });
}

/** Code-point order, as Python's sorted() on str. */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export async function planMap1Models(path: string): Promise<Map1Model[]> {
  const st = await stat(path).catch((e: unknown) => {
    throw missing(path, e);
  });
  const model = (name: string, sourcePath: string, kind: Map1Model["kind"]): Map1Model => ({ name, sourcePath, kind, imageDir: `${MAP1_MODELS_DIR}/${name}` });
  if (st.isFile()) return [model(pythonStem(basename(path)), path, "file")];
  if (!st.isDirectory()) throw missing(path);
  // a dict upstream: a repeated name keeps its first position and takes the last value
  const models = new Map<string, Map1Model>();
  const folderName = pythonStem(basename(await realpath(path)));
  for (const name of (await readdir(path)).sort(byCodePoint)) {
    const child = join(path, name);
    const cst = await stat(child).catch(() => undefined); // dangling links are neither (os.path.isfile/isdir)
    if (cst?.isFile()) models.set(folderName, model(folderName, path, "folder"));
    else if (cst?.isDirectory()) models.set(name, model(name, child, "folder"));
  }
  return [...models.values()];
}
