/**
 * A docker-loadable tarball: the hybrid OCI layout + manifest.json of facts.md, written to a temp
 * file and renamed, so `docker load`, `podman load`, `ctr images import` and skopeo all take it.
 */
import type { ProgressSink } from "../progress.js";
import type { Image } from "../image/index.js";
import { platformImageNames, type MultiPlatformImage } from "../image/index.js";
import { outputFileSink, writeOutputFile, type OutputFileWriter } from "./output-file.js";
import { streamImageTar } from "./image-tar.js";
import type { ReferrerArtifact } from "../image/index.js";
import { allNames, type Sink, type SinkNaming } from "./sink.js";

export interface DockerTarballOptions {
  /** Full names, e.g. `registry.example/app/seg:1.0`; the same name goes to every loader. */
  tags: string[];
  /** Artifacts that refer to the image (SBOM, provenance), stored as blobs in the tar. */
  referrers?: readonly ReferrerArtifact[];
  progress?: ProgressSink;
  signal?: AbortSignal;
}

/** An index is written whole (index.json); docker's manifest.json names each platform `<name>-<arch>`. */
export async function writeDockerTarball(image: Image | MultiPlatformImage, file: string, opts: DockerTarballOptions): Promise<void> {
  await writeOutputFile(file, (out) =>
    streamImageTar(image, out, { names: opts.tags, dockerManifest: true, referrers: opts.referrers, progress: opts.progress, signal: opts.signal }),
  );
}

/** The tarball as a build output, named after the image. */
export function dockerTarballSink(file: string, naming: SinkNaming = {}): Sink {
  const write: OutputFileWriter = (image, ctx) => writeDockerTarball(image, file, { tags: allNames(ctx, naming), referrers: ctx.referrers, progress: ctx.progress, signal: ctx.signal });
  return outputFileSink({ kind: "tarball", file, example: "my_app.tar" }, naming, write, (index, ctx) => ({ platformNames: index.images.flatMap((e) => platformImageNames(allNames(ctx, naming), e)) }));
}
