/**
 * Attach artifacts (SBOM, provenance) to a pushed image as OCI 1.1 referrers: blobs, then each
 * artifact manifest by digest; then, when the registry has no referrers API, the referrers tag
 * schema's `sha256-<hex>` index is created or extended (distribution spec, "unavailable referrers API").
 */
import { Readable } from "node:stream";
import type { Digest } from "../digest.js";
import { MediaType } from "../image/index.js";
import { referrersIndex, referrersTag, type ReferrerArtifact } from "../image/index.js";
import { ImageIndexSchema, parseJson, type Descriptor } from "../image/index.js";
import { parseReference } from "../reference/index.js";
import type { ImageReference } from "../reference/index.js";
import type { RegistryClient } from "../registry/index.js";

export interface AttachResult {
  /** `api`: the registry lists referrers itself; `tag`: the fallback index was written. */
  via: "api" | "tag";
  /** The fallback tag, when written. */
  tag?: string;
  manifests: Digest[];
}

const at = (target: ImageReference, identifier: string) =>
  parseReference(`${target.registry}/${target.repository}${identifier.includes(":") ? "@" : ":"}${identifier}`);

export async function pushReferrers(client: RegistryClient, target: ImageReference, artifacts: readonly ReferrerArtifact[], signal?: AbortSignal): Promise<AttachResult | undefined> {
  const subject = artifacts[0]?.subject.digest;
  if (subject === undefined) return undefined;
  for (const a of artifacts) {
    for (const b of a.blobs) {
      await client.pushBlob(target, { digest: b.digest, size: b.size, open: async () => Readable.from([b.data]) }, { signal });
    }
    await client.putManifest(at(target, a.descriptor.digest), a.manifest, MediaType.ociManifest, { signal });
  }
  const manifests = artifacts.map((a) => a.descriptor.digest);
  if ((await client.listReferrers(target, subject, { signal })) !== undefined) return { via: "api", manifests };

  const tag = referrersTag(subject);
  const tagRef = at(target, tag);
  let existing: Descriptor[] = [];
  if (await client.headManifest(tagRef, { signal })) {
    const got = await client.getManifest(tagRef, { signal });
    existing = parseJson(ImageIndexSchema, got.bytes, `referrers index ${tag}`).manifests;
  }
  const index = referrersIndex(existing, artifacts.map((a) => a.descriptor));
  await client.putManifest(tagRef, index, MediaType.ociIndex, { signal });
  return { via: "tag", tag, manifests };
}
