/**
 * podman (Debian 4.3), optional: `podman pull` / `podman load`, then optionally
 * `podman run --rm --network none`. Runs with private config files and a private vfs store in the
 * scratch dir, so the host's containers.conf, storage and images never interfere. podman is lenient
 * (it runs an image with a wrong diff_id): do not count on it for negative checks.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ConsumerContext, Verdict } from "./types.js";
import { checkStdout, hybridTar, step, StepFailed, verdictOf } from "./util.js";
import { VALIDATE_NAME } from "./docker-consumer.js";

export async function podmanConsumer(ctx: ConsumerContext): Promise<Verdict> {
  const { source, timeoutMs, opts } = ctx;
  const work = join(ctx.work, "podman");
  await mkdir(work, { recursive: true });
  return verdictOf("podman", async () => {
    // root here lacks CAP_SYS_RESOURCE: podman's default ulimits would make every run fail
    await writeFile(
      join(work, "containers.conf"),
      `[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n` +
        `[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nruntime = "runc"\n`,
    );
    await writeFile(join(work, "storage.conf"), `[storage]\ndriver = "vfs"\ngraphroot = "${work}/root"\nrunroot = "${work}/run"\n`);
    await writeFile(join(work, "auth.json"), `{"auths":{}}\n`);
    await writeFile(join(work, "registries.conf"), `unqualified-search-registries = []\nshort-name-mode = "permissive"\n`);
    const env = {
      ...process.env,
      CONTAINERS_CONF: join(work, "containers.conf"),
      CONTAINERS_STORAGE_CONF: join(work, "storage.conf"),
      CONTAINERS_REGISTRIES_CONF: join(work, "registries.conf"),
      REGISTRY_AUTH_FILE: join(work, "auth.json"),
    };
    const podman = (args: string[]) => step(`podman ${args[0]}`, "podman", args, { timeoutMs, env });
    let image: string;
    if (source.kind === "registry") {
      const creds = source.creds ? ["--creds", source.creds] : [];
      await podman(["pull", "-q", "--tls-verify=false", ...creds, source.ref]);
      image = source.ref;
    } else {
      const tar = source.kind === "docker-archive" ? source.path : await hybridTar(source.path, source.tag, VALIDATE_NAME, work, timeoutMs);
      const r = await podman(["load", "-q", "-i", tar]);
      const loaded = /Loaded image(?:\(s\))?: (\S+)/.exec(r.stdout)?.[1];
      if (!loaded) throw new StepFailed(`podman load: loaded no image: ${r.stdout.trim()}`);
      image = loaded.split(",")[0] ?? loaded;
    }
    let summary = `${source.kind === "registry" ? "pulled" : "loaded"} ${image}`;
    if (opts.run) {
      const r = await podman(["run", "--rm", "--network", "none", image, ...opts.run.cmd]);
      summary += `; run printed ${JSON.stringify(checkStdout("podman run", opts.run, r.stdout))}`;
    }
    return summary;
  });
}
