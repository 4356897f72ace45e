/**
 * A cache-repository hit for a build that needs the layer's bytes (a file output, an engine load, a
 * push to another registry): the blob is downloaded once into the local layer cache, its digest and
 * size checked as it arrives (fetchBlob) and its diff_id checked by decompressing the same bytes on
 * their way to disk (one pass, no second read of a multi-GB file), before the layer is used. The
 * next build on this machine then hits the local cache.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import type { Digest } from "../digest.js";
import { MapBuildError, isMapBuildError } from "../errors.js";
import { isGzipLayer } from "../image/index.js";
import { HashTap, layerFromFile, type FileLayer } from "../layer/index.js";
import type { LayerCache } from "../cache/index.js";
import type { RegistryClient, RepositoryRef } from "../registry/index.js";
import { digestMismatch } from "../verify-stream.js";
import type { EntryLayer } from "./entry.js";

export interface DownloadOptions {
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
}

export async function downloadEntry(client: RegistryClient, repo: RepositoryRef, key: string, info: EntryLayer, cache: LayerCache, opts: DownloadOptions = {}): Promise<FileLayer> {
  const tmp = join(cache.tmpDir, `remote-${randomBytes(12).toString("hex")}.tmp`);
  try {
    // the GET answers what a HEAD would: a missing blob (404), or one of another size (Content-Length)
    const onLength = (length: number | undefined) => {
      if (length !== undefined && length !== info.size) throw blobSizeWrong(info, length);
    };
    const body = client.fetchBlob(repo, info.digest, { size: info.size, signal: opts.signal, onBytes: opts.onBytes, onLength });
    const unzipped = isGzipLayer(info.mediaType) ? gunzippedDigest(body, opts.signal) : undefined;
    try {
      await pipeline(body, createWriteStream(tmp, { flags: "wx" }), opts.signal ? { signal: opts.signal } : {});
    } catch (err) {
      if (isMapBuildError(err) && err.code === "E_BLOB_UNKNOWN") throw blobMissing(info, err);
      // a corrupt gzip stops the download too: report the cause, not the write's premature close
      throw (await unzipped?.then(() => undefined, (gz: unknown) => gz)) ?? err;
    }
    const diffId = unzipped ? await unzipped : info.digest;
    if (diffId !== info.diffId) throw digestMismatch(`diff_id of cached layer ${info.digest}`, info.diffId, diffId);
    return await cache.put(key, layerFromFile(tmp, info, { owned: true }), { move: true });
  } finally {
    await rm(tmp, { force: true }).catch(() => {});
  }
}

/** An entry whose blob the repository does not hold. */
export function blobMissing(info: EntryLayer, cause?: unknown): MapBuildError {
  return new MapBuildError("E_BLOB_UNKNOWN", `its blob ${info.digest} is not in the repository`, cause === undefined ? {} : { cause });
}

/** An entry whose blob the repository holds with another size than recorded. */
export function blobSizeWrong(info: EntryLayer, size: number): MapBuildError {
  return new MapBuildError("E_SIZE_MISMATCH", `its blob ${info.digest} has ${size} bytes, the entry says ${info.size}`);
}

/** sha256 of a gzip stream's decompressed bytes (a layer's diff_id), read beside another consumer. */
async function gunzippedDigest(body: Readable, signal?: AbortSignal): Promise<Digest> {
  const tap = new HashTap();
  await pipeline(body, createGunzip(), tap, new Writable({ write: (_chunk, _enc, cb) => cb() }), signal ? { signal } : {});
  return tap.digest;
}
