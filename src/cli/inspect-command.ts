/** `map-build inspect IMAGE`: a MAP's manifests, config and layers, and the conformance checklist. */
import { Command } from "commander";
import { hostPlatform, parsePlatform } from "../image/index.js";
import type { InspectReport } from "../inspect/inspect-map.js";
import { openBaseImage } from "../build/base-image.js";
import { RegistryClient } from "../registry/index.js";
import { defaultKeychain } from "../registry/keychain/index.js";
import { collect } from "./validate-flags.js";
import { registryTuningFromEnv } from "./registry-tuning.js";
import { ExitCode } from "./exit-codes.js";
import { formatBytes } from "./progress-view.js";
import type { CliIO } from "./io.js";

export interface InspectFlags {
  json?: boolean;
  platform?: string;
  insecureRegistry?: string[];
  base?: boolean | string;
  readBaseLayers?: boolean;
  sdk: boolean;
}

export function inspectCommand(): Command {
  return new Command("inspect")
    .description("Show a MAP's manifests, environment and layers, and run the MAP conformance checklist")
    .argument("<image>", "registry reference, oci:DIR[:tag], oci-archive:FILE[:tag] or docker-archive:FILE[:tag]")
    .option("--json", "print the report as JSON")
    .option("--platform <os/arch>", "platform to pick from a multi-platform image")
    .option("--insecure-registry <host>", "use plain HTTP for this registry (repeatable)", collect)
    .option("--base <image>", "base image to compare with (default: the image's `base` label)")
    .option("--no-base", "do not open the base image (skips the PATH and base-layer comparisons)")
    .option("--read-base-layers", "also read every base layer (slow for big bases)")
    .option("--no-sdk", "the MAP was built with --no-sdk: the SDK checks (21, 26) do not apply")
    .addHelpText("after", "\nExit status: 0 when every check passes, 10 when the MAP does not conform.\n\nExample:\n  map-build inspect docker-archive:word-score.tar --no-sdk\n");
}

function render(r: InspectReport): string {
  const c = r.config.config ?? {};
  const lines = [
    `image       ${r.digest}`,
    `media type  ${r.mediaType}`,
    `platform    ${r.config.os}/${r.config.architecture}`,
    `entrypoint  ${JSON.stringify(c.Entrypoint ?? null)}   cmd ${JSON.stringify(c.Cmd ?? null)}`,
    `workdir     ${c.WorkingDir ?? ""}   user ${c.User || "(none)"}`,
    "env",
    ...(c.Env ?? []).map((e) => `  ${e}`),
    "labels",
    ...Object.entries(c.Labels ?? {}).map(([k, v]) => `  ${k}=${v}`),
    "layers",
    ...r.layers.map((l) => {
      const what = l.added ? (l.holds ?? []).join(" ") : "base";
      return `  ${String(l.index).padStart(2)}  ${formatBytes(l.size).padStart(9)}  ${l.digest.slice(0, 19)}  ${what}${l.createdBy ? `  (${l.createdBy.slice(0, 60)})` : ""}`;
    }),
  ];
  if (r.appJson) lines.push("/etc/monai/app.json", ...r.appJson.split("\n").map((l) => `  ${l}`));
  if (r.pkgJson) lines.push("/etc/monai/pkg.json", ...r.pkgJson.split("\n").map((l) => `  ${l}`));
  lines.push("conformance (map-format §4)");
  for (const k of r.checks) {
    const mark = k.skipped ? "skip" : k.ok ? "ok  " : "FAIL";
    lines.push(`  ${mark} ${String(k.id).padStart(2)} ${k.title}${k.detail && (!k.ok || k.skipped) ? ` — ${k.detail}` : ""}`);
  }
  const failed = r.checks.filter((k) => !k.ok).length;
  lines.push(failed ? `${failed} check(s) failed` : `all ${r.checks.filter((k) => !k.skipped).length} checks passed`);
  return `${lines.join("\n")}\n`;
}

export async function runInspect(image: string, flags: InspectFlags, io: CliIO): Promise<number> {
  const platform = flags.platform ? parsePlatform(flags.platform) : hostPlatform();
  let client: RegistryClient | undefined;
  const tuning = registryTuningFromEnv(io.env);
  const getClient = () =>
    (client ??= new RegistryClient({ ...tuning, keychain: defaultKeychain({ env: io.env }), insecureRegistries: flags.insecureRegistry ?? [] }));
  try {
    const opened = await openBaseImage(image, platform, getClient, io.signal);
    const config = await opened.image.config();
    const baseName = typeof flags.base === "string" ? flags.base : flags.base === false ? undefined : config.config?.Labels?.base;
    let base;
    if (baseName) {
      try {
        base = (await openBaseImage(baseName, platform, getClient, io.signal)).image;
      } catch (e) {
        io.stderr.write(`warning: cannot open the base ${baseName} (${(e as Error).message}); base comparisons skipped\n`);
      }
    }
    const { inspectMap } = await import("../inspect/inspect-map.js");
    const report = await inspectMap(opened.image, { base, readBaseLayers: flags.readBaseLayers, noSdk: !flags.sdk });
    io.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
    return report.ok ? ExitCode.ok : ExitCode.nonConformant;
  } finally {
    await client?.close().catch(() => {});
  }
}
