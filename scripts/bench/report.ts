/** The bench result: one row per comparison, printed as a text table and as markdown. */
import { availableParallelism, cpus, loadavg, release, totalmem } from "node:os";

export interface Row {
  id: string;
  what: string;
  /** map-build's figure, with unit. */
  mapBuild: string;
  /** The peer's figure (or "—"). */
  peer: string;
  /** The compared number, e.g. "3.4× faster" or "0 B". */
  result: string;
  goal: string;
  /** true met, false missed, undefined: no goal (informational). */
  met: boolean | undefined;
  note?: string;
}

export interface Machine {
  cpuModel: string;
  cores: number;
  node: string;
  memGiB: number;
  kernel: string;
  /** 1-minute load average when the bench started: other work on the machine skews wall times. */
  load: number;
}

export function machine(): Machine {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    node: process.version,
    memGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    load: Math.round((loadavg()[0] ?? 0) * 10) / 10,
  };
}

export function describeMachine(m: Machine): string {
  return `${m.cores} cores (${m.cpuModel}), ${m.memGiB} GiB RAM, Node ${m.node}, Linux ${m.kernel}, load average ${m.load} at start`;
}

const status = (r: Row) => (r.met === undefined ? "info" : r.met ? "met" : "MISSED");

export function textTable(rows: readonly Row[]): string {
  const head = ["#", "comparison", "map-build", "peer", "result", "goal", ""];
  const body = rows.map((r) => [r.id, r.what, r.mapBuild, r.peer, r.result, r.goal, status(r)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const notes = rows.filter((r) => r.note).map((r) => `  [${r.id}] ${r.note}`);
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line), ...(notes.length ? ["", ...notes] : [])].join("\n");
}

export interface MarkdownInput {
  rows: readonly Row[];
  machine: Machine;
  date: string;
  settings: string;
  seconds: number;
  extra: readonly string[];
}

export function markdown(input: MarkdownInput): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  const lines = [
    "## Benchmark",
    "",
    `Measured ${input.date} by \`npm run bench\` (${input.settings}; whole run ${input.seconds.toFixed(0)} s) on ${describeMachine(input.machine)}.`,
    "All figures come from one run on one machine; compare ratios, not seconds (speeds differ up to 6× between machines of the same kind).",
    "",
    "| # | comparison | map-build | peer | result | goal | |",
    "|---|---|---|---|---|---|---|",
    ...input.rows.map((r) => `| ${[r.id, r.what, r.mapBuild, r.peer, r.result, r.goal, status(r)].map(cell).join(" | ")} |`),
    "",
    ...input.rows.filter((r) => r.note).map((r) => `- **${r.id}**: ${r.note}`),
    ...input.extra.map((e) => `- ${e}`),
    "",
  ];
  return lines.join("\n");
}

export const secs = (s: number) => `${s.toFixed(2)} s`;
export const mbps = (bytes: number, s: number) => `${(bytes / 1e6 / s).toFixed(0)} MB/s`;
export function bytesHuman(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
