/** A Logger that writes to stderr, filtered by verbosity. */
import type { Writable } from "node:stream";
import type { Logger } from "../progress.js";
import type { Verbosity } from "./io.js";

const RANK: Record<Verbosity, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function createLogger(stream: Writable, verbosity: Verbosity): Logger {
  const at = RANK[verbosity];
  return {
    debug: (m) => at <= 0 && stream.write(`debug: ${m}\n`),
    info: (m) => at <= 1 && stream.write(`${m}\n`),
    warn: (m) => at <= 2 && stream.write(`warning: ${m}\n`),
  } as Logger;
}
