/**
 * The image model, after go-containerregistry: small lazy interfaces. Nothing is fetched or
 * hashed at construction; each method does the least work to answer and may fail.
 */
import type { BigIntStats } from "node:fs";
import type { Readable } from "node:stream";
import type { Digest } from "../digest.js";
import type { Descriptor, ImageConfig, ImageManifest, Platform } from "./schemas.js";

/** What a descriptor names, layer or image alike: the digest of its stored bytes and their media type. */
export interface Described {
  /** Digest of the stored bytes: a layer's blob (compressed or not), an image's manifest. */
  digest(): Promise<Digest>;
  mediaType(): Promise<string>;
}

export interface Layer extends Described {
  /** Digest of the uncompressed tar (`rootfs.diff_ids`). */
  diffId(): Promise<Digest>;
  size(): Promise<number>;
  /** A fresh stream of the stored bytes on every call, verified against digest and size. */
  open(): Promise<Readable>;
  /**
   * Where the blob already lives in a registry, if anywhere: lets a push to the same registry
   * HEAD or cross-repository mount instead of downloading and uploading.
   */
  readonly source?: BlobSource;
  /**
   * A local file holding exactly the stored bytes (the whole file), when there is one (a built or
   * cached layer, a blob of a layout, a cached base blob): a sink may link or copy it in the
   * kernel instead of streaming it through buffers. Undefined when there is none after all.
   */
  storedFile?(): Promise<StoredFile | undefined>;
}

export interface StoredFile {
  readonly path: string;
  /** Present when map-build keeps the file (a layer it built, a cache blob); absent for a user's file. */
  readonly kept?: KeptFile;
}

/**
 * A file map-build wrote or checked and never writes in place. An output may share its inode (a
 * hard link) and a kernel copy of it needs no re-hash, while the file has the stat it had when its
 * bytes were verified: any write changes ctime, which user space cannot set back.
 */
export interface KeptFile {
  /** True when the file, whose stat now is `st`, still holds the verified bytes. */
  holds(st: BigIntStats): boolean;
  /**
   * map-build hard-linked the file: from `before` (which held) to `after` only the link count and
   * ctime changed. Records `after` as verified, so that the link costs no re-hash later.
   */
  linked(before: BigIntStats, after: BigIntStats): Promise<void>;
}

export interface BlobSource {
  /** `ImageReference.registry` of where the blob lives, e.g. `127.0.0.1:5000`, `docker.io`, `nvcr.io`. */
  registry: string;
  repository: string;
}

export interface Image extends Described {
  /** The serialised manifest, exactly the bytes whose sha256 is `digest()`. */
  rawManifest(): Promise<Buffer>;
  manifest(): Promise<ImageManifest>;
  rawConfig(): Promise<Buffer>;
  config(): Promise<ImageConfig>;
  /** Layers in manifest order; `layers()[i].diffId()` equals `config().rootfs.diff_ids[i]`. */
  layers(): Promise<Layer[]>;
  /**
   * The registry name a file holding the image recorded for it (a layout's full `ref.name` or
   * containerd name annotation, a docker-archive's RepoTags), when it names one.
   */
  readonly name?: string | undefined;
}

export type { Descriptor, ImageConfig, ImageManifest, Platform };
