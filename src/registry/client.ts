/**
 * The registry client map-build uses for pulls and pushes: one per process (it owns the connection
 * pool and the token cache). Every method takes an `ImageReference` or a repository of one.
 */
import type { Readable } from "node:stream";
import type { Digest } from "../digest.js";
import type { Image } from "../image/index.js";
import type { Descriptor } from "../image/index.js";
import type { ImageReference } from "../reference/index.js";
import { blobExists, fetchBlob, headBlob, type FetchBlobOptions, type RepositoryRef } from "./blobs.js";
import { getManifest, headManifest, putManifest, type FetchedManifest, type ManifestDescriptor } from "./manifests.js";
import type { RegistryClientOptions } from "./options.js";
import { listReferrers } from "./referrers.js";
import { resolveImage, type ResolveImageOptions } from "./remote-image.js";
import { Transport } from "./transport.js";
import { checkPushAccess, pushBlob, type BlobToPush, type PushAction, type PushBlobOptions } from "./upload.js";

export interface SignalOption {
  signal?: AbortSignal;
}

export class RegistryClient {
  private readonly transport: Transport;

  constructor(options: RegistryClientOptions = {}) {
    this.transport = new Transport(options);
  }

  /** The manifest or index named by `ref`, digest-checked (against `ref.digest` when given). */
  getManifest(ref: ImageReference, opts: SignalOption = {}): Promise<FetchedManifest> {
    return getManifest(this.transport, ref, opts.signal);
  }

  /** Descriptor of `ref`'s manifest without its body; undefined when it does not exist. */
  headManifest(ref: ImageReference, opts: SignalOption = {}): Promise<ManifestDescriptor | undefined> {
    return headManifest(this.transport, ref, opts.signal);
  }

  /** The image for `ref` (the platform's entry when `ref` names an index), layers lazy. */
  resolveImage(ref: ImageReference, opts: ResolveImageOptions = {}): Promise<Image> {
    return resolveImage(this.transport, ref, opts);
  }

  /** A verified stream of a blob (size checked when given; resumes with Range). */
  fetchBlob(repo: RepositoryRef, digest: Digest, opts: FetchBlobOptions = {}): Readable {
    return fetchBlob(this.transport, repo, digest, opts);
  }

  blobExists(repo: RepositoryRef, digest: Digest, opts: SignalOption = {}): Promise<boolean> {
    return blobExists(this.transport, repo, digest, opts.signal);
  }

  /** The blob's size as the registry reports it (undefined when not sent); undefined when `repo` lacks the blob. */
  headBlob(repo: RepositoryRef, digest: Digest, opts: SignalOption = {}): Promise<{ size: number | undefined } | undefined> {
    return headBlob(this.transport, repo, digest, opts.signal);
  }

  /** HEAD-skip, mount from `blob.source` on the same registry, else upload (streamed, verified). */
  pushBlob(target: RepositoryRef, blob: BlobToPush, opts: PushBlobOptions = {}): Promise<PushAction> {
    return pushBlob(this.transport, target, blob, opts);
  }

  /** Fails fast (E_UNAUTHORIZED, E_DENIED, E_NETWORK…) unless a push to `target` would be accepted. */
  checkPushAccess(target: RepositoryRef, opts: SignalOption = {}): Promise<void> {
    return checkPushAccess(this.transport, target, opts.signal);
  }

  /** PUT by `ref.identifier` (tag or digest); returns the manifest's digest. */
  putManifest(ref: ImageReference, bytes: Buffer, mediaType: string, opts: SignalOption = {}): Promise<Digest> {
    return putManifest(this.transport, ref, bytes, mediaType, opts.signal);
  }

  /** The referrers of `subject` by the registry's referrers API; undefined when it has none. */
  listReferrers(repo: RepositoryRef, subject: Digest, opts: SignalOption = {}): Promise<Descriptor[] | undefined> {
    return listReferrers(this.transport, repo, subject, opts.signal);
  }

  /** Close pooled connections; the client is unusable afterwards. */
  close(): Promise<void> {
    return this.transport.close();
  }
}
