/**
 * An uncompressed layer kept as its recipe instead of its bytes: open() regenerates the tar from
 * the entries (the writer is deterministic: same entries and mtime, same bytes) and verifies size
 * and digest while it streams. The layer cache keeps uncompressed model layers this way, so a
 * 2 GB model is not stored a second time inside the cache (issue 20). An input edited after the
 * layer was hashed fails the read (E_DIGEST_MISMATCH or a size error) instead of sending other
 * bytes under the old digest.
 */
import { Readable, pipeline } from "node:stream";
import { VerifyStream } from "../verify-stream.js";
import type { LayerEntry } from "./entry.js";
import { KnownLayer, type FileLayerInfo } from "../image/index.js";
import { tarChunks } from "./tar-chunks.js";

const HINT = "an input file changed after its layer was built; build again";

export class ReplayLayer extends KnownLayer {
  readonly #entries: readonly LayerEntry[];
  readonly #mtime: number;

  /** `entries`: already normalised (normalizeEntries), as writeLayer streamed them. */
  constructor(entries: readonly LayerEntry[], mtime: number, info: FileLayerInfo) {
    super(info);
    this.#entries = entries;
    this.#mtime = mtime;
  }

  /** True when every file's content can be read again (files on disk, bytes in memory). */
  static canReplay(entries: readonly LayerEntry[]): boolean {
    return entries.every((e) => e.type !== "file" || e.source.kind !== "stream");
  }

  async open(): Promise<Readable> {
    const verify = new VerifyStream(this.info.digest, this.info.size, `layer ${this.info.digest} regenerated from its inputs`, { hint: HINT });
    // fresh chunks (no reused buffer): a stream consumer may hold several at once
    return pipeline(Readable.from(tarChunks(this.#entries, { mtime: this.#mtime }), { objectMode: false }), verify, () => {});
  }

  /** Nothing to delete: no bytes were stored. */
  async dispose(): Promise<void> {}
}
