/**
 * /etc/monai/app.json and /etc/monai/pkg.json of a legacy MAP (map-format.md §1.4, §1.5), with
 * exactly the keys SDK 0.5.1 wrote, serialised byte-compatibly (sorted keys, indent 4, no newline).
 *
 * Deliberate differences from upstream (§1.9): `timeout` is always an integer (B2), and model paths
 * for folder models point at the directory that exists (B4, decided in models.ts). Kept on purpose:
 * `application-root` is the working dir, as upstream wrote it (B3); nothing reads it, and keeping
 * it keeps byte-compatibility with MAPs built by the SDK.
 */
import { MapBuildError, optionName } from "../errors.js";
import { PyFloat, pythonJsonDumps } from "./python-json.js";
import { memoryToMi } from "./size.js";

export const MAP_API_VERSION = "0.1.0";

export interface ManifestModel {
  /** `<name[:63]>-<sha256>` (ModelPlan.manifestName). */
  name: string;
  /** Absolute image path (ModelPlan.manifestPath). */
  path: string;
}

export interface ManifestInfo {
  /** `python3 -u /opt/monai/app/<file>` (AppInfo.command). */
  command: string;
  /** App version (`--version`, else the app's `version`, else "0.0.0"). */
  version: string;
  /** Semver of the embedded SDK (sdk-version.ts). */
  sdkVersion: string;
  /** Default `/var/monai/`. */
  workingDir?: string;
  /** app.json `input.path`; default `input` (relative to the working dir). */
  inputDir?: string;
  /** app.json `output.path`; default `output`. */
  outputDir?: string;
  /** Seconds, non-negative integer; default 0. */
  timeout?: number;
  models?: readonly ManifestModel[];
  /** Unset → 0 / "0Mi" (§1.6). A PyFloat keeps a Python float such as `cpu=2.0` printing as `2.0`. */
  resources?: { cpu?: number | PyFloat; gpu?: number | PyFloat; memory?: string | number };
}

export interface AppJson {
  "api-version": string;
  command: string;
  environment: Record<string, never>;
  input: { formats: never[]; path: string };
  output: { format: Record<string, never>; path: string };
  "sdk-version": string;
  timeout: number;
  version: string;
  "working-directory": string;
}

export interface PkgJson {
  "api-version": string;
  "application-root": string;
  models: ManifestModel[];
  resources: { cpu: number | PyFloat; gpu: number | PyFloat; memory: string };
  "sdk-version": string;
  version: string;
}

export const DEFAULT_WORKING_DIR = "/var/monai/";

function checkTimeout(timeout: number): number {
  if (!Number.isSafeInteger(timeout) || timeout < 0) {
    throw new MapBuildError("E_USAGE", `invalid timeout ${timeout}: must be a non-negative whole number of seconds`, {
      hint: `pass ${optionName("timeout")} with an integer such as 0 (no limit) or 600`,
    });
  }
  return timeout;
}

function checkResource(name: string, v: number | PyFloat | undefined): number | PyFloat {
  const n = v instanceof PyFloat ? v.value : v ?? 0;
  if (!Number.isFinite(n) || n < 0) {
    throw new MapBuildError("E_USAGE", `invalid ${name} count ${n}: must be a non-negative number`, {
      hint: `pass --${name} with a number such as 1`,
    });
  }
  return v ?? 0;
}

export function buildAppJson(info: ManifestInfo): AppJson {
  return {
    "api-version": MAP_API_VERSION,
    command: info.command,
    environment: {},
    input: { formats: [], path: info.inputDir ?? "input" },
    output: { format: {}, path: info.outputDir ?? "output" },
    "sdk-version": info.sdkVersion,
    timeout: checkTimeout(info.timeout ?? 0),
    version: info.version,
    "working-directory": info.workingDir ?? DEFAULT_WORKING_DIR,
  };
}

function buildPkgJson(info: ManifestInfo): PkgJson {
  return {
    "api-version": MAP_API_VERSION,
    "application-root": info.workingDir ?? DEFAULT_WORKING_DIR,
    models: (info.models ?? []).map((m) => ({ name: m.name, path: m.path })),
    resources: {
      cpu: checkResource("cpu", info.resources?.cpu),
      gpu: checkResource("gpu", info.resources?.gpu),
      memory: memoryToMi(info.resources?.memory),
    },
    "sdk-version": info.sdkVersion,
    version: info.version,
  };
}

/** The exact bytes upstream wrote: json.dumps(sort_keys=True, indent=4, separators=(",", ": ")). */
function serializeManifest(manifest: AppJson | PkgJson): Buffer {
  return Buffer.from(pythonJsonDumps(manifest as never), "ascii");
}

export function renderManifests(info: ManifestInfo): { app: AppJson; pkg: PkgJson; appJson: Buffer; pkgJson: Buffer } {
  const app = buildAppJson(info);
  const pkg = buildPkgJson(info);
  return { app, pkg, appJson: serializeManifest(app), pkgJson: serializeManifest(pkg) };
}
