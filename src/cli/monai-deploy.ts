#!/usr/bin/env node
/**
 * `monai-deploy` compatibility entry: the original packager's command line
 * (`monai-deploy [-l LEVEL] package APP --tag T …`) runs map-build's `package`.
 */
import "./heap-settings.js"; // first, and the rest of the CLI only then: see heap-settings.ts

const { runProcess } = await import("./main.js");

const argv = process.argv.slice(2);
/** The first positional argument, skipping the value of -l/--log-level. */
function subcommand(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-l" || a === "--log-level") i++;
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}

const sub = subcommand(argv);
if (sub && sub !== "package" && !["-h", "--help"].includes(sub)) {
  process.stderr.write(
    `error: map-build's monai-deploy supports only "package" (got "${sub}") [E_USAGE]\nhint: use the App SDK's monai-deploy for run/exec; map-build builds the MAP\n`,
  );
  process.exitCode = 2;
} else {
  await runProcess("monai-deploy", argv);
}
