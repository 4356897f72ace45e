/**
 * containerd (Debian 1.6, private daemon): `ctr images pull --plain-http` for registry sources,
 * `ctr images import` for archives and layouts (a layout is tarred as a hybrid tar); both unpack,
 * which checks diff_ids. Optionally `ctr run --rm` (its own network namespace, only `lo`).
 * containerd shares content and snapshots across namespaces, so every image in every namespace is
 * removed first (`--sync` waits for the garbage collector to drop their content and snapshots).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { startContainerd, type TestContainerd } from "../containerd.js";
import type { ConsumerContext, Verdict } from "./types.js";
import { checkStdout, hybridTar, StepFailed, verdictOf } from "./util.js";
import { VALIDATE_NAME } from "./docker-consumer.js";

const lines = (s: string) => s.split("\n").map((l) => l.trim()).filter(Boolean);

/** Remove every task, container and image in every namespace; then content and snapshots are gone too. */
export async function wipeContainerd(c: TestContainerd, timeoutMs: number): Promise<void> {
  for (const namespace of lines((await c.ctr(["namespaces", "ls", "-q"], { timeoutMs })).stdout)) {
    const o = { namespace, timeoutMs };
    for (const id of lines((await c.ctr(["tasks", "ls", "-q"], o)).stdout)) await c.ctr(["tasks", "rm", "-f", id], o);
    const containers = lines((await c.ctr(["containers", "ls", "-q"], o)).stdout);
    if (containers.length) await c.ctr(["containers", "rm", ...containers], o);
    const images = lines((await c.ctr(["images", "ls", "-q"], o)).stdout);
    if (images.length) {
      const r = await c.ctr(["images", "rm", "--sync", ...images], o);
      if (r.code !== 0) throw new StepFailed(`ctr images rm (wiping the store): ${r.stderr.trim()}`);
    }
    const left = lines((await c.ctr(["content", "ls", "-q"], o)).stdout);
    if (left.length) await c.ctr(["content", "rm", ...left], o);
  }
}

export async function containerdConsumer(ctx: ConsumerContext): Promise<Verdict> {
  const { source, timeoutMs, opts } = ctx;
  const work = join(ctx.work, "containerd");
  await mkdir(work, { recursive: true });
  let own: TestContainerd | undefined;
  try {
    return await verdictOf("containerd", async () => {
      const c = opts.containerd ?? (own = await startContainerd());
      if (opts.containerd) await wipeContainerd(c, timeoutMs);
      const namespace = `mbv${process.pid}`;
      const ctr = async (what: string, args: string[]) => {
        const r = await c.ctr(args, { namespace, timeoutMs });
        if (r.code !== 0) throw new StepFailed(`${what}: ${(r.stderr.trim() || r.stdout.trim()).slice(-1500)}`);
        return r;
      };
      let image: string;
      if (source.kind === "registry") {
        const user = source.creds ? ["--user", source.creds] : [];
        await ctr("ctr images pull", ["images", "pull", "--plain-http", ...user, source.ref]);
        image = source.ref;
      } else {
        const tar = source.kind === "docker-archive" ? source.path : await hybridTar(source.path, source.tag, VALIDATE_NAME, work, timeoutMs);
        await ctr("ctr images import", ["images", "import", "--digests", tar]);
        const names = lines((await ctr("ctr images ls", ["images", "ls", "-q"])).stdout);
        // prefer a real name over the digest-only record --digests adds
        const found = names.find((n) => !n.includes("@")) ?? names[0];
        if (!found) throw new StepFailed("ctr images import: no image record was created");
        image = found;
      }
      const check = await c.ctr(["images", "check", `name==${image}`], { namespace, timeoutMs });
      let summary = `${source.kind === "registry" ? "pulled" : "imported"} ${image} (${c.snapshotter}): ${lines(check.stdout)[1] ?? ""}`;
      if (opts.run) {
        // ctr 1.6 sometimes loses the output of a task that exits before its stdout fifo is
        // attached (exit 0, empty stdout; seen in CI): run again, at most twice more, in that case only
        let r = await c.ctr(["run", "--rm", image, `mbv-${Date.now()}`, ...opts.run.cmd], { namespace, timeoutMs });
        for (let retry = 0; retry < 2 && r.code === 0 && r.stdout === ""; retry++) {
          r = await c.ctr(["run", "--rm", image, `mbv-${Date.now()}-${retry}`, ...opts.run.cmd], { namespace, timeoutMs });
        }
        if (r.code !== 0) throw new StepFailed(`ctr run: exit ${r.code}: ${r.stderr.trim()}`);
        summary += `; run printed ${JSON.stringify(checkStdout("ctr run", opts.run, r.stdout))}`;
      }
      if (opts.containerd) await wipeContainerd(c, timeoutMs);
      return summary.replace(/\s+/g, " ");
    });
  } finally {
    if (own) await own.stop();
  }
}
