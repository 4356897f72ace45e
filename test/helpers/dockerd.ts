/**
 * A private dockerd (Debian docker.io 20.10) per test file, through scripts/start-dockerd.sh: its own
 * data root, exec root and socket under a short temp dir, no iptables, no bridge, so containers
 * must run with `--network none`. Always call stop() in `after`.
 */
import { join } from "node:path";
import { SCRIPTS } from "./registry.js";
import { run, runOk, type RunResult } from "./run.js";
import { makeTempDir } from "./tmp.js";

/** Debian's client; /usr/local/bin/docker (first on PATH) is a newer standalone client. */
export const DOCKER_CLIENT = "/usr/bin/docker";

export interface TestDockerd {
  /** unix:///tmp/mb-d-XXXX/d/docker.sock — pass as -H or DOCKER_HOST */
  host: string;
  dir: string;
  pid: number;
  /** Run the Debian docker client against this daemon. Never throws: check `code`. */
  docker(args: string[], opts?: { timeoutMs?: number; input?: string | Buffer }): Promise<RunResult>;
  stop(): Promise<void>;
}

export async function startDockerd(opts: { storageDriver?: "overlay2" | "vfs" } = {}): Promise<TestDockerd> {
  // tmpdir + "mb-d-XXXXXX/d" stays far below the 66-character limit of start-dockerd.sh
  const { dir, cleanup } = await makeTempDir("mb-d-");
  const d = join(dir, "d");
  const env = { ...process.env, ...(opts.storageDriver ? { STORAGE_DRIVER: opts.storageDriver } : {}) };
  let out: string;
  try {
    out = await runOk("bash", [join(SCRIPTS, "start-dockerd.sh"), d], { env, timeoutMs: 60_000 });
  } catch (err) {
    await run("bash", [join(SCRIPTS, "start-dockerd.sh"), "--stop", d]);
    await cleanup();
    throw err;
  }
  const host = /^DOCKER_HOST=(\S+)$/m.exec(out)?.[1];
  const pid = Number(out.trim().split("\n").at(-1));
  if (!host || !Number.isInteger(pid)) throw new Error(`start-dockerd.sh printed no DOCKER_HOST/pid: ${out}`);
  return {
    host,
    dir: d,
    pid,
    docker: (args, o = {}) => run(DOCKER_CLIENT, ["-H", host, ...args], { timeoutMs: o.timeoutMs ?? 120_000, input: o.input }),
    async stop() {
      try {
        await runOk("bash", [join(SCRIPTS, "start-dockerd.sh"), "--stop", d], { timeoutMs: 60_000 });
      } finally {
        await cleanup();
      }
    },
  };
}
