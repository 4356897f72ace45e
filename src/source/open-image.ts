/**
 * Open an image by what a user types: a registry reference, `oci:DIR[:ref]`, `oci-archive:FILE[:ref]`,
 * `docker-archive:FILE[:tag]`, or a bare path to one of those: the base of a build, and what
 * inspect and diff read (library users of inspect need it too).
 */
import { cachedImage, openBlobCache } from "../cache/index.js";
import { detectLocalImage, formatBaseSpec, indexTar, type TarIndexReader } from "../image/index.js";
import { parseBaseSpec, readDockerArchiveImage, readOciArchiveImage, readOciLayoutImage, type Image, type PlatformSpec } from "../image/index.js";
import { parseReference } from "../reference/index.js";
import type { RegistryClient } from "../registry/index.js";

export interface OpenedBase {
  image: Image;
  /** For messages: the reference or path as the user gave it. */
  label: string;
  /** The base's registry name when known (a registry reference, or one recorded in the file), else undefined. */
  name?: string | undefined;
}

/**
 * What the image records about its base (the `base` label, the OCI base annotations): its registry
 * name when known, else its digest, never a host path, so the digest does not depend on where the
 * base sits on disk.
 */
export async function baseIdentity(base: OpenedBase): Promise<{ label: string; annotations: Record<string, string> }> {
  const digest = await base.image.digest();
  const annotations: Record<string, string> = { [BASE_DIGEST_ANNOTATION]: digest };
  if (base.name) annotations[BASE_NAME_ANNOTATION] = fullyQualified(base.name);
  return { label: base.name ?? digest, annotations };
}

export const BASE_NAME_ANNOTATION = "org.opencontainers.image.base.name";
export const BASE_DIGEST_ANNOTATION = "org.opencontainers.image.base.digest";

export interface OpenBaseOptions {
  /**
   * The cache directory (the layer cache's): a registry base's layers are read through the blob
   * cache there, so outputs that need their bytes (tarball, OCI layout, engine load, the Python
   * scan) download each once per machine. Absent (--no-cache): read from the registry every time.
   * A push never reads base layers either way (HEAD-skip or mount from the base's repository).
   */
  cacheDir?: string;
  /** That cache's size bound; default DEFAULT_CACHE_MAX_BYTES. */
  cacheMaxBytes?: number;
  /** How a local archive's member list is read; default indexTar (tarIndexOnce shares one read across calls). */
  tarIndex?: TarIndexReader;
}

export async function openBaseImage(
  spec: string,
  platform: PlatformSpec,
  client: () => RegistryClient,
  signal?: AbortSignal,
  opts: OpenBaseOptions = {},
): Promise<OpenedBase> {
  const base = parseBaseSpec(spec);
  const readIndex = opts.tarIndex ?? indexTar;
  if (base.kind === "registry") {
    // a bare path (`my.tar`, `./layout`) is opened as what it is, and labelled in skopeo's spelling
    const local = await detectLocalImage(spec, readIndex);
    if (local) return openBaseImage(formatBaseSpec(local), platform, client, signal, opts);
  }
  switch (base.kind) {
    case "registry": {
      const ref = parseReference(base.ref);
      const image = await client().resolveImage(ref, { platform, signal });
      // Local bases (layout, archives) are files already: caching them would only copy them.
      const cached = opts.cacheDir ? cachedImage(image, await openBlobCache({ dir: opts.cacheDir, ...(opts.cacheMaxBytes === undefined ? {} : { maxBytes: opts.cacheMaxBytes }) })) : image;
      return { image: cached, label: base.ref, name: base.ref };
    }
    case "oci":
      return local(await readOciLayoutImage(base.path, base.ref, platform), spec);
    case "docker-archive":
      return local(await readDockerArchiveImage(base.path, base.ref, readIndex), spec);
    case "oci-archive":
      return local(await readOciArchiveImage(base.path, base.ref, platform, readIndex), spec);
  }
}

function local(image: Image, spec: string): OpenedBase {
  return { image, label: spec, name: image.name };
}

/** `python:3.11` → `docker.io/library/python:3.11`, as the OCI annotation asks; a name that does not parse stays as it is. */
function fullyQualified(name: string): string {
  try {
    return parseReference(name).toString();
  } catch {
    return name;
  }
}
