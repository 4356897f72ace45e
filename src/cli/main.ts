/**
 * The CLI entry: the only place that reads process state and decides exit codes. Returns the exit
 * code instead of exiting, so tests can run it in-process.
 */
import { CommanderError } from "commander";
import { isMapBuildError, MapBuildError } from "../errors.js";
import type { CliIO } from "./io.js";
import { buildProgram, type GlobalFlags } from "./program.js";
import { reportError } from "./report-error.js";
import { ExitCode } from "./exit-codes.js";
import { packageMap } from "../builder/index.js";
import { packageVersion } from "./version.js";
import { writeJsonError } from "./package-result.js";

export async function main(name: string, argv: string[], io: CliIO): Promise<number> {
  let code: number = ExitCode.ok;
  const program = buildProgram(name, io, { packageMap }, (c) => (code = c), argv);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.usage;
    }
    if (argv[0] === "--version" || argv[0] === "-V") {
      io.stdout.write(`${packageVersion()}\n`);
      return ExitCode.ok;
    }
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError && !isMapBuildError(e)) {
      // help and version are "errors" to commander; they already printed
      if (e.code === "commander.helpDisplayed" || e.code === "commander.help" || e.code === "commander.version") return ExitCode.ok;
      const sub = program.commands.find((c) => argv.includes(c.name()))?.name();
      const usage = new MapBuildError("E_USAGE", e.message.replace(/^error:\s*/i, ""), { hint: `run \`${name}${sub ? ` ${sub}` : ""} --help\` for usage` });
      if (argv.includes("--json")) writeJsonError(io, usage);
      return reportError(io, usage, false);
    }
    const verbose = Boolean(program.opts<GlobalFlags>().verbose) || program.opts<GlobalFlags>().logLevel === "DEBUG";
    if (argv.includes("--json")) writeJsonError(io, e);
    return reportError(io, e, verbose);
  }
}

/** Wire a real process: signals abort the build (temp files and partial outputs are removed). */
export async function runProcess(name: string, argv: string[]): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) process.exit(ExitCode.interrupted); // second Ctrl-C: give up on cleanup
    process.stderr.write(`\n${sig}: stopping, removing temporary files…\n`);
    controller.abort(new Error(sig));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // `map-build … | head`: a reader that went away stops the work as SIGPIPE stops a C tool, but
  // through the abort signal, so temp files are removed, instead of an unhandled EPIPE stack trace
  for (const out of [process.stdout, process.stderr]) {
    out.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE" && e.code !== "ERR_STREAM_DESTROYED") throw e;
      if (!controller.signal.aborted) controller.abort(new Error("output closed (EPIPE)"));
    });
  }
  const code = await main(name, argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
  });
  process.exitCode = controller.signal.aborted ? ExitCode.interrupted : code;
}
