/**
 * The pip requirements of a MAP (map-format.md §1.6): `--requirements FILE` replaces everything
 * (its bytes also become the image's requirements.txt); otherwise the App class's
 * `@env(pip_packages=…)` plus the app folder's own requirements.txt.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { MAX_REQUIREMENTS_BYTES } from "../defaults.js";
import { MapBuildError, optionName } from "../errors.js";
import { InputFileError, readRegularFile } from "../open-regular.js";
import type { AppInfo } from "./app-analysis.js";

/** `requirements`: the caller's file that replaces everything (the builder's option). */
export interface RequirementsOverride {
  requirements?: string | undefined;
}

export interface RequirementsList {
  /** Content of /opt/monai/app/requirements.txt when the app ships none: the list joined by \n. */
  requirementsTxt: string;
  pipPackages: string[];
  requirementsFiles: string[];
  /** Set when requirementsFiles are the app's own: what they include must stay in this folder. */
  confineTo?: string;
}

export async function requirementsList(app: AppInfo, opts: RequirementsOverride): Promise<RequirementsList> {
  if (opts.requirements !== undefined) {
    if (!opts.requirements.endsWith(".txt")) {
      throw new MapBuildError("E_USAGE", `${optionName("requirements")} ${opts.requirements} is not a .txt file`, { hint: "pass a pip requirements file ending in .txt" });
    }
    const bytes = await readRegularFile(opts.requirements, MAX_REQUIREMENTS_BYTES).catch((cause: unknown) => {
      const why = cause instanceof InputFileError ? `: it ${cause.reason}` : "";
      throw new MapBuildError("E_USAGE", `cannot read ${optionName("requirements")} ${opts.requirements}${why}`, { cause, hint: "check the path and its permissions" });
    });
    const text = bytes.toString("utf8");
    return { requirementsTxt: text, pipPackages: [], requirementsFiles: [opts.requirements] };
  }
  const own = join(app.root, "requirements.txt");
  const hasOwn = app.kind === "folder" && (await stat(own).then((s) => s.isFile(), () => false));
  const list: RequirementsList = { requirementsTxt: app.pipPackages.join("\n"), pipPackages: app.pipPackages, requirementsFiles: hasOwn ? [own] : [] };
  if (hasOwn) list.confineTo = app.root;
  return list;
}

/**
 * The generated requirements.txt plus the SDK's own requirements, as 0.5.1 wrote it: each entry
 * `strip().lower()`-ed, first occurrence kept, joined by \n. A `-r` file stays verbatim (bug B8
 * kept: upstream added nothing to it), and so does an app's own requirements.txt, which replaces
 * the generated file in the image anyway.
 */
export function withSdkRequirements(list: RequirementsList, sdkRequires: readonly string[], opts: RequirementsOverride): string {
  if (opts.requirements !== undefined || sdkRequires.length === 0) return list.requirementsTxt;
  const lines = list.requirementsTxt === "" ? [] : list.requirementsTxt.split("\n");
  const seen = new Set(lines.map((l) => l.trim().toLowerCase()));
  for (const r of sdkRequires) {
    const k = r.trim().toLowerCase();
    if (!seen.has(k)) {
      seen.add(k);
      lines.push(k);
    }
  }
  return lines.join("\n");
}
