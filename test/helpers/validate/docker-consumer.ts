/**
 * docker (Debian 20.10 on a private dockerd): `docker pull` for registry sources, `docker load`
 * for archives and layouts (a layout is tarred up as a hybrid tar), then optionally
 * `docker run --rm --network none`. The daemon's images are wiped first: docker skips layers whose
 * diff_id it already holds, which would let a broken image pass.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { DOCKER_CLIENT, startDockerd, type TestDockerd } from "../dockerd.js";
import { run } from "../run.js";
import type { ConsumerContext, Verdict } from "./types.js";
import { checkStdout, hybridTar, step, StepFailed, verdictOf } from "./util.js";

export const VALIDATE_NAME = "docker.io/mb-validate/image:latest";

/** Remove every container and image of a daemon, so nothing is reused. */
export async function wipeDocker(d: TestDockerd, timeoutMs: number): Promise<void> {
  const ps = await d.docker(["ps", "-aq"], { timeoutMs });
  const containers = ps.stdout.split("\n").filter(Boolean);
  if (containers.length) await d.docker(["rm", "-f", ...containers], { timeoutMs });
  const images = await d.docker(["images", "-aq", "--no-trunc"], { timeoutMs });
  const ids = [...new Set(images.stdout.split("\n").filter(Boolean))];
  if (ids.length) {
    const r = await d.docker(["rmi", "-f", ...ids], { timeoutMs });
    if (r.code !== 0) throw new StepFailed(`docker rmi (wiping the store): ${r.stderr.trim()}`);
  }
}

export async function dockerConsumer(ctx: ConsumerContext): Promise<Verdict> {
  const { source, timeoutMs, opts } = ctx;
  const work = join(ctx.work, "docker");
  await mkdir(work, { recursive: true });
  let own: TestDockerd | undefined;
  try {
    return await verdictOf("docker", async () => {
      const d = opts.dockerd ?? (own = await startDockerd());
      if (opts.dockerd) await wipeDocker(d, timeoutMs);
      // a private client config: login must not touch ~/.docker
      const docker = (args: string[], input?: string) =>
        step(`docker ${args[0]}`, DOCKER_CLIENT, ["--config", join(work, "cfg"), "-H", d.host, ...args], { timeoutMs, input });
      let image: string;
      if (source.kind === "registry") {
        if (source.creds) {
          const colon = source.creds.indexOf(":");
          const host = source.ref.split("/")[0] ?? "";
          await docker(["login", "-u", source.creds.slice(0, colon), "--password-stdin", host], source.creds.slice(colon + 1));
        }
        await docker(["pull", "-q", source.ref]);
        image = source.ref;
      } else {
        const tar = source.kind === "docker-archive" ? source.path : await hybridTar(source.path, source.tag, VALIDATE_NAME, work, timeoutMs);
        const r = await docker(["load", "-i", tar]);
        const loaded = /Loaded image(?: ID)?: (\S+)/.exec(r.stdout)?.[1];
        if (!loaded) throw new StepFailed(`docker load: loaded no image: ${r.stdout.trim()}`);
        image = loaded;
      }
      const inspect = await docker(["image", "inspect", "--format", "{{.Id}} {{.Os}}/{{.Architecture}}", image]);
      let summary = `${source.kind === "registry" ? "pulled" : "loaded"} ${image} ${inspect.stdout.trim()}`;
      if (opts.run) {
        const r = await run(DOCKER_CLIENT, ["-H", d.host, "run", "--rm", "--network", "none", image, ...opts.run.cmd], { timeoutMs });
        if (r.code !== 0) throw new StepFailed(`docker run: exit ${r.code}: ${r.stderr.trim()}`);
        summary += `; run printed ${JSON.stringify(checkStdout("docker run", opts.run, r.stdout))}`;
      }
      if (opts.dockerd) await wipeDocker(d, timeoutMs);
      return summary;
    });
  } finally {
    if (own) await own.stop();
  }
}
