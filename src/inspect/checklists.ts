/**
 * The checklists `inspect` knows, one per MAP format, tried in order: the first whose manifests
 * are in the image runs. An image with none of them is "not a MAP". A new MAP format adds one
 * entry here (what identifies it, its checks, its fix hints) and one section in docs/checklist.md.
 */
import { checkConformance, readBuildFacts, SDK_LABEL, type ConformanceInput, type ConformanceResult, type ImageFileInfo } from "../map/index.js";
import { optionName } from "../errors.js";
import { LEGACY_HINTS } from "./check-hints.js";
import { checkMap1 } from "../map1/index.js";

export type CheckStatus = "pass" | "fail" | "skip";

export interface InspectCheck {
  id: number | string;
  title: string;
  status: CheckStatus;
  detail?: string;
  /** What to do about a failure. */
  hint?: string;
}

export interface Checklist {
  /** Shown above the checks, e.g. "legacy MAP (App SDK ≤ 0.5)". */
  name: string;
  /** Files whose contents the checks read (captured while the layers are listed). */
  wanted: readonly string[];
  /** The image is of this format: its manifests are there. */
  applies(files: ReadonlyMap<string, ImageFileInfo>): boolean;
  /** `noSdk`: why the SDK checks do not apply (the build's label, or the caller said so), if they do not. */
  run(input: ConformanceInput, noSdk?: string): InspectCheck[];
}

/** Why the SDK checks do not apply, from the image's build facts or the caller's word; undefined when they do. */
export function noSdkReason(labels: Record<string, string> | null | undefined, callerSaysNoSdk: boolean | undefined): string | undefined {
  if (readBuildFacts(labels).noSdk) return `built without the SDK (label ${SDK_LABEL}=none)`;
  return callerSaysNoSdk ? "built without the SDK (as the caller says)" : undefined;
}

export const NOT_A_MAP = "not a MAP (no /etc/monai or /etc/holoscan manifests)";

function fromResult(r: ConformanceResult, hints: Record<number, string>): InspectCheck {
  const status: CheckStatus = r.skipped ? "skip" : r.ok ? "pass" : "fail";
  const check: InspectCheck = { id: r.id, title: r.title, status };
  if (r.detail) check.detail = r.detail;
  if (status === "fail" && hints[r.id]) check.hint = hints[r.id];
  return check;
}

const SDK_CHECKS = new Set([21, 26]);

export const legacyChecklist: Checklist = {
  name: "legacy MAP (monai-deploy package of App SDK ≤ 0.5)",
  wanted: ["/etc/monai/app.json", "/etc/monai/pkg.json", "/opt/monai/app/requirements.txt"],
  applies: (files) => files.has("/etc/monai/app.json") || files.has("/etc/monai/pkg.json"),
  run(input, noSdk) {
    return checkConformance(input).map((r) =>
      noSdk && SDK_CHECKS.has(r.id) ? { id: r.id, title: r.title, status: "skip" as const, detail: noSdk } : fromResult(r, LEGACY_HINTS),
    );
  },
};

const MAP1_HINTS: Record<string, string> = {
  manifests: "rebuild; a later layer must not remove or replace /etc/holoscan/app.json or pkg.json",
  "app-keys": `rebuild with ${optionName("configPath")} app.yaml; do not edit app.json by hand`,
  "pkg-keys": "rebuild; do not edit pkg.json by hand",
  serialisation: "rebuild: the manifests must be written as holoscan-cli's json.dumps wrote them",
  "api-version": "rebuild as MAP 1.0",
  command: "package a folder with __main__.py, a .py file or an executable",
  "manifest-env": "rebuild; do not edit app.json by hand",
  "input-output": "rebuild; the paths are fixed in MAP 1.0",
  timeout: `rebuild with ${optionName("timeout")} SECONDS`,
  sdk: `pass ${optionName("sdk")} holoscan or ${optionName("sdk")} monai-deploy`,
  "pkg-paths": `pass the models with ${optionName("models")} (a file, or a folder with one sub-folder per model)`,
  "pkg-values": `app.yaml needs a resources mapping; pick ${optionName("platform")}`,
  versions: `rebuild with one ${optionName("sdkVersion")} (and ${optionName("holoscanVersion")}) for manifests and labels`,
  labels: "rebuild",
  "image-env": "rebuild; a later layer must not change the HOLOSCAN_* variables",
  path: "rebuild; a later ENV must not replace PATH",
  user: `pass ${optionName("username")}/${optionName("uid")}/${optionName("gid")} that no other user of the base has`,
  "workdir-entrypoint": "rebuild; a later layer must not change WORKDIR, ENTRYPOINT or CMD",
  tools: "rebuild; /var/holoscan/tools must stay executable",
  dirs: "rebuild; the work, input and output dirs belong to the run-as user",
};

export const map1Checklist: Checklist = {
  name: "MAP 1.0 (holoscan-cli 4.2.0 / App SDK ≥ 0.6)",
  wanted: ["/etc/holoscan/app.json", "/etc/holoscan/pkg.json", "/etc/passwd", "/var/holoscan/tools"],
  applies: (files) => files.has("/etc/holoscan/app.json") || files.has("/etc/holoscan/pkg.json"),
  run(input) {
    const got = (p: string) => input.contents?.get(p);
    return checkMap1({ appJson: got("/etc/holoscan/app.json"), pkgJson: got("/etc/holoscan/pkg.json"), passwd: got("/etc/passwd"), tools: got("/var/holoscan/tools"), config: input.config, files: input.files }).map((r) => {
      const check: InspectCheck = { id: r.id, title: r.title, status: r.ok ? "pass" : "fail" };
      if (r.detail) check.detail = r.detail;
      if (!r.ok && MAP1_HINTS[r.id]) check.hint = MAP1_HINTS[r.id];
      return check;
    });
  },
};

export const CHECKLISTS: readonly Checklist[] = [legacyChecklist, map1Checklist];

export interface CheckSummary {
  passed: number;
  failed: number;
  skipped: number;
}

export function summarize(checks: readonly InspectCheck[]): CheckSummary {
  const count = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
  return { passed: count("pass"), failed: count("fail"), skipped: count("skip") };
}
