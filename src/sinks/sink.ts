/**
 * Where a finished image goes. The caller (the CLI, from its flags) builds a list of sinks; the
 * builder checks them all before any work and then writes to each in list order, as ko's
 * publishers do. Adding an output means one new file implementing this interface.
 */
import type { BlobSource, Image } from "../image/index.js";
import type { MultiPlatformImage } from "../image/index.js";
import type { ProgressSink } from "../progress.js";
import type { ImageReference } from "../reference/index.js";
import type { RegistryClient } from "../registry/index.js";
import type { ReferrerArtifact } from "../image/index.js";
import { parseReference } from "../reference/index.js";

export interface SinkContext {
  /** The image's name: the push target, and the name written into archives. */
  name: ImageReference;
  /** The build's registry client, opened on first use and shared with the base (one login per registry). */
  registry: () => RegistryClient;
  progress?: ProgressSink;
  signal?: AbortSignal;
  /** Artifacts that refer to the image (SBOM, provenance): a sink that can hold them stores them beside it. */
  referrers?: readonly ReferrerArtifact[];
}

/** What a sink delivered, for the build's result. */
export interface SinkSummary {
  /** The sink's kind, e.g. "tarball". */
  kind: string;
  /** Registry reference, file, directory or engine address. */
  target: string;
  /** For a push: the digest the registry reported. */
  digest?: string;
  /** Names given to a multi-platform image's images where one name cannot hold them all (docker's RepoTags). */
  platformNames?: string[];
  /** Referrers stored with the image, and for a push how: the registry's referrers API or the fallback tag. */
  referrers?: { digests: string[]; via?: "api" | "tag"; tag?: string };
}

export interface Sink {
  /** Short stable name of the output kind, e.g. "tarball", "oci-layout", "push". */
  readonly kind: string;
  /** Where it writes, when known before the build (file, directory, engine), for progress rows. */
  readonly target?: string;
  /** Cheap checks before the build starts, so a typo in an output path costs seconds, not a build. */
  preflight?(ctx: SinkContext): Promise<void>;
  /**
   * False when the sink can deliver a layer that already lives at `source` without reading its
   * bytes (a push to the same registry mounts or finds it). Absent: it reads them.
   */
  readsLayerAt?(source: BlobSource, ctx: SinkContext): boolean;
  /** Deliver `image`; on failure leave no partial output behind. */
  write(image: Image, ctx: SinkContext): Promise<SinkSummary>;
  /**
   * Deliver a multi-platform image (an index over one image per platform). A sink without it
   * cannot hold several platforms; the builder refuses such a sink before any work.
   */
  writeIndex?(index: MultiPlatformImage, ctx: SinkContext): Promise<SinkSummary>;
}

/** How the caller names an output in messages (the CLI passes its flag, e.g. `--tarball`). */
export interface SinkNaming {
  option?: string;
  /** More full names for the image (a repeated tag), where the output can hold several (RepoTags). */
  alsoNames?: readonly string[];
}

/** The image's name followed by the caller's extra names. */
export function allNames(ctx: SinkContext, naming: SinkNaming): string[] {
  return [ctx.name.toString(), ...(naming.alsoNames ?? [])];
}

/** The tags of the image's names (an OCI layout's ref.names): the first as `tag`, the rest as `alsoTags`. */
export function nameTags(ctx: SinkContext, naming: SinkNaming): { tag: string; alsoTags: string[] } {
  const tagOf = (name: string) => parseReference(name).tag ?? "latest";
  return { tag: ctx.name.tag ?? "latest", alsoTags: (naming.alsoNames ?? []).map(tagOf) };
}

/** The summary field for referrers a sink stored (none: no field). */
export function storedReferrers(referrers: readonly ReferrerArtifact[] | undefined): Pick<SinkSummary, "referrers"> {
  return referrers?.length ? { referrers: { digests: referrers.map((r) => r.descriptor.digest) } } : {};
}
