/**
 * A docker-loadable tarball: the hybrid OCI layout + manifest.json of facts.md, written to a temp
 * file and renamed, so `docker load`, `podman load`, `ctr images import` and skopeo all take it.
 */
import type { ProgressSink } from "../progress.js";
import type { Image } from "../image/image.js";
import { writeFileAtomic } from "./atomic-file.js";
import { streamImageTar } from "./image-tar.js";

export interface DockerTarballOptions {
  /** Full names, e.g. `registry.example/app/seg:1.0`; the same name goes to every loader. */
  tags: string[];
  progress?: ProgressSink;
  signal?: AbortSignal;
}

export async function writeDockerTarball(image: Image, file: string, opts: DockerTarballOptions): Promise<void> {
  await writeFileAtomic(file, (out) =>
    streamImageTar(image, out, { names: opts.tags, dockerManifest: true, progress: opts.progress, signal: opts.signal }),
  );
}
