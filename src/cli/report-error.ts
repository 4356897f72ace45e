/** One line of cause, one line of hint; the stack only with --verbose. Secrets never reach here. */
import { toMapBuildError } from "../errors.js";
import { exitCodeFor } from "./exit-codes.js";
import type { CliIO } from "./io.js";

export function reportError(io: Pick<CliIO, "stderr">, e: unknown, verbose: boolean): number {
  const err = toMapBuildError(e);
  const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ").trim();
  io.stderr.write(`error: ${oneLine(err.message)} [${err.code}]\n`);
  if (err.hint) io.stderr.write(`hint: ${oneLine(err.hint)}\n`);
  if (verbose) {
    let cause: unknown = err;
    while (cause instanceof Error) {
      io.stderr.write(`${cause.stack ?? cause.message}\n`);
      cause = cause.cause;
      if (cause) io.stderr.write("caused by: ");
    }
  }
  return exitCodeFor(err.code);
}
