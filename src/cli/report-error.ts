/** One line of cause, one line of hint; the stack only with --verbose. Secrets never reach here. */
import { renderOptionNames, toMapBuildError, type ErrorCode } from "../errors.js";
import { OPTION_FLAGS } from "./option-flags.js";
import { exitCodeFor } from "./exit-codes.js";
import type { CliIO } from "./io.js";
import { terminalSafe } from "./terminal-text.js";

/**
 * Every error line gets a hint line (scripts and users rely on the pair); these cover errors whose
 * thrower had no specific advice.
 */
const FALLBACK_HINTS: Partial<Record<ErrorCode, string>> = {
  E_MANIFEST_INVALID: "the image is damaged or not an OCI/Docker image: re-create or re-copy it, or choose another image",
  E_UNSUPPORTED_MEDIA_TYPE: "map-build reads OCI and Docker v2 schema 2 images; convert the image (e.g. skopeo copy) or choose another",
  E_DIGEST_MISMATCH: "the data is corrupt or was changed while being read; retry, and re-create the source if it persists",
  E_SIZE_MISMATCH: "the data is corrupt or truncated; retry, and re-create the source if it persists",
  E_NETWORK: "check that the registry is reachable from this machine (proxy, DNS, firewall) and retry",
  E_TIMEOUT: "retry; the registry or network is slow",
  E_OUTPUT: "check the output path: its folder must exist, be writable and have free space",
  E_INTERRUPTED: "run the command again to finish the build",
};

export function reportError(io: Pick<CliIO, "stderr">, e: unknown, verbose: boolean): number {
  const err = toMapBuildError(e);
  const oneLine = (s: string) => terminalSafe(s.replace(/\s*\n\s*/g, " ").trim());
  // core messages name options, not flags: here they get the flags' names
  const message = renderOptionNames(err.template?.message ?? err.message, OPTION_FLAGS);
  const hint = err.template?.hint === undefined ? err.hint : renderOptionNames(err.template.hint, OPTION_FLAGS);
  io.stderr.write(`error: ${oneLine(message)} [${err.code}]\n`);
  io.stderr.write(`hint: ${oneLine(hint ?? FALLBACK_HINTS[err.code] ?? "run again with --verbose for details")}\n`);
  if (verbose) {
    let cause: unknown = err;
    while (cause instanceof Error) {
      io.stderr.write(`${terminalSafe(cause.stack ?? cause.message)}\n`);
      cause = cause.cause;
      if (cause) io.stderr.write("caused by: ");
    }
  }
  return exitCodeFor(err.code);
}
