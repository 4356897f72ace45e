/** `map-build inspect IMAGE`: a MAP's manifests, config and layers, and the conformance checklist. */
import { Command } from "commander";
import { formatPlatform, hostPlatform, parsePlatform, type PlatformSpec, type TarIndexReader } from "../image/index.js";
import { choosePlatforms, isMultiPlatform, parsePlatformList } from "../builder/index.js";
import type { ProgressSink } from "../progress.js";
import type { InspectReport } from "../inspect/index.js";
import { repeatable } from "./validate-flags.js";
import { ExitCode } from "./exit-codes.js";
import { formatBytes } from "./progress-view.js";
import { createProgressView } from "./progress-view.js";
import { imageOpener, type ImageOpener, type RegistryFlags } from "./open-images.js";
import type { CliIO } from "./io.js";
import { OPTION_FLAGS } from "./option-flags.js";
import type { Digest } from "../digest.js";

export interface InspectFlags extends RegistryFlags {
  json?: boolean;
  platform?: string;
  base?: boolean | string;
  readBaseLayers?: boolean;
  sdk: boolean;
  sbom?: boolean;
}

export const IMAGE_ARGUMENT = "registry reference, oci:DIR[:tag], oci-archive:FILE[:tag], docker-archive:FILE[:tag], or the path of a layout or archive";

/** The registry options `inspect` and `diff` share. */
export function addRegistryOptions(cmd: Command): Command {
  return cmd
    .option("--platform <os/arch,...>", "platform to pick from a multi-platform image; several, or all, inspect and check each (inspect's default: every platform of an index)")
    .addOption(repeatable("--insecure-registry <host>", "use plain HTTP for this registry"))
    .option("--username <user>", "registry user (with --password-stdin)")
    .option("--password-stdin", "read the registry password from stdin");
}

export function inspectCommand(): Command {
  return addRegistryOptions(
    new Command("inspect")
      .description("Show a MAP's manifests, environment and layers, and run the MAP conformance checklist")
      .argument("<image>", IMAGE_ARGUMENT)
      .option("--json", "print the report as JSON"),
  )
    .option("--base <image>", "base image to compare with (default: the image's `base` label)")
    .option("--no-base", "do not open the base image (skips the PATH and base-layer comparisons)")
    .option("--read-base-layers", "also read every base layer (slow for big bases)")
    .option("--no-sdk", "the MAP was built without the SDK (only needed for MAPs built before map-build recorded it)")
    .option("--sbom", "list and print the SBOMs attached to the image, each platform's for an index (instead of the report)")
    .addHelpText(
      "after",
      "\nExit status: 0 when every check passes, 10 when the MAP does not conform or the image is not a MAP.\nThe checklist: docs/checklist.md in the map-build package.\n\nExample:\n  map-build inspect word-score.tar\n",
    );
}

function checkLines(r: InspectReport): string[] {
  if (!r.checklist) return [`verdict     ${r.verdict}`];
  const lines = [`checklist   ${r.checklist} (docs/checklist.md)`];
  for (const k of r.checks) {
    const mark = k.status === "fail" ? "FAIL" : k.status;
    lines.push(`  ${mark.padEnd(4)} ${String(k.id).padStart(2)} ${k.title}${k.detail && k.status !== "pass" ? ` — ${k.detail}` : ""}`);
    if (k.hint) lines.push(`          fix: ${k.hint}`);
  }
  const { passed, failed, skipped } = r.summary;
  lines.push(`${passed} passed, ${failed} failed, ${skipped} skipped${skipped ? " (need a container engine, or do not apply)" : ""}`);
  lines.push(`verdict     ${r.verdict}`);
  return lines;
}

export function renderInspect(r: InspectReport): string {
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
      const what = l.added ? (l.holds ?? []).join(" ") : l.holds ? `base: ${l.holds.join(" ")}` : "base";
      return `  ${String(l.index).padStart(2)}  ${formatBytes(l.size).padStart(9)}  ${l.digest.slice(0, 19)}  ${what}${l.createdBy ? `  (${l.createdBy.slice(0, 60)})` : ""}`;
    }),
  ];
  for (const [path, value] of Object.entries(r.manifests)) {
    const text = typeof value === "string" ? value : JSON.stringify(value, null, 4);
    lines.push(path, ...text.split("\n").map((l) => `  ${l}`));
  }
  lines.push(...checkLines(r));
  return `${lines.join("\n")}\n`;
}

/**
 * The platforms to inspect: those listed (or `all`), else every platform of an index; undefined
 * for one platform (the one named, or the image itself).
 */
async function platformsToInspect(image: string, flags: InspectFlags, opener: ImageOpener): Promise<PlatformSpec[] | undefined> {
  if (isMultiPlatform(flags.platform)) return choosePlatforms(parsePlatformList(flags.platform!), await opener.platforms(image), image);
  if (flags.platform) return undefined;
  const offered = await opener.indexPlatforms(image);
  return offered && offered.length > 1 ? choosePlatforms("all", offered, image) : undefined;
}

/** What runInspect reads with, replaceable by tests: how a local archive's headers are read. */
export interface InspectDeps {
  readTarIndex?: TarIndexReader;
}

export async function runInspect(image: string, flags: InspectFlags, io: CliIO, progress = true, deps: InspectDeps = {}): Promise<number> {
  const platform = flags.platform && !isMultiPlatform(flags.platform) ? parsePlatform(flags.platform) : hostPlatform();
  const baseFlag = typeof flags.base === "string" ? flags.base : undefined;
  const opener = await imageOpener([image, ...(baseFlag ? [baseFlag] : [])], platform, flags, io, deps.readTarIndex);
  const view = createProgressView(io.stderr, progress, { signal: io.signal });
  try {
    const platforms = await platformsToInspect(image, flags, opener);
    if (flags.sbom) return await printSboms(image, platforms ?? [platform], !platforms, opener, flags, io);
    if (!platforms) {
      const report = await inspectOne(image, platform, flags, opener, io, view.sink);
      view.finish();
      io.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderInspect(report));
      return report.ok ? ExitCode.ok : ExitCode.nonConformant;
    }
    // every platform of an index (or those listed), each inspected and checked on its own
    const reports: (InspectReport & { platform: string })[] = [];
    for (const p of platforms) reports.push({ platform: formatPlatform(p), ...(await inspectOne(image, p, flags, opener, io, view.sink)) });
    view.finish();
    const ok = reports.every((r) => r.ok);
    if (flags.json) {
      io.stdout.write(`${JSON.stringify({ ok, platforms: reports }, null, 2)}\n`);
    } else {
      io.stdout.write(`platforms   ${reports.map((r) => r.platform).join(", ")}\n`);
      for (const r of reports) io.stdout.write(`\n== ${r.platform} ==\n${renderInspect(r)}`);
      io.stdout.write(`\n${reports.map((r) => `${r.platform}: ${r.verdict}`).join("\n")}\n`);
    }
    return ok ? ExitCode.ok : ExitCode.nonConformant;
  } finally {
    view.finish();
    await opener.close();
  }
}

async function inspectOne(image: string, platform: PlatformSpec, flags: InspectFlags, opener: ImageOpener, io: CliIO, progress: ProgressSink): Promise<InspectReport> {
  const baseFlag = typeof flags.base === "string" ? flags.base : undefined;
  const opened = await opener.open(image, platform);
  const config = await opened.image.config();
  const baseName = baseFlag ?? (flags.base === false ? undefined : config.config?.Labels?.base);
  let base;
  if (baseName) {
    try {
      base = (await opener.open(baseName, platform)).image;
    } catch (e) {
      io.stderr.write(`warning: cannot open the base ${baseName} (${(e as Error).message}); base comparisons skipped\n`);
    }
  }
  const { inspectMap } = await import("../inspect/index.js");
  return inspectMap(opened.image, { base, readBaseLayers: flags.readBaseLayers, noSdk: !flags.sdk, progress, optionNames: OPTION_FLAGS });
}

/**
 * `inspect --sbom`: each attached SBOM, a header line then its content (or one JSON array). For
 * several platforms each platform's SBOMs, the platform named in the header (and in the JSON).
 */
async function printSboms(image: string, platforms: readonly PlatformSpec[], single: boolean, opener: ImageOpener, flags: InspectFlags, io: CliIO): Promise<number> {
  const { attachedArtifacts, SBOM_ARTIFACT_TYPES } = await import("../inspect/index.js");
  const found: { platform?: string; artifactType: string; digest: Digest; content: Buffer }[] = [];
  for (const p of platforms) {
    const digest = await (await opener.open(image, p)).image.digest();
    const sboms = (await attachedArtifacts(image, digest, opener.client, io.signal, opener.tarIndex)).filter((a) => SBOM_ARTIFACT_TYPES.includes(a.artifactType));
    if (sboms.length === 0) io.stderr.write(`no SBOM is attached to ${digest}${single ? "" : ` (${formatPlatform(p)})`}\n`);
    found.push(...sboms.map((s) => ({ ...(single ? {} : { platform: formatPlatform(p) }), ...s })));
  }
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(found.map((s) => ({ ...(s.platform ? { platform: s.platform } : {}), artifactType: s.artifactType, digest: s.digest, sbom: JSON.parse(s.content.toString("utf8")) as unknown })), null, 2)}\n`);
    return ExitCode.ok;
  }
  for (const s of found) io.stdout.write(`# ${s.platform ? `${s.platform} ` : ""}${s.artifactType} ${s.digest}\n${s.content.toString("utf8").replace(/\n?$/, "\n")}`);
  return ExitCode.ok;
}
