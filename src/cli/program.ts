/** The commander program: global flags and the sub-commands. Parsing only; work is delegated. */
import { Command, CommanderError } from "commander";
import { packageCommand, type PackageFlags } from "./package-command.js";
import { parseLogLevel } from "./validate-flags.js";
import { verbosityFrom, type CliIO } from "./io.js";
import { runPackage, type PackageDeps } from "./run-package.js";
import { package1Command, wantsMap1, type Package1Flags } from "./package1-command.js";
import { runPackage1 } from "./run-package1.js";
import { inspectCommand, runInspect, type InspectFlags } from "./inspect-command.js";
import { cacheCommand } from "./cache-command.js";
import { diffCommand, runDiff, type DiffFlags } from "./diff-command.js";
import { rejectRepeatedValues } from "./single-use.js";

export interface GlobalFlags {
  logLevel?: string;
  verbose?: boolean;
  quiet?: boolean;
}

/** Progress on stderr unless -q or a quiet --log-level. */
function showsProgress(g: GlobalFlags): boolean {
  const v = verbosityFrom(g);
  return v === "debug" || v === "info";
}

export function buildProgram(name: string, io: CliIO, deps: PackageDeps, setExit: (code: number) => void, argv: readonly string[] = []): Command {
  const program = new Command(name)
    .description("Daemonless builder of MONAI Application Packages (MAPs)")
    // the original accepted --log-level before or after `package`: global options are parsed anywhere
    .option("-l, --log-level <level>", "DEBUG, INFO, WARN, ERROR or CRITICAL", parseLogLevel)
    .option("--verbose", "debug output, and stack traces on errors")
    .option("-q, --quiet", "errors only")
    // not .version(): global options are parsed anywhere, and `package --version X` is the
    // original packager's app version. main() answers a leading -V/--version itself.
    .addHelpText("after", "\n  -V, --version  (first argument) print map-build's version")
    .exitOverride();

  // `-c app.yaml` (or --format 1.0) selects MAP 1.0 and holoscan-cli's flags; otherwise the legacy packager's
  const verbosityFor = (json?: boolean) => verbosityFrom({ ...program.opts<GlobalFlags>(), quiet: program.opts<GlobalFlags>().quiet || json });
  if (wantsMap1(argv)) {
    const pkg1 = package1Command().exitOverride();
    pkg1.action(async (appPath: string, flags: Package1Flags) => setExit(await runPackage1(appPath, flags, io, verbosityFor(flags.json), deps, name)));
    program.addCommand(pkg1);
  } else {
    const pkg = packageCommand().exitOverride();
    pkg.action(async (appPath: string, flags: PackageFlags) => setExit(await runPackage(appPath, flags, io, verbosityFor(flags.json), deps)));
    program.addCommand(pkg);
  }

  const inspect = inspectCommand().exitOverride();
  inspect.action(async (image: string, flags: InspectFlags) => {
    setExit(await runInspect(image, flags, io, showsProgress(program.opts<GlobalFlags>())));
  });
  program.addCommand(inspect);
  const diff = diffCommand().exitOverride();
  diff.action(async (a: string, b: string, flags: DiffFlags) => {
    setExit(await runDiff(a, b, flags, io, showsProgress(program.opts<GlobalFlags>())));
  });
  program.addCommand(diff);
  program.addCommand(cacheCommand(io, setExit));

  // addCommand() copies no settings to sub-commands: without this their help and errors went to
  // process.stdout/stderr, not io. Commander's own error line is dropped: main() reports usage
  // errors in the one-line `error: … [E_USAGE]` + `hint:` form like every other failure.
  rejectRepeatedValues(program);
  const output = { writeOut: (s: string) => io.stdout.write(s), writeErr: (s: string) => io.stderr.write(s), outputError: () => {} };
  for (const c of [program, ...program.commands]) c.configureOutput(output);

  return program;
}

export { CommanderError };
