/** Open the base image named by --base: a registry reference, an OCI layout or a docker-archive. */
import { cachedImage, openBlobCache } from "../cache/index.js";
import { detectLocalImage, formatBaseSpec } from "../image/local-path.js";
import { parseBaseSpec, readDockerArchiveImage, readOciArchiveImage, readOciLayoutImage, type Image, type PlatformSpec } from "../image/index.js";
import { parseReference } from "../reference/index.js";
import type { RegistryClient } from "../registry/index.js";

export interface OpenedBase {
  image: Image;
  /** What the `base` label records: the reference as the user gave it. */
  label: string;
}

export interface OpenBaseOptions {
  /**
   * The cache directory (the layer cache's): a registry base's layers are read through the blob
   * cache there, so outputs that need their bytes (tarball, OCI layout, engine load, the Python
   * scan) download each once per machine. Absent (--no-cache): read from the registry every time.
   * A push never reads base layers either way (HEAD-skip or mount from the base's repository).
   */
  cacheDir?: string;
}

export async function openBaseImage(
  spec: string,
  platform: PlatformSpec,
  client: () => RegistryClient,
  signal?: AbortSignal,
  opts: OpenBaseOptions = {},
): Promise<OpenedBase> {
  const base = parseBaseSpec(spec);
  if (base.kind === "registry") {
    // a bare path (`my.tar`, `./layout`) is opened as what it is, and labelled in skopeo's spelling
    const local = await detectLocalImage(spec);
    if (local) return openBaseImage(formatBaseSpec(local), platform, client, signal, opts);
  }
  switch (base.kind) {
    case "registry": {
      const ref = parseReference(base.ref);
      const image = await client().resolveImage(ref, { platform, signal });
      // Local bases (layout, archives) are files already: caching them would only copy them.
      return { image: opts.cacheDir ? cachedImage(image, await openBlobCache({ dir: opts.cacheDir })) : image, label: base.ref };
    }
    case "oci":
      return { image: await readOciLayoutImage(base.path, base.ref, platform), label: spec };
    case "docker-archive":
      return { image: await readDockerArchiveImage(base.path, base.ref), label: spec };
    case "oci-archive":
      return { image: await readOciArchiveImage(base.path, base.ref, platform), label: spec };
  }
}
