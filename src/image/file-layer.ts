/**
 * A Layer whose stored bytes are a region of a local file (a blob in an OCI layout, a member of a
 * docker-archive tar). Every open() is verified against the descriptor's digest and size.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import type { Digest } from "../digest.js";
import { MapBuildError } from "../errors.js";
import { VerifyStream } from "../verify-stream.js";
import type { Layer } from "./image.js";

export interface FileLayerSpec {
  file: string;
  /** Byte offset of the blob inside `file`; 0 for a whole file. */
  offset?: number;
  size: number;
  mediaType: string;
  /** Known up front, or worked out on first use (e.g. by hashing a gzip member of an archive). */
  digest: Digest | (() => Promise<Digest>);
  diffId: Digest;
}

export function fileLayer(spec: FileLayerSpec): Layer {
  let digest: Promise<Digest> | undefined;
  const getDigest = (): Promise<Digest> =>
    (digest ??= typeof spec.digest === "function" ? spec.digest() : Promise.resolve(spec.digest));
  return {
    digest: getDigest,
    diffId: async () => spec.diffId,
    size: async () => spec.size,
    mediaType: async () => spec.mediaType,
    async open(): Promise<Readable> {
      const d = await getDigest();
      const start = spec.offset ?? 0;
      // `end` is inclusive. For a whole file, reading one byte past the descriptor lets the verifier
      // catch an oversized blob; inside an archive the next byte is tar padding, so stop exactly.
      const end = spec.offset === undefined ? start + spec.size : start + spec.size - 1;
      const src = createReadStream(spec.file, { start, end: Math.max(end, start) });
      const check = new VerifyStream(d, spec.size, `layer ${d} in ${spec.file}`);
      src.on("error", (e: NodeJS.ErrnoException) =>
        check.destroy(
          e.code === "ENOENT"
            ? new MapBuildError("E_INPUT_FORMAT", `layer blob ${d} is missing: ${spec.file}`, {
                hint: "the local image is incomplete; re-create it",
                cause: e,
              })
            : e,
        ),
      );
      return src.pipe(check);
    },
  };
}
