/**
 * V8 settings for the CLI process, applied when this module is imported: the CLI entries import it
 * first, before the rest of the program loads. Not in the library: a process-wide choice belongs
 * to the program that owns the process.
 *
 * The young generation stays at its start-up size (1 MiB per semi-space) instead of growing to
 * 2 × 16 MiB. A build streams hundreds of MB through short-lived buffers; V8 grows the young
 * generation under that load, and then both the space itself (~30 MB resident) and the external
 * buffers that only a scavenge frees pile up between collections. Measured on a cold deps build
 * (256 MiB `.so` + 3,000 small members, test/python/deps-memory.test.ts): peak RSS 156–162 MB →
 * 136–141 MB, the same CPU time (11.4–12.1 vs 11.6–11.8 user-s). Set at run time on purpose: V8
 * reads the growth factor each time it would grow the space, while the same command-line flag was
 * ignored (measured on Node 20).
 */
import { setFlagsFromString } from "node:v8";

/** The user sized the young generation (NODE_OPTIONS or node's own arguments): their choice stands. */
const userSized = [process.env.NODE_OPTIONS ?? "", ...process.execArgv].some((a) => /--(max-semi-space-size|semi-space-growth-factor)\b/.test(a));

// 1 means "do not grow"; 0 crashes V8, so 1 is the smallest valid value. A V8 without this flag
// would print "unrecognized flag" and carry on unchanged.
if (!userSized) setFlagsFromString("--semi-space-growth-factor=1");
