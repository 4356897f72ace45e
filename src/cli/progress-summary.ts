/** The closing line of a build: what was built or reused, and what each output moved. */
import { formatBytes, formatDuration } from "./units.js";

export interface Row {
  label: string;
  output?: string;
  id: string;
  phase: string;
  /** The last transfer phase seen (build, download, upload, write), if any. */
  activity?: string;
  /** What the row shows: building, uploading, done, mounted, … */
  word: string;
  bytes: number;
  total?: number;
  startedAt: number;
  finishedAt?: number;
  lastLogAt: number;
}

const size = (r: Row) => r.total ?? r.bytes;
const sum = (rows: Row[]) => formatBytes(rows.reduce((n, r) => n + size(r), 0));

function outputPart(output: string, rows: Row[]): string {
  const by = (w: string) => rows.filter((r) => r.word === w && r.id !== "manifest");
  const parts: string[] = [];
  if (output.startsWith("push ")) {
    const uploaded = rows.filter((r) => r.activity === "upload" && r.word === "done");
    parts.push(`uploaded ${sum(uploaded)}`, `mounted ${sum(by("mounted"))}`, `existing ${sum(by("exists"))}`);
  } else {
    const written = rows.filter((r) => r.activity === "write" && r.finishedAt !== undefined);
    if (written.length) parts.push(`wrote ${sum(written)}`);
    if (by("exists").length) parts.push(`already there ${sum(by("exists"))}`);
  }
  return `${output}: ${parts.join(", ") || "done"}`;
}

export function summarize(rows: Row[], seconds: number): string {
  const local = rows.filter((r) => !r.output);
  const built = local.filter((r) => r.activity === "build" && r.word === "done");
  const cached = local.filter((r) => r.word === "cached");
  const read = local.filter((r) => r.activity === "download" && r.finishedAt !== undefined);
  const parts: string[] = [];
  if (built.length || cached.length) parts.push(`built ${built.length} layer(s) (${sum(built)}), ${cached.length} from cache (${sum(cached)})`);
  if (read.length) parts.push(`read ${read.length} layer(s) (${sum(read)})`);
  for (const output of [...new Set(rows.map((r) => r.output).filter((o): o is string => !!o))]) parts.push(outputPart(output, rows.filter((r) => r.output === output)));
  return `${parts.join("; ")}; ${formatDuration(seconds)}`;
}
