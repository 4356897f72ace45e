/**
 * Downloaded wheels, kept in the cache's one verified blob store (cache/blob-store.ts) as blobs of
 * kind `wheel`: `<cache>/blobs/sha256/<hex>`, beside base blobs and built layers, under the same
 * size limit and LRU prune. A download is hashed as it is written and published only when its
 * digest is the one expected; every hit is checked, so a torn or tampered wheel is downloaded
 * again instead of trusted (style.md §10). Wheels cached by earlier versions in
 * `<cache>/wheels/sha256/` are not read (each is downloaded once more; an explicit prune deletes them).
 */
import { blobPathIn, openBlobStore, type BlobPut, type BlobStore } from "../cache/index.js";
import { sha256HexForPath, type Digest } from "../digest.js";
import { hashFile } from "../hash-file.js";

/** Hex sha256 of a file (the one file hasher, under the name the wheel code uses). */
export { hashFile as sha256File } from "../hash-file.js";

export class WheelCache {
  #store: Promise<BlobStore> | undefined;

  /**
   * `dir`: the cache directory (the layer cache's); `maxBytes`: its size limit. `digestFile`: the
   * sha256 of a local wheel outside the cache (a stat-indexed digest spares re-reading it).
   */
  constructor(readonly dir: string, private readonly digestFile: (path: string) => Promise<string> = hashFile, private readonly maxBytes?: number) {}

  /** sha256 (hex) of any local wheel, through the (stat-indexed) digest the builder gives. */
  digest(path: string): Promise<string> {
    return this.digestFile(path);
  }

  pathFor(sha256: string): string {
    return blobPathIn(this.dir, toDigest(sha256));
  }

  /** The cached path if present and intact (a bad copy is deleted). */
  async get(sha256: string): Promise<string | undefined> {
    return (await (await this.#open()).get("wheel", toDigest(sha256)))?.path;
  }

  /**
   * Stream a wheel into the store with `write` (which feeds the put) and keep it under its
   * digest, unless `expected` is given and differs: then nothing is kept and `path` is undefined.
   */
  async fill(expected: string | undefined, write: (put: BlobPut) => Promise<void>): Promise<{ path?: string; sha256: string }> {
    const store = await this.#open();
    const put = store.put();
    try {
      await write(put);
    } catch (e) {
      await put.discard();
      throw e;
    }
    const sha256 = put.finish().slice("sha256:".length);
    if (expected !== undefined && sha256 !== expected) {
      await put.discard();
      return { sha256 };
    }
    return { path: (await store.publish("wheel", put)).path, sha256 };
  }

  #open(): Promise<BlobStore> {
    this.#store ??= openBlobStore({ dir: this.dir, ...(this.maxBytes === undefined ? {} : { maxBytes: this.maxBytes }) });
    return this.#store;
  }
}

function toDigest(sha256: string): Digest {
  return `sha256:${sha256HexForPath(sha256, "a wheel source", "E_PYTHON_DEPS")}`;
}
