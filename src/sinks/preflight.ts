/** Output path checks shared by the file and directory sinks (run before the build). */
import { stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { MapBuildError } from "../errors.js";

async function kindOf(path: string): Promise<"file" | "dir" | "other" | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return undefined;
  return st.isDirectory() ? "dir" : st.isFile() ? "file" : "other";
}

async function parentMustExist(option: string, path: string): Promise<void> {
  const parent = dirname(resolve(path));
  if ((await kindOf(parent)) !== "dir") {
    // files and layouts alike: a missing folder is more often a typo than a wish
    throw new MapBuildError("E_OUTPUT", `${option} ${path}: folder ${parent} does not exist`, {
      hint: `create it first (mkdir -p ${parent}) or pass a path in an existing folder`,
    });
  }
}

/** `path` is a new or existing regular file in an existing folder. */
export async function expectOutputFile(option: string, path: string, example: string): Promise<void> {
  await parentMustExist(option, path);
  const k = await kindOf(path);
  if (k === "dir" || k === "other") {
    throw new MapBuildError("E_OUTPUT", `${option} ${path} is ${k === "dir" ? "a directory" : "not a regular file"}`, {
      hint: `pass a file name, e.g. ${option} ${example}`,
    });
  }
}

/** `path` is a new or existing directory in an existing folder. */
export async function expectOutputDir(option: string, path: string): Promise<void> {
  await parentMustExist(option, path);
  const k = await kindOf(path);
  if (k === "file" || k === "other") {
    throw new MapBuildError("E_OUTPUT", `${option} ${path} exists and is not a directory`, {
      hint: "pass a new or existing OCI layout folder",
    });
  }
}
