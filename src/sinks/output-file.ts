/**
 * Output files: written atomically (never half a tarball), checked before writing, and file-system
 * failures reported as E_OUTPUT naming the output.
 */
import type { WriteStream } from "node:fs";
import { MapBuildError, isMapBuildError } from "../errors.js";
import { writeFileAtomic } from "../atomic-file.js";
import type { Image, MultiPlatformImage } from "../image/index.js";
import { expectOutputFile } from "./preflight.js";
import { storedReferrers, type Sink, type SinkContext, type SinkNaming, type SinkSummary } from "./sink.js";

/** `write` fills the stream and resolves once it has finished; nothing is left behind on failure. */
export async function writeOutputFile(target: string, write: (out: WriteStream) => Promise<void>, option = "output"): Promise<void> {
  await expectOutputFile(option, target, "image.tar");
  try {
    await writeFileAtomic(target, write);
  } catch (e) {
    throw asOutputError(target, e);
  }
}

/** Writes an image, or a multi-platform index, into the output file (one writer takes both). */
export type OutputFileWriter = (image: Image | MultiPlatformImage, ctx: SinkContext) => Promise<void>;

/**
 * A sink whose output is one file (a docker tarball, an oci-archive): the preflight (named by the
 * caller's option, else the kind), the write, the summary; `indexSummary` adds what a
 * multi-platform summary names besides the index digest.
 */
export function outputFileSink(
  out: { kind: string; file: string; example: string },
  naming: SinkNaming,
  write: OutputFileWriter,
  indexSummary?: (index: MultiPlatformImage, ctx: SinkContext) => Pick<SinkSummary, "platformNames">,
): Sink {
  const { kind, file } = out;
  return {
    kind,
    target: file,
    preflight: () => expectOutputFile(naming.option ?? kind, file, out.example),
    async write(image, ctx) {
      await write(image, ctx);
      return { kind, target: file, ...storedReferrers(ctx.referrers) };
    },
    async writeIndex(index, ctx) {
      await write(index, ctx);
      return { kind, target: file, digest: index.digest, ...indexSummary?.(index, ctx), ...storedReferrers(ctx.referrers) };
    },
  };
}

/** The errno code of `e` or of a cause it wraps (stream errors arrive wrapped as E_INTERNAL). */
function errnoOf(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 5; c = c.cause, depth++) {
    const code = (c as NodeJS.ErrnoException).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

const OUTPUT_ERRNOS = new Set(["ENOSPC", "EDQUOT", "EFBIG", "EACCES", "EPERM", "EROFS", "EIO"]);

/**
 * A failure while writing `target`: file-system errors (disk full, read-only, permissions) become
 * E_OUTPUT naming the target; MapBuildErrors other than E_INTERNAL and anything else pass through.
 */
export function asOutputError(target: string, e: unknown): unknown {
  if (isMapBuildError(e) && e.code !== "E_INTERNAL") return e;
  const code = errnoOf(e);
  if (code === undefined || !OUTPUT_ERRNOS.has(code)) return e;
  const why = code === "ENOSPC" || code === "EDQUOT" ? "no space left on device" : code === "EFBIG" ? "file too large for the file system" : code === "EIO" ? "I/O error" : "permission denied";
  return new MapBuildError("E_OUTPUT", `cannot write ${target}: ${why} (${code})`, {
    hint: code === "ENOSPC" || code === "EDQUOT" ? "free some disk space or write the output to another file system" : code === "EIO" ? "check the disk" : "check the permissions of the output directory",
    cause: e,
  });
}
