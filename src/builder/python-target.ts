/**
 * Which Python the base image has, so wheels are chosen for it and installed into its user site,
 * and what it already has installed (pip would not reinstall a satisfied requirement).
 * The version comes from --python-version, a known preset for the base reference (NGC pytorch →
 * conda 3.8), else the base's interpreter binaries. The base is read (in the build's one base scan,
 * then cached by its layer digests) whenever it is small enough; a big base with a given version is
 * trusted unread.
 */
import { MapBuildError, optionName } from "../errors.js";
import type { Image, PlatformSpec } from "../image/index.js";
import type { Logger } from "../progress.js";
import { baseDistributions, pickInterpreter, siteDirsFor, targetFromOptions, targetPresetForBase, type BaseDist, type TargetEnv } from "../python/index.js";
import { BaseScanner } from "./base-scan.js";
import { PYTHON_BASE_SCAN } from "./python-base-scan.js";

/** Reading layers means downloading and gunzipping them; above this the user passes --python-version. */
const MAX_SCAN_BYTES = 1024 * 1024 * 1024;

export interface PythonTarget {
  target: TargetEnv;
  /** Normalised name → distribution in the base's site directories (empty when not scanned). */
  installed: Map<string, BaseDist>;
  /** Shared library file names in the base's library dirs; undefined when the base was not read. */
  baseLibs?: ReadonlySet<string>;
}

export async function pythonTarget(image: Image, baseLabel: string, platform: PlatformSpec, pythonVersion: string | undefined, logger: Logger | undefined, scan: { scanner?: BaseScanner; cacheDir?: string }): Promise<PythonTarget> {
  const archPlatform = `${platform.os}/${platform.architecture}`;
  const preset = targetPresetForBase(baseLabel);
  const given = pythonVersion || preset ? targetFromOptions({ pythonVersion, platform: archPlatform, base: preset }) : undefined;
  const layers = await image.layers();
  const sizes = await Promise.all(layers.map((l) => l.size()));
  if (sizes.reduce((a, b) => a + b, 0) > MAX_SCAN_BYTES) {
    if (given) return { target: given, installed: new Map() };
    throw new MapBuildError("E_USAGE", `cannot tell which Python ${baseLabel} has without downloading it`, {
      hint: `pass ${optionName("pythonVersion")} X.Y (the base image's python3 version)`,
    });
  }
  logger?.info(`reading the base's ${layers.length} layer(s) for its Python and installed distributions`);
  const found = await (scan.scanner ?? new BaseScanner(image, scan.cacheDir, [PYTHON_BASE_SCAN])).get(PYTHON_BASE_SCAN);
  const bin = pickInterpreter(found.bins.filter((b) => !given || b.endsWith(`python${given.pythonVersion}`))) ?? pickInterpreter(found.bins);
  if (!bin && !given) {
    throw new MapBuildError("E_USAGE", `no python3 found in ${baseLabel}`, {
      hint: `a MAP runs \`python3 -u …\`: use a base image with python3, or pass ${optionName("pythonVersion")} X.Y if it is installed somewhere unusual`,
    });
  }
  const target = given ?? targetFromOptions({ pythonVersion: bin!.version, platform: archPlatform });
  if (bin && !given) target.pythonPath = bin.path.replace(/python3\.\d+$/, "python3");
  const interpreter = bin?.path ?? target.pythonPath ?? "/usr/bin/python3";
  const installed = baseDistributions(new Map(Object.entries(found.metadata)), siteDirsFor(interpreter, target.pythonVersion));
  return { target, installed, baseLibs: new Set(found.libs) };
}
