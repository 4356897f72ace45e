/**
 * A private containerd (Debian containerd 1.6) per test file, through scripts/start-containerd.sh:
 * own root, state and socket under a short temp dir, CRI disabled. Always call stop() in `after`.
 */
import { join } from "node:path";
import { SCRIPTS } from "./registry.js";
import { run, runOk, type RunResult } from "./run.js";
import { makeTempDir } from "./tmp.js";

export interface TestContainerd {
  /** Path of the gRPC socket: `ctr -a ADDRESS …` */
  address: string;
  /** overlayfs, or native when the temp dir's filesystem refuses overlayfs. */
  snapshotter: string;
  dir: string;
  pid: number;
  /** Run `ctr -a ADDRESS -n NAMESPACE ARGS` (namespace default "mb"). Never throws: check `code`. */
  ctr(args: string[], opts?: { namespace?: string; timeoutMs?: number }): Promise<RunResult>;
  stop(): Promise<void>;
}

export async function startContainerd(): Promise<TestContainerd> {
  const { dir, cleanup } = await makeTempDir("mb-c-");
  const c = join(dir, "c");
  let out: string;
  try {
    out = await runOk("bash", [join(SCRIPTS, "start-containerd.sh"), c], { timeoutMs: 60_000 });
  } catch (err) {
    await run("bash", [join(SCRIPTS, "start-containerd.sh"), "--stop", c]);
    await cleanup();
    throw err;
  }
  const address = /^CONTAINERD_ADDRESS=(\S+)$/m.exec(out)?.[1];
  const snapshotter = /^CONTAINERD_SNAPSHOTTER=(\S+)$/m.exec(out)?.[1] ?? "overlayfs";
  const pid = Number(out.trim().split("\n").at(-1));
  if (!address || !Number.isInteger(pid)) throw new Error(`start-containerd.sh printed no address/pid: ${out}`);
  return {
    address,
    snapshotter,
    dir: c,
    pid,
    ctr: (args, o = {}) =>
      run("ctr", ["-a", address, "-n", o.namespace ?? "mb", ...args], {
        timeoutMs: o.timeoutMs ?? 120_000,
        env: { ...process.env, CONTAINERD_SNAPSHOTTER: snapshotter },
      }),
    async stop() {
      try {
        await runOk("bash", [join(SCRIPTS, "start-containerd.sh"), "--stop", c], { timeoutMs: 60_000 });
      } finally {
        await cleanup();
      }
    },
  };
}
