/**
 * Run the map-build CLI the two ways tests need: as a child process (`node --import tsx
 * src/cli/map-build.ts …`, real exit status, real stdout/stderr) and in-process through main()
 * (fast: no node/tsx start-up per build). Both capture stdout and stderr separately.
 */
import { PassThrough, Writable } from "node:stream";
import { resolve } from "node:path";
import { main } from "../../src/cli/main.js";
import { run } from "./run.js";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const CLI_ENTRIES = {
  "map-build": resolve(REPO_ROOT, "src/cli/map-build.ts"),
  "monai-deploy": resolve(REPO_ROOT, "src/cli/monai-deploy.ts"),
} as const;
/** tsx's loader as a file URL, so the child resolves it whatever its cwd is. */
const TSX_LOADER = import.meta.resolve("tsx");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Merged over process.env (a key set to undefined is removed). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string | Buffer;
  timeoutMs?: number;
  entry?: keyof typeof CLI_ENTRIES;
}

/**
 * The host's pip configuration stays out of builds (PIP_CONFIG_FILE=/dev/null loads no pip.conf,
 * PIP_* variables are dropped) and no public index is used unless a test names one.
 */
function mergeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PIP_CONFIG_FILE: "/dev/null", MAP_BUILD_DEFAULT_INDEX_URL: "" };
  for (const k of Object.keys(env)) if (k.startsWith("PIP_") && k !== "PIP_CONFIG_FILE") delete env[k];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** `node --import tsx src/cli/<entry>.ts ARGS` as a child process. */
export async function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const entry = CLI_ENTRIES[opts.entry ?? "map-build"];
  const r = await run(process.execPath, ["--import", TSX_LOADER, entry, ...args], {
    env: mergeEnv(opts.env),
    cwd: opts.cwd,
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? 300_000, // a hang guard: loaded CI machines start node + tsx slowly
  });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

class Collector extends Writable {
  chunks: Buffer[] = [];
  isTTY = false;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/**
 * main(name, args, io) in this process. Paths in args should be absolute: the core resolves
 * relative paths against process.cwd(), and io.cwd only steers the default output.
 */
export async function runCliInProcess(args: string[], opts: Omit<CliOptions, "timeoutMs"> & { signal?: AbortSignal } = {}): Promise<CliResult> {
  const stdout = new Collector();
  const stderr = new Collector();
  const stdin = new PassThrough();
  stdin.end(opts.input ?? "");
  const code = await main(opts.entry ?? "map-build", args, {
    stdout,
    stderr,
    stdin,
    env: mergeEnv(opts.env),
    cwd: opts.cwd ?? process.cwd(),
    signal: opts.signal ?? new AbortController().signal,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
