/** The small JSON files of an OCI image layout: `oci-layout` and `index.json`. */
import { REF_NAME_ANNOTATION } from "../image/index.js";
import { MediaType } from "../image/index.js";
import type { Descriptor } from "../image/index.js";
import type { ImageIndex } from "../image/index.js";
import type { ReferrerArtifact } from "../image/index.js";

export const OCI_LAYOUT_FILE = Buffer.from('{"imageLayoutVersion":"1.0.0"}');
/** containerd and podman name an imported image from this annotation (facts.md, "Tarball outputs"). */
export const CONTAINERD_NAME_ANNOTATION = "io.containerd.image.name";

/**
 * An index: `existing` entries whose ref.name is one of `names` are replaced (a tag moves), then
 * one entry per name is appended (one untagged entry when there are none).
 */
export function layoutIndex(existing: Descriptor[], image: Descriptor, names: string[], containerdName: boolean): ImageIndex {
  const kept = existing.filter((m) => {
    const ref = m.annotations?.[REF_NAME_ANNOTATION];
    return !(ref !== undefined && names.includes(ref)) && !(names.length === 0 && m.digest === image.digest && !ref);
  });
  const added: Descriptor[] = (names.length ? names : [undefined]).map((name) => {
    const d: Descriptor = { mediaType: image.mediaType, digest: image.digest, size: image.size };
    if (name !== undefined) {
      d.annotations = containerdName ? { [CONTAINERD_NAME_ANNOTATION]: name, [REF_NAME_ANNOTATION]: name } : { [REF_NAME_ANNOTATION]: name };
    }
    return d;
  });
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [...kept, ...added] };
}

/**
 * The index with `referrers` (artifacts whose subject is an image in it) listed by descriptor,
 * untagged, as OCI layouts hold attached artifacts; an entry already there is not repeated.
 */
export function withReferrers(index: ImageIndex, referrers: readonly ReferrerArtifact[] = []): ImageIndex {
  const have = new Set(index.manifests.map((m) => m.digest));
  const added = referrers.map((r) => r.descriptor).filter((d) => !have.has(d.digest) && have.add(d.digest));
  return { ...index, manifests: [...index.manifests, ...added] };
}
