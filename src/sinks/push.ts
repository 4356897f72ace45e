/**
 * Push an Image to a registry: layer blobs in parallel (bounded), then the config, then the
 * manifest last so the tag never points at missing blobs (style §3.9).
 */
import { Readable } from "node:stream";
import type { Digest } from "../digest.js";
import { runBounded } from "../run-bounded.js";
import type { Image, Layer } from "../image/index.js";
import type { MultiPlatformImage } from "../image/index.js";
import { noProgress, type ProgressSink } from "../progress.js";
import { parseReference, withDigest } from "../reference/index.js";
import type { ImageReference } from "../reference/index.js";
import type { PushAction, RegistryClient } from "../registry/index.js";
import type { Sink, SinkContext } from "./sink.js";
import { pushReferrers, type AttachResult } from "./push-referrers.js";

export interface PushImageOptions {
  progress?: ProgressSink;
  /** Parallel blob uploads; 4 as in go-containerregistry (enough to fill a link, gentle on registries). */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface PushedBlob {
  digest: Digest;
  action: PushAction;
}

export interface PushResult {
  digest: Digest;
  mediaType: string;
  size: number;
  blobs: PushedBlob[];
}

export async function pushImage(client: RegistryClient, image: Image, target: ImageReference, opts: PushImageOptions = {}): Promise<PushResult> {
  const progress = opts.progress ?? noProgress;
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const [layers, rawManifest, mediaType, rawConfig, manifest] = await Promise.all([
    image.layers(),
    image.rawManifest(),
    image.mediaType(),
    image.rawConfig(),
    image.manifest(),
  ]);
  // A layer listed twice (e.g. two identical empty layers) is pushed once.
  const unique = new Map<Digest, Layer>();
  for (const layer of layers) {
    const d = await layer.digest();
    if (!unique.has(d)) unique.set(d, layer);
  }
  const entries = [...unique];
  const blobs: PushedBlob[] = entries.map(([digest]) => ({ digest, action: "exists" }));
  await runBounded(entries, async ([digest, layer], i, signal) => {
    const size = await layer.size();
    const id = digest;
    const action = await client.pushBlob(
      target,
      { digest, size, open: () => layer.open(), source: layer.source },
      { signal, onBytes: (bytes) => progress({ id, phase: "upload", bytes, total: size }) },
    );
    if (action !== "uploaded") progress({ id, phase: action, bytes: size, total: size });
    progress({ id, phase: "done", bytes: size, total: size });
    blobs[i] = { digest, action };
  }, { limit: concurrency, signal: opts.signal });

  const configDigest = manifest.config.digest;
  const configAction = await client.pushBlob(
    target,
    { digest: configDigest, size: rawConfig.length, open: async () => bufferStream(rawConfig) },
    { signal: opts.signal },
  );
  blobs.push({ digest: configDigest, action: configAction });

  const digest = await client.putManifest(target, rawManifest, mediaType, { signal: opts.signal });
  // the manifest has a row like every blob, so the display shows when the tag exists
  progress({ id: digest, phase: "done", bytes: rawManifest.length, total: rawManifest.length });
  return { digest, mediaType, size: rawManifest.length, blobs };
}

export interface PushIndexResult extends PushResult {
  /** Each platform's push, in index order. */
  images: PushResult[];
}

/**
 * Push every platform's image by digest, then the index under the target's tag (last, so the tag
 * never names a missing manifest). Blobs the platforms share are found by HEAD and sent once.
 */
export async function pushImageIndex(client: RegistryClient, index: MultiPlatformImage, target: ImageReference, opts: PushImageOptions = {}): Promise<PushIndexResult> {
  const images: PushResult[] = [];
  for (const { image, descriptor } of index.images) {
    // identifier = digest: the manifest is stored untagged; only the index gets the tag
    images.push(await pushImage(client, image, withDigest(target, descriptor.digest), opts));
  }
  const digest = await client.putManifest(target, index.rawIndex, index.mediaType, { signal: opts.signal });
  return { digest, mediaType: index.mediaType, size: index.rawIndex.length, blobs: images.flatMap((i) => i.blobs), images };
}

/** A push to the registry the image is named after, as a build output. */
/**
 * A push to the registry the image is named after, as a build output; `name` pushes under another
 * name instead (an extra tag: its blobs are found by HEAD, so nothing is uploaded twice to one repository).
 */
export function pushSink(opts: Pick<PushImageOptions, "concurrency"> & { name?: string } = {}): Sink {
  const target = (ctx: SinkContext) => (opts.name ? parseReference(opts.name) : ctx.name);
  return {
    kind: "push",
    // before any layer is built: the target answers, the credentials work and may push
    preflight: (ctx) => ctx.registry().checkPushAccess(target(ctx), { signal: ctx.signal }),
    // pushBlob HEAD-skips or mounts a blob already on the target's registry
    readsLayerAt: (source, ctx) => source.registry !== target(ctx).registry,
    async write(image, ctx) {
      const pushed = await pushImage(ctx.registry(), image, target(ctx), { ...opts, progress: ctx.progress, signal: ctx.signal });
      // after the image: a referrer may name only a subject that is there
      const attached = await pushReferrers(ctx.registry(), target(ctx), ctx.referrers ?? [], ctx.signal);
      const referrers = attached ? { referrers: { digests: attached.manifests, via: attached.via, ...(attached.tag ? { tag: attached.tag } : {}) } } : {};
      return { kind: "push", target: target(ctx).toString(), digest: pushed.digest, ...referrers };
    },
    async writeIndex(index, ctx) {
      const pushed = await pushImageIndex(ctx.registry(), index, target(ctx), { ...opts, progress: ctx.progress, signal: ctx.signal });
      // each platform's artifacts name that platform's manifest as their subject
      const attached: AttachResult[] = [];
      for (const { descriptor } of index.images) {
        const own = (ctx.referrers ?? []).filter((r) => r.subject.digest === descriptor.digest);
        const done = await pushReferrers(ctx.registry(), target(ctx), own, ctx.signal);
        if (done) attached.push(done);
      }
      const referrers = attached.length ? { referrers: { digests: attached.flatMap((a) => a.manifests), via: attached[0]!.via } } : {};
      return { kind: "push", target: target(ctx).toString(), digest: pushed.digest, ...referrers };
    },
  };
}

function bufferStream(b: Buffer): Readable {
  return Readable.from([b]);
}
