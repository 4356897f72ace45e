/**
 * Referrers (distribution spec 1.1): `GET /v2/<name>/referrers/<digest>` where the registry has the
 * API; else the referrers tag schema, an index tagged `sha256-<hex>` that the client maintains.
 */
import type { Digest } from "../digest.js";
import { MediaType } from "../image/index.js";
import { ImageIndexSchema, parseJson, type Descriptor } from "../image/index.js";
import type { RepositoryRef } from "./blobs.js";
import { readLimited } from "./registry-error.js";
import { discard, type Transport } from "./transport.js";
import { scopeFor } from "./www-authenticate.js";

/** A referrers index is small; a larger answer is not one. */
const MAX_INDEX_BYTES = 4 * 1024 * 1024;

/**
 * The referrers the registry lists for `subject`, or undefined when it has no referrers API
 * (registry 2.8 answers 404 for the unknown route; some proxies 400 or 405).
 */
export async function listReferrers(t: Transport, repo: RepositoryRef, subject: Digest, signal?: AbortSignal): Promise<Descriptor[] | undefined> {
  const res = await t.send({
    ...repo,
    method: "GET",
    url: `/v2/${repo.repository}/referrers/${subject}`,
    headers: { accept: MediaType.ociIndex },
    scopes: [scopeFor(repo.repository, ["pull"])],
    subject: "manifest",
    expect: [200, 400, 404, 405],
    signal,
  });
  if (res.status !== 200) {
    discard(res.body);
    return undefined;
  }
  const text = await readLimited(res.body, MAX_INDEX_BYTES);
  // an API that answers with something other than an index is not the referrers API
  try {
    return parseJson(ImageIndexSchema, Buffer.from(text), `referrers of ${subject}`).manifests;
  } catch {
    return undefined;
  }
}
