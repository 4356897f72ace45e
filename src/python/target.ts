/**
 * The interpreter the wheels are installed for: the base image's Python, not the host's. Presets
 * cover bases whose Python cannot be read cheaply (NVIDIA NGC images, map-format.md §3).
 */
import { MapBuildError, optionName } from "../errors.js";
import type { MarkerEnv } from "./markers.js";

export interface TargetEnv {
  /** `X.Y`, e.g. "3.11". */
  pythonVersion: string;
  /** `X.Y.Z` when known (markers on python_full_version); else `X.Y.0` is assumed. */
  pythonFullVersion?: string;
  implementation: "cpython";
  platform: "linux";
  machine: "x86_64" | "aarch64";
  /** glibc [major, minor] of the base; manylinux wheels above it are incompatible. */
  glibc: [number, number];
  /** Where the base's interpreter lives, e.g. /usr/bin/python3 or /opt/conda/bin/python3. */
  pythonPath?: string;
  /** Prefix holding the base's site-packages (e.g. /opt/conda, /usr). */
  sitePrefix?: string;
}

export const PYTHON_BASE_TARGET: TargetEnv = {
  // Debian bookworm ships python3 3.11.2 and glibc 2.36.
  pythonVersion: "3.11", pythonFullVersion: "3.11.2", implementation: "cpython", platform: "linux",
  machine: "x86_64", glibc: [2, 36], pythonPath: "/usr/bin/python3", sitePrefix: "/usr",
};

/** NGC pytorch 21.07/22.08 are Ubuntu 20.04 (glibc 2.31) with conda Python 3.8 in /opt/conda. */
const NGC_PY38: TargetEnv = {
  pythonVersion: "3.8", implementation: "cpython", platform: "linux", machine: "x86_64",
  glibc: [2, 31], pythonPath: "/opt/conda/bin/python3", sitePrefix: "/opt/conda",
};

const PRESETS: { match: RegExp; target: TargetEnv }[] = [
  { match: /^(nvcr\.io\/)?nvidia\/pytorch:(21\.07|22\.08)-py3$/, target: NGC_PY38 },
  { match: /(^|\/)python[^:]*:bookworm-python$|:bookworm$/, target: PYTHON_BASE_TARGET },
];

/** A known target for a base image reference, or undefined. */
export function targetPresetForBase(ref: string): TargetEnv | undefined {
  const hit = PRESETS.find((p) => p.match.test(ref.trim()));
  return hit ? { ...hit.target, glibc: [...hit.target.glibc] } : undefined;
}

export interface TargetOptions {
  /** "3.8", "3.11"… */
  pythonVersion?: string;
  /** "linux/amd64", "linux/arm64", "x86_64", "aarch64". */
  platform?: string;
  /** "2.31" */
  glibc?: string;
  /** Start from this (e.g. a preset); flags override its fields. */
  base?: TargetEnv;
}

const MACHINES: Record<string, TargetEnv["machine"]> = {
  amd64: "x86_64", x86_64: "x86_64", x64: "x86_64", arm64: "aarch64", aarch64: "aarch64", "arm64/v8": "aarch64",
};

function usage(message: string, hint: string): never {
  throw new MapBuildError("E_USAGE", message, { hint });
}

/** Build a target from CLI-style options; defaults are the project's python base (3.11, glibc 2.36, x86_64). */
export function targetFromOptions(opts: TargetOptions = {}): TargetEnv {
  const t: TargetEnv = { ...(opts.base ?? PYTHON_BASE_TARGET) };
  t.glibc = [...t.glibc];
  if (opts.pythonVersion !== undefined) {
    const m = /^3\.(\d+)(?:\.(\d+))?$/.exec(opts.pythonVersion.trim());
    if (!m) usage(`invalid python version "${opts.pythonVersion}"`, `give ${optionName("pythonVersion")} as X.Y, e.g. 3.11`);
    t.pythonVersion = `3.${m[1]}`;
    if (m[2] !== undefined) t.pythonFullVersion = opts.pythonVersion.trim();
    else if (t.pythonFullVersion && !t.pythonFullVersion.startsWith(`${t.pythonVersion}.`)) delete t.pythonFullVersion;
  }
  if (opts.platform !== undefined) {
    const p = opts.platform.trim().toLowerCase().replace(/^linux\//, "");
    const machine = MACHINES[p];
    if (!machine) usage(`unsupported python platform "${opts.platform}"`, "use linux/amd64 or linux/arm64");
    t.machine = machine;
  }
  if (opts.glibc !== undefined) {
    const m = /^(\d+)\.(\d+)$/.exec(opts.glibc.trim());
    if (!m) usage(`invalid glibc version "${opts.glibc}"`, "use MAJOR.MINOR, e.g. 2.31");
    t.glibc = [Number(m[1]), Number(m[2])];
  }
  return t;
}

/** The marker environment of a target (PEP 508 variables as CPython on Linux reports them). */
export function markerEnvFor(t: TargetEnv): MarkerEnv {
  const full = t.pythonFullVersion ?? `${t.pythonVersion}.0`;
  return {
    python_version: t.pythonVersion, python_full_version: full, implementation_version: full,
    os_name: "posix", sys_platform: "linux", platform_system: "Linux", platform_machine: t.machine,
    platform_python_implementation: "CPython", implementation_name: "cpython",
    platform_release: "", platform_version: "",
  };
}
