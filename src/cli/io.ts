/** The CLI's view of the process, passed in so tests can run main() in-process. */
import type { Readable, Writable } from "node:stream";

export interface CliIO {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/** Levels of the original packager's --log-level, mapped onto what we print. */
export type Verbosity = "debug" | "info" | "warn" | "error";

export function verbosityFrom(opts: { logLevel?: string; verbose?: boolean; quiet?: boolean }): Verbosity {
  if (opts.verbose) return "debug";
  if (opts.quiet) return "error";
  switch ((opts.logLevel ?? "INFO").toUpperCase()) {
    case "DEBUG":
      return "debug";
    case "WARN":
    case "WARNING":
      return "warn";
    case "ERROR":
    case "CRITICAL":
      return "error";
    default:
      return "info";
  }
}
