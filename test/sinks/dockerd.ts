/** A private dockerd for one test file (scripts/start-dockerd.sh under a short /tmp/mbd-* dir). */
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { runOk } from "../helpers/run.js";
import { SCRIPTS } from "../helpers/registry.js";

export interface Dockerd {
  /** `unix:///tmp/mbd-xxxx/docker.sock`, for `docker -H` and DOCKER_HOST. */
  host: string;
  stop(): Promise<void>;
}

export async function startDockerd(): Promise<Dockerd> {
  const dir = await mkdtemp("/tmp/mbd-"); // ≤ 66 chars: containerd's socket paths must stay short
  const out = await runOk("bash", [join(SCRIPTS, "start-dockerd.sh"), dir]);
  const host = /DOCKER_HOST=(\S+)/.exec(out)?.[1];
  if (!host) throw new Error(`start-dockerd.sh printed no DOCKER_HOST: ${out}`);
  return {
    host,
    async stop() {
      await runOk("bash", [join(SCRIPTS, "start-dockerd.sh"), "--stop", dir]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
