/** A Logger that writes to stderr, filtered by verbosity. */
import type { Writable } from "node:stream";
import type { Logger } from "../progress.js";
import type { Verbosity } from "./io.js";
import { terminalSafe } from "./terminal-text.js";

const RANK: Record<Verbosity, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function createLogger(stream: Writable, verbosity: Verbosity): Logger {
  const at = RANK[verbosity];
  return {
    debug: (m) => at <= 0 && stream.write(`debug: ${terminalSafe(m)}\n`),
    info: (m) => at <= 1 && stream.write(`${terminalSafe(m)}\n`),
    warn: (m) => at <= 2 && stream.write(`warning: ${terminalSafe(m)}\n`),
  } as Logger;
}
