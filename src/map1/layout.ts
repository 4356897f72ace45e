/**
 * Paths, environment and labels of a MAP 1.0 (holoscan-cli 4.2.0 common/constants.py and
 * Dockerfile.jinja2; map-format.md §2), as data for the manifests and the image config.
 */
import type { ConfigChanges } from "../image/index.js";

export const MAP1_APP_DIR = "/opt/holoscan/app";
export const MAP1_LIB_DIR = "/opt/holoscan/lib";
export const MAP1_DOCS_DIR = "/opt/holoscan/docs";
export const MAP1_MODELS_DIR = "/opt/holoscan/models";
export const MAP1_MANIFEST_DIR = "/etc/holoscan";
export const MAP1_APP_JSON = "/etc/holoscan/app.json";
export const MAP1_PKG_JSON = "/etc/holoscan/pkg.json";
export const MAP1_WORK_DIR = "/var/holoscan";
export const MAP1_CONFIG_PATH = "/var/holoscan/app.yaml";
export const MAP1_LOGS_DIR = "/var/holoscan/logs";
export const MAP1_TOOLS_PATH = "/var/holoscan/tools";
/** Relative to the working dir, with the trailing slash upstream writes into app.json. */
export const MAP1_INPUT_REL = "input/";
export const MAP1_OUTPUT_REL = "output/";
export const MAP1_INPUT_PATH = "/var/holoscan/input";
export const MAP1_OUTPUT_PATH = "/var/holoscan/output";
export const MAP1_EXPORT_ROOT = "/var/run/holoscan/export";
export const MAP1_API_VERSION = "1.0.0";

export type SdkKind = "monai-deploy" | "holoscan";

export interface Map1ConfigInput {
  username: string;
  /** X.Y of the image's Python: the user site that LD_LIBRARY_PATH points into. */
  pythonVersion: string;
  timeout: number;
  holoscanVersion: string;
  sdk: SdkKind;
  /** MONAI Deploy App SDK version (labels only for `monai-deploy`). */
  monaiDeploySdkVersion?: string;
  /** Labels */
  base: string;
  tag: string;
  title: string;
  version: string;
  /** Image paths of the `--add` library folders (sub-folders of /opt/holoscan/lib). */
  libPaths?: readonly string[];
}

export function userHome(username: string): string {
  return `/home/${username}`;
}

/** ENV/LABEL/WORKDIR/USER/ENTRYPOINT of the Dockerfile template, in its order. */
export function map1ConfigChanges(i: Map1ConfigInput): ConfigChanges {
  const home = userHome(i.username);
  const env: [string, string][] = [
    ["DEBIAN_FRONTEND", "noninteractive"],
    ["TERM", "xterm-256color"],
    ["HOLOSCAN_INPUT_PATH", MAP1_INPUT_PATH],
    ["HOLOSCAN_OUTPUT_PATH", MAP1_OUTPUT_PATH],
    ["HOLOSCAN_WORKDIR", MAP1_WORK_DIR],
    ["HOLOSCAN_APPLICATION", MAP1_APP_DIR],
    ["HOLOSCAN_TIMEOUT", String(i.timeout)],
    ["HOLOSCAN_MODEL_PATH", MAP1_MODELS_DIR],
    ["HOLOSCAN_DOCS_PATH", MAP1_DOCS_DIR],
    ["HOLOSCAN_CONFIG_PATH", MAP1_CONFIG_PATH],
    ["HOLOSCAN_APP_MANIFEST_PATH", MAP1_APP_JSON],
    ["HOLOSCAN_PKG_MANIFEST_PATH", MAP1_PKG_JSON],
    ["HOLOSCAN_LOGS_PATH", MAP1_LOGS_DIR],
    ["HOLOSCAN_VERSION", i.holoscanVersion],
    ["PATH", `${home}/.local/bin:/opt/nvidia/holoscan/bin:$PATH`],
    // upstream hard-codes python3.12; the base's real version is what pip installed into
    ["LD_LIBRARY_PATH", `$LD_LIBRARY_PATH:${home}/.local/lib/python${i.pythonVersion}/site-packages/holoscan/lib`],
  ];
  if (i.libPaths !== undefined) {
    const extra = [...i.libPaths, MAP1_LIB_DIR].join(":");
    env.push(["LD_LIBRARY_PATH", `$LD_LIBRARY_PATH:${extra}`], ["PYTHONPATH", `$PYTHONPATH:${extra}`]);
  }
  const labels: Record<string, string> = {
    base: i.base,
    tag: i.tag,
    "org.opencontainers.image.title": i.title,
    "org.opencontainers.image.version": i.version,
    "org.nvidia.holoscan": i.holoscanVersion,
  };
  if (i.sdk === "monai-deploy") labels["org.monai.deploy.app-sdk"] = i.monaiDeploySdkVersion ?? "";
  return { env, labels, workingDir: MAP1_WORK_DIR, user: i.username, entrypoint: [MAP1_TOOLS_PATH], cmd: null };
}
