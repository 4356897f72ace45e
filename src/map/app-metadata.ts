/**
 * The values the manifests need, from static analysis of the app plus the flags that override it.
 * A value the analysis could not read (not a literal) stops the build naming the option to pass.
 */
import { MapBuildError, optionName } from "../errors.js";
import { DEFAULT_APP_VERSION, DEFAULT_SDK_VERSION } from "../defaults.js";
import type { AppInfo } from "./app-analysis.js";
import { parseMemoryBytes } from "./size.js";

/** The caller's overrides of what the analysis found (the builder's options). */
export interface AppOverrides {
  version?: string | undefined;
  requirements?: string | undefined;
  cpu?: number | undefined;
  gpu?: number | undefined;
  memory?: string | undefined;
  sdkVersion?: string | undefined;
}

export interface AppMetadata {
  version: string;
  sdkVersion: string;
  resources: AppInfo["resources"];
}

export function resolveAppMetadata(info: AppInfo, opts: AppOverrides, sdkVersionFromWheel?: string): AppMetadata {
  const given = { version: opts.version, cpu: opts.cpu, gpu: opts.gpu, memory: opts.memory, requirements: opts.requirements };
  const overridden = new Set(Object.entries(given).filter(([, v]) => v !== undefined).map(([k]) => k));
  for (const u of info.unresolved) {
    if (u.field === "app_class") continue; // the command falls back to the main file, with a warning
    if (u.options.some((o) => overridden.has(o))) continue;
    throw new MapBuildError("E_APP_INVALID", `cannot read ${u.field.replace("_", " ")} from the app statically: ${u.reason}`, {
      hint: `pass ${u.options.map(optionName).join("/")}`,
    });
  }
  if (opts.memory !== undefined) {
    try {
      parseMemoryBytes(opts.memory);
    } catch (cause) {
      throw new MapBuildError("E_USAGE", `invalid ${optionName("memory")} "${opts.memory}"`, { cause, hint: "use a size such as 512Mi, 7Gi or 500MB" });
    }
  }
  return {
    version: opts.version ?? info.version ?? DEFAULT_APP_VERSION,
    sdkVersion: opts.sdkVersion ?? sdkVersionFromWheel ?? DEFAULT_SDK_VERSION,
    resources: {
      cpu: opts.cpu ?? info.resources.cpu,
      gpu: opts.gpu ?? info.resources.gpu,
      memory: opts.memory ?? info.resources.memory,
    },
  };
}
