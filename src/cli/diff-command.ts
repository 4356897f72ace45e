/** `map-build diff A B`: manifests, env, labels, config and per-layer file changes between two images. */
import { Command } from "commander";
import { hostPlatform, parsePlatform } from "../image/index.js";
import type { FileChange, ImageDiff, ValueChange } from "../inspect/index.js";
import { addRegistryOptions, IMAGE_ARGUMENT } from "./inspect-command.js";
import { imageOpener, type RegistryFlags } from "./open-images.js";
import { createProgressView, formatBytes } from "./progress-view.js";
import { ExitCode } from "./exit-codes.js";
import type { CliIO } from "./io.js";

export interface DiffFlags extends RegistryFlags {
  json?: boolean;
  platform?: string;
}

export function diffCommand(): Command {
  return addRegistryOptions(
    new Command("diff")
      .description("Show what differs between two images: manifests, env, labels, config and the files of each differing layer")
      .argument("<a>", IMAGE_ARGUMENT)
      .argument("<b>", "the image to compare with, in the same forms")
      .option("--json", "print the differences as JSON"),
  ).addHelpText("after", "\nExample:\n  map-build diff oci:build-1:1.0 oci:build-2:1.0\n");
}

const show = (v: unknown) => (v === undefined ? "(absent)" : typeof v === "string" ? v : JSON.stringify(v));

function valueLines(title: string, changes: ValueChange[]): string[] {
  if (!changes.length) return [];
  return [title, ...changes.map((c) => `  ${c.key}: ${show(c.a)} → ${show(c.b)}`)];
}

function fileLine(f: FileChange): string {
  const mark = { added: "+", removed: "-", modified: "~" }[f.change];
  if (f.change !== "modified") return `    ${mark} ${f.path}`;
  const what: string[] = [];
  if (f.a!.type !== f.b!.type) what.push(`${f.a!.type} → ${f.b!.type}`);
  if (f.a!.size !== f.b!.size) what.push(`${formatBytes(f.a!.size)} → ${formatBytes(f.b!.size)}`);
  else if (f.a!.sha256 !== f.b!.sha256) what.push("content");
  if (f.a!.mode !== f.b!.mode) what.push(`mode ${f.a!.mode.toString(8)} → ${f.b!.mode.toString(8)}`);
  if (f.a!.linkname !== f.b!.linkname) what.push(`link ${show(f.a!.linkname)} → ${show(f.b!.linkname)}`);
  return `    ${mark} ${f.path} (${what.join(", ")})`;
}

export function renderDiff(d: ImageDiff): string {
  if (d.identical) return `identical: ${d.a}\n`;
  const lines = [`a  ${d.a}`, `b  ${d.b}`];
  lines.push(...valueLines("manifests", d.manifests), ...valueLines("config", d.config), ...valueLines("env", d.env), ...valueLines("labels", d.labels));
  const changed = d.layers.filter((l) => l.status !== "same");
  lines.push(`layers (${d.layers.length - changed.length} same, ${changed.length} differ)`);
  for (const l of changed) {
    const name = l.createdBy ? `  ${l.createdBy.slice(0, 60)}` : "";
    lines.push(`  ${String(l.index).padStart(2)} ${l.status}${name}`);
    lines.push(...l.files.slice(0, 200).map(fileLine));
    if (l.files.length > 200) lines.push(`    … ${l.files.length - 200} more (--json lists them all)`);
  }
  return `${lines.join("\n")}\n`;
}

export async function runDiff(a: string, b: string, flags: DiffFlags, io: CliIO, progress = true): Promise<number> {
  const platform = flags.platform ? parsePlatform(flags.platform) : hostPlatform();
  const opener = await imageOpener([a, b], platform, flags, io);
  const view = createProgressView(io.stderr, progress, { signal: io.signal });
  try {
    const [ia, ib] = [(await opener.open(a)).image, (await opener.open(b)).image];
    const { diffImages } = await import("../inspect/index.js");
    const diff = await diffImages(ia, ib, { progress: view.sink });
    view.finish();
    io.stdout.write(flags.json ? `${JSON.stringify(diff, null, 2)}\n` : renderDiff(diff));
    return ExitCode.ok;
  } finally {
    view.finish();
    await opener.close();
  }
}
