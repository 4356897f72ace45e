/**
 * Which Python the base image has, so wheels are chosen for it and installed into its user site.
 * Order: --python-version, a known preset for the base reference (NGC pytorch → conda 3.8), then a
 * look at the base's files when the base is small enough to read (the python3.X binaries and the
 * dist-info directories of what is already installed, which pip would not reinstall).
 */
import { MapBuildError } from "../errors.js";
import type { Image, PlatformSpec } from "../image/index.js";
import { listLayerFiles } from "../inspect/layer-files.js";
import type { Logger } from "../progress.js";
import { normalizeName, targetFromOptions, targetPresetForBase, type TargetEnv } from "../python/index.js";

/** Reading layers means downloading and gunzipping them; above this the user passes --python-version. */
const MAX_SCAN_BYTES = 1024 * 1024 * 1024;

export interface PythonTarget {
  target: TargetEnv;
  /** Normalised name → version of distributions in the base's site-packages (when scanned). */
  installed: Map<string, string>;
}

const PY_BIN = /^\/(usr\/bin|usr\/local\/bin|opt\/conda\/bin|bin)\/python(3\.\d+)$/;
const DIST_INFO = /^\/(?:usr|usr\/local|opt\/conda)\/lib\/python3\.\d+\/(?:site|dist)-packages\/([^/]+)-([^/-]+)\.dist-info$/;

export async function pythonTarget(image: Image, baseLabel: string, platform: PlatformSpec, pythonVersion: string | undefined, logger?: Logger): Promise<PythonTarget> {
  const archPlatform = `${platform.os}/${platform.architecture}`;
  const preset = targetPresetForBase(baseLabel);
  if (pythonVersion || preset) {
    return { target: targetFromOptions({ pythonVersion, platform: archPlatform, base: preset }), installed: new Map() };
  }
  const layers = await image.layers();
  const sizes = await Promise.all(layers.map((l) => l.size()));
  if (sizes.reduce((a, b) => a + b, 0) > MAX_SCAN_BYTES) {
    throw new MapBuildError("E_USAGE", `cannot tell which Python ${baseLabel} has without downloading it`, {
      hint: "pass --python-version X.Y (the base image's python3 version)",
    });
  }
  logger?.info(`reading the base's ${layers.length} layer(s) to find its Python (pass --python-version X.Y to skip this)`);
  let bin: { path: string; version: string } | undefined;
  const installed = new Map<string, string>();
  for (const layer of layers) {
    const { files } = await listLayerFiles(layer);
    for (const f of files) {
      const b = PY_BIN.exec(f.path);
      if (b && (f.type === "file" || f.type === "symlink" || f.type === "hardlink")) bin = { path: f.path, version: b[2]! };
      const d = DIST_INFO.exec(f.path);
      if (d && f.type === "dir") installed.set(normalizeName(d[1]!), d[2]!);
    }
  }
  if (!bin) {
    throw new MapBuildError("E_USAGE", `no python3 found in ${baseLabel}`, {
      hint: "a MAP runs `python3 -u …`: use a base image with python3, or pass --python-version X.Y if it is installed somewhere unusual",
    });
  }
  const target = targetFromOptions({ pythonVersion: bin.version, platform: archPlatform });
  target.pythonPath = bin.path.replace(/python3\.\d+$/, "python3");
  return { target, installed };
}
