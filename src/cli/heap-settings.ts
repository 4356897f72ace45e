/**
 * V8 settings for the CLI process. The CLI entries import this module first and load the rest of
 * the program (src/cli/main.ts, its packages) only after it ran, with a dynamic import: loading
 * the packages alone grew V8's young generation to 16 MB, and a static import cannot come before
 * that (an ES module's imports are all loaded and linked before any of its code runs; in the
 * bundled CLI, scripts/bundle-cli.mjs, the packages were even evaluated first). Not in the library:
 * a process-wide choice belongs to the program that owns the process.
 *
 * The young generation stays at its start-up size (1 MiB per semi-space) instead of growing to
 * 2 × 8 MiB. A build streams hundreds of MB through short-lived buffers; V8 grows the young
 * generation under that load, and then both the space itself and the external buffers that only a
 * scavenge frees pile up between collections. Measured: the young generation of a cold deps build
 * of real torch 2.13 (706 MiB installed) peaks at 2 MB instead of 16 MB, its peak RSS went from
 * 150–161 MB (settings applied after the packages loaded) to 137–148 MB together with loading
 * undici only when a connection is made (http-client.ts), at the same CPU time. Set at run time:
 * V8 reads the growth factor each time it would grow the space, and a command-line flag would need
 * a wrapper process.
 */
import { setFlagsFromString } from "node:v8";

/** The user sized the young generation (NODE_OPTIONS or node's own arguments): their choice stands. */
const userSized = [process.env.NODE_OPTIONS ?? "", ...process.execArgv].some((a) => /--(max-semi-space-size|semi-space-growth-factor)\b/.test(a));

// 1 means "do not grow"; 0 crashes V8, so 1 is the smallest valid value. A V8 without this flag
// would print "unrecognized flag" and carry on unchanged.
if (!userSized) setFlagsFromString("--semi-space-growth-factor=1");
