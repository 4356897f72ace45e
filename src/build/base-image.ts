/** Open the base image named by --base: a registry reference, an OCI layout or a docker-archive. */
import { parseBaseSpec, readDockerArchiveImage, readOciArchiveImage, readOciLayoutImage, type Image, type PlatformSpec } from "../image/index.js";
import { parseReference } from "../reference/index.js";
import type { RegistryClient } from "../registry/index.js";

export interface OpenedBase {
  image: Image;
  /** What the `base` label records: the reference as the user gave it. */
  label: string;
}

export async function openBaseImage(spec: string, platform: PlatformSpec, client: () => RegistryClient, signal?: AbortSignal): Promise<OpenedBase> {
  const base = parseBaseSpec(spec);
  switch (base.kind) {
    case "registry": {
      const ref = parseReference(base.ref);
      return { image: await client().resolveImage(ref, { platform, signal }), label: base.ref };
    }
    case "oci":
      return { image: await readOciLayoutImage(base.path, base.ref, platform), label: spec };
    case "docker-archive":
      return { image: await readDockerArchiveImage(base.path, base.ref), label: spec };
    case "oci-archive":
      return { image: await readOciArchiveImage(base.path, base.ref, platform), label: spec };
  }
}
