/**
 * The values the manifests need, from static analysis of the app plus the flags that override it.
 * A value the analysis could not read (not a literal) stops the build with the flag to pass.
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
  const overridden = new Set<string>();
  if (opts.version !== undefined) overridden.add("--version");
  if (opts.cpu !== undefined) overridden.add("--cpu");
  if (opts.gpu !== undefined) overridden.add("--gpu");
  if (opts.memory !== undefined) overridden.add("--memory");
  if (opts.requirements !== undefined) overridden.add("--requirements");
  for (const u of info.unresolved) {
    const flags = u.flag.split(/[\s,/]+/).filter((f) => f.startsWith("--"));
    if (u.field === "app_class") continue; // the command falls back to the main file, with a warning
    if (flags.length && flags.some((f) => overridden.has(f))) continue;
    throw new MapBuildError("E_APP_INVALID", `cannot read ${u.field.replace("_", " ")} from the app statically: ${u.reason}`, {
      hint: `pass ${u.flag} on the command line`,
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
