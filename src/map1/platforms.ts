/**
 * holoscan-cli's platform names (map-format.md §2; common/enum_types.py, constants.py of v4.2.0):
 * the user-facing name, the internal platform name used in tags, the GPU configuration and the
 * image architecture. Older releases' names (`x64-workstation`, `igx-orin-devkit`,
 * `jetson-agx-orin-devkit` with `--platform-config`) map onto the same rows.
 */
import { MapBuildError } from "../errors.js";

export type GpuConfig = "dgpu" | "igpu";

export interface HoloscanPlatform {
  /** v4.x name: x86_64, sbsa, jetson, igx-igpu, igx-dgpu. */
  name: string;
  /** Internal name written into tags (x64-workstation, igx-orin-devkit, …). */
  tagName: string;
  config: GpuConfig;
  /** OCI platform of the image, e.g. linux/amd64. */
  oci: "linux/amd64" | "linux/arm64";
}

const PLATFORMS: readonly HoloscanPlatform[] = [
  { name: "x86_64", tagName: "x64-workstation", config: "dgpu", oci: "linux/amd64" },
  { name: "sbsa", tagName: "sbsa", config: "dgpu", oci: "linux/arm64" },
  { name: "jetson", tagName: "jetson-agx-orin-devkit", config: "igpu", oci: "linux/arm64" },
  { name: "igx-igpu", tagName: "igx-orin-devkit", config: "igpu", oci: "linux/arm64" },
  { name: "igx-dgpu", tagName: "igx-orin-devkit", config: "dgpu", oci: "linux/arm64" },
];

/**
 * holoscan-cli 4.2.0's base image per GPU configuration (releases/4.2.0/artifacts.json; the iGPU one
 * only in artifacts-cu12.json, as 4.2.0 has no CUDA 13 iGPU base). Neither has Python: holoscan-cli
 * installed it with apt, which map-build cannot do, so these serve prebuilt binaries only.
 */
export const HOLOSCAN_BASE_IMAGES: Readonly<Record<GpuConfig, string>> = {
  dgpu: "nvcr.io/nvidia/cuda:13.0.0-runtime-ubuntu24.04",
  igpu: "nvcr.io/nvidia/l4t-tensorrt:r10.3.0-devel",
};

/** Names of holoscan-cli ≤ 2.x; their GPU configuration came from `--platform-config` (default dgpu). */
const OLD_NAMES: Record<string, (config: GpuConfig) => string> = {
  "x64-workstation": () => "x86_64",
  "igx-orin-devkit": (c) => (c === "igpu" ? "igx-igpu" : "igx-dgpu"),
  "jetson-agx-orin-devkit": () => "jetson",
};

export const PLATFORM_NAMES: readonly string[] = [...PLATFORMS.map((p) => p.name), ...Object.keys(OLD_NAMES)];

/** One platform name (new or old); `platformConfig` only matters for the old IGX name. */
export function holoscanPlatform(name: string, platformConfig?: string): HoloscanPlatform {
  const n = name.trim().toLowerCase();
  if (platformConfig !== undefined && platformConfig !== "igpu" && platformConfig !== "dgpu") {
    throw new MapBuildError("E_USAGE", `unknown platform configuration "${platformConfig}"`, { hint: "use igpu or dgpu" });
  }
  const current = OLD_NAMES[n]?.((platformConfig as GpuConfig | undefined) ?? "dgpu") ?? n;
  const p = PLATFORMS.find((x) => x.name === current);
  if (!p) {
    throw new MapBuildError("E_USAGE", `unknown platform "${name}"`, { hint: `use one of ${PLATFORM_NAMES.join(", ")}` });
  }
  return p;
}

/** A comma-separated platform list, as holoscan-cli's `--platform` takes it. */
export function holoscanPlatforms(list: string, platformConfig?: string): HoloscanPlatform[] {
  const names = list.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new MapBuildError("E_USAGE", "no platform given", { hint: `use one of ${PLATFORM_NAMES.join(", ")}` });
  return names.map((n) => holoscanPlatform(n, platformConfig));
}
