/**
 * Renders core progress events on stderr, as docker buildx and crane do. On a terminal: one row
 * per layer and output (`app`, `model:seg`, `push host/repo  base 1/5`), redrawn at most 10×/s,
 * with human units, percent, rate and ETA, a rate frozen when a row finishes, and an overall line
 * with the elapsed time. In a pipe: a timestamped line when a row finishes, and at least every
 * 10 s for a long transfer, so CI runners that kill silent jobs do not. The clock is injected.
 */
import type { Writable } from "node:stream";
import type { ProgressEvent, ProgressSink } from "../progress.js";
import { formatBytes, formatDuration } from "./units.js";
import { summarize, type Row } from "./progress-summary.js";

export { formatBytes, formatDuration };

/** A pipe gets a line for a running transfer this often (CI runners kill jobs silent for minutes). */
export const PIPE_INTERVAL_MS = 10_000;
/** Long enough to announce when it starts in a pipe. */
const BIG = 16 * 1024 * 1024;
/** Rows drawn on a terminal; older finished rows fold into one line. */
const MAX_ROWS = 20;

const ACTIVE: Record<string, string> = { build: "building", download: "reading", upload: "uploading", write: "writing" };
const FINAL: Record<string, string> = { exists: "exists", mounted: "mounted", cached: "cached", done: "done" };

export interface ProgressViewOptions {
  /** Milliseconds; Date.now by default. */
  now?: () => number;
  /** Start a timer that calls tick() (default true); tests call tick() themselves. */
  timer?: boolean;
  /** On abort (Ctrl-C) the view stops drawing and leaves its last frame as it is. */
  signal?: AbortSignal;
}

export interface ProgressView {
  sink: ProgressSink;
  /** Redraw (terminal) or log long transfers (pipe); called by the timer. */
  tick(): void;
  /** Stop, draw the last frame, and with `summary` print the closing summary. */
  finish(opts?: { summary?: boolean }): void;
}

type Stream = Writable & { isTTY?: boolean; columns?: number };

function rate(row: Row, now: number): number | undefined {
  if (row.word in FINAL && row.word !== "done") return undefined; // nothing was transferred
  const secs = ((row.finishedAt ?? now) - row.startedAt) / 1000;
  return secs >= 0.5 && row.bytes > 0 ? row.bytes / secs : undefined;
}

export function describeRow(row: Row, now: number, width = 36): string {
  const parts = [row.label.padEnd(width), row.word.padEnd(9)];
  const done = row.finishedAt !== undefined;
  if (done && (row.total ?? row.bytes) > 0) parts.push(formatBytes(row.total ?? row.bytes));
  else if (row.total) parts.push(`${formatBytes(row.bytes)}/${formatBytes(row.total)}`, `${Math.floor((100 * row.bytes) / row.total)}%`);
  else if (row.bytes) parts.push(formatBytes(row.bytes));
  const r = rate(row, now);
  if (r !== undefined) parts.push(`${formatBytes(r)}/s`);
  if (!done && r && row.total && row.bytes < row.total) parts.push(`ETA ${formatDuration((row.total - row.bytes) / r)}`);
  return parts.join(" ").trimEnd();
}

/** The first line: elapsed time, rows done, bytes of the rows still moving. */
function overallLine(all: readonly Row[], elapsedS: number): string {
  const finished = all.filter((r) => r.finishedAt !== undefined).length;
  const active = all.filter((r) => r.finishedAt === undefined && r.total);
  const moved = active.reduce((n, r) => n + r.bytes, 0);
  const total = active.reduce((n, r) => n + (r.total ?? 0), 0);
  return `[+] ${formatDuration(elapsedS)}  ${finished}/${all.length} done${total ? `  ${formatBytes(moved)}/${formatBytes(total)} in flight` : ""}`;
}

/** Fold an event into its row; true when it finished the row. */
function applyEvent(row: Row, e: ProgressEvent, t: number): boolean {
  row.phase = e.phase;
  if (e.phase in ACTIVE) row.activity = e.phase;
  if (e.bytes !== undefined) row.bytes = e.bytes;
  if (e.total !== undefined) row.total = e.total;
  const finalWord = FINAL[e.phase] ?? (e.phase === "write" && row.total && row.bytes >= row.total ? "written" : undefined);
  if (!finalWord) {
    row.word = ACTIVE[e.phase] ?? e.phase;
    return false;
  }
  row.word = finalWord;
  row.finishedAt = t;
  if (row.total === undefined && e.phase !== "done") row.total = row.bytes;
  return true;
}

export function createProgressView(stream: Stream, enabled: boolean, opts: ProgressViewOptions = {}): ProgressView {
  if (!enabled) return { sink: () => {}, tick: () => {}, finish: () => {} };
  const now = opts.now ?? Date.now;
  const start = now();
  const tty = Boolean(stream.isTTY);
  const rows = new Map<string, Row>();
  let drawn = 0;
  let stopped = false;
  const stamp = (t: number) => `[${formatDuration((t - start) / 1000).padStart(6)}]`;
  const labelWidth = () => Math.min(48, Math.max(16, ...[...rows.values()].map((r) => r.label.length)));

  const draw = () => {
    const t = now();
    const width = (stream.columns || 100) - 1;
    const all = [...rows.values()];
    const running = all.filter((r) => r.finishedAt === undefined);
    const finished = all.filter((r) => r.finishedAt !== undefined);
    const room = Math.max(0, MAX_ROWS - running.length);
    const hidden = Math.max(0, finished.length - room);
    const w = labelWidth();
    const lines = [overallLine(all, (t - start) / 1000)];
    if (hidden) lines.push(`… ${hidden} more done`);
    for (const r of [...finished.slice(hidden), ...running]) lines.push(describeRow(r, t, w));
    let out = drawn > 0 ? `\x1b[${drawn}A` : "";
    for (const l of lines) out += `\x1b[2K${l.slice(0, width)}\n`;
    drawn = lines.length;
    stream.write(out);
  };

  const log = (row: Row, t: number) => {
    row.lastLogAt = t;
    stream.write(`${stamp(t)} ${describeRow(row, t, labelWidth())}\n`);
  };

  const sink: ProgressSink = (e: ProgressEvent) => {
    if (stopped) return;
    const t = now();
    const key = `${e.output ?? ""}\0${e.id}`;
    let row = rows.get(key);
    if (row?.finishedAt !== undefined) return; // `done` after `exists`/`mounted` keeps the first word
    if (!row || (e.phase in ACTIVE && row.phase !== e.phase)) {
      row = { label: e.output ? `${e.output}  ${e.id}` : e.id, output: e.output, id: e.id, phase: e.phase, word: "", bytes: 0, startedAt: row?.startedAt ?? t, lastLogAt: t };
      rows.set(key, row);
    }
    if (applyEvent(row, e, t)) {
      if (!tty) log(row, t);
    } else if (!tty && row.bytes === 0 && (row.total ?? 0) >= BIG && row.lastLogAt === row.startedAt) log(row, t);
  };

  const tick = () => {
    if (stopped) return;
    if (tty) return rows.size ? draw() : undefined;
    const t = now();
    for (const row of rows.values()) if (row.finishedAt === undefined && t - row.lastLogAt >= PIPE_INTERVAL_MS) log(row, t);
  };

  const timer = opts.timer === false ? undefined : setInterval(tick, tty ? 100 : 1000);
  timer?.unref();
  const stop = () => {
    stopped = true;
    if (timer) clearInterval(timer);
  };
  opts.signal?.addEventListener("abort", stop, { once: true });

  return {
    sink,
    tick,
    finish(f = {}) {
      if (stopped) return;
      if (tty && rows.size) draw();
      stop();
      if (f.summary && rows.size) stream.write(`${summarize([...rows.values()], (now() - start) / 1000)}\n`);
    },
  };
}
