/**
 * Plan the `--model` content of a legacy MAP (map-format.md §1.6; SDK monai/deploy/core/models/*,
 * packager/util.py): classify the path, name each model, hash it like fileutil.checksum, and say
 * where it goes in the image. Copying is the layer writer's job: a file model goes *into*
 * `<imageDir>/`, a folder model's contents *become* `<imageDir>/`.
 */
import { hashFiles } from "../hash-file.js";
import { readdir, realpath, stat } from "node:fs/promises";
import { basename, join, posix, resolve } from "node:path";
import { MapBuildError, optionName } from "../errors.js";
import { isTorchScriptFile } from "./torchscript.js";

export const DEFAULT_MODELS_DIR = "/opt/monai/models";

export interface ModelPlan {
  /** Model name: sub-folder name in a repository, else `Path(path).stem`. */
  name: string;
  /** Absolute host path of the model file or folder. */
  sourcePath: string;
  kind: "file" | "folder";
  /** `<modelsDir>/<name>`: a file model is copied into it, a folder model becomes it. */
  imageDir: string;
  /** pkg.json `models[].name`: `<name[:63]>-<sha256>`. */
  manifestName: string;
  /**
   * pkg.json `models[].path`. File: `<imageDir>/<basename>` (as upstream). Folder: `<imageDir>`
   * itself, the path that exists in the image; upstream wrote `<imageDir>/<basename>` (bug B4),
   * which is never there because copytree puts the folder's contents in `<imageDir>`.
   */
  manifestPath: string;
  /** Lower-case hex sha256 of the contents (fileutil.checksum). */
  sha256: string;
  warnings: string[];
}

/** Python's PurePath.stem (3.8): strip the last suffix unless the dot is first or last. */
export function pythonStem(name: string): string {
  const i = name.lastIndexOf(".");
  return i > 0 && i < name.length - 1 ? name.slice(0, i) : name;
}

interface Entry {
  name: string;
  path: string;
  isDir: boolean;
  isFile: boolean;
}

/** Like Path.iterdir + is_dir()/is_file(), which follow symlinks; sorted so plans are stable. */
async function listDir(dir: string): Promise<Entry[]> {
  const names = (await readdir(dir)).sort(compareStr);
  return Promise.all(
    names.map(async (name) => {
      const path = join(dir, name);
      const st = await stat(path).catch(() => undefined);
      return { name, path, isDir: !!st?.isDirectory(), isFile: !!st?.isFile() };
    }),
  );
}

function compareStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0; // UTF-16 order; equal to code-point order except for astral vs U+E000+
}

/** Triton model folder: config.pbtxt plus a numeric (>0) version folder holding `model.*`. */
async function isTritonModel(dir: string): Promise<boolean> {
  const entries = await listDir(dir);
  if (!entries.some((e) => e.name === "config.pbtxt" && e.isFile)) return false;
  for (const v of entries) {
    if (!v.isDir || !/^\d+$/.test(v.name) || Number(v.name) <= 0) continue;
    if ((await readdir(v.path)).some((n) => pythonStem(n) === "model")) return true;
  }
  return false;
}

/**
 * Every regular file under `root` (or `root` itself), in `sorted(Path.glob("**\/*"))` order: paths
 * compared component by component, dotfiles included. Symlinks are followed like Path.is_file and
 * the pre-3.13 `**` glob did; a directory reached twice (a link cycle) is not walked again.
 */
export async function modelFiles(root: string): Promise<string[]> {
  const st = await stat(root);
  if (st.isFile()) return [root];
  const out: string[][] = [];
  const seen = new Set<string>();
  const walk = async (dir: string, rel: string[]): Promise<void> => {
    const real = await realpath(dir);
    if (seen.has(real)) return;
    seen.add(real);
    for (const e of await listDir(dir)) {
      if (e.isFile) out.push([...rel, e.name]);
      else if (e.isDir) await walk(e.path, [...rel, e.name]);
    }
  };
  await walk(root, []);
  out.sort(compareParts);
  return out.map((parts) => join(root, ...parts));
}

function compareParts(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareStr(a[i] as string, b[i] as string);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** sha256 over the concatenated contents (names are not hashed), streamed file by file. */
export async function modelSha256(path: string): Promise<string> {
  return hashFiles(await modelFiles(path));
}

/**
 * Computes the sha256 of the given files' contents concatenated; a build passes one backed by the
 * layer cache's stat index, so an unchanged multi-GB model is not re-read on every rebuild.
 */
export type ContentDigest = (files: readonly string[]) => Promise<string>;

async function planOne(name: string, sourcePath: string, modelsDir: string, warnings: string[], digest?: ContentDigest): Promise<ModelPlan> {
  const st = await stat(sourcePath);
  const kind = st.isDirectory() ? "folder" : "file";
  const imageDir = posix.join(modelsDir, name);
  const sha256 = digest ? await digest(await modelFiles(sourcePath)) : await modelSha256(sourcePath);
  return {
    name,
    sourcePath,
    kind,
    imageDir,
    manifestName: `${Array.from(name).slice(0, 63).join("")}-${sha256}`,
    manifestPath: kind === "file" ? posix.join(imageDir, basename(sourcePath)) : imageDir,
    sha256,
    warnings,
  };
}

function invalid(message: string, hint: string): MapBuildError {
  return new MapBuildError("E_MODEL_INVALID", message, { hint });
}

/** Classify `modelPath` (Triton repo, named repo, single model) and plan every model in it. */
export async function planModels(modelPath: string, modelsDir = DEFAULT_MODELS_DIR, opts: { digest?: ContentDigest } = {}): Promise<ModelPlan[]> {
  const abs = resolve(modelPath);
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw invalid(`model path ${modelPath} does not exist`, `pass ${optionName("model")} with an existing model file or folder`);
  if (!st.isFile() && !st.isDirectory()) {
    throw invalid(`model path ${modelPath} is not a regular file or folder`, `pass ${optionName("model")} with a model file or a folder of models`);
  }
  if (st.isFile()) return [await planOne(pythonStem(basename(abs)), abs, modelsDir, [], opts.digest)];

  const entries = await listDir(abs);
  if (entries.length === 0 || (await modelFiles(abs)).length === 0) {
    throw invalid(`model folder ${modelPath} contains no files`, `put the model files in the folder, or pass ${optionName("model")} with the model file itself`);
  }
  const allDirs = entries.every((e) => e.isDir);

  // 1. Triton repository: one model per sub-folder, the whole sub-folder.
  if (allDirs && (await Promise.all(entries.map((e) => isTritonModel(e.path)))).every(Boolean)) {
    return Promise.all(entries.map((e) => planOne(e.name, e.path, modelsDir, [], opts.digest)));
  }
  // 2. Named repository: sub-folders holding exactly one entry each; that entry is the model.
  if (allDirs) {
    const inner = await Promise.all(entries.map((e) => listDir(e.path)));
    if (inner.every((list) => list.length === 1)) {
      return Promise.all(
        entries.map(async (e, i) => {
          const only = (inner[i] as Entry[])[0] as Entry;
          const warnings: string[] = [];
          if (!(only.isFile && (await isTorchScriptFile(only.path)))) {
            warnings.push(
              `model ${e.name}/${only.name} is not a TorchScript file; SDK 0.5.1 would have left it out of the package (bug B5), map-build includes it`,
            );
          }
          return planOne(e.name, only.path, modelsDir, warnings, opts.digest);
        }),
      );
    }
  }
  // 3. Any other folder is one model.
  return [await planOne(pythonStem(basename(abs)), abs, modelsDir, [], opts.digest)];
}
