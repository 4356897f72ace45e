/**
 * skopeo (inspect, then copy into a fresh OCI layout, which checks sizes and digests of what it
 * reads) and umoci (unpack, which checks diff_ids, sizes and the config). For registry and
 * docker-archive sources umoci unpacks skopeo's copy, since umoci only reads OCI layouts.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { ConsumerContext, ImageSource, Verdict } from "./types.js";
import { step, StepFailed, verdictOf } from "./util.js";

/** skopeo transport reference and credential flags for a source. */
function skopeoRef(source: ImageSource): { ref: string; src: string[]; inspect: string[] } {
  switch (source.kind) {
    case "registry": {
      const creds = source.creds ? ["--creds", source.creds] : ["--no-creds"];
      const srcCreds = source.creds ? ["--src-creds", source.creds] : ["--src-no-creds"];
      return { ref: `docker://${source.ref}`, src: ["--src-tls-verify=false", ...srcCreds], inspect: ["--tls-verify=false", ...creds] };
    }
    case "docker-archive":
      return { ref: `docker-archive:${source.path}`, src: [], inspect: [] };
    case "oci-layout":
      return { ref: `oci:${source.path}:${source.tag}`, src: [], inspect: [] };
  }
}

export interface SkopeoUmociResult {
  skopeo: Verdict;
  umoci: Verdict;
  rootfs?: string;
  bundle?: string;
}

export async function skopeoAndUmoci(ctx: ConsumerContext, wanted: { umoci: boolean }): Promise<SkopeoUmociResult> {
  const { source, timeoutMs, work } = ctx;
  const { ref, src, inspect } = skopeoRef(source);
  const copyDir = join(work, "skopeo-oci");
  let layout: { path: string; tag: string } | undefined = source.kind === "oci-layout" ? { path: source.path, tag: source.tag } : undefined;
  let copyError = "";

  const skopeo = await verdictOf("skopeo", async () => {
    const r = await step("skopeo inspect", "skopeo", ["inspect", ...inspect, ref], { timeoutMs });
    const info = JSON.parse(r.stdout) as { Digest?: string; Layers?: string[] };
    await step("skopeo inspect --config", "skopeo", ["inspect", "--config", ...inspect, ref], { timeoutMs });
    try {
      await step("skopeo copy", "skopeo", ["copy", "--quiet", ...src, ref, `oci:${copyDir}:copy`], { timeoutMs });
    } catch (err) {
      copyError = err instanceof Error ? err.message : String(err);
      throw err;
    }
    if (source.kind !== "oci-layout") layout = { path: copyDir, tag: "copy" };
    return `inspect ${info.Digest ?? "?"} (${info.Layers?.length ?? "?"} layers), copy to an OCI layout ok`;
  });

  let rootfs: string | undefined;
  const bundle = join(work, "umoci-bundle");
  const umoci = wanted.umoci
    ? await verdictOf("umoci", async () => {
        if (!layout) throw new StepFailed(`umoci: no OCI layout to unpack, because ${copyError || "skopeo failed"}`);
        await step("umoci unpack", "umoci", ["unpack", "--image", `${layout.path}:${layout.tag}`, bundle], { timeoutMs });
        rootfs = join(bundle, "rootfs");
        if (ctx.opts.checkRootfs) {
          try {
            await ctx.opts.checkRootfs(rootfs);
          } catch (err) {
            throw new StepFailed(`umoci rootfs check: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        return `unpacked ${layout.path}:${layout.tag}`;
      })
    : { consumer: "umoci" as const, ok: true, detail: "(not requested)" };
  if (!ctx.opts.keepRootfs) {
    await rm(bundle, { recursive: true, force: true });
    rootfs = undefined;
  }
  await rm(copyDir, { recursive: true, force: true });
  return { skopeo, umoci, ...(rootfs ? { rootfs, bundle } : {}) };
}
