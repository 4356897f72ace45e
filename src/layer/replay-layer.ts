/**
 * An uncompressed layer kept as its recipe instead of its bytes: open() regenerates the tar from
 * the entries (the writer is deterministic: same entries and mtime, same bytes) and verifies size
 * and digest while it streams. The layer cache keeps uncompressed model layers this way, so a
 * 2 GB model is not stored a second time inside the cache (issue 20). An input edited after the
 * layer was hashed fails the read (E_DIGEST_MISMATCH or a size error) instead of sending other
 * bytes under the old digest.
 */
import { Readable, pipeline } from "node:stream";
import type { Digest } from "../digest.js";
import type { Layer } from "../image/index.js";
import { VerifyStream } from "../verify-stream.js";
import type { LayerEntry } from "./entry.js";
import type { FileLayerInfo } from "../image/index.js";
import { tarChunks } from "./tar-chunks.js";

const HINT = "an input file changed after its layer was built; build again";

export class ReplayLayer implements Layer {
  readonly info: Readonly<FileLayerInfo>;
  readonly #entries: readonly LayerEntry[];
  readonly #mtime: number;

  /** `entries`: already normalised (normalizeEntries), as writeLayer streamed them. */
  constructor(entries: readonly LayerEntry[], mtime: number, info: FileLayerInfo) {
    this.#entries = entries;
    this.#mtime = mtime;
    this.info = Object.freeze({ ...info });
  }

  /** True when every file's content can be read again (files on disk, bytes in memory). */
  static canReplay(entries: readonly LayerEntry[]): boolean {
    return entries.every((e) => e.type !== "file" || e.source.kind !== "stream");
  }

  async digest(): Promise<Digest> {
    return this.info.digest;
  }

  async diffId(): Promise<Digest> {
    return this.info.diffId;
  }

  async size(): Promise<number> {
    return this.info.size;
  }

  async mediaType(): Promise<string> {
    return this.info.mediaType;
  }

  descriptor(): { mediaType: string; digest: Digest; size: number } {
    return { mediaType: this.info.mediaType, digest: this.info.digest, size: this.info.size };
  }

  async open(): Promise<Readable> {
    const verify = new VerifyStream(this.info.digest, this.info.size, `layer ${this.info.digest} regenerated from its inputs`, { hint: HINT });
    // fresh chunks (no reused buffer): a stream consumer may hold several at once
    return pipeline(Readable.from(tarChunks(this.#entries, { mtime: this.#mtime }), { objectMode: false }), verify, () => {});
  }

  /** Nothing to delete: no bytes were stored. */
  async dispose(): Promise<void> {}
}
