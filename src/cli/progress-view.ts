/**
 * Renders core progress events on stderr. On a TTY: one line per item, redrawn at most 10×/s,
 * with bytes and throughput. Otherwise: a log line when an item changes phase, and every 10 s
 * for long transfers, so CI logs stay readable.
 */
import type { ProgressEvent, ProgressSink } from "../progress.js";
import type { Writable } from "node:stream";

interface Item {
  id: string;
  phase: string;
  bytes: number;
  total?: number;
  detail?: string;
  startedAt: number;
  lastLogAt: number;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Blob digests are long; 12 hex digits identify one in a log as well as `docker` does. */
function label(id: string): string {
  return /^sha256:[a-f0-9]{64}$/.test(id) ? id.slice(0, 19) : id;
}

function describe(item: Item, now: number): string {
  const secs = Math.max((now - item.startedAt) / 1000, 0.001);
  const amount = item.total ? `${formatBytes(item.bytes)}/${formatBytes(item.total)}` : formatBytes(item.bytes);
  const rate = item.bytes > 0 && secs > 0.2 ? ` ${formatBytes(item.bytes / secs)}/s` : "";
  const detail = item.detail ? ` ${item.detail}` : "";
  const bytes = item.bytes > 0 || item.total ? ` ${amount}${rate}` : "";
  return `${label(item.id).padEnd(24)} ${item.phase.padEnd(8)}${bytes}${detail}`;
}

export interface ProgressView {
  sink: ProgressSink;
  /** Erase the live area (TTY) before printing the final result. */
  finish(): void;
}

export function createProgressView(stream: Writable & { isTTY?: boolean; columns?: number }, enabled: boolean): ProgressView {
  if (!enabled) return { sink: () => {}, finish: () => {} };
  const items = new Map<string, Item>();
  const tty = Boolean(stream.isTTY);
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;

  const redraw = () => {
    timer = undefined;
    const now = Date.now();
    const width = (stream.columns ?? 100) - 1;
    const lines = [...items.values()].map((it) => describe(it, now).slice(0, width));
    let out = drawn > 0 ? `\x1b[${drawn}A` : "";
    for (const l of lines) out += `\x1b[2K${l}\n`;
    drawn = lines.length;
    stream.write(out);
  };

  const sink: ProgressSink = (e: ProgressEvent) => {
    const now = Date.now();
    let item = items.get(e.id);
    const phaseChanged = !item || item.phase !== e.phase;
    if (!item || phaseChanged) {
      item = { id: e.id, phase: e.phase, bytes: 0, startedAt: now, lastLogAt: now };
      items.set(e.id, item);
    }
    item.bytes = e.bytes ?? item.bytes;
    if (e.total !== undefined) item.total = e.total;
    if (e.detail !== undefined) item.detail = e.detail;
    if (tty) {
      timer ??= setTimeout(redraw, 100);
    } else if (phaseChanged || e.phase === "done" || now - item.lastLogAt > 10_000) {
      item.lastLogAt = now;
      stream.write(`${describe(item, now)}\n`);
    }
  };

  return {
    sink,
    finish() {
      if (timer) clearTimeout(timer);
      if (tty && items.size) redraw();
      timer = undefined;
    },
  };
}
