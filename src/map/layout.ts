/**
 * The image config and directory skeleton of a legacy MAP (map-format.md §1.2, §1.3), as data.
 * The upstream Dockerfile's ENV/LABEL/WORKDIR/USER/ENTRYPOINT lines become `MapConfigChanges`;
 * its `mkdir -p` lines become directory entries for the layer writer.
 */
import type { DirEntry } from "../layer/index.js";
import { MapBuildError, optionName } from "../errors.js";
import { DEFAULT_WORKING_DIR } from "./manifests.js";
import { DEFAULT_MODELS_DIR } from "./models.js";

export const MAP_APP_DIR = "/opt/monai/app";
export const MAP_EXECUTOR_DIR = "/opt/monai/executor";
export const MAP_EXECUTOR_PATH = "/opt/monai/executor/monai-exec";
export const MAP_MANIFEST_DIR = "/etc/monai";
export const MAP_USER_BIN = "/root/.local/bin";
/** Docker's PATH for a base that sets none (§3; unconfirmed upstream, but what `docker run` uses). */
export const DOCKER_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface MapLayoutOptions {
  /** `--working-dir`, absolute; default `/var/monai/` (kept verbatim, trailing slash included). */
  workingDir?: string;
  /** `--input-dir`, relative to the working dir or absolute; default `input`. */
  inputDir?: string;
  /** `--output-dir`; default `output`. */
  outputDir?: string;
  /** `--models-dir`, absolute; default `/opt/monai/models`. */
  modelsDir?: string;
  /** `--timeout` seconds; default 0. */
  timeout?: number;
  /** The base image's `Env`, to expand `$PATH` at build time (no literal `$PATH` in the image). */
  baseEnv?: readonly string[] | null;
  /** Label values (§1.3). */
  base: string;
  tag: string;
  version: string;
  sdkVersion: string;
}

export interface MapConfigChanges {
  /** In Dockerfile order; each replaces the base's value in place or is appended. */
  env: [string, string][];
  labels: { base: string; tag: string; version: string; sdk_version: string };
  workingDir: string;
  user: "root";
  entrypoint: [string];
  /** ENTRYPOINT clears an inherited CMD. */
  cmd: null;
  /** Resolved paths, for the manifests and the executor. */
  paths: { workingDir: string; inputPath: string; outputPath: string; modelsDir: string; appDir: string };
}

/** Python's posixpath.join for two parts: an absolute second part wins, no normalisation. */
export function pythonPathJoin(a: string, b: string): string {
  if (b.startsWith("/")) return b;
  if (a === "" || a.endsWith("/")) return a + b;
  return `${a}/${b}`;
}

function usage(message: string, hint: string): MapBuildError {
  return new MapBuildError("E_USAGE", message, { hint });
}

function envValue(env: readonly string[] | null | undefined, key: string): string | undefined {
  const hit = env?.find((e) => e.startsWith(`${key}=`));
  return hit === undefined ? undefined : hit.slice(key.length + 1);
}

export function mapConfigChanges(opts: MapLayoutOptions): MapConfigChanges {
  const workingDir = opts.workingDir ?? DEFAULT_WORKING_DIR;
  const modelsDir = opts.modelsDir ?? DEFAULT_MODELS_DIR;
  const inputDir = opts.inputDir ?? "input";
  const outputDir = opts.outputDir ?? "output";
  const timeout = opts.timeout ?? 0;
  if (!workingDir.startsWith("/")) throw usage(`${optionName("workingDir")} ${workingDir} is not absolute`, "pass an absolute path such as /var/monai/");
  if (!modelsDir.startsWith("/")) throw usage(`${optionName("modelsDir")} ${modelsDir} is not absolute`, "pass an absolute path such as /opt/monai/models");
  for (const [name, v] of [["inputDir", inputDir], ["outputDir", outputDir]] as const) {
    if (v.trim() === "" || v.includes("\n")) throw usage(`${optionName(name)} must be a non-empty path`, `pass ${optionName(name)} with a directory name such as ${name === "inputDir" ? "input" : "output"}`);
  }
  if (!Number.isSafeInteger(timeout) || timeout < 0) {
    throw usage(`invalid timeout ${timeout}: must be a non-negative whole number of seconds`, `pass ${optionName("timeout")} with an integer such as 600`);
  }
  const inputPath = pythonPathJoin(workingDir, inputDir);
  const outputPath = pythonPathJoin(workingDir, outputDir);
  const basePath = envValue(opts.baseEnv, "PATH") ?? DOCKER_DEFAULT_PATH;
  return {
    env: [
      ["DEBIAN_FRONTEND", "noninteractive"],
      ["TERM", "xterm-256color"],
      ["MONAI_INPUTPATH", inputPath],
      ["MONAI_OUTPUTPATH", outputPath],
      ["MONAI_WORKDIR", workingDir],
      ["MONAI_APPLICATION", MAP_APP_DIR],
      ["MONAI_TIMEOUT", String(timeout)],
      // Always set, unlike SDK < 0.5.1 (bug B12).
      ["MONAI_MODELPATH", modelsDir],
      ["PATH", `${MAP_USER_BIN}:${basePath}`],
    ],
    labels: { base: opts.base, tag: opts.tag, version: opts.version, sdk_version: opts.sdkVersion },
    workingDir,
    user: "root",
    entrypoint: [MAP_EXECUTOR_PATH],
    cmd: null,
    paths: { workingDir, inputPath, outputPath, modelsDir, appDir: MAP_APP_DIR },
  };
}

/** Strip trailing slashes for tar/entry paths (`/var/monai/` → `/var/monai`). */
function entryPath(p: string): string {
  const s = p.replace(/\/+$/, "");
  return s === "" ? "/" : s;
}

/**
 * Directories every MAP has, even when empty (the `mkdir -p` of the template): app, models,
 * executor, manifests, work/input/output. Root-owned 0755; parents are left to the layer writer,
 * which must not override parents that exist in the base.
 */
export function mapDirectories(changes: MapConfigChanges): DirEntry[] {
  const { workingDir, inputPath, outputPath, modelsDir, appDir } = changes.paths;
  const paths = [MAP_MANIFEST_DIR, appDir, MAP_EXECUTOR_DIR, modelsDir, workingDir, inputPath, outputPath].map(entryPath);
  return [...new Set(paths)].sort().map((path) => ({ type: "dir", path, mode: 0o755, uid: 0, gid: 0 }));
}
