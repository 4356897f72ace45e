/**
 * Run the map-build CLI as a child process for the robustness tests, each run in its own TMPDIR
 * and cache dir so leftovers can be checked, with a clean credential environment (no host docker
 * config, no registry variables), optionally behind a wrapper command (setpriv, /usr/bin/time).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI_ENTRIES } from "../helpers/cli.js";

const TSX_LOADER = import.meta.resolve("tsx");

/** Variables a build reads that must not leak in from the developer's shell. */
const SCRUBBED = [
  "NGC_API_KEY",
  "NGC_CLI_API_KEY",
  "MAP_BUILD_REGISTRY_USER",
  "MAP_BUILD_REGISTRY_PASSWORD",
  "MAP_BUILD_REGISTRY_HOST",
  "MAP_BUILD_CACHE_DIR",
  "MONAI_BASEIMAGE",
  "DOCKER_HOST",
  "DOCKER_CONFIG",
  "SOURCE_DATE_EPOCH",
];

export interface Sandbox {
  /** Root of everything this run may touch; removed by cleanup(). */
  root: string;
  /** The child's TMPDIR: must hold no map-build-* entry after a run. */
  tmp: string;
  /** An empty DOCKER_CONFIG dir unless the test writes a config.json into it. */
  dockerConfig: string;
  cleanup(): Promise<void>;
}

export async function makeSandbox(prefix = "mb-rob-"): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const tmp = join(root, "tmp");
  const dockerConfig = join(root, "docker");
  await mkdir(tmp);
  await mkdir(dockerConfig);
  return { root, tmp, dockerConfig, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export interface MbResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface MbOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Command prefix, e.g. ["setpriv", "--bounding-set", "-dac_override"]. */
  wrap?: string[];
  timeoutMs?: number;
  /** Called with the child once it is spawned (to send signals). */
  onSpawn?: (child: import("node:child_process").ChildProcess, stderr: () => string) => void;
}

export function sandboxEnv(sb: Sandbox, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of SCRUBBED) delete env[k];
  Object.assign(env, {
    TMPDIR: sb.tmp,
    MAP_BUILD_CACHE_DIR: join(sb.root, "cache"),
    DOCKER_CONFIG: sb.dockerConfig,
    // the default output probe must not find a real engine
    DOCKER_HOST: `unix://${join(sb.root, "no-docker.sock")}`,
  });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** `map-build ARGS` in a child process with the sandbox's environment. */
export function runMb(sb: Sandbox, args: string[], opts: MbOptions = {}): Promise<MbResult> {
  const cmd = [...(opts.wrap ?? []), process.execPath, "--import", TSX_LOADER, CLI_ENTRIES["map-build"], ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { env: sandboxEnv(sb, opts.env), stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    // a safety net against hangs, not a speed check: a loaded 2-core CI machine can take a minute to start node + tsx
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 240_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
    opts.onSpawn?.(child, () => Buffer.concat(err).toString());
  });
}

/** Entries of the sandbox's TMPDIR that map-build left behind. */
export async function leftovers(sb: Sandbox): Promise<string[]> {
  return (await readdir(sb.tmp)).filter((n) => n.startsWith("map-build-"));
}

const ERROR_LINE = /^error: (.+) \[(E_[A-Z_]+)\]$/;
const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

export interface FailureExpectation {
  exit: number;
  code: string;
  /** Paths that must not exist afterwards (the requested outputs). */
  outputs?: string[];
  /** Substring or pattern the error message must contain. */
  message?: string | RegExp;
  hint?: string | RegExp;
  verbose?: boolean;
}

/** The contract of every failing run: exit status, one error line, one hint, no stack, nothing left. */
export async function assertCleanFailure(sb: Sandbox, r: MbResult, want: FailureExpectation): Promise<{ message: string; hint: string }> {
  const ctx = `\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}`;
  assert.equal(r.code, want.exit, `exit status${ctx}`);
  assert.equal(r.stdout, "", `nothing on stdout${ctx}`);
  const lines = r.stderr.split("\n");
  const errors = lines.filter((l) => l.startsWith("error: "));
  assert.equal(errors.length, 1, `exactly one error line${ctx}`);
  const m = ERROR_LINE.exec(errors[0]!);
  assert.ok(m, `error line has the form "error: … [E_…]"${ctx}`);
  assert.equal(m[2], want.code, `error code${ctx}`);
  const hints = lines.filter((l) => l.startsWith("hint: "));
  assert.equal(hints.length, 1, `exactly one hint line${ctx}`);
  assert.ok(hints[0]!.length > "hint: ".length + 5, `a real hint${ctx}`);
  if (want.verbose) assert.match(r.stderr, STACK_LINE, `--verbose shows a stack${ctx}`);
  else assert.doesNotMatch(r.stderr, STACK_LINE, `no stack trace without --verbose${ctx}`);
  const message = m[1]!;
  const hint = hints[0]!.slice("hint: ".length);
  if (want.message !== undefined) assert.ok(typeof want.message === "string" ? message.includes(want.message) : want.message.test(message), `message ${JSON.stringify(message)} should match ${want.message}`);
  if (want.hint !== undefined) assert.ok(typeof want.hint === "string" ? hint.includes(want.hint) : want.hint.test(hint), `hint ${JSON.stringify(hint)} should match ${want.hint}`);
  for (const p of want.outputs ?? []) assert.ok(!existsSync(p), `output ${p} must not be left behind${ctx}`);
  assert.deepEqual(await leftovers(sb), [], `no map-build-* temp dirs left${ctx}`);
  return { message, hint };
}
