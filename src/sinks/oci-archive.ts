/**
 * An `oci-archive` tar: an OCI image layout in one file, as `podman save --format oci-archive`
 * writes it and skopeo/podman read it (`oci-archive:FILE[:tag]`). Written to a temp file and renamed.
 */
import type { Image } from "../image/index.js";
import type { MultiPlatformImage } from "../image/index.js";
import type { ProgressSink } from "../progress.js";
import { outputFileSink, writeOutputFile, type OutputFileWriter } from "./output-file.js";
import { streamImageTar } from "./image-tar.js";
import type { ReferrerArtifact } from "../image/index.js";
import { nameTags, type Sink, type SinkNaming } from "./sink.js";
import { layoutTags } from "./oci-layout.js";

export interface OciArchiveOptions {
  /** Written as org.opencontainers.image.ref.name, the `tag` of `oci-archive:FILE:tag`. */
  tag?: string;
  /** More ref.names for the same image (a repeated tag). */
  alsoTags?: readonly string[];
  /** Artifacts that refer to the image (SBOM, provenance): blobs listed in index.json. */
  referrers?: readonly ReferrerArtifact[];
  progress?: ProgressSink;
  signal?: AbortSignal;
}

export async function writeOciArchive(image: Image | MultiPlatformImage, file: string, opts: OciArchiveOptions = {}): Promise<void> {
  await writeOutputFile(file, (out) =>
    streamImageTar(image, out, { names: layoutTags(opts), dockerManifest: false, referrers: opts.referrers, progress: opts.progress, signal: opts.signal }),
  );
}

/** The archive as a build output, tagged like an OCI layout output with its name's tag. */
export function ociArchiveSink(file: string, naming: SinkNaming = {}): Sink {
  const write: OutputFileWriter = (image, ctx) => writeOciArchive(image, file, { ...nameTags(ctx, naming), referrers: ctx.referrers, progress: ctx.progress, signal: ctx.signal });
  return outputFileSink({ kind: "oci-archive", file, example: "my_app.oci.tar" }, naming, write);
}
