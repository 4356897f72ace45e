/** Send the finished image to every requested output, in a fixed order, and report each. */
import type { Image } from "../image/index.js";
import type { ImageReference } from "../reference/types.js";
import type { RegistryClient } from "../registry/index.js";
import type { ProgressSink } from "../progress.js";
import type { OutputSummary, PackageOutputs } from "./options.js";

export interface DeliverContext {
  tag: ImageReference;
  client: () => RegistryClient;
  progress?: ProgressSink;
  signal?: AbortSignal;
  concurrency?: number;
}

export async function deliver(image: Image, outputs: PackageOutputs, ctx: DeliverContext): Promise<OutputSummary[]> {
  const fullName = ctx.tag.toString();
  const done: OutputSummary[] = [];
  // local files first: they need no network, and a push failure should not lose them
  // each sink is loaded only when asked for: a push never loads the tar writer, and so on
  if (outputs.tarball) {
    const { writeDockerTarball } = await import("../sinks/docker-tarball.js");
    await writeDockerTarball(image, outputs.tarball, { tags: [fullName], progress: ctx.progress, signal: ctx.signal });
    done.push({ kind: "tarball", target: outputs.tarball });
  }
  if (outputs.ociLayout) {
    const { writeOciLayout } = await import("../sinks/oci-layout.js");
    await writeOciLayout(image, outputs.ociLayout, { tag: ctx.tag.tag ?? "latest", progress: ctx.progress, signal: ctx.signal });
    done.push({ kind: "oci-layout", target: outputs.ociLayout });
  }
  if (outputs.load) {
    const { loadIntoEngine } = await import("../sinks/engine-load.js");
    await loadIntoEngine(image, { tags: [fullName], dockerHost: outputs.dockerHost, progress: ctx.progress, signal: ctx.signal });
    done.push({ kind: "load", target: outputs.dockerHost ?? "unix:///var/run/docker.sock" });
  }
  if (outputs.push) {
    const { pushImage } = await import("../sinks/push.js");
    const pushed = await pushImage(ctx.client(), image, ctx.tag, { progress: ctx.progress, signal: ctx.signal, concurrency: ctx.concurrency });
    done.push({ kind: "push", target: fullName, digest: pushed.digest });
  }
  return done;
}
