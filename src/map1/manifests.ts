/**
 * /etc/holoscan/app.json and pkg.json of a MAP 1.0, byte-identical to holoscan-cli 4.2.0
 * (packager/manifest_files.py, config_reader.py, arguments.py): keys in its insertion order,
 * serialised with Python's plain `json.dumps` (`", "`/`": "`, ASCII, no trailing newline).
 *
 * Kept from upstream on purpose: `version` comes from app.yaml even when `--version` is given
 * (the manifests are built before the flag is applied; it only changes the tag and the OCI label),
 * input/output paths carry a trailing slash, and `formats` is null unless app.yaml has
 * `input-formats`/`output-formats`.
 */
import { pythonJsonDumpsCompact, type PyJsonKey, type PyJsonValue } from "../map/index.js";
import {
  MAP1_API_VERSION, MAP1_APP_DIR, MAP1_APP_JSON, MAP1_CONFIG_PATH, MAP1_DOCS_DIR, MAP1_INPUT_REL, MAP1_LOGS_DIR,
  MAP1_MODELS_DIR, MAP1_OUTPUT_REL, MAP1_PKG_JSON, MAP1_WORK_DIR, type SdkKind,
} from "./layout.js";
import type { GpuConfig } from "./platforms.js";
import type { AppConfig } from "./app-config.js";

export type AppKind = "python-module" | "python-file" | "binary";

export interface Map1ManifestInput {
  config: Pick<AppConfig, "version" | "inputFormats" | "outputFormats" | "resources">;
  appKind: AppKind;
  /** File name of a `.py` or binary app (not used for a module folder). */
  appFile?: string;
  sdk: SdkKind;
  sdkVersion: string;
  timeout: number;
  /** Model names in upstream's order (models.ts). */
  models: readonly string[];
  platformConfig: GpuConfig;
}

/** Health probes holoscan-cli adds for Holoscan (not MONAI Deploy) apps. */
const PROBE = (): PyJsonValue =>
  new Map<PyJsonKey, PyJsonValue>([
    ["type", "command"],
    ["command", ["/bin/grpc_health_probe", "-addr", ":8765"]],
    ["initialDelaySeconds", 1n],
    ["periodSeconds", 10n],
    ["timeoutSeconds", 1n],
    ["failureThreshold", 3n],
  ]);

/** The command, itself a JSON array written as a string (formatted by hand upstream, not escaped). */
export function appCommand(kind: AppKind, appFile?: string): string {
  if (kind === "python-module") return `["python3", "${MAP1_APP_DIR}"]`;
  if (kind === "python-file") return `["python3", "${MAP1_APP_DIR}/${appFile}"]`;
  return `["${MAP1_APP_DIR}/${appFile}"]`;
}

export function appManifest(i: Map1ManifestInput): Map<PyJsonKey, PyJsonValue> {
  const probe = i.sdk === "holoscan" ? PROBE() : null;
  return new Map<PyJsonKey, PyJsonValue>([
    ["apiVersion", MAP1_API_VERSION],
    ["command", appCommand(i.appKind, i.appFile)],
    [
      "environment",
      new Map<PyJsonKey, PyJsonValue>([
        ["HOLOSCAN_APPLICATION", MAP1_APP_DIR],
        ["HOLOSCAN_INPUT_PATH", MAP1_INPUT_REL],
        ["HOLOSCAN_OUTPUT_PATH", MAP1_OUTPUT_REL],
        ["HOLOSCAN_WORKDIR", MAP1_WORK_DIR],
        ["HOLOSCAN_MODEL_PATH", MAP1_MODELS_DIR],
        ["HOLOSCAN_CONFIG_PATH", MAP1_CONFIG_PATH],
        ["HOLOSCAN_APP_MANIFEST_PATH", MAP1_APP_JSON],
        ["HOLOSCAN_PKG_MANIFEST_PATH", MAP1_PKG_JSON],
        ["HOLOSCAN_DOCS_PATH", MAP1_DOCS_DIR],
        ["HOLOSCAN_LOGS_PATH", MAP1_LOGS_DIR],
      ]),
    ],
    ["input", new Map<PyJsonKey, PyJsonValue>([["path", MAP1_INPUT_REL], ["formats", i.config.inputFormats]])],
    ["liveness", probe],
    ["output", new Map<PyJsonKey, PyJsonValue>([["path", MAP1_OUTPUT_REL], ["formats", i.config.outputFormats]])],
    ["readiness", i.sdk === "holoscan" ? PROBE() : null],
    ["sdk", i.sdk],
    ["sdkVersion", i.sdkVersion],
    ["timeout", BigInt(i.timeout)],
    ["version", i.config.version],
    ["workingDirectory", MAP1_WORK_DIR],
  ]);
}

export function pkgManifest(i: Map1ManifestInput): Map<PyJsonKey, PyJsonValue> {
  return new Map<PyJsonKey, PyJsonValue>([
    ["apiVersion", MAP1_API_VERSION],
    ["applicationRoot", MAP1_APP_DIR],
    ["modelRoot", MAP1_MODELS_DIR],
    ["models", new Map<PyJsonKey, PyJsonValue>(i.models.map((m) => [m, `${MAP1_MODELS_DIR}/${m}`]))],
    ["resources", i.config.resources],
    ["version", i.config.version],
    ["platformConfig", i.platformConfig],
  ]);
}

export function renderMap1Manifests(i: Map1ManifestInput): { appJson: Buffer; pkgJson: Buffer } {
  return {
    appJson: Buffer.from(pythonJsonDumpsCompact(appManifest(i)), "utf8"),
    pkgJson: Buffer.from(pythonJsonDumpsCompact(pkgManifest(i)), "utf8"),
  };
}
