/**
 * The layer cache shared through a registry repository (kaniko's --cache-repo, BuildKit's
 * type=registry cache): before a layer is built its key is looked up there, and after the build
 * the keys of the layers it built are written there (entry.ts) beside their blobs.
 *
 * The cache repository only ever makes a build faster: a missing, malformed or mismatching entry
 * is a miss (with a warning when it was there but wrong), and an unreachable registry or rejected
 * credentials become one warning, after which the build goes on without it. Only an interrupt
 * stops the build.
 */
import { Readable } from "node:stream";
import { MapBuildError, isMapBuildError } from "../errors.js";
import type { BlobSource, Layer } from "../image/index.js";
import { EMPTY_JSON } from "../image/index.js";
import type { FileLayer } from "../layer/index.js";
import type { LayerCache } from "../cache/index.js";
import type { ProgressSink } from "../progress.js";
import { parseReference, withTag, type ImageReference } from "../reference/index.js";
import type { PushAction, RegistryClient } from "../registry/index.js";
import { runBounded } from "../run-bounded.js";
import { blobMissing, blobSizeWrong, downloadEntry } from "./download.js";
import { EMPTY_CONFIG, entryTag, parseEntry, renderEntry, type EntryLayer } from "./entry.js";

export interface CacheRepoOptions {
  /** The build's registry client (one HTTP client, one login per registry). */
  client: () => RegistryClient;
  /** Look entries up, never write any (jobs whose output must not be trusted). */
  readonly?: boolean;
  /** Where warnings go: the build's result. */
  warn: (message: string) => void;
  progress?: ProgressSink;
  signal?: AbortSignal;
  /** Longest wait for one lookup (entry and blob check, retries included); default LOOKUP_TIMEOUT_MS. */
  lookupTimeoutMs?: number;
}

export interface CacheRepoStats {
  /** Keys found with a usable entry. */
  hits: number;
  /** Keys with no entry. */
  misses: number;
  /** Entries found but unusable (malformed, blob missing, digest or diff_id wrong). */
  rejected: number;
  /** Entries written by this build. */
  written: number;
}

export interface PublishItem {
  key: string;
  layer: Layer;
  /** The layer's role, for progress rows (`app`, `model:seg`). */
  id: string;
}

/**
 * A lookup is two small requests; a registry that takes longer than this (retries included) is
 * treated as unreachable, so a hanging cache costs a build one minute, not the client's 15-minute
 * header timeout per request.
 */
const LOOKUP_TIMEOUT_MS = 60_000;

/** Entries written at once: as many as a push's blob uploads (ggcr's default of 4). */
const PUBLISH_CONCURRENCY = 4;

/** `REGISTRY/REPO` as given; E_USAGE when it names a tag or digest (entries are tagged by key). */
export function parseCacheRepo(name: string): ImageReference {
  const ref = parseReference(name, { defaultTag: false });
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new MapBuildError("E_USAGE", `the layer cache repository "${name}" names a tag or digest`, {
      hint: `name only the repository, e.g. ${ref.registry}/${ref.repository}: its entries are tagged by layer`,
    });
  }
  return ref;
}

export class CacheRepo {
  readonly ref: ImageReference;
  readonly readonly: boolean;
  readonly stats: CacheRepoStats = { hits: 0, misses: 0, rejected: 0, written: 0 };
  readonly #o: CacheRepoOptions;
  /** Cleared after the first auth or network failure: the rest of the build does without the cache repository. */
  #reads = true;
  #writes = true;

  constructor(name: string, opts: CacheRepoOptions) {
    this.ref = parseCacheRepo(name);
    this.readonly = opts.readonly ?? false;
    this.#o = opts;
  }

  get name(): string {
    return `${this.ref.registry}/${this.ref.repository}`;
  }

  /** Where its blobs live, for a push to mount from. */
  get source(): BlobSource {
    return { registry: this.ref.registry, repository: this.ref.repository };
  }

  /**
   * The layer stored under `key`, verified, or undefined (build it). `download`: the build needs
   * the bytes, so a hit is downloaded into that local cache (digest and diff_id checked) and
   * returned from there; otherwise the layer stays in the registry, for a push to mount or skip.
   * `want.replayable` (an uncompressed layer of local files): hashing it again costs one read and
   * no disk (the local cache keeps it as a recipe), so a hit that would have to be downloaded is
   * not taken (not even looked up); a push that mounts it still uses it.
   */
  async layerFor(key: string, want: { mediaType: string; id: string; replayable?: boolean }, download?: LayerCache): Promise<FileLayer | Layer | undefined> {
    if (download && want.replayable) return undefined;
    // a download's GET answers for the blob itself: no HEAD first
    const info = await this.#lookup(key, want, { headBlob: !download });
    if (info === undefined) return undefined;
    try {
      const onBytes = (bytes: number) => this.#o.progress?.({ id: want.id, phase: "download", bytes, total: info.size });
      const layer = download ? await downloadEntry(this.#o.client(), this.ref, key, info, download, { signal: this.#o.signal, onBytes }) : this.#remoteLayer(info);
      this.stats.hits++;
      return layer;
    } catch (err) {
      this.#rethrowInterrupt(err);
      return this.#reject(want.id, err);
    }
  }

  /**
   * Write an entry for every item (its blob first: pushed, mounted from `mountFrom` on the same
   * registry, or found there). Nothing in readonly mode or after a failure.
   */
  async publish(items: readonly PublishItem[], mountFrom?: BlobSource): Promise<void> {
    if (this.readonly || !this.#writes || items.length === 0) return;
    const client = this.#o.client();
    const signal = this.#o.signal;
    try {
      await client.pushBlob(this.ref, { ...EMPTY_CONFIG, open: async () => Readable.from([EMPTY_JSON]) }, { signal });
      const output = `cache ${this.name}`;
      await runBounded(items, async ({ key, layer, id }) => {
        if (!this.#writes) return;
        const info: EntryLayer = { digest: await layer.digest(), diffId: await layer.diffId(), size: await layer.size(), mediaType: await layer.mediaType() };
        const source = layer.source ?? mountFrom;
        const progress = (phase: "upload" | PushAction | "done", bytes: number) => this.#o.progress?.({ id, phase: phase === "uploaded" ? "upload" : phase, bytes, total: info.size, output });
        const action = await client.pushBlob(this.ref, { digest: info.digest, size: info.size, open: () => layer.open(), source }, { signal, onBytes: (n) => progress("upload", n) });
        const entry = renderEntry(key, info);
        await client.putManifest(withTag(this.ref, entryTag(key)), entry.bytes, entry.mediaType, { signal });
        if (action !== "uploaded") progress(action, info.size);
        progress("done", info.size);
        this.stats.written++;
      }, { limit: PUBLISH_CONCURRENCY, signal });
    } catch (err) {
      this.#rethrowInterrupt(err);
      this.#giveUp("written", err);
    }
  }

  /**
   * The recorded layer when the entry is there and well-formed, and (`headBlob`) its blob present
   * with the recorded size.
   */
  async #lookup(key: string, want: { mediaType: string; id: string }, check: { headBlob: boolean }): Promise<EntryLayer | undefined> {
    if (!this.#reads) return undefined;
    const client = this.#o.client();
    const timeout = AbortSignal.timeout(this.#o.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS);
    const signal = this.#o.signal ? AbortSignal.any([this.#o.signal, timeout]) : timeout;
    try {
      const { bytes } = await client.getManifest(withTag(this.ref, entryTag(key)), { signal });
      const info = parseEntry(bytes, key, want.mediaType);
      if (!check.headBlob) return info;
      const blob = await client.headBlob(this.ref, info.digest, { signal });
      if (blob === undefined) throw blobMissing(info);
      if (blob.size !== undefined && blob.size !== info.size) throw blobSizeWrong(info, blob.size);
      return info;
    } catch (err) {
      return this.#lookupFailed(want.id, err);
    }
  }

  /** A missing entry is a miss; an unusable one a warning; a registry that cannot be used turns the cache repository off. */
  #lookupFailed(id: string, err: unknown): undefined {
    this.#rethrowInterrupt(err);
    switch (isMapBuildError(err) ? err.code : undefined) {
      case "E_MANIFEST_UNKNOWN":
      case "E_NAME_UNKNOWN":
        this.stats.misses++;
        return undefined;
      case "E_DENIED":
        // Docker Hub answers so for a repository that does not exist yet: writing may still work
        return this.#giveUp("read", err, { writesToo: false });
      case "E_UNAUTHORIZED":
      case "E_NETWORK":
      case "E_TIMEOUT":
      case "E_INTERRUPTED": // the lookup's time limit (the build's own interrupt was rethrown)
      case "E_REGISTRY":
        return this.#giveUp("read", err, { writesToo: true });
      default:
        return this.#reject(id, err);
    }
  }

  /** A layer that stays in the cache repository: a push mounts it (or finds it), any read streams it verified. */
  #remoteLayer(info: EntryLayer): Layer {
    const client = this.#o.client;
    const ref = this.ref;
    return {
      digest: async () => info.digest,
      diffId: async () => info.diffId,
      size: async () => info.size,
      mediaType: async () => info.mediaType,
      open: async () => client().fetchBlob(ref, info.digest, { size: info.size, signal: this.#o.signal }),
      source: this.source,
    };
  }

  #reject(id: string, err: unknown): undefined {
    this.stats.rejected++;
    this.#o.warn(`layer cache repository ${this.name}: ignoring the entry for layer ${id}: ${messageOf(err)}; building the layer instead`);
    return undefined;
  }

  /** Stop reading (and writing, unless only reads were refused) or writing; one warning for each. */
  #giveUp(doing: "read" | "written", err: unknown, opts: { writesToo: boolean } = { writesToo: true }): undefined {
    const wasOn = doing === "read" ? this.#reads : this.#writes;
    if (doing === "read") this.#reads = false;
    if (doing === "written" || opts.writesToo) this.#writes = false;
    if (!wasOn) return undefined;
    // an abort that is not the build's own is the lookup's time limit
    const timedOut = isMapBuildError(err) && err.code === "E_INTERRUPTED";
    const hint = !timedOut && isMapBuildError(err) && err.hint ? ` (${err.hint})` : "";
    const why = timedOut ? `no answer within ${(this.#o.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS) / 1000} s` : messageOf(err);
    const next = doing === "read" && this.#writes ? "building without its entries (the layers built are still recorded there)" : "building without it";
    this.#o.warn(`layer cache repository ${this.name} could not be ${doing}: ${why}${hint}; ${next}`);
    return undefined;
  }

  /** Only the build's own interrupt stops it; any other failure of the cache repository is a warning. */
  #rethrowInterrupt(err: unknown): void {
    if (this.#o.signal?.aborted) throw err;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
