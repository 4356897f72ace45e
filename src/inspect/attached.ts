/**
 * Artifacts attached to an image as OCI referrers (SBOMs, provenance): from a registry by its
 * referrers API or the `sha256-<hex>` fallback tag, from an OCI layout or map-build tarball by the
 * index.json entries whose manifest names the image as subject.
 */
import { buffer } from "node:stream/consumers";
import type { Digest } from "../digest.js";
import { MapBuildError } from "../errors.js";
import { referrersTag } from "../image/index.js";
import { detectLocalImage, parseBaseSpec, type TarIndexReader } from "../image/index.js";
import { archiveStore, blobRelPath, directoryStore, type LayoutStore } from "../image/index.js";
import { indexTar } from "../image/index.js";
import { readJsonBlob, readLayoutIndex } from "../image/index.js";
import { ImageIndexSchema, ImageManifestSchema, parseJson, type Descriptor } from "../image/index.js";
import { parseReference } from "../reference/index.js";
import type { RegistryClient } from "../registry/index.js";
import { verifyBytes } from "../verify-stream.js";

export interface AttachedArtifact {
  artifactType: string;
  /** The artifact manifest's digest. */
  digest: Digest;
  content: Buffer;
}

/** Artifact types that are SBOMs. */
export const SBOM_ARTIFACT_TYPES = ["application/vnd.cyclonedx+json", "application/spdx+json"];

/** A referrer's manifest: artifactType (or its config type) and its one payload descriptor. */
function payloadOf(raw: Buffer, what: string): { artifactType: string; subject?: string; payload: Descriptor } | undefined {
  const m = parseJson(ImageManifestSchema, raw, what) as ReturnType<typeof ImageManifestSchema.parse> & { artifactType?: string; subject?: { digest?: string } };
  const payload = m.layers[0];
  if (!payload) return undefined;
  return { artifactType: m.artifactType ?? m.config.mediaType, ...(m.subject?.digest ? { subject: m.subject.digest } : {}), payload };
}

/** Small blobs that may be artifact manifests, in a map-build tarball (which lists none in index.json). */
const MAX_ARTIFACT_MANIFEST = 64 * 1024;

async function fromLayout(store: LayoutStore, subject: Digest, unlisted: readonly Descriptor[] = []): Promise<AttachedArtifact[]> {
  const index = await readLayoutIndex(store);
  const listed = index.manifests.filter((m) => m.artifactType !== undefined);
  const candidates = [...listed, ...unlisted.filter((u) => !listed.some((l) => l.digest === u.digest))];
  const out: AttachedArtifact[] = [];
  for (const d of candidates) {
    let p: ReturnType<typeof payloadOf>;
    try {
      p = payloadOf(await readJsonBlob(store, d, "artifact manifest"), `artifact manifest ${d.digest}`);
    } catch (e) {
      if (listed.includes(d)) throw e;
      continue; // an unlisted blob that is not a manifest
    }
    if (!p || p.subject !== subject) continue;
    const bytes = await store.readFile(blobRelPath(p.payload.digest));
    if (!bytes) throw new MapBuildError("E_INPUT_FORMAT", `artifact blob ${p.payload.digest} is missing from ${store.name}`);
    out.push({ artifactType: p.artifactType, digest: d.digest, content: verifyBytes(bytes, p.payload.digest, p.payload.size, `artifact ${p.payload.digest}`) });
  }
  return out;
}

async function fromRegistry(client: RegistryClient, ref: string, subject: Digest, signal?: AbortSignal): Promise<AttachedArtifact[]> {
  const r = parseReference(ref);
  const at = (id: string) => parseReference(`${r.registry}/${r.repository}${id.includes(":") ? "@" : ":"}${id}`);
  let listed = await client.listReferrers(r, subject, { signal });
  if (listed === undefined) {
    const tag = at(referrersTag(subject));
    listed = (await client.headManifest(tag, { signal })) ? parseJson(ImageIndexSchema, (await client.getManifest(tag, { signal })).bytes, `referrers index ${tag.identifier}`).manifests : [];
  }
  const out: AttachedArtifact[] = [];
  for (const d of listed) {
    const got = await client.getManifest(at(d.digest), { signal });
    const p = payloadOf(got.bytes, `artifact manifest ${d.digest}`);
    if (!p || p.subject !== subject) continue;
    const content = await buffer(client.fetchBlob(r, p.payload.digest, { size: p.payload.size, signal }));
    out.push({ artifactType: p.artifactType, digest: d.digest, content });
  }
  return out;
}

/**
 * Every artifact attached to `subject`, the image that `spec` names. `tarIndex`: how an archive's
 * member list is read (the reader that opened the image, so that its headers are read once).
 */
export async function attachedArtifacts(spec: string, subject: Digest, client: () => RegistryClient, signal?: AbortSignal, tarIndex: TarIndexReader = indexTar): Promise<AttachedArtifact[]> {
  const parsed = parseBaseSpec(spec);
  // a bare path (`map.tar`, `./layout`) names the local image, as when it was opened
  const s = parsed.kind === "registry" ? ((await detectLocalImage(spec, tarIndex)) ?? parsed) : parsed;
  if (s.kind === "registry") return fromRegistry(client(), s.ref, subject, signal);
  if (s.kind === "oci") return fromLayout(directoryStore(s.path), subject);
  // a tarball stores its artifacts as blobs only: any small blob may be one
  const members = await tarIndex(s.path, s.kind);
  const small: Descriptor[] = [];
  for (const m of members.values()) {
    const hex = /^(?:\.\/)?blobs\/sha256\/([a-f0-9]{64})$/.exec(m.name)?.[1];
    if (hex && m.size <= MAX_ARTIFACT_MANIFEST) small.push({ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${hex}`, size: m.size });
  }
  return fromLayout(await archiveStore(s.path, members), subject, small);
}
