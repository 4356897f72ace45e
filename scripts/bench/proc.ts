/**
 * Child processes for the bench: run one to completion and time it from spawn to exit (what a user
 * waits for), and remember every child so an interrupt can end them.
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface Timed {
  seconds: number;
  stdout: string;
  stderr: string;
}

const live = new Set<ChildProcess>();
let stopping = false;

/** Kill the children still running (interrupt path), each by its own pid, and start no more. */
export function killChildren(): void {
  stopping = true;
  for (const c of live) {
    try {
      c.kill("SIGTERM");
    } catch {
      // already gone
    }
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Fail (kill the child) after this long; the bench must never hang. */
  timeoutMs?: number;
}

/** Run `cmd args`; throw with its stderr on a non-zero exit. */
export function timed(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    if (stopping) {
      reject(new Error(`not starting ${cmd}: the bench is stopping`));
      return;
    }
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    live.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timeoutMs = opts.timeoutMs ?? 600_000;
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.on("close", (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      clearTimeout(timer);
      live.delete(child);
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (code !== 0) {
        const why = signal ? `signal ${signal}${signal === "SIGKILL" ? ` (timeout ${timeoutMs / 1000} s?)` : ""}` : `exit ${code}`;
        reject(new Error(`${cmd} ${args.join(" ")} failed (${why}):\n${stderr.trim().slice(-4000)}`));
        return;
      }
      resolve({ seconds, stdout, stderr });
    });
  });
}

/** A shell pipeline under bash with pipefail, so a failing stage fails the measurement. */
export function timedShell(script: string, opts: RunOptions = {}): Promise<Timed> {
  return timed("bash", ["-o", "pipefail", "-c", script], opts);
}

/** Shell-quote one argument. */
export function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
